"""Regression guard for the shipped default model (MODEL_CARD.md, "Regression guard").

Everything here is computed from colorizer/weights/default.pt, through the same path as
`colorbot colorize`, on scikit-image's colour photos (installed with the project; they are in the
tune split, so these are tuning-set figures, not the model card's test numbers). A retrained
model that paints the neutral photos, drops the colour or loses the astronaut's skin fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from colorizer.checkpoint import load_checkpoint
from colorizer.inference import DEFAULT_CHECKPOINT
from training.evaluate import evaluate
from training.sources.catalog import skimage_photos

# Measured for the shipped model on these 7 photos (MODEL_CARD.md): mean +2.32 dB over gray,
# worst photo -0.68 dB (immunohistochemistry), CF ratio 0.68, the astronaut's face skin-toned.
# The previous default, whose choices were made on these very photos, scored +2.56 / +0.50 on
# them. Margins allow a slightly different retrain, not a regression.
MIN_MEAN_GAIN_DB = 1.5
MIN_WORST_GAIN_DB = -1.5
MIN_CF_RATIO = 0.55
PREVIOUS_DEFAULT_IMAGES = 15_451


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("skimage")
    for photo in skimage_photos(folder):
        photo.load().save(folder / f"{photo.name}.png")
    return evaluate(DEFAULT_CHECKPOINT, folder, tmp_path_factory.mktemp("eval"), fid=False, device="cpu")


def test_shipped_model_is_labelled_small_and_trained_on_its_budget() -> None:
    _, meta = load_checkpoint(DEFAULT_CHECKPOINT)
    assert meta["label"] == "default" and meta["saturation"] > 0
    assert meta["images_seen"] >= 5 * PREVIOUS_DEFAULT_IMAGES  # the budget: 5x the previous default
    assert Path(DEFAULT_CHECKPOINT).stat().st_size <= 25_000_000


def test_shipped_model_comes_with_its_current_onnx_graph() -> None:
    """A retrained default without `colorbot export colorizer/weights/default.pt --onnx` fails here."""
    from colorizer.inference_net import InferenceNet
    from colorizer.onnx_graph import graph_beside, graph_digest, graphs_beside

    model, meta = load_checkpoint(DEFAULT_CHECKPOINT)
    current = graph_beside(DEFAULT_CHECKPOINT, graph_digest(InferenceNet(model, bool(meta.get("flip_average")))))
    assert graphs_beside(DEFAULT_CHECKPOINT) == [current]


def test_shipped_model_beats_gray_without_painting_any_photo(report: dict) -> None:
    assert report["images"] == 7
    gains = {Path(r["path"]).name: r["model"]["psnr"] - r["gray"]["psnr"] for r in report["per_image"]}
    assert sum(gains.values()) / len(gains) >= MIN_MEAN_GAIN_DB, gains
    assert min(gains.values()) >= MIN_WORST_GAIN_DB, gains
    assert report["summary"]["model"]["cf_ratio"] >= MIN_CF_RATIO  # colour, not a sepia collapse


def test_shipped_model_gives_the_astronaut_skin(report: dict) -> None:
    (astronaut,) = [r for r in report["per_image"] if r["path"].endswith("astronaut.png")]
    judged = [face for face in astronaut["faces"] if face["judged"]]
    assert judged and all(face["skin_toned"] for face in judged)
