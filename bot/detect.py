"""Is a posted photo black-and-white?  The bot only colorizes photos that are.

Why CIELAB: a* and b* measure colour the way people see it, so one chroma threshold works
for dark and bright tones alike.  Why a per-lightness tint fit: old prints are rarely gray —
sepia, cyanotype, selenium toning and yellowed paper add a colour that is large but depends
only on how light a pixel is.  Fitting the median a*, b* in each L* bin and measuring what
is left (the *residual chroma*) separates those from real colour photos, whose pixels of one
lightness come in many hues.  Everything runs on a copy of at most ~256 px (≈15 ms for a
loaded 12-MP photo), after trimming the uniform frames and mats that scanners add; a 3×3
blur drowns chroma noise, and strong edges are left out because averaging across them
puts pixels off a sepia curve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from colorizer.imageio import small_copy

Kind = Literal["neutral", "toned", "color"]


@dataclass(frozen=True)
class DetectionThresholds:
    """Tunable limits of the detector (bot settings); chroma values are CIELAB units."""

    max_side: int = 256  # the analysed copy's longest side
    border_tolerance: float = 6.0  # ΔE from a line's median colour that still counts as frame
    border_fraction: float = 0.9  # share of an edge line that must match for it to be frame
    max_border: float = 0.25  # never trim more than this share of a side
    frame_band: float = 0.1  # frame-coloured pixels this close to the edge are frame (tilted scans)
    edge_contrast: float = 20.0  # pixels whose 3×3 L* range exceeds this are edges, not measured
    neutral_chroma: float = 6.0  # chroma p95 at or below this: gray
    residual_p95: float = 6.0  # residual chroma p95 above this: colour
    max_tint_step: float = 15.0  # a tint curve jumping more per bin is not toning: colour
    colorful_residual: float = 15.0  # a pixel this far from the tint curve is "colourful"
    max_colorful_fraction: float = 0.025  # more colourful pixels than this: colour (logos pass)
    lightness_bins: int = 20  # L* bins of the tint fit
    min_bin_fraction: float = 0.005  # sparser bins are interpolated, not fitted
    step_bin_fraction: float = 0.02  # tint steps are judged between bins this full (no logo owns one)


@dataclass(frozen=True)
class BWVerdict:
    """The decision plus every measurement behind it, so a log line can say why."""

    kind: Kind
    is_bw: bool
    metrics: dict[str, float] = field(default_factory=dict)

    def reason(self) -> str:
        """One log-friendly line: the kind and the numbers that decided it."""
        m = self.metrics
        return (f"{self.kind}: chroma p95 {m['chroma_p95']:.1f}, residual p95 {m['residual_p95']:.1f}, "
                f"colorful {100 * m['colorful_fraction']:.1f}%, tint {m['tint_strength']:.1f} "
                f"at {m['tint_hue']:.0f}° (step {m['tint_roughness']:.1f}), trimmed {100 * m['trimmed_fraction']:.0f}%")


# --- colour space -------------------------------------------------------------------------

_SRGB_LINEAR = np.where(
    np.arange(256) / 255 <= 0.04045,
    np.arange(256) / 255 / 12.92,
    ((np.arange(256) / 255 + 0.055) / 1.055) ** 2.4,
).astype(np.float32)
_D65 = np.array([0.95047, 1.0, 1.08883])
_RGB_TO_XYZ_D65 = (np.array([[0.4124564, 0.3575761, 0.1804375],
                             [0.2126729, 0.7151522, 0.0721750],
                             [0.0193339, 0.1191920, 0.9503041]]) / _D65[:, None]).astype(np.float32)


def box_blur3(array: np.ndarray) -> np.ndarray:
    """3×3 mean of an (H, W, C) array, edges replicated.

    Chroma noise (sensor, film grain, JPEG) is independent from pixel to pixel and shrinks
    threefold; real colour covers areas and survives, so the two stop overlapping.
    """
    h, w = array.shape[:2]
    p = np.pad(array, ((1, 1), (1, 1), (0, 0)), mode="edge")
    rows = p[:-2] + p[1:-1] + p[2:]
    return (rows[:, :-2] + rows[:, 1:-1] + rows[:, 2:])[:h, :w] / 9


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """uint8 sRGB (..., 3) → CIELAB D65 (..., 3) float32; matches skimage's rgb2lab to 0.01."""
    xyz = _SRGB_LINEAR[np.asarray(rgb, dtype=np.uint8)] @ _RGB_TO_XYZ_D65.T
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


# --- border trimming ----------------------------------------------------------------------

def _uniform_lead(lines: np.ndarray, t: DetectionThresholds, colors: list[np.ndarray], done: int = 0) -> int:
    """How many leading lines (n, length, 3) are near-constant: frame, not photo.

    Starts after the ``done`` lines already known to be frame, and looks at 1, 2, 4… lines
    at a time, since most photos have no frame and stop at the first; the frame lines'
    median colours are added to ``colors``.
    """
    step = 1
    while done < len(lines):
        block = lines[done:done + step]
        median = np.median(block, axis=1, keepdims=True)
        close = np.linalg.norm(block - median, axis=-1) <= t.border_tolerance
        uniform = close.mean(axis=1) >= t.border_fraction
        n = len(block) if uniform.all() else int(np.argmin(uniform))
        colors.extend(median[:n, 0])
        if n < len(block):
            return done + n
        done, step = done + len(block), min(2 * step, 16)
    return done


def border_box(lab: np.ndarray, t: DetectionThresholds = DetectionThresholds()) -> tuple[tuple[int, int, int, int], np.ndarray]:
    """(top, bottom, left, right) pixel counts of uniform frame on each side of ``lab``, and
    the frame's distinct colours (k, 3).

    Rows then columns then rows again, so a thick frame on one side does not stop the lines
    of the other sides from looking uniform; two more pixels go with any trimmed side, to
    drop the blended (and blurred) lines where frame meets photo.
    """
    h, w = lab.shape[:2]
    top = bottom = left = right = 0
    colors: list[np.ndarray] = []
    for _ in range(2):
        rows = lab[:, left:w - right]
        lim = int(h * t.max_border)
        top = _uniform_lead(rows[:lim], t, colors, top)
        bottom = _uniform_lead(rows[::-1][:lim], t, colors, bottom)
        cols = lab[top:h - bottom].transpose(1, 0, 2)
        lim = int(w * t.max_border)
        left = _uniform_lead(cols[:lim], t, colors, left)
        right = _uniform_lead(cols[::-1][:lim], t, colors, right)
    remaining, distinct = np.array(colors).reshape(-1, 3), []
    while len(remaining):  # a handful of frame colours (white frame, red mat…), not one per line
        distinct.append(remaining[0])
        remaining = remaining[np.linalg.norm(remaining - remaining[0], axis=1) > t.border_tolerance]
    pad = lambda n, side: min(n + 2, int(side * t.max_border)) if n else 0  # noqa: E731
    return (pad(top, h), pad(bottom, h), pad(left, w), pad(right, w)), np.array(distinct).reshape(-1, 3)


def _local_range(channel: np.ndarray) -> np.ndarray:
    """Max − min over each pixel's 3×3 neighbourhood (edges replicated)."""
    h, w = channel.shape
    p = np.pad(channel, 1, mode="edge")
    hi = np.maximum(np.maximum(p[:-2], p[1:-1]), p[2:])
    lo = np.minimum(np.minimum(p[:-2], p[1:-1]), p[2:])
    hi = np.maximum(np.maximum(hi[:, :-2], hi[:, 1:-1]), hi[:, 2:])
    lo = np.minimum(np.minimum(lo[:, :-2], lo[:, 1:-1]), lo[:, 2:])
    return (hi - lo)[:h, :w]


def reliable_pixels(lab: np.ndarray, raw_lightness: np.ndarray, frame_colors: np.ndarray,
                    t: DetectionThresholds = DetectionThresholds()) -> np.ndarray:
    """Mask of the pixels whose colour can be trusted.

    Left out: (1) strong edges — averaging a dark and a light pixel of a sepia print gives a
    colour off its tint curve, and fine detail would pass for colour; at least the smoothest
    20 % always stay.  (2) Frame-coloured pixels near the edge: the corner wedges of a mat
    around a slightly tilted print, which no row or column trim removes.
    """
    contrast = _local_range(raw_lightness)
    mask = contrast <= t.edge_contrast
    if mask.mean() < 0.2:
        mask = contrast <= np.quantile(contrast, 0.2)
    if len(frame_colors):
        h, w = mask.shape
        band = np.zeros_like(mask)
        bh, bw = max(1, int(h * t.frame_band)), max(1, int(w * t.frame_band))
        band[:bh], band[-bh:], band[:, :bw], band[:, -bw:] = True, True, True, True
        channels = lab[band].T
        near = np.zeros(channels.shape[1], bool)
        for color in frame_colors:
            squared = sum((channels[i] - color[i]) ** 2 for i in range(3))
            near |= squared <= (2 * t.border_tolerance) ** 2
        framed = np.zeros_like(mask)
        framed[band] = near
        if (mask & ~framed).sum() >= 0.5 * mask.sum():
            mask &= ~framed
    return mask


# --- tint fit -----------------------------------------------------------------------------

def _tint_curve(lightness: np.ndarray, ab: np.ndarray, t: DetectionThresholds) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Median (a*, b*) per L* bin → (tint per pixel, bin tints, bin counts, roughness).

    Roughness is the largest tint change between neighbouring well-filled bins, per bin width: toning
    chemistry and yellowed paper change the tint gradually; a red stamp on white paper
    jumps.  Medians ignore a small logo or watermark; sparse bins are bridged by interpolation.  The
    fit uses ~8 k evenly spread pixels (plenty for a median, and much faster).
    """
    step = max(1, len(lightness) // 8192)
    sample_l, sample_ab = lightness[::step], ab[::step]
    width = 100 / t.lightness_bins
    index = np.clip((sample_l / width).astype(np.intp), 0, t.lightness_bins - 1)
    counts = np.bincount(index, minlength=t.lightness_bins)
    keep = counts >= max(10, t.min_bin_fraction * len(sample_l))
    if not keep.any():
        return np.zeros_like(ab), np.zeros((0, 2)), np.zeros(0), 0.0
    centers = (np.arange(t.lightness_bins) + 0.5)[keep] * width
    # Median per bin for all bins at once: one sort of "bin * 1000 + value" per channel.
    starts = (np.cumsum(counts) - counts)[keep]
    mid_lo, mid_hi = starts + (counts[keep] - 1) // 2, starts + counts[keep] // 2
    offset = index * 1000.0
    tints = np.empty((int(keep.sum()), 2))
    for c in (0, 1):
        ordered = np.sort(offset + sample_ab[:, c]) - np.sort(offset)
        tints[:, c] = (ordered[mid_lo] + ordered[mid_hi]) / 2
    per_pixel = np.stack([np.interp(lightness, centers, tints[:, c]) for c in (0, 1)], -1)
    full = counts[keep] >= t.step_bin_fraction * len(sample_l)
    steps = np.linalg.norm(np.diff(tints[full], axis=0), axis=1) / (np.diff(centers[full]) / width)
    return per_pixel, tints, counts[keep], float(steps.max(initial=0.0))


# --- the decision -------------------------------------------------------------------------

def measure(pixels: np.ndarray, t: DetectionThresholds = DetectionThresholds(), area: int | None = None) -> dict[str, float]:
    """All metrics for CIELAB pixels (n, 3): chroma, tint curve, residual chroma.

    ``colorful_fraction`` is a share of ``area`` (the whole picture the pixels were picked
    from), so leaving edges out does not make a small logo look bigger.
    """
    lightness, ab = pixels[:, 0], pixels[:, 1:]
    chroma = np.hypot(ab[:, 0], ab[:, 1])
    tint, bin_tints, bin_counts, roughness = _tint_curve(lightness, ab, t)
    residual = np.linalg.norm(ab - tint, axis=1)
    mean_tint = (bin_tints * bin_counts[:, None]).sum(0) / max(1, bin_counts.sum())
    strength = float(np.hypot(*mean_tint))
    c50, c95, c99 = np.percentile(chroma, [50, 95, 99])
    r50, r95, r99 = np.percentile(residual, [50, 95, 99])
    return {
        "chroma_p50": float(c50), "chroma_p95": float(c95), "chroma_p99": float(c99),
        "residual_p50": float(r50), "residual_p95": float(r95), "residual_p99": float(r99),
        "colorful_fraction": float(np.count_nonzero(residual > t.colorful_residual) / (area or len(pixels))),
        "tint_strength": strength,
        "tint_roughness": roughness,
        "tint_hue": float(np.degrees(np.arctan2(mean_tint[1], mean_tint[0])) % 360) if strength > 0.05 else 0.0,
    }


def classify(metrics: dict[str, float], t: DetectionThresholds = DetectionThresholds()) -> Kind:
    """Colour if the tint curve leaves much unexplained or is not smooth, else neutral or toned."""
    if (metrics["residual_p95"] > t.residual_p95 or metrics["colorful_fraction"] > t.max_colorful_fraction
            or metrics["tint_roughness"] > t.max_tint_step):
        return "color"
    return "neutral" if metrics["chroma_p95"] <= t.neutral_chroma else "toned"


def detect_bw(image: Image.Image, thresholds: DetectionThresholds = DetectionThresholds()) -> BWVerdict:
    """Classify ``image`` as neutral gray, toned monochrome or colour."""
    raw = srgb_to_lab(np.asarray(small_copy(image, thresholds.max_side)))
    lab = box_blur3(raw)
    h, w = lab.shape[:2]
    (top, bottom, left, right), frame_colors = border_box(lab, thresholds)
    inner = lab[top:h - bottom, left:w - right]
    mask = reliable_pixels(inner, raw[top:h - bottom, left:w - right, 0], frame_colors, thresholds)
    metrics = measure(inner[mask], thresholds, area=mask.size)
    metrics.update({
        "measured_fraction": float(mask.mean()),
        "trim_top": top / h, "trim_bottom": bottom / h, "trim_left": left / w, "trim_right": right / w,
        "trimmed_fraction": 1 - inner.shape[0] * inner.shape[1] / (h * w),
    })
    kind = classify(metrics, thresholds)
    return BWVerdict(kind=kind, is_bw=kind != "color", metrics=metrics)


def detect_bw_file(path: str | Path, thresholds: DetectionThresholds = DetectionThresholds()) -> BWVerdict:
    """``detect_bw`` on a file, letting the JPEG decoder downscale (``draft``) for speed."""
    with Image.open(path) as im:
        im.draft("RGB", (thresholds.max_side * 2, thresholds.max_side * 2))
        im.load()
        return detect_bw(im, thresholds)
