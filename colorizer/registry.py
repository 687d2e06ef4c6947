"""A name → builder table filled by decorators, the torchvision ``register_model`` way (backbones, decoders)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

Builder = TypeVar("Builder", bound=Callable[..., object])


class Registry(Generic[Builder]):
    """Builders of one ``kind`` by name; ``load`` imports the modules whose decorators fill it."""

    def __init__(self, kind: str, load: Callable[[], None]) -> None:
        self.kind = kind
        self._load = load
        self._builders: dict[str, Builder] = {}

    def register(self, name: str) -> Callable[[Builder], Builder]:
        """Decorator: make ``builder`` available as ``name``."""

        def decorate(builder: Builder) -> Builder:
            if name in self._builders:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._builders[name] = builder
            return builder

        return decorate

    def names(self) -> list[str]:
        self._load()
        return sorted(self._builders)

    def get(self, name: str) -> Builder:
        self._load()
        try:
            return self._builders[name]
        except KeyError:
            raise ValueError(f"unknown {self.kind} {name!r}; choose one of {', '.join(sorted(self._builders))}") from None
