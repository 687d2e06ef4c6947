"""Scene context for the residual encoder: the global-feature fusion of Iizuka et al. (2016).

The deepest tap, batch-normalised, is averaged over the whole image into one vector per photo;
a hidden layer turns it into global features, and a linear map adds them to every position of
the reduced deepest features before the decoder walks back up. Adding a linear map of the global
vector is exactly Iizuka's fusion layer (concatenate the global vector at every position, 1×1
convolution) with the local half of that convolution being ``reduce``.

The map into the decoder starts at zero, so a ``residual-guided`` checkpoint loads into this
design (``--init-from``) and predicts exactly what it did until training moves the new layers.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from colorizer.backbones import Backbone
from colorizer.decoders import register_decoder
from colorizer.decoders.residual import GuidedResidualColorizer


@register_decoder("residual-fusion")
class FusionResidualColorizer(GuidedResidualColorizer):
    """``residual-guided`` plus pooled deepest features broadcast into the decoder (scene context)."""

    #: Layers a ``residual``/``residual-guided`` checkpoint lacks; they start as a no-op.
    new_layer_prefixes = ("global_features.", "global_to_local.")

    def __init__(self, backbone: Backbone, config: dict[str, Any] | None = None) -> None:
        super().__init__(backbone, config)
        deepest = backbone.channels[-1]
        self.global_features = nn.Sequential(nn.Linear(deepest, deepest), nn.ReLU())
        self.global_to_local = nn.Linear(deepest, backbone.channels[-2])
        nn.init.kaiming_normal_(self.global_features[0].weight, nonlinearity="relu")
        nn.init.zeros_(self.global_features[0].bias)
        nn.init.zeros_(self.global_to_local.weight)
        nn.init.zeros_(self.global_to_local.bias)

    def deepest_features(self, tap: torch.Tensor) -> torch.Tensor:
        normed = self.tap_norms[-1](tap)
        scene = self.global_to_local(self.global_features(normed.mean(dim=(2, 3))))
        return torch.relu(self.reduce(normed) + scene[:, :, None, None])
