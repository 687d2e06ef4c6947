"""Robust image loading and atomic saving for the colorizer.

Users feed us anything (old scans, phone photos, web downloads, HTML error pages saved as
``.jpg``), so loading normalises every Pillow mode to 8-bit "RGB" or "L" plus an optional
alpha channel, and every failure becomes one ``ImageLoadError`` line naming the file and the
reason.  The pixel count is checked from the header before any decoding, so a decompression
bomb is rejected without allocating its pixels.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from colorizer.atomic import atomic_output

DEFAULT_MAX_PIXELS = 120_000_000

_ORIENTATION = 0x0112
# TIFF image-structure tags: Pillow's TIFF getexif() returns them with the metadata, but they
# describe the source file's pixel layout and must not be carried into another file's EXIF.
_STRUCTURAL_TAGS = frozenset(
    {254, 255, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 280, 281, 284, 292, 293,
     317, 320, 322, 323, 324, 325, 338, 339, 347, 530, 34675}
)
# Magic numbers of formats we decode: a file that starts like one but fails is corrupt,
# not "not an image".
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_MULTI_FRAME_KIND = {"GIF": "animated GIF", "PNG": "animated PNG", "WEBP": "animated WebP",
                     "MPO": "multi-picture JPEG", "TIFF": "multi-page TIFF"}
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\) exceeds limit of (\d+)")
# What Pillow raises for undecodable data (OSError covers "image file is truncated").
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError,
                  struct.error, zlib.error)


class ImageLoadError(Exception):
    """An input that cannot be used; ``str(e)`` is the single line ``"{path}: {reason}"``."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = str(path)
        self.reason = " ".join(str(reason).split())  # one line, whatever Pillow said
        super().__init__(f"{self.path}: {self.reason}")

    def __reduce__(self):  # picklable across multiprocessing workers
        return (type(self), (self.path, self.reason))


@dataclass
class LoadedImage:
    """A decoded input, normalised for the colorizer, plus what to carry to the output."""

    path: Path
    luma_source: Image.Image
    alpha: Image.Image | None
    icc_profile: bytes | None
    exif: bytes | None
    format: str
    is_color: bool
    notes: list[str] = field(default_factory=list)


def load_image(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS, *, luma_only: bool = False) -> LoadedImage:
    """Decode ``path`` into 8-bit "RGB"/"L" (+ alpha), upright, or raise ``ImageLoadError``.

    ``luma_only``: the caller needs only the luminance, so a colour JPEG is decoded straight to its
    Y channel (JPEG's own BT.601 luma; libjpeg skips the chroma and the colour conversion, about
    half the decode) and comes back as "L" with ``is_color`` False.
    """
    path = Path(path)
    _check_regular_file(path)
    notes: list[str] = []
    try:
        f = open(path, "rb")
    except OSError as e:
        raise ImageLoadError(path, e.strerror or str(e)) from None
    # Our own file object: Pillow neither mmaps nor owns it, so the decoded image stays valid
    # after it is closed and no handle leaks from multi-frame formats.
    with f, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if os.fstat(f.fileno()).st_size == 0:
            raise ImageLoadError(path, "empty file")
        im = _open(f, path, max_pixels)
        fmt = im.format or "unknown"
        try:
            notes += _frame_notes(im, fmt)
            if luma_only and fmt == "JPEG" and im.mode == "RGB":
                im.draft("L", im.size)
            im.load()
            ImageOps.exif_transpose(im, in_place=True)
            exif = _carried_exif(im)
        except Image.DecompressionBombError as e:
            raise ImageLoadError(path, _too_large_reason(str(e), max_pixels)) from None
        except MemoryError:
            raise ImageLoadError(path, "out of memory while decoding") from None
        except _DECODE_ERRORS as e:
            raise ImageLoadError(path, f"truncated or corrupt image data ({e})") from None
    notes += [f"warning: {w.message}" for w in caught
              if not issubclass(w.category, Image.DecompressionBombWarning)]

    source_mode = im.mode
    icc_profile = im.info.get("icc_profile") or None
    image, alpha = _split_alpha(im)
    luma_source = _to_luma_source(image, path, notes)
    if source_mode == "CMYK":
        notes.append("CMYK converted to RGB")
    if icc_profile is not None and _icc_colour_space(icc_profile) != "RGB":
        notes.append(f"ICC profile ({_icc_colour_space(icc_profile) or 'unknown'} space) "
                     "dropped: it does not describe RGB output")
        icc_profile = None
    return LoadedImage(
        path=path,
        luma_source=luma_source,
        alpha=alpha,
        icc_profile=icc_profile,
        exif=exif,
        format=fmt,
        is_color=luma_source.mode == "RGB" and not _channels_identical(luma_source),
        notes=notes,
    )


def _check_regular_file(path: Path) -> None:
    """Reject missing paths, directories and FIFOs/devices (opening a FIFO would block)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ImageLoadError(path, "no such file") from None
    except OSError as e:
        raise ImageLoadError(path, e.strerror or str(e)) from None
    if stat.S_ISDIR(st.st_mode):
        raise ImageLoadError(path, "is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise ImageLoadError(path, "not a regular file")


def _open(f, path: Path, max_pixels: int) -> ImageFile.ImageFile:
    """Identify the file and check its header size; nothing is decoded yet."""
    try:
        im = Image.open(f)
    except Image.DecompressionBombError as e:  # beyond Pillow's own hard limit
        raise ImageLoadError(path, _too_large_reason(str(e), max_pixels)) from None
    except UnidentifiedImageError:
        raise ImageLoadError(path, _unidentified_reason(f)) from None
    except _DECODE_ERRORS as e:
        raise ImageLoadError(path, f"truncated or corrupt image data ({e})") from None
    pixels = im.width * im.height
    if pixels > max_pixels:
        raise ImageLoadError(path, _too_large_message(pixels, max_pixels))
    return im


def _too_large_message(pixels: int, max_pixels: int) -> str:
    return (f"too large: {_megapixels(pixels)} megapixels exceeds the limit of "
            f"{_megapixels(max_pixels)}")


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1e6:.1f}" if pixels >= 1_000_000 else f"{pixels / 1e6:.3g}"


def _too_large_reason(pillow_message: str, max_pixels: int) -> str:
    """Reason for Pillow's DecompressionBombError (its hard limit is 2 * MAX_IMAGE_PIXELS)."""
    match = _BOMB_PIXELS.search(pillow_message)
    if match is None:
        return f"too large: {pillow_message}"
    pixels, pillow_limit = int(match.group(1)), int(match.group(2))
    if pixels > max_pixels:
        return _too_large_message(pixels, max_pixels)
    return (f"too large: {_megapixels(pixels)} megapixels exceeds Pillow's decompression-"
            f"bomb limit of {_megapixels(pillow_limit)} (raise PIL.Image.MAX_IMAGE_PIXELS)")


def _unidentified_reason(f) -> str:
    """Say what the bytes look like: corrupt image, HTML page, text or unknown data."""
    f.seek(0)
    head = f.read(512)
    fmt = next((fmt for magic, fmt in _MAGIC if head.startswith(magic)), None)
    if fmt is None and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        fmt = "WebP"
    if fmt is not None:
        return f"truncated or corrupt image data ({fmt} header unreadable)"
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        kind = "looks like an HTML page"
    elif _is_text(head):
        kind = "looks like text"
    else:
        kind = f"unrecognised format, starts with {head[:8].hex(' ')}"
    return f"not an image ({kind})"


def _is_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:  # may be a multi-byte character cut at 512 bytes
        text = head[:-4].decode("utf-8", errors="replace")
        if "\ufffd" in text:
            return False
    return all(c.isprintable() or c in "\r\n\t\f" for c in text)


def _frame_notes(im: Image.Image, fmt: str) -> list[str]:
    if not getattr(im, "is_animated", False):
        return []
    kind = _MULTI_FRAME_KIND.get(fmt, f"multi-frame {fmt}")
    unit = "page" if fmt == "TIFF" else "frame"
    return [f"{kind}: used {unit} 1 of {im.n_frames}"]


def _carried_exif(im: Image.Image) -> bytes | None:
    """EXIF for the output: orientation already applied (so reset to 1), layout tags dropped."""
    exif = im.getexif()
    for tag in _STRUCTURAL_TAGS.intersection(exif):
        del exif[tag]
    if not len(exif):
        return None
    if _ORIENTATION in exif:
        exif[_ORIENTATION] = 1
    return exif.tobytes()


def _split_alpha(im: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """Separate any alpha (LA/RGBA/PA, palette or colour-key transparency) into an "L" mask."""
    mode, keyed = im.mode, "transparency" in im.info
    if mode == "P":
        im = im.convert("RGBA" if keyed else "RGB")
    elif mode in ("PA", "RGBa") or (keyed and mode == "RGB"):
        im = im.convert("RGBA")
    elif mode == "La" or (keyed and mode in ("1", "L")):
        im = im.convert("LA")
    if im.mode not in ("LA", "RGBA"):
        return im, None
    return im.convert(im.mode[:-1]), im.getchannel("A")


def _to_luma_source(im: Image.Image, path: Path, notes: list[str]) -> Image.Image:
    """Any alpha-free mode → 8-bit "L" (gray sources) or "RGB" (everything else)."""
    mode = im.mode
    if mode in ("L", "RGB"):
        return im
    if mode == "1":
        return im.convert("L")
    if mode.startswith("I"):
        bits = _int_bit_depth(im)
        notes.append(f"{bits}-bit: scaled to 8-bit")
        values = np.asarray(im).astype(np.int64) >> (bits - 8)
        return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8))
    if mode == "F":
        notes.append("32-bit float: clipped to 0..255")
        values = np.nan_to_num(np.asarray(im, dtype=np.float32), nan=0.0, posinf=255.0)
        return Image.fromarray(np.rint(np.clip(values, 0, 255)).astype(np.uint8))
    try:
        return im.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX
    except ValueError:
        raise ImageLoadError(path, f"unsupported image mode {mode}") from None


def _int_bit_depth(im: Image.Image) -> int:
    """Actual bit depth of an integer gray image, so that full scale maps to 255."""
    if im.mode.startswith("I;16"):
        return 16
    tags = getattr(im, "tag_v2", None)
    if tags is not None and 258 in tags:  # TIFF BitsPerSample
        bits = tags[258]
        return max(8, int(bits[0] if isinstance(bits, tuple) else bits))
    # Pillow reads 16-bit PNG/PGM/PPM as "I" too; wider values mean 32-bit data.
    lo, hi = im.getextrema()
    return 16 if hi <= 0xFFFF else 32


def _icc_colour_space(profile: bytes) -> str:
    """The data colour space in an ICC header ('RGB', 'GRAY', 'CMYK', ...)."""
    return profile[16:20].decode("ascii", errors="replace").strip() if len(profile) >= 20 else ""


def _channels_identical(image: Image.Image, tolerance: int = 2) -> bool:
    """True when an "RGB" image is gray (R=G=B within JPEG rounding).

    Checked on a box-reduced copy (~250k pixels): fast on 12 MP images and, unlike
    subsampling, every source pixel still contributes.
    """
    factor = max(1, int((image.width * image.height / 250_000) ** 0.5))
    small = image.reduce(factor) if factor > 1 else image
    r, g, b = (np.asarray(c, dtype=np.int16) for c in small.split())
    return bool(np.abs(r - g).max() <= tolerance and np.abs(g - b).max() <= tolerance)


def output_format(input_format: str) -> tuple[str, str]:
    """Pillow format and suffix for the colorized output of an ``input_format`` source."""
    return _OUTPUT_FORMATS.get(input_format.upper(), ("PNG", ".png"))


_OUTPUT_FORMATS = {
    "JPEG": ("JPEG", ".jpg"),
    "MPO": ("JPEG", ".jpg"),
    "PNG": ("PNG", ".png"),
    "WEBP": ("WEBP", ".webp"),
    "TIFF": ("TIFF", ".tif"),
}
_SAVE_OPTIONS: dict[str, dict] = {
    "JPEG": {"quality": 95, "optimize": False},  # Pillow's default 4:2:0 subsampling
    "PNG": {"compress_level": 3},
    "WEBP": {"quality": 95},
    "TIFF": {"compression": "tiff_lzw"},
}
_ALPHA_FORMATS = frozenset({"PNG", "WEBP", "TIFF"})


def save_image(
    image: Image.Image,
    path: Path,
    fmt: str,
    *,
    alpha: Image.Image | None = None,
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
) -> None:
    """Write ``image`` atomically: readers never see a half-written output file.

    The data goes to a hidden temporary file in the target directory (same filesystem),
    which then replaces ``path`` in one ``os.replace``.
    """
    fmt = fmt.upper()
    image = _mode_for_format(image, fmt, alpha)
    options = dict(_SAVE_OPTIONS.get(fmt, {}))
    if icc_profile:
        options["icc_profile"] = icc_profile
    if exif:
        options["exif"] = exif
    with atomic_output(path) as handle:
        image.save(handle, format=fmt, **options)


def _mode_for_format(image: Image.Image, fmt: str, alpha: Image.Image | None) -> Image.Image:
    """RGB/L for every format; RGBA when there is alpha and the format can store it."""
    if alpha is not None and fmt in _ALPHA_FORMATS:
        if alpha.size != image.size:
            raise ValueError(f"alpha size {alpha.size} differs from image size {image.size}")
        rgba = image.convert("RGB")  # a copy, so putalpha leaves the caller's image alone
        rgba.putalpha(alpha.convert("L"))
        return rgba
    if image.mode in ("RGB", "L") or (image.mode == "RGBA" and fmt in _ALPHA_FORMATS):
        return image
    return image.convert("RGB")


def small_copy(image: Image.Image, max_side: int = 256) -> Image.Image:
    """An RGB copy with longest side ≤ ``max_side`` (about), cheap even for 12-MP photos.

    Nearest-neighbour sampling to 4× the target then a 4×4 box ``reduce`` reads ~16 source
    pixels per output pixel: enough averaging to tame noise, without touching all 12 M pixels.
    Transparent areas are flattened onto mid-gray so they count as neutral; 16-bit gray
    keeps its top byte.
    """
    im = image
    if im.mode.startswith("I;16"):  # Pillow would clip 16-bit gray to 255, not scale it
        im = Image.fromarray((np.asarray(im).astype(np.uint16) >> 8).astype(np.uint8))
    if im.mode not in ("RGB", "RGBA", "L", "LA"):
        im = im.convert("RGBA" if "A" in im.getbands() or "transparency" in im.info else "RGB")
    w, h = im.size
    scale = max(w, h) / max_side
    if scale > 1:
        size = (max(1, round(w / scale)), max(1, round(h / scale)))
        factor = min(4, int(scale))
        if factor < 2:
            im = im.resize(size, Image.Resampling.BOX)
        else:
            inter = (size[0] * factor, size[1] * factor)
            im = im.resize(inter, Image.Resampling.NEAREST) if inter != im.size else im
            im = im.reduce(factor)
    if "A" in im.getbands():
        rgba = im.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (128, 128, 128, 255))
        im = Image.alpha_composite(flat, rgba)
    return im.convert("RGB") if im.mode != "RGB" else im.copy()
