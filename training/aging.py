"""Aged-print augmentation: make a clean gray photo look like a scan of an old print.

What people post on r/OldSchoolCool are scans of aged prints, not clean desaturations: faded
contrast, a soft lens, film grain, paper texture, dust, scratches, halftone screens, vignetting,
heavy JPEG, a slightly rotated print with the scanner bed showing at its edges. Training on the
aged gray (the colour target stays the clean photo's) teaches the net to see through them;
``colorbot eval --aged SEED`` scores a model on the same ageing, drawn from a fixed seed.

Every effect has a probability and a strength range (:class:`AgingSettings`, documented with a
picture in ``docs/training/aging.md``); lengths are in pixels of a 256-pixel image and scale with
the image's short side, so a 128-pixel training crop and a 512-pixel eval photo age alike.
"""

from __future__ import annotations

import io
import math
from dataclasses import asdict, dataclass

import cv2
import numpy as np
from PIL import Image

Range = tuple[float, float]


@dataclass(frozen=True)
class AgingSettings:
    """Probability of each effect, then its strength range (drawn uniformly); ``clean_p`` of the
    inputs are left as they are, so the net still sees clean photos too."""

    clean_p: float = 0.25
    fade_p: float = 0.6
    black_level: Range = (0.0, 0.2)  # gray blacks: the darkest the print can be
    white_level: Range = (0.75, 1.0)  # dim whites
    gamma_p: float = 0.5
    gamma: Range = (0.7, 1.4)
    blur_p: float = 0.5
    blur_sigma: Range = (0.4, 2.0)  # a soft lens or a soft scan
    grain_p: float = 0.7
    grain_strength: Range = (0.01, 0.06)  # noise σ in [0, 1] gray units
    grain_size: Range = (0.0, 1.5)  # σ of the blur that makes the grain coarser
    paper_p: float = 0.4
    paper_strength: Range = (0.02, 0.06)  # low-frequency mottling of the paper
    vignette_p: float = 0.4
    vignette_strength: Range = (0.1, 0.45)  # darkening at the corners
    dust_p: float = 0.4
    dust_count: Range = (3, 40)  # specks per 256×256 pixels
    dust_radius: Range = (0.5, 2.0)
    scratch_p: float = 0.3
    scratch_count: Range = (1, 4)
    halftone_p: float = 0.15
    halftone_period: Range = (3.0, 6.0)  # the printed screen's dot pitch
    halftone_strength: Range = (0.05, 0.2)
    rotate_p: float = 0.15
    rotate_degrees: Range = (-1.5, 1.5)
    border_p: float = 0.2
    border_width: Range = (0.01, 0.04)  # of the side: the scanner bed beside the print
    jpeg_p: float = 0.5
    jpeg_quality: Range = (10, 50)

    def table(self) -> list[tuple[str, float, str]]:
        """(effect, probability, strength ranges) rows, for the docs and the eval report."""
        fields = asdict(self)
        rows = []
        for name, value in fields.items():
            if name.endswith("_p") and name != "clean_p":
                effect = name[:-2]
                ranges = ", ".join(f"{k} {v[0]:g}–{v[1]:g}" for k, v in fields.items()
                                   if not k.endswith("_p") and (k.startswith(effect) or (effect == "fade" and k.endswith("_level"))))
                rows.append((effect, value, ranges))
        return rows


def age_gray(gray: np.ndarray, rng: np.random.Generator, settings: AgingSettings = AgingSettings()) -> np.ndarray:
    """An aged copy of ``gray`` (H, W) uint8 (or ``gray`` itself, ``clean_p`` of the time); draws
    every choice from ``rng``."""
    s = settings
    if rng.random() < s.clean_p:
        return gray
    image = gray.astype(np.float32) / 255.0
    height, width = image.shape
    scale = min(height, width) / 256.0

    def chance(p: float) -> bool:
        return bool(rng.random() < p)

    def draw(bounds: Range) -> float:
        return float(rng.uniform(*bounds))

    if chance(s.rotate_p):
        image = _rotate(image, draw(s.rotate_degrees))
    if chance(s.blur_p):
        image = cv2.GaussianBlur(image, (0, 0), max(0.1, draw(s.blur_sigma) * scale))
    if chance(s.gamma_p):
        image = np.power(np.clip(image, 0.0, 1.0), draw(s.gamma))
    if chance(s.fade_p):
        black, white = draw(s.black_level), draw(s.white_level)
        image = black + (white - black) * image
    if chance(s.paper_p):
        image = image + draw(s.paper_strength) * _smooth_noise(rng, height, width, max(2.0, 12.0 * scale))
    if chance(s.vignette_p):
        image = image * _vignette(height, width, draw(s.vignette_strength))
    if chance(s.halftone_p):
        image = image * (1.0 - draw(s.halftone_strength) * _screen(height, width, draw(s.halftone_period) * scale, rng))
    if chance(s.grain_p):
        grain = rng.standard_normal((height, width)).astype(np.float32)
        size = draw(s.grain_size) * scale
        if size > 0.3:
            grain = cv2.GaussianBlur(grain, (0, 0), size)
            grain /= max(float(grain.std()), 1e-6)
        image = image + draw(s.grain_strength) * grain
    if chance(s.dust_p):
        _dust(image, rng, draw(s.dust_count) * height * width / 256.0**2, s.dust_radius, scale)
    if chance(s.scratch_p):
        _scratches(image, rng, int(round(draw(s.scratch_count))), scale)
    if chance(s.border_p):
        _borders(image, rng, draw(s.border_width))
    aged = np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if chance(s.jpeg_p):
        aged = _jpeg(aged, int(round(draw(s.jpeg_quality))))
    return aged


def _rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    height, width = image.shape
    matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def _smooth_noise(rng: np.random.Generator, height: int, width: int, sigma: float) -> np.ndarray:
    """Zero-mean, unit-σ noise with features about ``sigma`` pixels across."""
    noise = cv2.GaussianBlur(rng.standard_normal((height, width)).astype(np.float32), (0, 0), sigma)
    return (noise - noise.mean()) / max(float(noise.std()), 1e-6)


def _vignette(height: int, width: int, strength: float) -> np.ndarray:
    rows = (np.arange(height, dtype=np.float32) - (height - 1) / 2.0) / (height / 2.0)
    cols = (np.arange(width, dtype=np.float32) - (width - 1) / 2.0) / (width / 2.0)
    radius2 = (rows[:, None] ** 2 + cols[None, :] ** 2) / 2.0  # 1 at the corners
    return 1.0 - strength * radius2


def _screen(height: int, width: int, period: float, rng: np.random.Generator) -> np.ndarray:
    """A halftone screen's pattern in [0, 1], at 45° like most printed screens."""
    angle = math.radians(45.0 + rng.uniform(-10, 10))
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    u = (x * math.cos(angle) + y * math.sin(angle)) * (2 * math.pi / max(period, 1.5))
    v = (-x * math.sin(angle) + y * math.cos(angle)) * (2 * math.pi / max(period, 1.5))
    return (0.5 + 0.25 * (np.cos(u) + np.cos(v))).astype(np.float32)


def _dust(image: np.ndarray, rng: np.random.Generator, count: float, radius: Range, scale: float) -> None:
    height, width = image.shape
    for _ in range(int(round(count))):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        size = max(1, int(round(rng.uniform(*radius) * scale)))
        cv2.circle(image, centre, size, float(rng.choice([0.02, 0.97])), thickness=-1, lineType=cv2.LINE_AA)


def _scratches(image: np.ndarray, rng: np.random.Generator, count: int, scale: float) -> None:
    """Thin lines, mostly along the print's length, lighter or darker than the picture."""
    height, width = image.shape
    for _ in range(count):
        x0 = rng.uniform(0, width)
        slant = rng.uniform(-0.15, 0.15) * height
        top, bottom = sorted(rng.uniform(0, height, 2))
        start, end = (int(x0), int(top)), (int(x0 + slant * (bottom - top) / height), int(bottom))
        tone = float(np.clip(image[int(top) % height, int(x0) % width] + rng.choice([-1, 1]) * rng.uniform(0.2, 0.5), 0, 1))
        cv2.line(image, start, end, tone, thickness=max(1, int(round(scale))), lineType=cv2.LINE_AA)


def _borders(image: np.ndarray, rng: np.random.Generator, fraction: float) -> None:
    """The scanner bed (white) or a dark mount showing along one or two edges."""
    height, width = image.shape
    tone = float(rng.choice([0.03, 0.96]))
    for side in rng.choice(4, size=int(rng.integers(1, 3)), replace=False):
        strip = max(1, int(round(fraction * (height if side < 2 else width))))
        if side == 0:
            image[:strip] = tone
        elif side == 1:
            image[-strip:] = tone
        elif side == 2:
            image[:, :strip] = tone
        else:
            image[:, -strip:] = tone


def _jpeg(gray: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(gray, "L").save(buffer, "JPEG", quality=quality)
    with Image.open(io.BytesIO(buffer.getvalue())) as decoded:
        return np.asarray(decoded.convert("L"), dtype=np.uint8).copy()


def aging_grid(gray: Image.Image, seed: int, count: int = 8, settings: AgingSettings = AgingSettings()) -> Image.Image:
    """The photo (first cell) and ``count`` random ageings of it, in two rows: the docs' picture."""
    base = np.asarray(gray.convert("L"), dtype=np.uint8)
    cells = [base] + [age_gray(base, np.random.default_rng([seed, i]), settings) for i in range(count)]
    columns = math.ceil(len(cells) / 2)
    height, width = base.shape
    sheet = Image.new("L", (columns * width, 2 * height), 255)
    for index, cell in enumerate(cells):
        sheet.paste(Image.fromarray(cell, "L"), ((index % columns) * width, (index // columns) * height))
    return sheet


def main(argv: list[str] | None = None) -> int:
    """``python -m training.aging OUT.png``: redraw the docs' grid from scikit-image's astronaut (NASA, public domain)."""
    import argparse

    from skimage import data

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=192)
    args = parser.parse_args(argv)
    photo = Image.fromarray(data.astronaut()).convert("L").resize((args.size, args.size), Image.Resampling.LANCZOS)
    aging_grid(photo, args.seed).save(args.out, optimize=True)
    for effect, probability, ranges in AgingSettings().table():
        print(f"| {effect} | {probability:g} | {ranges} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
