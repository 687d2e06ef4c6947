"""The photo-pool fetcher's local steps (the registry downloads themselves are not run in tests)."""

from __future__ import annotations

import random

from PIL import Image

from training.fetch_photos import CROP_SIZE, wallpaper_crops
from training.synthetic import color_image


def test_wallpaper_crops_are_256px_and_deterministic(tmp_path):
    src = tmp_path / "wall.jpg"
    color_image(0, (700, 400)).save(src)
    n = wallpaper_crops([src], tmp_path / "a", 5, random.Random(1))
    wallpaper_crops([src], tmp_path / "b", 5, random.Random(1))
    assert n == 5
    files = sorted((tmp_path / "a").iterdir())
    assert len(files) == 5
    for f in files:
        with Image.open(f) as im:
            assert im.size == (CROP_SIZE, CROP_SIZE)
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes()
