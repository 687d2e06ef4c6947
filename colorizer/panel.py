"""Labelled side-by-side comparison panels ("gray | auto | reference") and contact sheets.

One composer is shared by the batch CLI, the Reddit bot, evaluation and the training
validation grids, so every comparison image looks the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

Panel = tuple[str, Image.Image]
Colour = tuple[int, int, int]

_MAX_UPSCALE = 2  # never blow a small panel up more than this: it only shows blur
_LABEL_FRACTION = 0.08  # label strip height relative to the image height
_MIN_LABEL_HEIGHT = 18  # an 11 px font: smallest still easy to read
_FONT_FRACTION = 0.6  # font size relative to the label strip height
_LABEL_PADDING = 4  # horizontal px kept free on each side of a label


def compose_panel(
    panels: Sequence[Panel],
    *,
    height: int = 640,
    max_width: int = 3000,
    label_height: int | None = None,
    gap: int = 8,
    background: Colour = (255, 255, 255),
) -> Image.Image:
    """Images side by side at one common height, each under its centred label; mode "RGB".

    The common height is ``height``, capped at twice the smallest panel's own height and
    shrunk until the strip (panel widths + gaps) fits ``max_width``.
    """
    if not panels:
        raise ValueError("compose_panel needs at least one (label, image) pair")
    image_height = _common_height([im for _, im in panels], height, max_width, gap)
    if label_height is None:
        label_height = default_label_height(image_height)
    widths = _panel_widths([im for _, im in panels], image_height)

    canvas = Image.new("RGB", (sum(widths) + gap * (len(panels) - 1),
                               label_height + image_height), background)
    draw = ImageDraw.Draw(canvas)
    ink = _ink_for(background)
    x = 0
    for (label, image), width in zip(panels, widths):
        _paste_fitted(canvas, image, (x, label_height), (width, image_height))
        if label and label_height > 0:
            _draw_label(draw, label, (x, 0, x + width, label_height), ink)
        x += width + gap
    return canvas


def compose_grid(
    rows: Sequence[Sequence[Panel]],
    *,
    cell_height: int = 256,
    max_width: int = 3000,
    label_height: int | None = None,
    gap: int = 8,
    background: Colour = (255, 255, 255),
) -> Image.Image:
    """A contact sheet: one ``compose_panel`` strip per row, rows stacked, left-aligned.

    All rows share one label strip height, so labels line up even when a wide row had to
    shrink to fit ``max_width``.
    """
    if not rows:
        raise ValueError("compose_grid needs at least one row")
    if label_height is None:
        label_height = default_label_height(cell_height)
    strips = [
        compose_panel(row, height=cell_height, max_width=max_width,
                      label_height=label_height, gap=gap, background=background)
        for row in rows
    ]
    sheet = Image.new("RGB", (max(s.width for s in strips),
                              sum(s.height for s in strips) + gap * (len(strips) - 1)),
                      background)
    y = 0
    for strip in strips:
        sheet.paste(strip, (0, y))
        y += strip.height + gap
    return sheet


def default_label_height(image_height: int) -> int:
    """Label strip height used when none is given: proportional, but always legible."""
    return max(_MIN_LABEL_HEIGHT, round(image_height * _LABEL_FRACTION))


def _common_height(images: list[Image.Image], height: int, max_width: int, gap: int) -> int:
    """Largest height <= the request whose strip of panels fits in ``max_width``."""
    if height < 1:
        raise ValueError(f"height must be positive, got {height}")
    available = max_width - gap * (len(images) - 1)
    if available < len(images):
        raise ValueError(f"max_width {max_width} cannot hold {len(images)} panels")
    target = min(height, _MAX_UPSCALE * min(im.height for im in images))
    aspect_sum = sum(im.width / im.height for im in images)
    target = max(1, min(target, int(available / aspect_sum)))
    while target > 1 and sum(_panel_widths(images, target)) > available:  # rounding
        target -= 1
    return target


def _panel_widths(images: list[Image.Image], height: int) -> list[int]:
    return [max(1, round(im.width * height / im.height)) for im in images]


def _paste_fitted(canvas: Image.Image, image: Image.Image, xy: tuple[int, int],
                  size: tuple[int, int]) -> None:
    """Resize (LANCZOS after a fast integer reduce) and paste, compositing any alpha."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    if image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    canvas.paste(image, xy, image if has_alpha else None)


def _draw_label(draw: ImageDraw.ImageDraw, label: str, box: tuple[int, int, int, int],
                ink: Colour) -> None:
    """Draw ``label`` centred in ``box``, shrinking the font if the label is too wide."""
    left, top, right, bottom = box
    size = max(1, round((bottom - top) * _FONT_FRACTION))
    font = _font(size)
    text_width = draw.textlength(label, font=font)
    room = max(1, right - left - 2 * _LABEL_PADDING)
    if text_width > room:
        font = _font(max(1, int(size * room / text_width)))
    x0, y0, x1, y1 = draw.textbbox((0, 0), label, font=font)
    # Centre the ink box itself: works for scalable and bitmap fonts (no anchors needed).
    draw.text(((left + right - x0 - x1) / 2, (top + bottom - y0 - y1) / 2), label,
              fill=ink, font=font)


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's built-in scalable font (no font files to ship); cached per size."""
    return ImageFont.load_default(size=size)


def _ink_for(background: Colour) -> Colour:
    r, g, b = background[:3]
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b >= 128 else (255, 255, 255)
