"""torchvision's MobileNetV2, tapped at the end of each resolution (strides 2..32)."""

from __future__ import annotations

import torch
from torch import nn

from colorizer.backbones import register_backbone
from colorizer.backbones.base import IMAGENET_MEAN, IMAGENET_STD, Backbone
from colorizer.backbones.weights import WeightsSpec, load_weights

# Index in ``features`` of the last block at each stride, and its channels.
_TAPS = ((1, 16), (3, 24), (6, 32), (13, 96), (17, 320))


class MobileNetV2Backbone(Backbone):
    """``torchvision.models.mobilenet_v2().features`` up to its last tap (the 1280-wide 1×1 conv
    and the classifier are dropped). ``trunk.features`` keeps torchvision's key names."""

    def __init__(self, stages: int = len(_TAPS)) -> None:
        import torchvision

        if not 1 <= stages <= len(_TAPS):
            raise ValueError(f"mobilenet_v2 stages must be 1..{len(_TAPS)}, got {stages}")
        super().__init__(IMAGENET_MEAN, IMAGENET_STD)
        taps = _TAPS[:stages]
        self.channels = tuple(channels for _, channels in taps)
        self.strides = tuple(2 ** (i + 1) for i in range(stages))
        self._tap_indices = frozenset(index for index, _ in taps)
        features = torchvision.models.mobilenet_v2(weights=None).features[: taps[-1][0] + 1]
        self.trunk = nn.Module()
        self.trunk.features = features

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        taps = []
        for index, block in enumerate(self.trunk.features):
            x = block(x)
            if index in self._tap_indices:
                taps.append(x)
        return taps


@register_backbone("mobilenet_v2")
def mobilenet_v2(weights: WeightsSpec = None, stages: int = len(_TAPS)) -> Backbone:
    """MobileNetV2 taps (16, 24, 32, 96, 320 channels). ``weights='imagenet'`` is torchvision's
    IMAGENET1K_V1 download; offline, pass the same file from ``python -m training.fetch_mobilenet``."""
    backbone = MobileNetV2Backbone(stages)

    def imagenet():  # noqa: ANN202
        import torchvision

        return torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1.get_state_dict(progress=True)

    load_weights(backbone.trunk, weights, imagenet)
    return backbone


__all__ = ["MobileNetV2Backbone", "mobilenet_v2"]
