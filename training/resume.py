"""The training-state file behind ``--resume``: everything needed to continue a run exactly.

Separate from the model checkpoint (``colorizer.checkpoint``): model, auxiliary head, optimizer,
scheduler and grad-scaler states, step / epoch / position in the epoch, every RNG state, and
running statistics. Only tensors and plain Python values, so it loads with
``torch.load(weights_only=True)``; written atomically (temporary file, fsync, rename).
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from colorizer.atomic import atomic_output
from colorizer.checkpoint import TRAIN_STATE_FORMAT

FORMAT = TRAIN_STATE_FORMAT
VERSION = 1


def rng_state() -> dict[str, Any]:
    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {"kind": np_state[0], "key": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached_gaussian": float(np_state[4])},
        "python": _python_state_to_plain(random.getstate()),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state((n["kind"], n["key"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"]))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def _python_state_to_plain(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def atomic_torch_save(payload: Any, path: str | os.PathLike[str]) -> Path:
    """``torch.save`` through :func:`colorizer.atomic.atomic_output` (fsynced: resume files must survive a power cut)."""
    with atomic_output(path, durable=True) as handle:
        torch.save(payload, handle)
    return Path(path)


def save_state(path: str | os.PathLike[str], state: dict[str, Any]) -> Path:
    return atomic_torch_save({"format": FORMAT, "version": VERSION, **state}, path)


def load_state(path: str | os.PathLike[str]) -> dict[str, Any]:
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path}: not a colorbot training-state file")
    if state.get("version", 0) > VERSION:
        raise ValueError(f"{path}: training-state version {state['version']} is newer than this colorbot")
    return state
