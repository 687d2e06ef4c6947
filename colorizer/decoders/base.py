"""What every colorization network is: a backbone's taps in, U and V (sigmoid units) out."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from colorizer.backbones import Backbone


def conv(in_channels: int, out_channels: int, kernel: int) -> nn.Conv2d:
    """A bias-free convolution that keeps the size (batch norm or the head stands in for the bias)."""
    return nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2, bias=False)


def upsample_to(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    if x.shape[-2:] == like.shape[-2:]:
        return x
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


class ColorizerNet(nn.Module):
    """Gray (B, 1, H, W) in [0, 1] → U, V (B, 2, H, W) as sigmoid units (see ``color.unit_to_uv``).

    Subclasses (one per decoder design, in ``colorizer.decoders``) own ``head``, the last
    convolution before the sigmoid; ``config`` records what ``build_colorizer`` needs to rebuild it.
    """

    head: nn.Conv2d
    #: Layers this design adds to one it can start from (``--init-from``); they start as a no-op.
    new_layer_prefixes: tuple[str, ...] = ()

    def __init__(self, backbone: Backbone, config: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.backbone = backbone
        self.config: dict[str, Any] = dict(config or {})

    @property
    def size_multiple(self) -> int:
        """Inputs whose sides are multiples of this keep every tap aligned."""
        return self.backbone.size_multiple

    def load_parent_state(self, state: dict[str, torch.Tensor]) -> None:
        """Load a checkpoint of this design, or of one this design extends (only
        ``new_layer_prefixes`` may be missing); anything else that does not fit is a RuntimeError."""
        missing, unexpected = self.load_state_dict(state, strict=False)
        unexplained = [key for key in missing if not key.startswith(self.new_layer_prefixes)]
        if unexpected or unexplained:
            raise RuntimeError(f"weights do not fit: missing {unexplained[:3]}, unexpected {list(unexpected)[:3]}")
