"""Many distinct black-and-white photos, made from a seed in milliseconds, as sandbox posts.

Why: crash, concurrency and throughput checks need tens of B&W posts that the bot must treat as
different photos (distinct perceptual hashes, so none is answered as a repost of another) —
the five scikit-image photos are too few and too slow to vary.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from PIL import Image

from bot.sandbox import images


def bw_photo(index: int, seed: int = 0, size: tuple[int, int] = (240, 180)) -> Image.Image:
    """A one-channel picture of soft blobs over a gradient, different for every (seed, index)."""
    rng = np.random.default_rng([seed, index])
    width, height = size
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    angle = rng.uniform(0, 2 * np.pi)
    field = 0.6 * (np.cos(angle) * x + np.sin(angle) * y)
    for _ in range(6):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 0.75), rng.uniform(0.05, 0.3)
        field += rng.uniform(-1, 1) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
    field += rng.normal(0, 0.02, field.shape)
    field = (field - field.min()) / (np.ptp(field) or 1.0)
    return Image.fromarray((30 + field * 200).astype(np.uint8), "L")


def bw_posts(count: int, seed: int = 0, subreddit: str = "OldSchoolCool", prefix: str = "bw") -> list[dict[str, Any]]:
    """Seed entries (see :mod:`bot.sandbox.seed`) for ``count`` B&W image posts, ids ``{prefix}0000``…, newest first."""
    posts = []
    for index in range(count):
        data, kind = images.encode(bw_photo(index, seed), "jpeg")
        posts.append({"id": f"{prefix}{index:04d}", "subreddit": subreddit, "title": f"Generated B&W photo {index + 1}",
                      "author": "sandbox_user", "age_s": 60.0 + index,
                      "image": {"base64": base64.b64encode(data).decode(), "content_type": kind}})
    return posts
