"""YUV (BT.601, analog) colour space: the luminance Y is kept, the net predicts U and V.

The forward matrix is the standard one; the inverse is its exact matrix inverse, so a round
trip is lossless to float precision and the chroma columns of the inverse add no luminance
(a change of U or V never changes Y).
"""

from __future__ import annotations

import numpy as np
import torch

RGB_TO_YUV = np.array(
    [
        [0.299, 0.587, 0.114],
        [-0.14713, -0.28886, 0.436],
        [0.615, -0.51499, -0.10001],
    ],
    dtype=np.float64,
)
YUV_TO_RGB = np.linalg.inv(RGB_TO_YUV)

# Largest |U| and |V| an RGB colour in [0, 1] can have; the sigmoid output spans these.
U_MAX = 0.436
V_MAX = 0.615
_UV_MAX = np.array([U_MAX, V_MAX])


def rgb_to_yuv(rgb: np.ndarray) -> np.ndarray:
    """RGB in [0, 1], channels last (..., 3) → YUV (..., 3) as float32."""
    return np.einsum("...c,yc->...y", np.asarray(rgb, dtype=np.float32), RGB_TO_YUV.astype(np.float32))


def yuv_to_rgb(yuv: np.ndarray) -> np.ndarray:
    """YUV (..., 3) → RGB (..., 3) as float32, not clipped."""
    return np.einsum("...c,rc->...r", np.asarray(yuv, dtype=np.float32), YUV_TO_RGB.astype(np.float32))


def rgb_to_yuv_torch(rgb: torch.Tensor) -> torch.Tensor:
    """RGB batch (B, 3, H, W) in [0, 1] → YUV (B, 3, H, W)."""
    matrix = torch.as_tensor(RGB_TO_YUV, dtype=rgb.dtype, device=rgb.device)
    return torch.einsum("bchw,yc->byhw", rgb, matrix)


def yuv_to_rgb_torch(yuv: torch.Tensor) -> torch.Tensor:
    """YUV batch (B, 3, H, W) → RGB (B, 3, H, W), not clipped."""
    matrix = torch.as_tensor(YUV_TO_RGB, dtype=yuv.dtype, device=yuv.device)
    return torch.einsum("bchw,rc->brhw", yuv, matrix)


def unit_to_uv(unit: torch.Tensor) -> torch.Tensor:
    """The net's sigmoid output (B, 2, H, W) in [0, 1] → U, V in [-U_MAX, U_MAX] × [-V_MAX, V_MAX]."""
    scale = torch.as_tensor(_UV_MAX * 2, dtype=unit.dtype, device=unit.device).view(1, 2, 1, 1)
    return (unit - 0.5) * scale


def uv_to_unit(uv: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`unit_to_uv`: the training target for the sigmoid output."""
    scale = torch.as_tensor(_UV_MAX * 2, dtype=uv.dtype, device=uv.device).view(1, 2, 1, 1)
    return uv / scale + 0.5
