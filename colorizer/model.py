"""The residual-encoder colorizer (Dahl, 2016) on any registered backbone.

The deepest tap predicts colour; walking back up, each shallower tap is batch-normalised and
added after upsampling, then the gray input itself; the head emits U and V through a sigmoid.
Convolutions carry no bias (batch norm stands in for it) and are followed by ReLU, except the
head. For VGG16 with 4 stages this is exactly the original:

    BN(conv4_3) → 1×1 512→256 → ×2 + BN(conv3_3) → 3×3 →128 → ×2 + BN(conv2_2) → 3×3 →64
    → ×2 + BN(conv1_2) → 3×3 →3 → + BN(gray×3) → 3×3 →3 → 3×3 →2 → sigmoid
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from colorizer.backbones import Backbone, build_backbone


def _conv(in_channels: int, out_channels: int, kernel: int) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2, bias=False)


def _upsample_to(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    if x.shape[-2:] == like.shape[-2:]:
        return x
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


class ResidualColorizer(nn.Module):
    """Gray (B, 1, H, W) in [0, 1] → U, V (B, 2, H, W) as sigmoid units (see ``color.unit_to_uv``)."""

    def __init__(self, backbone: Backbone, config: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.backbone = backbone
        self.config: dict[str, Any] = dict(config or {})
        channels = backbone.channels
        self.tap_norms = nn.ModuleList(nn.BatchNorm2d(c) for c in channels)
        self.reduce = _conv(channels[-1], channels[-2], 1)
        # fuse[i] runs after adding tap i (deep to shallow, skipping the deepest) and maps to the
        # next shallower tap's width, or to 3 channels after the shallowest tap.
        widths_out = [channels[i - 1] if i > 0 else 3 for i in range(len(channels) - 1)]
        self.fuse = nn.ModuleList(_conv(channels[i], widths_out[i], 3) for i in range(len(channels) - 1))
        self.input_norm = nn.BatchNorm2d(3)
        self.refine = _conv(3, 3, 3)
        self.head = _conv(3, 2, 3)
        self._init_decoder()

    def _init_decoder(self) -> None:
        for conv in [self.reduce, *self.fuse, self.refine]:
            nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
        # A zero head makes an untrained model predict U = V = 0: plain gray, never noise.
        nn.init.zeros_(self.head.weight)

    @property
    def size_multiple(self) -> int:
        """Inputs whose sides are multiples of this keep every tap aligned."""
        return self.backbone.size_multiple

    def forward(self, gray: torch.Tensor) -> torch.Tensor:
        gray3 = gray.expand(-1, 3, -1, -1)
        taps = self.backbone(gray3)
        x = F.relu(self.reduce(self.tap_norms[-1](taps[-1])))
        for level in range(len(taps) - 2, -1, -1):
            x = _upsample_to(x, taps[level]) + self.tap_norms[level](taps[level])
            x = F.relu(self.fuse[level](x))
        x = _upsample_to(x, gray3) + self.input_norm(gray3)
        x = F.relu(self.refine(x))
        return torch.sigmoid(self.head(x))


def build_colorizer(backbone: str = "vgg16", weights: str | None = None, **backbone_options: Any) -> ResidualColorizer:
    """Build a colorizer by backbone name; ``weights`` goes to the backbone (see ``build_backbone``)."""
    trunk = build_backbone(backbone, weights=weights, **backbone_options)
    config = {"backbone": backbone, "backbone_options": dict(backbone_options)}
    return ResidualColorizer(trunk, config)
