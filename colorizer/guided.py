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
    """Mean over a (2r+1)² window, averaging only the pixels inside the image at the borders.

    Written as window sums (a depthwise convolution) over window counts rather than as an average
    pool: the same numbers, and ONNX Runtime runs convolutions several times faster than its
    border-aware AveragePool (a tenth of the whole net's time on the CPU).
    """
    size = 2 * radius + 1
    sums = F.conv2d(x, x.new_ones(x.shape[1], 1, size, size), padding=radius, groups=x.shape[1])
    counts = F.conv2d(x.new_ones(1, 1, x.shape[-2], x.shape[-1]), x.new_ones(1, 1, size, size), padding=radius)
    return sums / counts


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
