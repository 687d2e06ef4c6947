"""Before/after composites and galleries built from scikit-image photos."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data

from bot.detect import detect_bw
from bot.reference import luminance_similarity, pick_reference, split_before_after

SEPIA = [(20, 12, 5), (112, 66, 20), (196, 160, 110), (255, 248, 230)]


def photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(data, name)()).convert("RGB")


def gray(image: Image.Image) -> Image.Image:
    return image.convert("L").convert("RGB")


def sepia(image: Image.Image) -> Image.Image:
    lum = np.asarray(image.convert("L"), np.float32) / 255
    xs, ramp = np.linspace(0, 1, len(SEPIA)), np.asarray(SEPIA, np.float32)
    return Image.fromarray(np.stack([np.interp(lum, xs, ramp[:, c]) for c in range(3)], -1).astype(np.uint8))


def jpeg(image: Image.Image, quality: int = 70) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def beside(a: Image.Image, b: Image.Image, gap: int = 0, fill: tuple[int, int, int] = (255, 255, 255),
           stacked: bool = False) -> Image.Image:
    """``a`` then ``b``, left/right (or top/bottom), with a ``gap``-px divider line."""
    if stacked:
        out = Image.new("RGB", (max(a.width, b.width), a.height + gap + b.height), fill)
        out.paste(a, (0, 0))
        out.paste(b, (0, a.height + gap))
    else:
        out = Image.new("RGB", (a.width + gap + b.width, max(a.height, b.height)), fill)
        out.paste(a, (0, 0))
        out.paste(b, (a.width + gap, 0))
    return out


def assert_split(result: tuple[Image.Image, Image.Image] | None, size: tuple[int, int]) -> None:
    assert result is not None
    bw, color = result
    assert detect_bw(bw).is_bw and detect_bw(color).kind == "color"
    for half in result:  # the divider may leave a pixel or two, never more
        assert abs(half.width - size[0]) <= 3 and abs(half.height - size[1]) <= 3


ASTRONAUT, COFFEE, CHELSEA, ROCKET = (photo(n) for n in ("astronaut", "coffee", "chelsea", "rocket"))


def test_side_by_side_without_divider() -> None:
    assert_split(split_before_after(beside(gray(ASTRONAUT), ASTRONAUT)), ASTRONAUT.size)


def test_color_first_still_returns_bw_first() -> None:
    bw, color = split_before_after(beside(ASTRONAUT, gray(ASTRONAUT)))
    assert detect_bw(bw).kind == "neutral" and detect_bw(color).kind == "color"


@pytest.mark.parametrize("gap, fill", [(12, (255, 255, 255)), (3, (0, 0, 0))])
def test_side_by_side_with_divider(gap: int, fill: tuple[int, int, int]) -> None:
    composite = jpeg(beside(sepia(CHELSEA), CHELSEA, gap, fill))
    assert_split(split_before_after(composite), CHELSEA.size)


def test_top_bottom() -> None:
    assert_split(split_before_after(beside(sepia(COFFEE), COFFEE, 8, stacked=True)), COFFEE.size)
    assert_split(split_before_after(beside(gray(ROCKET), ROCKET, stacked=True)), ROCKET.size)


def test_unrelated_photos_side_by_side() -> None:
    assert split_before_after(beside(photo("camera"), ASTRONAUT)) is None
    assert split_before_after(beside(gray(CHELSEA), COFFEE.resize(CHELSEA.size))) is None


def test_single_wide_photos() -> None:
    assert split_before_after(ROCKET) is None
    half_gray = np.asarray(ROCKET).copy()
    half_gray[:, :320] = np.asarray(gray(ROCKET))[:, :320]  # a wide photo, one side gray
    assert split_before_after(Image.fromarray(half_gray)) is None
    assert split_before_after(beside(gray(ASTRONAUT), gray(ASTRONAUT))) is None  # no colour half


def test_similarity_same_scene_vs_unrelated() -> None:
    w, h = CHELSEA.size
    cropped = CHELSEA.crop((w // 25, h // 25, w, h))  # 4 % crop, recompressed
    assert luminance_similarity(sepia(CHELSEA), jpeg(cropped)) > 0.8
    assert luminance_similarity(gray(CHELSEA), COFFEE) < 0.4


def test_pick_reference_in_gallery() -> None:
    gallery = [COFFEE, gray(ASTRONAUT), CHELSEA, ASTRONAUT, ROCKET]
    assert pick_reference(gallery) == (1, 3)
    assert pick_reference([sepia(CHELSEA), gray(ASTRONAUT), jpeg(CHELSEA.crop((10, 10, 451, 290)))]) == (0, 2)


def test_pick_reference_without_match_or_bw() -> None:
    assert pick_reference([gray(ASTRONAUT), COFFEE]) == (0, None)
    assert pick_reference([COFFEE, ASTRONAUT]) is None
    assert pick_reference([]) is None
