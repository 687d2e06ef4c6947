"""Benchmark: can the data loader feed the training step?

    python bench/train.py [--data DIR] [--size 224] [--batch-size 32] [--workers N] [--seconds 20]

Measures, separately, (1) loader images/s: random resized 224-px crops from ~500×375 JPEGs
(generated here unless ``--data`` is given) with the default worker count, and (2) training-step
images/s: forward + backward + SGD step of the default model (efficientnet_lite0, seed loss) on
batches already in memory. Passes when the loader is at least 2× the step rate (exit code 1 if not).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from colorizer.model import build_colorizer  # noqa: E402
from training.data import ColorDataset, ResumableSampler, list_images, make_loader, worker_count  # noqa: E402
from training.losses import SeedLoss  # noqa: E402
from training.predict import split_yuv  # noqa: E402
from training.synthetic import make_color_image  # noqa: E402


def make_jpegs(folder: Path, count: int) -> Path:
    for i in range(count):
        make_color_image(folder / f"n{i % 4:08d}" / f"img_{i:04d}.JPEG", i, size=(500, 375), quality=90)
    return folder


def loader_rate(paths, size: int, batch_size: int, workers: int, seconds: float) -> float:
    dataset = ColorDataset(paths, size, train=True)
    sampler = ResumableSampler(dataset, shuffle=True)
    loader = make_loader(dataset, batch_size, sampler, workers, pin_memory=torch.cuda.is_available())
    images, epoch, start = 0, 0, None
    while True:
        sampler.set_epoch(epoch)
        for batch in loader:
            if start is None:  # the first batch pays for worker start-up
                start = time.perf_counter()
                continue
            images += len(batch["rgb"])
            if time.perf_counter() - start >= seconds:
                return images / (time.perf_counter() - start)
        epoch += 1


def step_rate(size: int, batch_size: int, steps: int, backbone: str) -> float:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = build_colorizer(backbone, weights=None).to(device).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = SeedLoss()
    rgb = (torch.rand(batch_size, 3, size, size) * 255).to(torch.uint8).to(device)
    gray, target = split_yuv(rgb)

    def step():
        loss = loss_fn(model(gray), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    step()  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch_size / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="JPEG folder (default: 128 generated 500×375 JPEGs)")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=None, help="default: the trainer's default")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--backbone", default="efficientnet_lite0")
    args = parser.parse_args()
    workers = worker_count(args.workers)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data or make_jpegs(Path(tmp), 128)
        paths = list_images(folder)
        loader = loader_rate(paths, args.size, args.batch_size, workers, args.seconds)
    step = step_rate(args.size, args.batch_size, args.steps, args.backbone)
    result = {
        "size": args.size, "batch_size": args.batch_size, "workers": workers, "torch_threads": torch.get_num_threads(),
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "loader_images_per_s": round(loader, 1), "step_images_per_s": round(step, 1), "ratio": round(loader / step, 2),
        "ok": loader >= 2 * step,
    }
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
