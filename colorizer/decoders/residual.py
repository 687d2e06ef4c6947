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

from colorizer.backbones import Backbone
from colorizer.decoders import register_decoder
from colorizer.decoders.base import ColorizerNet, conv, upsample_to
from colorizer.guided import guided_upsample


@register_decoder("residual")
class ResidualColorizer(ColorizerNet):
    """The residual encoder: the deepest tap predicts colour, shallower taps are added while upsampling."""

    def __init__(self, backbone: Backbone, config: dict[str, Any] | None = None) -> None:
        super().__init__(backbone, config)
        channels = backbone.channels
        self.tap_norms = nn.ModuleList(nn.BatchNorm2d(c) for c in channels)
        self.reduce = conv(channels[-1], channels[-2], 1)
        # fuse[i] runs after adding tap i (deep to shallow, skipping the deepest) and maps to the
        # next shallower tap's width, or to 3 channels after the shallowest tap.
        widths_out = [channels[i - 1] if i > 0 else 3 for i in range(len(channels) - 1)]
        self.fuse = nn.ModuleList(conv(channels[i], widths_out[i], 3) for i in range(len(channels) - 1))
        self.input_norm = nn.BatchNorm2d(3)
        self.refine = conv(3, 3, 3)
        self.head = conv(3, 2, 3)
        self._init_decoder()

    def _init_decoder(self) -> None:
        for layer in [self.reduce, *self.fuse, self.refine]:
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        # A zero head makes an untrained model predict U = V = 0: plain gray, never noise.
        nn.init.zeros_(self.head.weight)

    def deepest_features(self, tap: torch.Tensor) -> torch.Tensor:
        """What the deepest tap predicts, at the next shallower tap's width."""
        return F.relu(self.reduce(self.tap_norms[-1](tap)))

    def decode_taps(self, gray3: torch.Tensor) -> torch.Tensor:
        """The decoder's features at the shallowest tap's resolution (3 channels)."""
        taps = self.backbone(gray3)
        x = self.deepest_features(taps[-1])
        for level in range(len(taps) - 2, -1, -1):
            x = upsample_to(x, taps[level]) + self.tap_norms[level](taps[level])
            x = F.relu(self.fuse[level](x))
        return x

    def forward(self, gray: torch.Tensor) -> torch.Tensor:
        gray3 = gray.expand(-1, 3, -1, -1)
        x = upsample_to(self.decode_taps(gray3), gray3) + self.input_norm(gray3)
        x = F.relu(self.refine(x))
        return torch.sigmoid(self.head(x))


@register_decoder("residual-guided")
class GuidedResidualColorizer(ResidualColorizer):
    """The residual encoder that predicts chroma at the shallowest tap's stride (2 on the
    EfficientNet and ResNet families) and brings it to full size with a guided filter on the gray
    (:mod:`colorizer.guided`). Same layers as ``residual``, so its weights load either way."""

    def forward(self, gray: torch.Tensor) -> torch.Tensor:
        x = self.decode_taps(gray.expand(-1, 3, -1, -1))
        stride = gray.shape[-1] // x.shape[-1]
        gray_small = F.avg_pool2d(gray, stride) if stride > 1 else gray
        x = x + self.input_norm(gray_small.expand(-1, 3, -1, -1))
        x = F.relu(self.refine(x))
        uv_small = torch.sigmoid(self.head(x))
        if stride == 1:
            return uv_small
        return guided_upsample(uv_small, gray_small, gray).clamp(0.0, 1.0)
