"""Full-resolution output from a small-resolution prediction.

The network runs on a small copy; only its chroma is upsampled, and it joins the untouched
full-resolution luminance. The upsampling and recombination run in row tiles that stay in the
CPU cache, so a 50-megapixel photo needs no full-size float copies.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from colorizer.color import YUV_TO_RGB, unit_to_uv

TILE_PIXELS = 1 << 18  # ~256 K pixels per tile: a few MB of float32 working set


def render_shape(height: int, width: int, render_size: int) -> tuple[int, int]:
    """Size the net sees: the long side shrunk to ``render_size`` (never enlarged), aspect kept."""
    scale = min(1.0, render_size / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def padded_shape(height: int, width: int, multiple: int) -> tuple[int, int]:
    """Round both sides up to a multiple of ``multiple`` (what the backbone's strides need)."""
    return math.ceil(height / multiple) * multiple, math.ceil(width / multiple) * multiple


def small_gray(luma: Image.Image, render_size: int, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """The net's input for one image: (1, H', W') float in [0, 1], edge-padded to ``multiple``.

    Returns the tensor and the unpadded (height, width) to crop the prediction back to.
    """
    height, width = render_shape(luma.height, luma.width, render_size)
    small = luma if (width, height) == luma.size else luma.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=2.0)
    tensor = torch.from_numpy(np.asarray(small, dtype=np.uint8).copy()).float().div_(255.0)[None]
    pad_h, pad_w = padded_shape(height, width, multiple)
    if (pad_h, pad_w) != (height, width):
        tensor = torch.nn.functional.pad(tensor[None], (0, pad_w - width, 0, pad_h - height), mode="replicate")[0]
    return tensor, (height, width)


def _bilinear_axis(out_size: int, in_size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Source indices and weights of a half-pixel-centred bilinear resize along one axis
    (the same sampling as ``F.interpolate(mode="bilinear", align_corners=False)``)."""
    coords = (torch.arange(out_size, dtype=torch.float64) + 0.5) * (in_size / out_size) - 0.5
    coords = coords.clamp_(min=0.0)
    low = coords.floor().long().clamp_(max=in_size - 1)
    high = (low + 1).clamp_(max=in_size - 1)
    weight = (coords - low).float()
    return low, high, weight


# (3, 2): the RGB change, in 0–255 units, caused by U and V.
_OFFSETS = torch.as_tensor(YUV_TO_RGB[:, 1:] * 255.0, dtype=torch.float32)


def _in_gamut_rgb(y: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """``y + s·delta`` with the largest s ≤ 1 that keeps every channel in [0, 255], rounded.

    Shrinking the chroma instead of clipping each channel keeps the luminance: the chroma
    columns of YUV→RGB add no luminance, so the channel offsets of one pixel always straddle
    zero, and scaling them leaves Y exactly as the input had it.
    """
    over = torch.maximum(torch.maximum(delta[0], delta[1]), delta[2]).clamp_(min=1e-6)
    under = torch.minimum(torch.minimum(delta[0], delta[1]), delta[2]).neg_().clamp_(min=1e-6)
    scale = torch.minimum(torch.rsub(y, 255.0).div_(over), y.div(under)).clamp_(max=1.0)
    # + 0.5 then truncation in the uint8 cast rounds to nearest.
    return delta.mul_(scale).add_(y.add_(0.5)).clamp_(0.0, 255.0)


def recombine(luma: Image.Image, uv_unit: torch.Tensor, saturation: float = 1.0) -> Image.Image:
    """Join full-resolution luminance ``luma`` (mode L) with predicted chroma ``uv_unit``
    ((2, h, w) sigmoid units at any smaller size) into a full-resolution RGB image.

    Row tiles go straight into the output image: beside the input and the output only one tile's
    working set is ever held (a 50-MP photo needs no full-size float, luminance or plane copies).
    """
    if luma.mode != "L":
        raise ValueError(f"luma must be mode L, not {luma.mode}")
    width, height = luma.size
    uv = unit_to_uv(uv_unit.detach().float().cpu()[None])[0] * saturation
    # Interpolation is linear, so the RGB offsets can be computed small and upsampled after.
    delta_small = torch.einsum("rc,chw->rhw", _OFFSETS, uv)
    small_h = delta_small.shape[1]
    # Separable bilinear: widen every small row once (cheap), then each tile blends two rows.
    delta_wide = F.interpolate(delta_small[None], size=(small_h, width), mode="bilinear", align_corners=False)[0]
    row_low, row_high, row_weight = _bilinear_axis(height, small_h)
    out = Image.new("RGB", (width, height))
    tile = max(1, TILE_PIXELS // max(1, width))
    for top in range(0, height, tile):
        bottom = min(top + tile, height)
        rows = slice(top, bottom)
        delta = torch.lerp(
            delta_wide.index_select(1, row_low[rows]),
            delta_wide.index_select(1, row_high[rows]),
            row_weight[rows].view(1, -1, 1),
        )
        y = torch.from_numpy(np.array(luma.crop((0, top, width, bottom)), dtype=np.uint8)).float()
        planes = _in_gamut_rgb(y, delta).to(torch.uint8).numpy()
        # Pillow interleaves the planes in C, faster than a strided tensor copy.
        out.paste(Image.merge("RGB", [Image.fromarray(plane, "L") for plane in planes]), (0, top))
    return out
