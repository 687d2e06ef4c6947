"""Compare backbones for the default model at an equal image budget, scored on the tune split.

    python -m training.compare_backbones --steps 400 [--out runs/backbones] [--docs docs/model-card]

Each backbone starts from its ImageNet weights under the same decoder (``residual-guided``), loss
(seed), optimizer, crops and data order, for the same number of steps; a stopped run continues
with ``--resume`` semantics (rerun the command). Each is then scored by ``colorbot eval`` on tune
with a saturation sweep, and the table reports PSNR at equal colourfulness (interpolated on each
sweep), the worst photo against its gray, faces, training speed and size.
Writes ``OUT/results.json`` and ``DOCS/backbones.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from colorizer.checkpoint import read_checkpoint
from training.fetch_mobilenet import DEFAULT_OUT as MOBILENET_WEIGHTS
from training.frontier import model_curve

BACKBONES = {
    "efficientnet_lite0": "imagenet",
    "efficientnet_lite1": "imagenet",
    "efficientnet_lite2": "imagenet",
    "mobilenet_v2": str(MOBILENET_WEIGHTS),
}
SWEEP = (0.5, 0.75, 1.0, 1.25, 1.5)
CF_POINTS = (0.4, 0.55, 0.7)


def psnr_at(curve: list[tuple[float, float]], cf_ratio: float) -> float:
    """PSNR of a sweep curve at a CF ratio (promotion's interpolation), NaN outside the curve:
    a short run's sweep may not reach that colourfulness, and an end point is no measurement."""
    from training.promotion import psnr_at as frontier_psnr_at

    xs = [x for x, _ in curve]
    return frontier_psnr_at(curve, cf_ratio) if min(xs) <= cf_ratio <= max(xs) else float("nan")


def run_one(name: str, weights: str, args: argparse.Namespace) -> dict[str, Any]:
    from training.evaluate import evaluate
    from training.trainer import TrainConfig, train

    out = args.out / name
    final = out / "final.pt"
    timing = out / "timing.json"
    if not final.is_file():
        resumed = (out / "resume.pt").is_file()
        start = time.monotonic()
        config = TrainConfig(
            data=args.data, out_dir=str(out), val_data=args.tune, backbone=name, arch="residual-guided", weights=weights,
            size=args.size, batch_size=args.batch_size, steps=args.steps, optimizer="adamw", lr=1e-3, backbone_lr=1e-4,
            warmup_steps=20, loss="seed", val_every=0, checkpoint_every=100, progress=False,
            resume=True, max_minutes=args.max_minutes,
        )
        result = train(config)
        if result["status"] != "finished":
            raise SystemExit(f"{name}: stopped at step {result['step']} ({result['status']}); rerun to continue")
        if not resumed:  # a speed only for a run timed in one go
            timing.write_text(json.dumps({"images_per_second": args.steps * args.batch_size / (time.monotonic() - start)}))
    report = evaluate(final, args.tune, out / "eval-tune", fid=False, saturations=SWEEP)
    curve = model_curve(report)
    model = report["summary"]["model"]
    params = sum(t.numel() for t in read_checkpoint(final)["state_dict"].values() if t.is_floating_point())
    return {
        "backbone": name, "steps": args.steps, "images": args.steps * args.batch_size, "params_m": params / 1e6,
        "images_per_second": json.loads(timing.read_text())["images_per_second"] if timing.is_file() else None,
        "psnr": model["psnr"], "gray_psnr": report["summary"]["gray"]["psnr"], "cf_ratio": model["cf_ratio"],
        "worst_vs_gray": model["worst_vs_gray"], "faces_rate": report["faces"]["rate"],
        "psnr_at": {str(x): psnr_at(curve, x) for x in CF_POINTS},
    }


def markdown(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    head = " | ".join(f"PSNR at CF {x}" for x in CF_POINTS)
    lines = [
        "# Backbones compared on the tune split", "",
        f"Each from its ImageNet weights, `residual-guided` decoder, seed loss, AdamW 1e-3 (backbone 1e-4), "
        f"{args.steps} steps of {args.batch_size} crops at {args.size} px ({args.steps * args.batch_size:,} images), "
        f"the same data order; scored on `{args.tune}` by `colorbot eval` at saturation 1 and over a sweep "
        f"({', '.join(f'{s:g}' for s in SWEEP)}). Speed: two CPU cores. Regenerate: "
        f"`python -m training.compare_backbones --steps {args.steps}`.", "",
        f"| backbone | params (M) | images/s | PSNR − gray | CF ratio | {head} | worst photo vs gray | faces skin-toned |",
        "|---|---|---|---|---|" + "---|" * len(CF_POINTS) + "---|---|",
    ]
    for r in results:
        at = " | ".join("n/a" if np.isnan(r["psnr_at"][str(x)]) else f"{r['psnr_at'][str(x)]:.2f}" for x in CF_POINTS)
        speed = "n/a" if r["images_per_second"] is None else f"{r['images_per_second']:.1f}"
        faces = "n/a" if r["faces_rate"] is None or np.isnan(r["faces_rate"]) else f"{r['faces_rate']:.0%}"
        lines.append(f"| {r['backbone']} | {r['params_m']:.2f} | {speed} | {r['psnr'] - r['gray_psnr']:+.2f} dB | "
                     f"{r['cf_ratio']:.2f} | {at} | {r['worst_vs_gray']:+.2f} dB | {faces} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/photos/train.txt")
    parser.add_argument("--tune", default="data/photos/tune.txt")
    parser.add_argument("--out", type=Path, default=Path("runs/backbones"))
    parser.add_argument("--docs", type=Path, default=Path("docs/model-card"))
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-minutes", type=float, default=None, help="per backbone; rerun to continue")
    parser.add_argument("--only", nargs="*", choices=sorted(BACKBONES))
    args = parser.parse_args(argv)
    results = [run_one(name, weights, args) for name, weights in BACKBONES.items() if not args.only or name in args.only]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    args.docs.mkdir(parents=True, exist_ok=True)
    (args.docs / "backbones.md").write_text(markdown(results, args))
    print(markdown(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
