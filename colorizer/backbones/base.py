"""The contract between a pretrained classifier trunk and the colorization decoder.

A backbone takes a 3-channel image in [0, 1] (the gray input repeated three times), applies the
input normalisation its weights were trained with, and returns feature maps ("taps") from
shallow to deep. The decoder only needs each tap's channel count and stride.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class Backbone(nn.Module):
    """Base class: subclasses set ``channels``/``strides`` and implement ``features``."""

    channels: tuple[int, ...]
    strides: tuple[int, ...]

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        # Buffers, so a checkpoint carries the normalisation that matches its weights.
        self.register_buffer("input_mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("input_std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def set_normalization(self, mean: Sequence[float], std: Sequence[float]) -> None:
        """Set the input normalisation (in [0, 1] units) that the loaded weights expect."""
        self.input_mean.copy_(torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.input_std.copy_(torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    @property
    def size_multiple(self) -> int:
        """Input height and width must be multiples of this (the deepest stride)."""
        return max(self.strides)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return the taps of an already normalised batch, shallow to deep."""
        raise NotImplementedError

    def forward(self, rgb01: torch.Tensor) -> list[torch.Tensor]:
        return self.features((rgb01 - self.input_mean) / self.input_std)


IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
