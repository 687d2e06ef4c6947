"""Colorization networks: a registered backbone (``colorizer.backbones``) under a registered
decoder design (``colorizer.decoders``: the residual encoder by default, the seed's hypercolumns).
"""

from __future__ import annotations

from typing import Any

from colorizer.backbones import build_backbone
from colorizer.decoders import DEFAULT_ARCH, ColorizerNet, decoder_builder
from colorizer.decoders.base import upsample_to
from colorizer.decoders.residual import ResidualColorizer

__all__ = ["ColorizerNet", "ResidualColorizer", "build_colorizer", "upsample_to"]


def build_colorizer(backbone: str = "vgg16", weights: str | None = None, arch: str = DEFAULT_ARCH, **backbone_options: Any) -> ColorizerNet:
    """Build a colorizer by backbone and decoder name; ``weights`` goes to the backbone (see ``build_backbone``)."""
    design = decoder_builder(arch)
    trunk = build_backbone(backbone, weights=weights, **backbone_options)
    config = {"backbone": backbone, "backbone_options": dict(backbone_options), "arch": arch}
    return design(trunk, config)
