"""colorizer.panel: comparison strips and contact sheets."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from PIL import Image

from colorizer.panel import compose_grid, compose_panel, default_label_height

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def _solid(colour, size, mode: str = "RGB") -> Image.Image:
    return Image.new(mode, size, colour)


def _rgb_panels() -> list[tuple[str, Image.Image]]:
    return [("gray", _solid(RED, (200, 100))), ("auto", _solid(GREEN, (150, 150))),
            ("reference", _solid(BLUE, (300, 150)))]


def _non_background_columns(strip: Image.Image, background=WHITE) -> np.ndarray:
    pixels = np.asarray(strip)
    return np.flatnonzero((pixels != background).any(axis=2).any(axis=0))


def test_size_arithmetic_and_order():
    out = compose_panel(_rgb_panels(), height=120, label_height=20, gap=8)
    widths = [240, 120, 240]  # each panel at height 120, aspect kept
    assert out.mode == "RGB"
    assert out.size == (sum(widths) + 2 * 8, 120 + 20)
    x = 0
    for width, colour in zip(widths, (RED, GREEN, BLUE)):
        assert out.getpixel((x + width // 2, 20 + 60)) == colour
        assert out.getpixel((x + 1, 21)) == colour and out.getpixel((x + width - 2, 138)) == colour
        x += width + 8
    assert out.getpixel((240 + 3, 80)) == WHITE  # the gap


def test_labels_drawn_centred_above_each_panel():
    out = compose_panel(_rgb_panels(), height=120, label_height=24, gap=8)
    x = 0
    for width in (240, 120, 240):
        strip = out.crop((x, 0, x + width, 24))
        ink = _non_background_columns(strip)
        assert ink.size > 0, "label text missing"
        centre = (ink.min() + ink.max()) / 2
        assert abs(centre - width / 2) <= 3
        x += width + 8


def test_empty_label_leaves_strip_blank_and_long_label_fits():
    panels = [("", _solid(RED, (100, 100))),
              ("a label far too long to fit above a narrow image", _solid(BLUE, (40, 100)))]
    out = compose_panel(panels, height=100, label_height=20, gap=4)
    assert _non_background_columns(out.crop((0, 0, 100, 20))).size == 0
    ink = _non_background_columns(out.crop((104, 0, 144, 20)))
    assert ink.size > 0 and ink.min() >= 1 and ink.max() <= 38


def test_default_label_height_proportional():
    out = compose_panel([("x", _solid(RED, (640, 640)))])
    assert out.size == (640, 640 + default_label_height(640))
    assert default_label_height(640) > default_label_height(256) >= 14


def test_max_width_respected_for_wide_inputs():
    panels = [(str(i), _solid(RED, (2000, 100))) for i in range(3)]
    out = compose_panel(panels, height=640, max_width=3000, label_height=10, gap=8)
    assert out.width <= 3000
    image_height = out.height - 10
    assert image_height == 49  # (3000 - 16) / 60 aspect units
    assert out.width == 3 * round(2000 * 49 / 100) + 16


def test_upscale_capped_at_twice_smallest_height():
    out = compose_panel([("tiny", _solid(RED, (32, 32))), ("big", _solid(BLUE, (500, 500)))],
                        height=640, label_height=0, gap=0)
    assert out.size == (128, 64)


def test_modes_converted_and_alpha_composited_on_background():
    gray = _solid(128, (50, 50), "L")
    clear = _solid((255, 0, 0, 0), (50, 50), "RGBA")
    out = compose_panel([("l", gray), ("rgba", clear)], height=50, label_height=10, gap=0,
                        background=(10, 20, 30))
    assert out.mode == "RGB"
    assert out.getpixel((25, 35)) == (128, 128, 128)
    assert out.getpixel((75, 35)) == (10, 20, 30)
    assert _non_background_columns(out.crop((0, 0, 50, 10)), (10, 20, 30)).size > 0  # light ink


def test_real_photos_resize():
    gray = Image.fromarray(skimage.data.camera())
    colour = Image.fromarray(skimage.data.astronaut())
    out = compose_panel([("gray", gray), ("auto", colour)], height=256, label_height=20)
    assert out.size == (256 + 8 + 256, 276)


def test_empty_and_impossible_inputs():
    with pytest.raises(ValueError):
        compose_panel([])
    with pytest.raises(ValueError):
        compose_panel([("a", _solid(RED, (10, 10)))] * 3, max_width=10, gap=8)
    with pytest.raises(ValueError):
        compose_grid([])


def test_grid_dimensions_and_rows_are_panels():
    rows = [
        [("gray", _solid(RED, (64, 64))), ("auto", _solid(GREEN, (64, 64))),
         ("reference", _solid(BLUE, (64, 64)))],
        [("gray", _solid(BLUE, (128, 64))), ("auto", _solid(RED, (64, 64)))],
    ]
    sheet = compose_grid(rows, cell_height=64, label_height=12, gap=8)
    row_widths = [3 * 64 + 2 * 8, 128 + 64 + 8]
    assert sheet.mode == "RGB"
    assert sheet.size == (max(row_widths), 2 * (64 + 12) + 8)
    for i, (row, width) in enumerate(zip(rows, row_widths)):
        top = i * (64 + 12 + 8)
        expected = compose_panel(row, height=64, label_height=12, gap=8)
        assert sheet.crop((0, top, width, top + 76)).tobytes() == expected.tobytes()
    assert sheet.getpixel((row_widths[1] + 4, 84 + 40)) == WHITE  # short row padded


def test_grid_rows_share_label_height_when_a_row_shrinks():
    rows = [[("a", _solid(RED, (100, 100)))], [("wide", _solid(BLUE, (4000, 100)))]]
    sheet = compose_grid(rows, cell_height=100, max_width=1000, gap=0)
    label = default_label_height(100)
    assert sheet.size == (1000, (100 + label) + (25 + label))
    assert sheet.getpixel((500, 100 + label + label + 12)) == BLUE
