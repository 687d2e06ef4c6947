"""The old-photo contact sheet: one row per photo, the gray and each model's colouring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

from training.old_photos import contact_sheet


def test_contact_sheet_has_a_row_per_photo_and_a_column_per_model(tmp_path: Path, vivid_checkpoint: Path) -> None:
    photos = []
    for name, array in (("camera", data.camera()), ("moon", data.moon())):  # real gray photos
        photos.append(tmp_path / f"{name}.png")
        Image.fromarray(array).save(photos[-1])
    one = contact_sheet(photos[:1], [("a", vivid_checkpoint)], cell_height=64)
    two = contact_sheet(photos, [("a", vivid_checkpoint), ("b", vivid_checkpoint)], cell_height=64)
    assert two.height > 1.8 * one.height  # two rows
    assert two.width > 1.4 * one.width  # gray + two models against gray + one
    rgb = np.asarray(two.convert("RGB"), dtype=int)
    assert np.abs(rgb[..., 0] - rgb[..., 2]).max() > 40  # the models' cells are in colour
