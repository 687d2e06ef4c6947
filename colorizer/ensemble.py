"""Several colorizers run as one: their chroma (sigmoid units, linear in U and V) is averaged.

Nets trained apart (another backbone, another run) err in different places; where they disagree the
mean moves towards neutral and where they agree it keeps the colour, which is what a conditional-mean
(L2) model should do. It is saved and loaded like one net (``colorizer.checkpoint``) and exposes the
same ``config`` / ``size_multiple`` that inference, video and the model store read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from colorizer.decoders.base import ColorizerNet


class ChromaEnsemble(nn.Module):
    """Gray (B, 1, H, W) → the members' mean U, V (B, 2, H, W) in sigmoid units."""

    def __init__(self, members: Sequence[ColorizerNet]) -> None:
        super().__init__()
        if len(members) < 2:
            raise ValueError(f"an ensemble needs at least two nets, got {len(members)}")
        if any(isinstance(member, ChromaEnsemble) for member in members):
            raise ValueError("an ensemble's members must be single nets, not ensembles")
        self.members = nn.ModuleList(members)

    @property
    def config(self) -> dict[str, Any]:
        """What ``colorizer.checkpoint`` needs to rebuild it: each member's own config, in order."""
        return {"members": [dict(member.config) for member in self.members]}

    @property
    def size_multiple(self) -> int:
        """Input sides that keep every member's taps aligned."""
        return math.lcm(*(int(member.size_multiple) for member in self.members))

    def forward(self, gray: torch.Tensor) -> torch.Tensor:
        total = self.members[0](gray)
        for member in self.members[1:]:
            total = total + member(gray)
        return total / len(self.members)


def is_ensemble_config(config: dict[str, Any]) -> bool:
    return isinstance(config.get("members"), list)
