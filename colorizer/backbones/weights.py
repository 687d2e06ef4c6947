"""Loading pretrained trunk weights, shared by every backbone family.

Each family keeps its trunk in a child module whose state-dict keys equal the published
checkpoint's keys up to a fixed prefix, so one loader serves torchvision downloads, offline
packages and local files alike, and reports a wrong or truncated file by name.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import torch
from torch import nn

StateDict = Mapping[str, torch.Tensor]
WeightsSpec = str | os.PathLike[str] | None


def load_weights(
    module: nn.Module, weights: WeightsSpec, imagenet: Callable[[], StateDict], prefix: str = ""
) -> None:
    """Apply a builder's ``weights`` argument to ``module`` (``None`` keeps the random init).

    ``"imagenet"`` calls the family's ``imagenet`` getter; anything else is a local file path.
    """
    if weights is None:
        return
    if weights == "imagenet":
        load_trunk(module, imagenet(), prefix, source="imagenet weights")
    else:
        load_trunk(module, read_state_dict(weights), prefix, source=repr(os.fspath(weights)))


def read_state_dict(path: str | os.PathLike[str]) -> StateDict:
    """Read a state dict file safely (tensors only, no pickled code)."""
    if not os.path.isfile(path):
        raise ValueError(f"weights file not found: {os.fspath(path)!r} (or pass weights='imagenet' or None)")
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, Mapping):
        raise ValueError(f"{os.fspath(path)!r} does not hold a state dict (got {type(state).__name__})")
    return state


def load_trunk(module: nn.Module, state: StateDict, prefix: str = "", source: str = "weights") -> None:
    """Copy into ``module`` every tensor it needs from ``state`` (its keys prefixed by ``prefix``).

    Keys the module does not need (a classifier head, deeper layers) are ignored; a missing key or
    a shape mismatch raises ``ValueError`` naming the offending keys.
    """
    own = module.state_dict()
    missing = [prefix + key for key in own if prefix + key not in state]
    if missing:
        raise ValueError(f"{source}: missing {len(missing)} needed key(s), e.g. {', '.join(missing[:5])}")
    wrong = [
        f"{prefix + key} {tuple(state[prefix + key].shape)} != {tuple(value.shape)}"
        for key, value in own.items()
        if state[prefix + key].shape != value.shape
    ]
    if wrong:
        raise ValueError(f"{source}: {len(wrong)} tensor(s) have the wrong shape, e.g. {'; '.join(wrong[:3])}")
    module.load_state_dict({key: state[prefix + key] for key in own})
