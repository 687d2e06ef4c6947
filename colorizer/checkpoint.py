"""One-file checkpoints: weights plus the metadata needed to rebuild and judge the model.

Loaded with ``torch.load(weights_only=True)``, so a checkpoint can never run code.
"""

from __future__ import annotations

from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from colorizer.atomic import atomic_output
from colorizer.ensemble import ChromaEnsemble, is_ensemble_config
from colorizer.model import ColorizerNet, build_colorizer

FORMAT = "colorbot.checkpoint"
#: The marker of a training state (``training.resume``), which is not a model checkpoint.
TRAIN_STATE_FORMAT = "colorbot.train-state"
#: 1: one net; 2: adds ensembles (``model_config`` = {"members": [config, ...]}). A single net is
#: still written as 1, so older colorbots keep reading it; they refuse an ensemble by its version.
FORMAT_VERSION = 2
SINGLE_NET_FORMAT_VERSION = 1
DEFAULT_RENDER_SIZE = 256
COLOR_SPACE = "yuv-bt601"
DEFAULT_CHECKPOINT = Path(__file__).with_name("weights") / "default.pt"


class CheckpointError(Exception):
    """A file that is not a usable colorbot checkpoint; the message says which and why."""


def colorbot_version() -> str:
    try:
        return metadata.version("colorbot")
    except metadata.PackageNotFoundError:
        return "unknown"


def save_checkpoint(path: str | Path, model: ColorizerNet | ChromaEnsemble, meta: dict[str, Any] | None = None, *, half: bool = False) -> Path:
    """Write ``model`` and ``meta`` atomically; ``half`` stores float tensors as fp16 (for shipping)."""
    path = Path(path)
    state = {k: (v.half() if half and v.is_floating_point() else v).detach().cpu().clone() for k, v in model.state_dict().items()}
    full_meta = {
        "render_size": DEFAULT_RENDER_SIZE,
        "color_space": COLOR_SPACE,
        "colorbot_version": colorbot_version(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **(meta or {}),
    }
    version = FORMAT_VERSION if isinstance(model, ChromaEnsemble) else SINGLE_NET_FORMAT_VERSION
    payload = {"format": FORMAT, "format_version": version, "model_config": model.config, "state_dict": state, "meta": full_meta}
    with atomic_output(path, durable=True) as handle:
        torch.save(payload, handle)
    return path


def read_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read and validate the raw checkpoint dictionary without building a model."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch.load raises many types for garbage (IndexError, UnpicklingError, ...)
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({first_line[:200]})") from exc
    if isinstance(payload, dict) and payload.get("format") == TRAIN_STATE_FORMAT:
        raise CheckpointError(_train_state_message(path))
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a colorbot checkpoint (no '{FORMAT}' format marker)")
    if payload.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format {payload['format_version']} is newer than this colorbot understands ({FORMAT_VERSION}); upgrade colorbot")
    for key in ("model_config", "state_dict", "meta"):
        if not isinstance(payload.get(key), dict):
            raise CheckpointError(f"{path}: checkpoint lacks '{key}'")
    return payload


def _train_state_message(path: Path) -> str:
    """What to use instead of a training state: the run's model checkpoint beside it, or an export."""
    beside = next((path.with_name(name) for name in ("final.pt", "last.pt") if path.with_name(name).is_file()), None)
    use = f"use {beside} (the run's model)" if beside else "use the run's final.pt or last.pt"
    return (f"{path}: a training state for `colorbot train --resume`, not a model; {use}, "
            f"or `colorbot export {beside or path.with_name('final.pt')} --out MODEL.pt --label NAME` to ship one")


def _build(path: Path, config: dict[str, Any]) -> ColorizerNet | ChromaEnsemble:
    """An untrained model of the shape ``config`` describes (one net, or an ensemble of them)."""
    try:
        if is_ensemble_config(config):
            return ChromaEnsemble([_build_net(member) for member in config["members"]])
        return _build_net(config)
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{path}: cannot rebuild the model from {config!r}: {exc}") from exc


def _build_net(config: dict[str, Any]) -> ColorizerNet:
    return build_colorizer(config["backbone"], weights=None, arch=config.get("arch", "residual"), **config.get("backbone_options", {}))


def describe(config: dict[str, Any]) -> str:
    """What the model is, in words: its decoder and backbone, or those of each member of an ensemble."""
    if is_ensemble_config(config):
        return "an ensemble of " + " and ".join(describe(member) for member in config["members"])
    return f"a {config.get('arch', 'residual')} colorizer on {config.get('backbone')!r}"


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[ColorizerNet | ChromaEnsemble, dict[str, Any]]:
    """Rebuild the model from a checkpoint (float32, eval mode) and return it with its metadata."""
    path = Path(path)
    payload = read_checkpoint(path, map_location)
    config = payload["model_config"]
    model = _build(path, config)
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in payload["state_dict"].items()}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        summary = " ".join(str(exc).split())[:300]
        raise CheckpointError(f"{path}: weights do not fit {describe(config)}: {summary}") from exc
    return model.eval(), dict(payload["meta"])
