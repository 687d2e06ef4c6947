"""The seed's first design (Dahl, 2016): hypercolumns, before the residual encoder replaced it.

Every tap of the backbone (VGG16: conv1_2, conv2_2, conv3_3, conv4_3 — 64 + 128 + 256 + 512
channels) is upsampled to the input's full size and concatenated with the gray input (×3): a
963-channel hypercolumn per pixel, batch-normalised, then mapped to U, V. ``hypercolumn`` maps
it through two hidden 3×3 layers of depth 128 and 64 (BN, ReLU); ``hypercolumn-linear`` with one
1×1 convolution, which the seed found converges to desaturated images. Holding every tap at full
resolution is what made this design memory-hungry: 1 image per batch on the seed's 2 GB GPU,
against 6 for the residual encoder.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from colorizer.backbones import Backbone
from colorizer.decoders import register_decoder
from colorizer.decoders.base import ColorizerNet, conv, upsample_to

SEED_HIDDEN = (128, 64)


class HypercolumnColorizer(ColorizerNet):
    """Full-resolution hypercolumns → ``hidden`` 3×3 BN-ReLU layers → 2 channels → sigmoid."""

    def __init__(self, backbone: Backbone, config: dict[str, Any] | None = None, hidden: tuple[int, ...] = SEED_HIDDEN) -> None:
        super().__init__(backbone, config)
        width = sum(backbone.channels) + 3
        self.column_norm = nn.BatchNorm2d(width)
        layers: list[nn.Module] = []
        for depth in hidden:
            layers += [conv(width, depth, 3), nn.BatchNorm2d(depth), nn.ReLU(inplace=True)]
            width = depth
        self.hidden = nn.Sequential(*layers)
        self.head = nn.Conv2d(width, 2, 3 if hidden else 1, padding=1 if hidden else 0)
        for module in self.hidden:
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
        nn.init.zeros_(self.head.weight)  # an untrained model predicts gray, never noise
        nn.init.zeros_(self.head.bias)

    def hypercolumns(self, gray: torch.Tensor) -> torch.Tensor:
        """(B, sum(taps) + 3, H, W): every tap at the input's size, then the gray input."""
        gray3 = gray.expand(-1, 3, -1, -1)
        taps = self.backbone(gray3)
        return torch.cat([upsample_to(tap, gray3) for tap in taps] + [gray3], dim=1)

    def forward(self, gray: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.head(self.hidden(self.column_norm(self.hypercolumns(gray)))))


@register_decoder("hypercolumn")
def hypercolumn(backbone: Backbone, config: dict[str, Any] | None = None) -> HypercolumnColorizer:
    return HypercolumnColorizer(backbone, config, SEED_HIDDEN)


@register_decoder("hypercolumn-linear")
def hypercolumn_linear(backbone: Backbone, config: dict[str, Any] | None = None) -> HypercolumnColorizer:
    return HypercolumnColorizer(backbone, config, ())
