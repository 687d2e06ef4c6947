"""VGG16 conv trunk (torchvision layout), tapped after the last ReLU of each resolution."""

from __future__ import annotations

import torch
from torch import nn

from colorizer.backbones import register_backbone
from colorizer.backbones.base import IMAGENET_MEAN, IMAGENET_STD, Backbone
from colorizer.backbones.weights import StateDict, WeightsSpec, load_weights

# Index in torchvision's ``vgg16().features`` of the ReLU after conv1_2, conv2_2, conv3_3,
# conv4_3, conv5_3: the last activation before each max-pool.
_TAP_INDICES = (3, 8, 15, 22, 29)
_CHANNELS = (64, 128, 256, 512, 512)

# Weights converted from caffe/Keras expect BGR 0-255 minus the per-channel mean and no scaling;
# in [0, 1] units that is this mean and a std of 1/255.
_NORMALIZATIONS = {
    "imagenet": (IMAGENET_MEAN, IMAGENET_STD),
    "caffe": ((103.939 / 255, 116.779 / 255, 123.68 / 255), (1 / 255,) * 3),
}


class VGG16Backbone(Backbone):
    """The first ``stages`` blocks of VGG16's conv trunk; deeper layers are not built."""

    def __init__(self, stages: int = 4, normalization: str = "imagenet") -> None:
        if not 1 <= stages <= len(_TAP_INDICES):
            raise ValueError(f"vgg16 stages must be 1..{len(_TAP_INDICES)}, got {stages}")
        if normalization not in _NORMALIZATIONS:
            raise ValueError(f"vgg16 normalization must be one of {sorted(_NORMALIZATIONS)}, got {normalization!r}")
        super().__init__(*_NORMALIZATIONS[normalization])
        self.channels = _CHANNELS[:stages]
        self.strides = tuple(2**i for i in range(stages))
        self._taps = frozenset(_TAP_INDICES[:stages])
        self.trunk = _make_trunk(stages)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        taps = []
        for index, layer in enumerate(self.trunk):
            x = layer(x)
            if index in self._taps:
                taps.append(x)
        return taps


def _make_trunk(stages: int) -> nn.Sequential:
    """torchvision's VGG16 ``features`` up to the last tap, with the same indices (``trunk.N`` loads
    ``features.N``) and init, without building the 100M-parameter classifier just to drop it."""
    from torchvision.models import vgg as torchvision_vgg  # lazy: torchvision costs ~180 MB RSS

    config = torchvision_vgg.cfgs["D"]
    pool_positions = [i for i, item in enumerate(config) if item == "M"]
    trunk = torchvision_vgg.make_layers(config[: pool_positions[stages - 1]])
    for layer in trunk:
        if isinstance(layer, nn.Conv2d):
            nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    return trunk


def _imagenet_state() -> StateDict:
    import torchvision

    return torchvision.models.VGG16_Weights.IMAGENET1K_V1.get_state_dict(progress=True)


@register_backbone("vgg16")
def vgg16(weights: WeightsSpec = None, stages: int = 4, normalization: str = "imagenet") -> Backbone:
    """VGG16 taps at strides 1..8 (16 with ``stages=5``).

    ``normalization="caffe"`` is for weights converted from caffe/Keras VGG16.
    """
    backbone = VGG16Backbone(stages, normalization)
    load_weights(backbone.trunk, weights, _imagenet_state, prefix="features.")
    return backbone


__all__ = ["VGG16Backbone", "vgg16"]
