"""Small generated photo sets (colour blobs, gray noise, broken files) for tests and benchmarks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def color_image(seed: int, size: tuple[int, int] = (48, 40), tint: tuple[float, float, float] | None = None) -> Image.Image:
    """A smooth, colorful RGB image: soft random colour blobs over black; with ``tint``, blobs of
    random brightness in that one colour (chroma predictable from luminance: easy to learn)."""
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    img = np.zeros((h, w, 3))
    for _ in range(4):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.2, 0.5)
        colour = rng.uniform(0, 1, 3) if tint is None else rng.uniform(0.3, 1) * np.asarray(tint)
        mask = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))[..., None]
        img = img * (1 - mask) + colour * mask
    noise = rng.normal(0, 0.02, img.shape)  # a little texture, as in photos
    return Image.fromarray(((img + noise) * 255).clip(0, 255).astype(np.uint8))


def make_color_image(path: Path, seed: int, size: tuple[int, int] = (48, 40), quality: int = 95, tint=None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    color_image(seed, size, tint).save(path, quality=quality)
    return path


def make_dataset(root: Path, n_color: int = 8, n_gray: int = 0, n_corrupt: int = 0, size: tuple[int, int] = (48, 40),
                 tint: tuple[float, float, float] | None = None) -> Path:
    """ImageNet-like tree ``root/nXXXXXXXX/img_NNN.JPEG`` plus ``gray/`` and ``bad/`` files."""
    root = Path(root)
    for i in range(n_color):
        make_color_image(root / f"n{i % 3:08d}" / f"img_{i:03d}.JPEG", i, size, tint=tint)
    for i in range(n_gray):
        (root / "gray").mkdir(parents=True, exist_ok=True)
        g = np.random.default_rng(100 + i).integers(0, 255, (size[1], size[0]), dtype=np.uint8)
        Image.fromarray(g).convert("RGB").save(root / "gray" / f"gray_{i}.png")
    for i in range(n_corrupt):
        (root / "bad").mkdir(parents=True, exist_ok=True)
        (root / "bad" / f"broken_{i}.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 3)
    return root
