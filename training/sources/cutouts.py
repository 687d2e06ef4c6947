"""Photo cut-outs on alpha (Debian tuxpaint stamps): tell photos from drawings, and composite a
cut-out onto a background so it becomes a training photo."""

from __future__ import annotations

import random

import numpy as np
from PIL import Image

# Distinct colours (at 6 bits a channel) per opaque pixel, on a 128-px copy: flat-filled
# drawings and glyphs sit below ~0.05, photo cut-outs above ~0.15 (looked at on all 741 stamps).
PHOTO_COLOUR_RATIO = 0.12
MIN_OPAQUE_PIXELS = 500


def colour_ratio(rgba: Image.Image) -> float:
    """Distinct colours per opaque pixel; 0 when too little of the image is opaque."""
    small = rgba.convert("RGBA")
    small.thumbnail((128, 128), Image.Resampling.NEAREST)
    pixels = np.asarray(small)
    opaque = pixels[..., 3] > 250
    if opaque.sum() < MIN_OPAQUE_PIXELS:
        return 0.0
    distinct = np.unique(pixels[opaque][:, :3] // 4, axis=0)
    return len(distinct) / float(opaque.sum())


def is_photo_cutout(rgba: Image.Image) -> bool:
    return colour_ratio(rgba) >= PHOTO_COLOUR_RATIO


def neutral_background(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A vertical gradient between two near-neutral tones (a studio wall, paper, a floor)."""
    top, bottom = (rng.randint(60, 235) for _ in range(2))
    tint = [rng.randint(-8, 8) for _ in range(3)]
    ramp = np.linspace(top, bottom, size[1])[:, None, None] + np.array(tint)[None, None, :]
    return Image.fromarray(np.clip(np.broadcast_to(ramp, (size[1], size[0], 3)), 0, 255).astype(np.uint8))


def composite(cutout: Image.Image, background: Image.Image, rng: random.Random, size: int = 384) -> Image.Image:
    """Paste ``cutout`` (scaled to 40–80 % of the frame, at a random place) onto a ``size``-px
    square crop of ``background``."""
    bg = background.convert("RGB")
    side = min(bg.size)
    left, top = rng.randint(0, bg.width - side), rng.randint(0, bg.height - side)
    frame = bg.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.LANCZOS)
    obj = cutout.convert("RGBA")
    scale = rng.uniform(0.4, 0.8) * size / max(obj.size)
    obj = obj.resize((max(1, round(obj.width * scale)), max(1, round(obj.height * scale))), Image.Resampling.LANCZOS)
    x, y = rng.randint(0, size - obj.width), rng.randint(0, size - obj.height)
    frame.paste(obj, (x, y), obj)
    return frame
