"""Registry of decoder designs (``colorbot train --arch``): what turns a backbone's taps into colour.

Adding one is a ``ColorizerNet`` subclass in its own module, registered with
``@register_decoder("name")``; checkpoints record the name, so colorize, eval and export load any.
"""

from __future__ import annotations

from collections.abc import Callable

from colorizer.decoders.base import ColorizerNet

DEFAULT_ARCH = "residual"
DecoderBuilder = Callable[..., ColorizerNet]
_REGISTRY: dict[str, DecoderBuilder] = {}


def register_decoder(name: str) -> Callable[[DecoderBuilder], DecoderBuilder]:
    """Decorator: make ``builder(backbone, config) -> ColorizerNet`` available by name."""

    def decorate(builder: DecoderBuilder) -> DecoderBuilder:
        if name in _REGISTRY:
            raise ValueError(f"decoder {name!r} registered twice")
        _REGISTRY[name] = builder
        return builder

    return decorate


def list_decoders() -> list[str]:
    _load_designs()
    return sorted(_REGISTRY)


def decoder_builder(name: str) -> DecoderBuilder:
    _load_designs()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown arch {name!r}; choose one of {', '.join(sorted(_REGISTRY))}") from None


def _load_designs() -> None:
    from colorizer.decoders import hypercolumn, residual  # noqa: F401 - their decorators register them


__all__ = ["DEFAULT_ARCH", "ColorizerNet", "decoder_builder", "list_decoders", "register_decoder"]
