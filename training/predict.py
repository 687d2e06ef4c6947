"""Y/UV split of RGB ground truth and recombination, shared by training validation and eval."""

from __future__ import annotations

import contextlib

import numpy as np
import torch

from colorizer.color import rgb_to_yuv_torch, yuv_to_rgb_torch


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


def hwc(t: torch.Tensor) -> np.ndarray:
    """(3, H, W) uint8 tensor → (H, W, 3) numpy array."""
    return t.permute(1, 2, 0).cpu().numpy()
