"""Registry of backbones the residual-encoder decoder can sit on.

Adding a backbone is one ``@register_backbone("name")`` builder in its family's module.
"""

from __future__ import annotations

from collections.abc import Callable

from colorizer.backbones.base import Backbone
from colorizer.registry import Registry

BackboneBuilder = Callable[..., Backbone]


def _load_families() -> None:
    # Importing a family module runs its @register_backbone decorators.
    from colorizer.backbones import efficientnet_lite, mobilenet, resnet, vgg  # noqa: F401


_REGISTRY: Registry[BackboneBuilder] = Registry("backbone", _load_families)
#: Decorator: make ``builder(weights=None, **options) -> Backbone`` available by name.
register_backbone = _REGISTRY.register


def list_backbones() -> list[str]:
    """Names of all registered backbones, sorted."""
    return _REGISTRY.names()


def build_backbone(name: str, weights: str | None = None, **options: object) -> Backbone:
    """Build a registered backbone.

    ``weights``: ``None`` (random init, e.g. before loading a colorbot checkpoint),
    ``"imagenet"`` (the family's pretrained ImageNet weights; torchvision's download on a
    user's machine, or an offline package where one exists), or a path to a local state dict.
    """
    return _REGISTRY.get(name)(weights=weights, **options)


__all__ = ["Backbone", "build_backbone", "list_backbones", "register_backbone"]
