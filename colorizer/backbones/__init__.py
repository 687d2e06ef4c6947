"""Registry of backbones the residual-encoder decoder can sit on.

Adding a backbone is one ``@register_backbone("name")`` builder in its family's module.
"""

from __future__ import annotations

from collections.abc import Callable

from colorizer.backbones.base import Backbone

BackboneBuilder = Callable[..., Backbone]
_REGISTRY: dict[str, BackboneBuilder] = {}


def register_backbone(name: str) -> Callable[[BackboneBuilder], BackboneBuilder]:
    """Decorator: make ``builder(weights=None, **options) -> Backbone`` available by name."""

    def decorate(builder: BackboneBuilder) -> BackboneBuilder:
        if name in _REGISTRY:
            raise ValueError(f"backbone {name!r} registered twice")
        _REGISTRY[name] = builder
        return builder

    return decorate


def list_backbones() -> list[str]:
    """Names of all registered backbones, sorted."""
    _load_families()
    return sorted(_REGISTRY)


def build_backbone(name: str, weights: str | None = None, **options: object) -> Backbone:
    """Build a registered backbone.

    ``weights``: ``None`` (random init, e.g. before loading a colorbot checkpoint),
    ``"imagenet"`` (the family's pretrained ImageNet weights; torchvision's download on a
    user's machine, or an offline package where one exists), or a path to a local state dict.
    """
    _load_families()
    try:
        builder = _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown backbone {name!r}; choose one of {', '.join(sorted(_REGISTRY))}") from None
    return builder(weights=weights, **options)


def _load_families() -> None:
    # Importing a family module runs its @register_backbone decorators.
    from colorizer.backbones import efficientnet_lite, resnet, vgg  # noqa: F401


__all__ = ["Backbone", "build_backbone", "list_backbones", "register_backbone"]
