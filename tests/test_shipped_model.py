"""Regression guard for the shipped default model (MODEL_CARD.md, "Regression guard").

Scores colorizer/weights/default.pt, through the same path as `colorbot colorize`, on the held-out
scikit-image photos of the eval set. The model card's numbers: it beats gray on every one of them
and by 2.3 dB on average; the guard allows a 0.9 dB slip on the average before it fails.
"""

from __future__ import annotations

from pathlib import Path

from colorizer.checkpoint import load_checkpoint
from colorizer.inference import DEFAULT_CHECKPOINT
from training.evaluate import evaluate
from training.fetch_photos import skimage_photos

MIN_MEAN_GAIN_DB = 1.5


def test_shipped_model_is_labelled_and_small() -> None:
    _, meta = load_checkpoint(DEFAULT_CHECKPOINT)
    assert meta["label"] == "default" and meta["steps"] > 0 and meta["metrics"]["model_psnr"] >= meta["metrics"]["gray_psnr"]
    assert Path(DEFAULT_CHECKPOINT).stat().st_size <= 25_000_000


def test_shipped_model_beats_gray_on_held_out_photos(tmp_path: Path) -> None:
    count = skimage_photos(tmp_path / "photos")
    report = evaluate(DEFAULT_CHECKPOINT, tmp_path / "photos", tmp_path / "eval", fid=False, device="cpu")
    assert report["images"] == count == 8
    gains = {Path(r["path"]).name: r["model"]["psnr"] - r["gray"]["psnr"] for r in report["per_image"]}
    assert min(gains.values()) > 0, gains
    assert sum(gains.values()) / len(gains) >= MIN_MEAN_GAIN_DB, gains
    assert report["summary"]["model"]["cf_ratio"] >= 0.4  # not a sepia collapse (measured 0.66 on these 8)
