"""Registry of decoder designs (``colorbot train --arch``): what turns a backbone's taps into colour.

Adding one is a ``ColorizerNet`` subclass in its own module, registered with
``@register_decoder("name")``; checkpoints record the name, so colorize, eval and export load any.
"""

from __future__ import annotations

from collections.abc import Callable

from colorizer.decoders.base import ColorizerNet
from colorizer.registry import Registry

DEFAULT_ARCH = "residual"
DecoderBuilder = Callable[..., ColorizerNet]


def _load_designs() -> None:
    from colorizer.decoders import fusion, hypercolumn, residual  # noqa: F401 - their decorators register them


_REGISTRY: Registry[DecoderBuilder] = Registry("arch", _load_designs)
#: Decorator: make ``builder(backbone, config) -> ColorizerNet`` available by name.
register_decoder = _REGISTRY.register


def list_decoders() -> list[str]:
    return _REGISTRY.names()


def decoder_builder(name: str) -> DecoderBuilder:
    return _REGISTRY.get(name)


__all__ = ["DEFAULT_ARCH", "ColorizerNet", "decoder_builder", "list_decoders", "register_decoder"]
