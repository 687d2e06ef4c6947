"""Speed and memory of `colorbot colorize`, as ratios measured in one run, for each CPU engine
(PyTorch and ONNX Runtime) side by side.

1. The net alone: milliseconds per image at the render size (a 4:3 photo's 256×192 input, flip
   averaging as the model ships it), one image and a batch of 8.
2. 12-MP JPEG: median end-to-end colorize time for one image ÷ Pillow's own decode + re-encode
   of the same file (the floor of any pipeline). Target ≤ 1.5 on a 2-core CPU.
3. Peak RSS of a fresh `colorbot colorize` process on a 50-MP image (target < 1.5 GB), next to
   the RSS of the same process on a tiny image (what torch and the model cost by themselves).
4. A folder of 200 one-megapixel photos: images/s and the share of time the model is busy.
5. With a GPU: images/s for batches at render sizes 256 and 512, against the FLOP bound at the
   measured bf16 matmul peak.

Usage: python bench/colorize.py [--model CKPT] [--quick] [--engine torch|onnx (default: both)]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from skimage import data

from colorizer.batch import BatchColorizer
from colorizer.checkpoint import DEFAULT_CHECKPOINT, describe, save_checkpoint
from colorizer.inference import Colorizer
from colorizer.inputs import BatchItem
from colorizer.model import build_colorizer


def photo_of_size(megapixels: float, seed: int = 0) -> Image.Image:
    """A photo-like test image: a real photo enlarged, with sensor-like noise so JPEG works hard."""
    base = Image.fromarray(data.astronaut())
    width = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = int(width * 3 / 4)
    image = base.resize((width, height), Image.Resampling.BICUBIC)
    noise = np.random.default_rng(seed).normal(0, 6, (height, width, 1)).astype(np.int16)
    return Image.fromarray(np.clip(np.asarray(image, dtype=np.int16) + noise, 0, 255).astype(np.uint8))


def seconds_of(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def median_seconds(run, repeats: int) -> float:
    run()  # warm-up
    return statistics.median(seconds_of(run) for _ in range(repeats))


def model_path(requested: str | None, workdir: Path) -> Path:
    if requested:
        return Path(requested)
    if DEFAULT_CHECKPOINT.exists():
        return DEFAULT_CHECKPOINT
    path = workdir / "efficientnet_lite0-random.pt"
    save_checkpoint(path, build_colorizer("efficientnet_lite0"), {"training_data": "none (bench timing only)"})
    return path


def bench_single_image(colorizer: Colorizer, workdir: Path, repeats: int) -> dict:
    source = workdir / "photo12mp.jpg"
    if not source.exists():
        photo_of_size(12).save(source, quality=90)
    floor_out = workdir / "floor.jpg"

    def pillow_floor() -> None:
        with Image.open(source) as image:
            image.convert("RGB").save(floor_out, quality=95)

    runner = BatchColorizer(colorizer, batch_size=1)
    item = [BatchItem(source, workdir / "out" / "photo12mp")]

    def colorize_one() -> None:
        report = runner.run(item)
        assert not report.failed, report.failed[0].error

    # Alternated, so that a shared machine's drifting speed falls on both alike.
    pillow_floor(), colorize_one()
    floors, times = [], []
    for _ in range(repeats):
        floors.append(seconds_of(pillow_floor))
        times.append(seconds_of(colorize_one))
    floor, ours = statistics.median(floors), statistics.median(times)
    with Image.open(source) as image:
        size = image.size
    return {"image": f"{size[0]}x{size[1]} JPEG", "pillow_decode_encode_s": round(floor, 3), "colorize_s": round(ours, 3),
            "marginal_s": round(ours - floor, 3), "ratio": round(ours / floor, 2)}


def bench_net(colorizer: Colorizer, repeats: int) -> dict:
    """Milliseconds per image of the net alone (as ``predict`` runs it) on a 4:3 photo's render input."""
    prepared = colorizer.prepare(photo_of_size(1.0).convert("L"))
    single = median_seconds(lambda: colorizer.predict([prepared]), repeats * 4)
    batch = median_seconds(lambda: colorizer.predict([prepared] * 8), repeats)
    return {"input": "x".join(map(str, prepared[0].shape[1:])), "ms_per_image": round(single * 1e3, 1), "ms_per_image_batch8": round(batch * 1e3 / 8, 1)}


def peak_rss_mb(image_path: Path, model: Path, workdir: Path, engine: str) -> float:
    """Peak RSS of a fresh colorize process, read by the child itself from VmHWM.

    (``ru_maxrss`` would not do: Linux carries it across exec from the forking parent.)
    """
    code = (
        "import re, sys\n"
        "from bot.cli import app\n"
        "try:\n"
        f"    app(['colorize', {str(image_path)!r}, '-o', {str(workdir / 'rss')!r}, '--model', {str(model)!r}, '--engine', {engine!r}, '-q'])\n"
        "except SystemExit as e:\n"
        "    code = e.code\n"
        "hwm = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1)\n"
        "print(int(hwm) / 1024, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return float(done.stderr.strip().splitlines()[-1])


def bench_memory(model: Path, workdir: Path, engine: str) -> dict:
    big, tiny = workdir / "photo50mp.jpg", workdir / "tiny.jpg"
    if not big.exists():
        photo_of_size(50, seed=1).save(big, quality=90)
        photo_of_size(0.01).save(tiny)
    with Image.open(big) as image:
        size = image.size
    return {"image": f"{size[0]}x{size[1]} JPEG", "peak_rss_mb_50mp": round(peak_rss_mb(big, model, workdir, engine)),
            "peak_rss_mb_tiny_image": round(peak_rss_mb(tiny, model, workdir, engine))}


def bench_folder(colorizer: Colorizer, workdir: Path, count: int) -> dict:
    folder = workdir / "folder"
    if not folder.exists():
        folder.mkdir()
        base = photo_of_size(1.0)
        for index in range(count):
            base.rotate(index % 4 * 90, expand=True).save(folder / f"{index:03d}.jpg", quality=90)
    items = [BatchItem(p, workdir / f"folder-out-{colorizer.engine}" / p.stem) for p in sorted(folder.iterdir())]
    report = BatchColorizer(colorizer, batch_size=8, workers=2).run(items)
    assert not report.failed
    return {"images": count, "images_per_s": round(count / report.seconds, 2), "model_busy_fraction": round(report.model_busy_fraction, 2)}


def bench_gpu(colorizer: Colorizer) -> dict:
    """Images/s at render 256 and 512 on the GPU, against a FLOP bound from the measured matmul peak."""
    from torch.utils.flop_counter import FlopCounterMode

    device = colorizer.device
    a = torch.randn(8192, 8192, device=device, dtype=torch.bfloat16)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(20):
        a @ a
    torch.cuda.synchronize()
    peak = 20 * 2 * 8192**3 / (time.perf_counter() - start)
    results = {"matmul_peak_tflops_bf16": round(peak / 1e12, 1)}
    for size in (256, 512):
        batch = torch.rand(64, 1, size, size, device=device)
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            colorizer.model(batch[:1])
        flops = counter.get_total_flops()
        prepared = [(image, (size, size)) for image in batch.cpu()]
        seconds = median_seconds(lambda: colorizer.predict(prepared), 5)
        rate = len(prepared) / seconds
        results[f"render_{size}"] = {"images_per_s": round(rate), "flop_bound_images_per_s": round(peak / flops), "fraction_of_bound": round(rate * flops / peak, 3)}
    return results


SIDE_BY_SIDE = (("net ms per image (batch 1)", "net", "ms_per_image"), ("net ms per image (batch 8)", "net", "ms_per_image_batch8"),
                ("1-MP folder images/s", "folder_1mp", "images_per_s"), ("12-MP colorize ÷ Pillow floor", "single_12mp", "ratio"),
                ("12-MP marginal s over the floor", "single_12mp", "marginal_s"), ("50-MP peak RSS MB", "memory", "peak_rss_mb_50mp"))


def print_side_by_side(results: dict) -> None:
    """One line per measure: each engine's number and ONNX Runtime's over PyTorch's."""
    engines = [e for e in ("torch", "onnx") if e in results["engines"]]
    print(f"{'':34}" + "".join(f"{e:>10}" for e in engines) + ("   onnx/torch" if len(engines) == 2 else ""))
    for label, section, key in SIDE_BY_SIDE:
        values = [results["engines"][e][section][key] for e in engines]
        ratio = f"   {values[1] / values[0]:.2f}" if len(values) == 2 and values[0] else ""
        print(f"{label:34}" + "".join(f"{v:>10}" for v in values) + ratio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="checkpoint (default: the shipped model, else a random efficientnet_lite0)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a 40-image folder")
    parser.add_argument("--engine", choices=("torch", "onnx"), action="append", help="measure only this engine (repeatable; default: both)")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    with tempfile.TemporaryDirectory(prefix="colorbot-bench-") as tmp:
        workdir = Path(tmp)
        model = model_path(args.model, workdir)
        results: dict = {"model": str(model), "torch_threads": torch.get_num_threads(), "engines": {}}
        for engine in args.engine or ("torch", "onnx"):
            colorizer = Colorizer.from_checkpoint(model, engine=engine)
            measured = results["engines"][engine] = {"engine": colorizer.engine, "device": str(colorizer.device)}
            results.update(net=describe(colorizer.model.config), render_size=colorizer.render_size)
            measured["net"] = bench_net(colorizer, repeats)
            print(engine, json.dumps(measured["net"]), flush=True)
            measured["single_12mp"] = bench_single_image(colorizer, workdir, repeats)
            print(engine, json.dumps(measured["single_12mp"]), flush=True)
            measured["memory"] = bench_memory(model, workdir, engine)
            print(engine, json.dumps(measured["memory"]), flush=True)
            measured["folder_1mp"] = bench_folder(colorizer, workdir, 40 if args.quick else 200)
            print(engine, json.dumps(measured["folder_1mp"]), flush=True)
            if colorizer.device.type == "cuda":
                results["gpu"] = bench_gpu(colorizer)
        print(json.dumps(results, indent=2))
        print_side_by_side(results)


if __name__ == "__main__":
    main()
