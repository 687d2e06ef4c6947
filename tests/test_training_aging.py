"""Aged-print augmentation: seeded, each effect real, the gray aged and the colour target clean."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from training.aging import AgingSettings, age_gray, aging_grid

NOTHING = AgingSettings(**{f.name: 0.0 for f in dataclasses.fields(AgingSettings) if f.name.endswith("_p")})


def _photo(size: int = 128) -> np.ndarray:
    return np.asarray(Image.fromarray(data.astronaut()).convert("L").resize((size, size)), dtype=np.uint8)


def _only(**changes) -> AgingSettings:
    return dataclasses.replace(NOTHING, **changes)


def test_ageing_is_seeded_and_keeps_shape_and_type() -> None:
    gray = _photo()
    first = age_gray(gray, np.random.default_rng([7, 1]))
    assert first.shape == gray.shape and first.dtype == np.uint8
    assert np.array_equal(first, age_gray(gray, np.random.default_rng([7, 1])))
    others = [age_gray(gray, np.random.default_rng([7, i])) for i in range(2, 12)]
    assert sum(not np.array_equal(o, gray) for o in others) >= 6  # most draws age the photo
    assert np.array_equal(age_gray(gray, np.random.default_rng(0), _only(clean_p=1.0, grain_p=1.0)), gray)
    assert np.array_equal(age_gray(gray, np.random.default_rng(0), NOTHING), gray)


def test_fade_lifts_the_blacks_and_dims_the_whites() -> None:
    gray = _photo()
    faded = age_gray(gray, np.random.default_rng(0), _only(fade_p=1.0, black_level=(0.2, 0.2), white_level=(0.8, 0.8)))
    assert faded.min() >= 50 and faded.max() <= 205
    assert np.corrcoef(gray.ravel(), faded.ravel())[0, 1] > 0.999


def test_grain_blur_and_jpeg_change_the_texture_as_they_should() -> None:
    gray = _photo()
    flat = np.full((128, 128), 128, np.uint8)
    grainy = age_gray(flat, np.random.default_rng(0), _only(grain_p=1.0, grain_strength=(0.05, 0.05), grain_size=(0.0, 0.0)))
    assert 8 < grainy.astype(float).std() < 18  # σ 0.05 of full scale ≈ 12.75 levels
    blurred = age_gray(gray, np.random.default_rng(0), _only(blur_p=1.0, blur_sigma=(2.0, 2.0)))
    assert np.abs(np.diff(blurred.astype(float), axis=1)).mean() < 0.75 * np.abs(np.diff(gray.astype(float), axis=1)).mean()
    blocky = age_gray(gray, np.random.default_rng(0), _only(jpeg_p=1.0, jpeg_quality=(10, 10)))
    assert 0 < np.abs(blocky.astype(int) - gray).mean() < 16


def test_borders_scratches_and_dust_mark_the_print() -> None:
    gray = _photo(256)
    bordered = age_gray(gray, np.random.default_rng(3), _only(border_p=1.0, border_width=(0.04, 0.04)))
    edges = [bordered[:10], bordered[-10:], bordered[:, :10], bordered[:, -10:]]
    assert any(np.ptp(edge) <= 2 and edge.mean() in (8, 245) for edge in edges)  # the scanner bed: one flat tone
    dusty = age_gray(gray, np.random.default_rng(3), _only(dust_p=1.0, dust_count=(40, 40)))
    assert 0.001 < (dusty != gray).mean() < 0.1
    scratched = age_gray(gray, np.random.default_rng(3), _only(scratch_p=1.0, scratch_count=(3, 3)))
    assert (scratched != gray).any()


def test_the_docs_grid_shows_the_photo_and_its_ageings() -> None:
    grid = aging_grid(Image.fromarray(_photo(64)), seed=0, count=7)
    assert grid.size == (4 * 64, 2 * 64) and grid.mode == "L"
    assert np.array_equal(np.asarray(grid)[:64, :64], _photo(64))


def test_training_crops_carry_an_aged_gray_beside_the_clean_colour(tmp_path: Path) -> None:
    from training.data import ColorDataset, collate

    photo = tmp_path / "a.png"
    Image.fromarray(data.astronaut()).save(photo)
    plain = ColorDataset([photo], 64, train=True, seed=1)
    aged = ColorDataset([photo], 64, train=True, seed=1, aging=AgingSettings(clean_p=0.0))
    items = [aged[(epoch, 0)] for epoch in range(6)]
    for epoch, item in enumerate(items):
        assert np.array_equal(item["rgb"].numpy(), plain[(epoch, 0)]["rgb"].numpy())  # the target is untouched
        assert item["gray"].shape == (1, 64, 64)
    luma = [np.asarray(Image.fromarray(i["rgb"].permute(1, 2, 0).numpy()).convert("L")) for i in items]
    assert sum(not np.array_equal(i["gray"][0].numpy(), l) for i, l in zip(items, luma)) >= 5
    batch = collate(items)
    assert batch["gray"].shape == (6, 1, 64, 64)
    assert collate([plain[(0, 0)]])["gray"] is None
    assert "gray" not in ColorDataset([photo], 64, train=False, aging=AgingSettings())[0]  # validation stays clean


def test_eval_aged_scores_every_method_on_the_same_aged_gray(tmp_path: Path) -> None:
    from colorizer.checkpoint import save_checkpoint
    from colorizer.model import build_colorizer
    from training.evaluate import evaluate
    from training.synthetic import make_dataset

    photos = make_dataset(tmp_path / "val", n_color=3, size=(64, 48))
    model = save_checkpoint(tmp_path / "m.pt", build_colorizer("efficientnet_lite0", weights=None), {"render_size": 64})
    clean = evaluate(model, photos, tmp_path / "clean", fid=False)
    aged = evaluate(model, photos, tmp_path / "aged", fid=False, aged_seed=5)
    again = evaluate(model, photos, tmp_path / "again", fid=False, aged_seed=5)
    assert aged["aging"]["seed"] == 5 and clean["aging"] is None
    assert aged["summary"]["gray"]["psnr"] < clean["summary"]["gray"]["psnr"]  # the luminance itself is degraded
    assert aged["summary"]["model"]["psnr"] == pytest.approx(aged["summary"]["gray"]["psnr"])  # untrained: UV 0 on the aged gray
    assert again["summary"] == aged["summary"]
    assert "aged like an old print (seed 5" in (tmp_path / "aged" / "eval.md").read_text()
