"""Running a colorizer on RGB ground truth: its Y in, predicted UV back, recombined with that Y."""

from __future__ import annotations

import contextlib

import numpy as np
import torch
import torch.nn.functional as F

from colorizer.color import rgb_to_yuv_torch, unit_to_uv, yuv_to_rgb_torch


def split_yuv(rgb_uint8: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 RGB (B, 3, H, W) → gray Y (B, 1, H, W) in [0, 1] and target UV (B, 2, H, W)."""
    yuv = rgb_to_yuv_torch(rgb_uint8.float().div(255.0))
    return yuv[:, :1].clamp(0, 1), yuv[:, 1:]


def to_uint8_rgb(y: torch.Tensor, uv: torch.Tensor) -> torch.Tensor:
    """Y (B, 1, H, W) and UV (B, 2, H, W) → uint8 RGB (B, 3, H, W) (rounded, clipped)."""
    rgb = yuv_to_rgb_torch(torch.cat([y, uv], 1).float())
    return rgb.mul(255.0).round_().clamp_(0, 255).to(torch.uint8)


def autocast_for(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    if device.type == "cuda" and precision in ("bf16", "fp16"):
        return torch.autocast("cuda", dtype=torch.bfloat16 if precision == "bf16" else torch.float16)
    return contextlib.nullcontext()


@torch.no_grad()
def predict_uv(model: torch.nn.Module, gray: torch.Tensor, render_size: int | None = None, precision: str = "fp32") -> torch.Tensor:
    """UV (B, 2, H, W) for gray (B, 1, H, W): the net runs with the long side at ``render_size``
    (sides rounded to its size multiple), the chroma is upsampled back bilinearly."""
    h, w = gray.shape[-2:]
    multiple = getattr(model, "size_multiple", 1)
    scale = 1.0 if render_size is None else min(1.0, render_size / max(h, w))
    rh = max(multiple, round(h * scale / multiple) * multiple)
    rw = max(multiple, round(w * scale / multiple) * multiple)
    small = gray if (rh, rw) == (h, w) else F.interpolate(gray, size=(rh, rw), mode="bilinear", align_corners=False, antialias=True)
    device = next(model.parameters()).device
    with autocast_for(device, precision):
        unit = model(small.to(device)).float()
    uv = unit_to_uv(unit)
    if (rh, rw) != (h, w):
        uv = F.interpolate(uv, size=(h, w), mode="bilinear", align_corners=False)
    return uv.to(gray.device)


def hwc(t: torch.Tensor) -> np.ndarray:
    """(3, H, W) uint8 tensor → (H, W, 3) numpy array."""
    return t.permute(1, 2, 0).cpu().numpy()
