"""The bot's repost check: the pHash of :mod:`colorizer.phash` and the distance that means
"the same photo"."""

from __future__ import annotations

from colorizer.phash import phash
from colorizer.hash_distance import hamming  # the queue's comparison too, so both sides agree on distances

# Copies (resized, recompressed, brightened, 2 % cropped, grayed) measured 0–8 bits apart on
# scikit-image photos; unrelated photos 22 or more.
SAME_PHOTO_DISTANCE = 10

__all__ = ["SAME_PHOTO_DISTANCE", "hamming", "phash"]
