"""A model's fingerprint: a hash of its weights, so whatever was derived from them (a film's
saved progress, an exported ONNX graph) is never used with different ones."""

from __future__ import annotations

import hashlib

from torch import nn


def weights_digest(model: nn.Module, extra: bytes = b"", length: int = 16) -> str:
    """Hex SHA-256 of every tensor of ``model``'s state (as float32, by name), then ``extra``."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().float().cpu().numpy().tobytes())
    digest.update(extra)
    return digest.hexdigest()[:length]
