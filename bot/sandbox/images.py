"""Pictures for the sandbox: offline seed photos, tones, composites and deliberately broken files.

Why here: the default world needs real-looking black-and-white, sepia and colour photos without
downloads (scikit-image ships a few), and the image faults need reproducible bad bytes.
"""

from __future__ import annotations

import io
import zlib
import struct
from functools import lru_cache

import numpy as np
from PIL import Image

SEPIA = np.array([1.07, 0.74, 0.43])
#: The photos scikit-image ships; camera and moon are real grayscale photographs.
SKIMAGE_PHOTOS = ("camera", "moon", "astronaut", "chelsea", "coffee")


def skimage_photo(name: str, max_side: int = 384) -> Image.Image:
    """A scikit-image sample photo, downscaled so the sandbox starts fast."""
    import skimage.data  # noqa: PLC0415 - heavy import only when a seed needs it

    if name not in SKIMAGE_PHOTOS:
        raise ValueError(f"unknown photo {name!r}; choose from {SKIMAGE_PHOTOS}")
    image = Image.fromarray(getattr(skimage.data, name)())
    image.thumbnail((max_side, max_side))
    return image


def tone(image: Image.Image, tone: str) -> Image.Image:
    """``color`` (as is), ``gray`` (3-channel, like a scan), ``L`` (1-channel) or ``sepia``."""
    if tone == "color":
        return image.convert("RGB")
    gray = np.asarray(image.convert("L"), dtype=np.float64)
    if tone == "L":
        return Image.fromarray(gray.astype(np.uint8), "L")
    if tone == "gray":
        return Image.fromarray(np.repeat(gray[..., None], 3, axis=2).astype(np.uint8), "RGB")
    if tone == "sepia":
        toned = np.clip(gray[..., None] * SEPIA + np.array([12.0, 6.0, 0.0]), 0, 255)
        return Image.fromarray(toned.astype(np.uint8), "RGB")
    raise ValueError(f"unknown tone {tone!r}")


def side_by_side(left: Image.Image, right: Image.Image) -> Image.Image:
    """A before/after composite, as posted on colorization subreddits."""
    height = min(left.height, right.height)
    left = left.resize((left.width * height // left.height, height))
    right = right.resize((right.width * height // right.height, height))
    canvas = Image.new("RGB", (left.width + right.width, height))
    canvas.paste(left.convert("RGB"), (0, 0))
    canvas.paste(right.convert("RGB"), (left.width, 0))
    return canvas


def encode(image: Image.Image, fmt: str = "jpeg") -> tuple[bytes, str]:
    """Encoded bytes and their content type."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt.upper(), **({"quality": 88} if fmt.lower() in {"jpeg", "jpg"} else {}))
    return buffer.getvalue(), f"image/{'jpeg' if fmt.lower() in {'jpeg', 'jpg'} else fmt.lower()}"


def size_of(data: bytes) -> tuple[int, int]:
    """(width, height) of an image, or (0, 0) if PIL cannot read its header."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:  # noqa: BLE001 - anything unreadable simply has no size
        return 0, 0


# --- broken files for the image faults ----------------------------------------------------
HTML_PAGE = b"<!doctype html><html><head><title>imgur: the magic of the internet</title></head><body>Removed</body></html>"


def truncated(data: bytes) -> bytes:
    """The first half of a file, as a dropped connection leaves it."""
    return data[: max(1, len(data) // 2)]


def oversized(data: bytes, total: int = 30 * 1024 * 1024) -> bytes:
    """A valid image padded to ``total`` bytes (decoders ignore the trailing junk)."""
    return data + b"\0" * max(0, total - len(data))


@lru_cache(maxsize=1)
def huge_png(side: int = 12_000) -> bytes:
    """A tiny file that decodes to ``side``² pixels (144 Mpx): a decompression-bomb stand-in."""
    row = b"\0" + b"\0" * side
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def rendition(data: bytes, width: int) -> bytes:
    """A JPEG copy of an image scaled to ``width`` (what ``preview.redd.it/…?width=N`` serves)."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (width, width * 4))  # JPEG: decode at a reduced scale when possible
        height = max(1, round(image.height * width / image.width))
        small = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=85)
    return out.getvalue()
