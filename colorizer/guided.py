"""Guided upsampling of chroma (He & Sun's fast guided filter, 2015).

Chroma is a low-frequency signal: a net predicts it at a coarse stride, and this module brings
it to full size by fitting, in every small window, chroma ≈ a · gray + b at the coarse size
and applying the (bilinearly upsampled) a and b to the full-size gray. Colour edges then follow
the gray's edges, and detail finer than the coarse grid (red/green speckle in fur or grass)
cannot appear: where the gray has no structure, a → 0 and the chroma is the window's mean.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

DEFAULT_RADIUS = 1
DEFAULT_EPS = 1e-3  # in gray units² ([0, 1] gray): texture weaker than ~0.03 does not steer colour


def box_mean(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean over a (2r+1)² window, averaging only the pixels inside the image at the borders."""
    return F.avg_pool2d(x, 2 * radius + 1, stride=1, padding=radius, count_include_pad=False)


def guided_upsample(src: torch.Tensor, guide_small: torch.Tensor, guide: torch.Tensor,
                    radius: int = DEFAULT_RADIUS, eps: float = DEFAULT_EPS) -> torch.Tensor:
    """Upsample ``src`` (B, C, h, w) to the size of ``guide`` (B, 1, H, W), guided by the gray.

    ``guide_small`` is the gray at the size of ``src`` (e.g. ``guide`` average-pooled).
    """
    mean_i = box_mean(guide_small, radius)
    mean_p = box_mean(src, radius)
    var_i = box_mean(guide_small * guide_small, radius) - mean_i * mean_i
    cov_ip = box_mean(guide_small * src, radius) - mean_i * mean_p
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    size = guide.shape[-2:]
    a_up = F.interpolate(box_mean(a, radius), size=size, mode="bilinear", align_corners=False)
    b_up = F.interpolate(box_mean(b, radius), size=size, mode="bilinear", align_corners=False)
    return a_up * guide + b_up
