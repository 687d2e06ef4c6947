"""Find the JPEG images stored inside another file (Enlightenment's ``.edj`` wallpapers keep
one photo at many sizes) and keep the largest one that decodes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

SOI = b"\xff\xd8\xff"


def largest_embedded_jpeg(path: str | Path) -> Image.Image | None:
    """The decodable embedded JPEG with the most pixels, or ``None`` when there is none.

    Every ``FF D8 FF`` start whose header parses is a candidate; Pillow stops at the image's own
    end marker, so the bytes after it (the next image, the container's index) do no harm.
    """
    blob = Path(path).read_bytes()
    candidates: list[tuple[int, int]] = []  # (pixels, offset), from headers alone
    start = blob.find(SOI)
    while start != -1:
        try:
            with Image.open(io.BytesIO(blob[start:])) as im:
                if im.format == "JPEG":
                    candidates.append((im.width * im.height, start))
        except (OSError, SyntaxError, ValueError):
            pass
        start = blob.find(SOI, start + 3)
    for _, offset in sorted(candidates, reverse=True):
        try:
            with Image.open(io.BytesIO(blob[offset:])) as im:
                return im.convert("RGB")
        except (OSError, SyntaxError, ValueError):
            continue  # a truncated copy: try the next size down
    return None


def embedded_jpegs(path: str | Path) -> Iterator[Image.Image]:
    """Every decodable JPEG inside ``path``, in file order (Scratch projects keep their scenes so)."""
    blob = Path(path).read_bytes()
    start = blob.find(SOI)
    while start != -1:
        try:
            with Image.open(io.BytesIO(blob[start:])) as im:
                if im.format == "JPEG":
                    yield im.convert("RGB")
        except (OSError, SyntaxError, ValueError):
            pass
        start = blob.find(SOI, start + 3)
