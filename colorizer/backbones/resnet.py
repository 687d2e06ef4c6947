"""torchvision ResNets, tapped after the stem ReLU and after each residual layer."""

from __future__ import annotations

from collections.abc import Callable

from typing import TYPE_CHECKING

import torch
from torch import nn

from colorizer.backbones import register_backbone
from colorizer.backbones.base import IMAGENET_MEAN, IMAGENET_STD, Backbone
from colorizer.backbones.weights import WeightsSpec, load_weights

if TYPE_CHECKING:
    import torchvision

_MAX_STAGES = 5
_LAYERS = ("layer1", "layer2", "layer3", "layer4")
_WIDTHS = (64, 128, 256, 512)


class ResNetBackbone(Backbone):
    """A torchvision ResNet without avgpool/fc, truncated to its first ``stages`` taps.

    ``trunk`` keeps torchvision's attribute names, so its keys are the checkpoint's keys.
    """

    def __init__(self, resnet: "torchvision.models.ResNet", stages: int = _MAX_STAGES) -> None:
        if not 1 <= stages <= _MAX_STAGES:
            raise ValueError(f"resnet stages must be 1..{_MAX_STAGES}, got {stages}")
        super().__init__(IMAGENET_MEAN, IMAGENET_STD)
        layers = _LAYERS[: stages - 1]
        self.trunk = nn.ModuleDict(
            {name: getattr(resnet, name) for name in ("conv1", "bn1", "relu", "maxpool", *layers)}
        )
        # Bottleneck blocks (resnet50) widen each layer's output by their ``expansion`` (4).
        expansion = resnet.layer1[0].expansion
        self.channels = (64, *(width * expansion for width in _WIDTHS))[:stages]
        self.strides = tuple(2 ** (i + 1) for i in range(stages))
        self._layers = layers

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        t = self.trunk
        x = t["relu"](t["bn1"](t["conv1"](x)))
        taps = [x]
        x = t["maxpool"](x)
        for name in self._layers:
            x = t[name](x)
            taps.append(x)
        return taps


def _resnet_builder(depth: int, imagenet: str) -> Callable[..., Backbone]:
    """One builder per depth; they differ only in the torchvision constructor and weights.

    torchvision is imported when a ResNet is built, not when the registry loads (~180 MB RSS).
    """

    def build(weights: WeightsSpec = None, stages: int = _MAX_STAGES) -> Backbone:
        import torchvision

        backbone = ResNetBackbone(getattr(torchvision.models, f"resnet{depth}")(weights=None), stages)
        enum = getattr(torchvision.models, f"ResNet{depth}_Weights")[imagenet]
        load_weights(backbone.trunk, weights, lambda: enum.get_state_dict(progress=True))
        return backbone

    build.__doc__ = f"resnet{depth} taps at strides 2..{2**_MAX_STAGES}; ``stages`` drops the deepest."
    return build


# Pinned enums rather than ``DEFAULT`` so a torchvision upgrade cannot silently change what
# "imagenet" means for an existing checkpoint (IMAGENET1K_V2 is resnet50's DEFAULT today).
resnet18 = register_backbone("resnet18")(_resnet_builder(18, "IMAGENET1K_V1"))
resnet34 = register_backbone("resnet34")(_resnet_builder(34, "IMAGENET1K_V1"))
resnet50 = register_backbone("resnet50")(_resnet_builder(50, "IMAGENET1K_V2"))

__all__ = ["ResNetBackbone", "resnet18", "resnet34", "resnet50"]
