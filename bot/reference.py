"""Find a human colorization posted next to the black-and-white photo.

Posts to colorization subreddits often carry their own answer: a before/after composite
(B&W half beside a colour half) or a gallery holding the scan and someone's colorization.
The bot uses that colour version as the reference to compare its own output against.  Two
images count as "the same scene" when their luminance structure matches: a colorization
keeps the original's lightness, so band-pass luminance maps correlate strongly even after a
tone curve, a few percent of crop or a JPEG round trip, while unrelated photos do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from bot.detect import BWVerdict, DetectionThresholds, detect_bw
from colorizer.imageio import small_copy

COMPARE_SIZE = 64  # luminance maps are compared at this size (px per side)


@dataclass(frozen=True)
class MatchSettings:
    """When two images are one scene, and where a composite may split."""

    min_similarity: float = 0.6  # band-pass luminance correlation for "same scene"
    max_shift: int = 3  # misregistration searched, in COMPARE_SIZE pixels (~5%)
    split_band: float = 0.1  # a divider may sit this far (share of the side) off centre
    divider_std: float = 4.0  # a divider line's gray levels vary less than this
    detection: DetectionThresholds = DetectionThresholds()


# --- luminance similarity -----------------------------------------------------------------

def _gauss_kernel(sigma: float) -> np.ndarray:
    x = np.arange(-int(3 * sigma + 0.5), int(3 * sigma + 0.5) + 1)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def _blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur with edge padding (2-D float array)."""
    k = _gauss_kernel(sigma)
    r = len(k) // 2
    p = np.pad(a, r, mode="edge")
    rows = sum(w * p[i:i + a.shape[0], :] for i, w in enumerate(k))
    return sum(w * rows[:, i:i + a.shape[1]] for i, w in enumerate(k))


def luminance_map(image: Image.Image) -> np.ndarray:
    """Band-pass luminance at COMPARE_SIZE²: edges and shapes, without fine noise or lighting.

    The fine end (σ 1) tolerates a pixel or two of misregistration and JPEG blocks; the coarse
    end (σ 6) removes what any two photos share, like a bright sky above a dark ground.
    """
    gray = small_copy(image, 4 * COMPARE_SIZE).convert("L")
    a = np.asarray(gray.resize((COMPARE_SIZE, COMPARE_SIZE), Image.Resampling.BOX), np.float64)
    return _blur(a, 1.0) - _blur(a, 6.0)


def map_similarity(a: np.ndarray, b: np.ndarray, max_shift: int = 3) -> float:
    """Best Pearson correlation of two luminance maps over shifts up to ``max_shift`` px."""
    n = a.shape[0]
    best = -1.0
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            x = a[max(0, dy):n + min(0, dy), max(0, dx):n + min(0, dx)]
            y = b[max(0, -dy):n + min(0, -dy), max(0, -dx):n + min(0, -dx)]
            x, y = x - x.mean(), y - y.mean()
            denom = np.sqrt((x * x).sum() * (y * y).sum())
            if denom > 1e-9:
                best = max(best, float((x * y).sum() / denom))
    return best


def luminance_similarity(a: Image.Image, b: Image.Image, max_shift: int = 3) -> float:
    """How likely ``a`` and ``b`` show the same scene: −1…1, above ~0.6 means yes."""
    return map_similarity(luminance_map(a), luminance_map(b), max_shift)


# --- before/after composites --------------------------------------------------------------

def _divider(profile_std: np.ndarray, centre: int, band: int, max_std: float) -> tuple[int, int]:
    """(start, end) of the run of uniform lines nearest the centre, or (centre, centre)."""
    flat = profile_std < max_std
    lo, hi = centre - band, centre + band
    candidates = [i for i in range(lo, hi + 1) if flat[i]]
    if not candidates:
        return centre, centre
    i = min(candidates, key=lambda j: abs(j - centre))
    start = end = i
    while start > 0 and flat[start - 1]:
        start -= 1
    while end + 1 < len(flat) and flat[end + 1]:
        end += 1
    return start, end + 1


def _halves(image: Image.Image, vertical_cut: bool, s: MatchSettings) -> list[tuple[Image.Image, Image.Image]]:
    """Candidate (first, second) halves: either side of a divider line if one is found near
    the middle, and the plain middle cut (a uniform photo column can pass for a divider)."""
    small = np.asarray(small_copy(image, 512).convert("L"), np.float64)
    if not vertical_cut:
        small = small.T
    width = small.shape[1]
    divider = _divider(small.std(axis=0), width // 2, max(1, int(width * s.split_band)), s.divider_std)
    side = image.width if vertical_cut else image.height
    scale = side / width
    cuts = {(round(divider[0] * scale), round(divider[1] * scale)), (side // 2, side // 2)}

    def part(lo: int, hi: int) -> Image.Image:
        return image.crop((lo, 0, hi, image.height) if vertical_cut else (0, lo, image.width, hi))

    return [(part(0, a), part(b, side)) for a, b in sorted(cuts)]


def _trimmed(image: Image.Image, verdict: BWVerdict) -> Image.Image:
    """``image`` without the frame that ``detect_bw`` found, so frames do not skew matching."""
    m, (w, h) = verdict.metrics, image.size
    return image.crop((round(m["trim_left"] * w), round(m["trim_top"] * h),
                       w - round(m["trim_right"] * w), h - round(m["trim_bottom"] * h)))


def split_before_after(image: Image.Image, settings: MatchSettings = MatchSettings()) -> tuple[Image.Image, Image.Image] | None:
    """(bw_half, color_half) of a side-by-side or stacked before/after composite, else None.

    A composite needs one B&W half, one colour half, and the two showing the same scene;
    a wide single photo fails the last test even when one side happens to be gray.
    """
    best: tuple[float, Image.Image, Image.Image] | None = None
    for first, second in _halves(image, True, settings) + _halves(image, False, settings):
        if min(first.size) < 16 or min(second.size) < 16:
            continue
        v1, v2 = detect_bw(first, settings.detection), detect_bw(second, settings.detection)
        if v1.is_bw == v2.is_bw:
            continue
        (bw, bw_v), (color, color_v) = ((first, v1), (second, v2)) if v1.is_bw else ((second, v2), (first, v1))
        score = luminance_similarity(_trimmed(bw, bw_v), _trimmed(color, color_v), settings.max_shift)
        if score >= settings.min_similarity and (best is None or score > best[0]):
            best = (score, bw, color)
    return None if best is None else (best[1], best[2])


# --- galleries ----------------------------------------------------------------------------

def pick_reference(images: list[Image.Image], settings: MatchSettings = MatchSettings()) -> tuple[int, int | None] | None:
    """(bw_index, color_index or None) for a gallery; None when no item is B&W.

    The B&W item is the one whose scene a colour item repeats (the best-matching pair); with
    no such pair it is the first B&W item and there is no reference.
    """
    verdicts = [detect_bw(im, settings.detection) for im in images]
    bw = [i for i, v in enumerate(verdicts) if v.is_bw]
    color = [i for i, v in enumerate(verdicts) if not v.is_bw]
    if not bw:
        return None
    maps = {i: luminance_map(_trimmed(images[i], verdicts[i])) for i in bw + color}
    pairs = [(map_similarity(maps[i], maps[j], settings.max_shift), i, j) for i in bw for j in color]
    score, i, j = max(pairs, default=(-1.0, bw[0], -1))
    return (i, j) if score >= settings.min_similarity else (bw[0], None)
