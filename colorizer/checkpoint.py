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
from colorizer.model import ColorizerNet, build_colorizer

FORMAT = "colorbot.checkpoint"
FORMAT_VERSION = 1
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


def save_checkpoint(path: str | Path, model: ColorizerNet, meta: dict[str, Any] | None = None, *, half: bool = False) -> Path:
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
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "model_config": model.config, "state_dict": state, "meta": full_meta}
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
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a colorbot checkpoint (no '{FORMAT}' format marker)")
    if payload.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format {payload['format_version']} is newer than this colorbot understands ({FORMAT_VERSION}); upgrade colorbot")
    for key in ("model_config", "state_dict", "meta"):
        if not isinstance(payload.get(key), dict):
            raise CheckpointError(f"{path}: checkpoint lacks '{key}'")
    return payload


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[ColorizerNet, dict[str, Any]]:
    """Rebuild the model from a checkpoint (float32, eval mode) and return it with its metadata."""
    payload = read_checkpoint(path, map_location)
    config = payload["model_config"]
    try:
        model = build_colorizer(config["backbone"], weights=None, arch=config.get("arch", "residual"), **config.get("backbone_options", {}))
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{path}: cannot rebuild the model from {config!r}: {exc}") from exc
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in payload["state_dict"].items()}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        summary = " ".join(str(exc).split())[:300]
        raise CheckpointError(f"{path}: weights do not fit a {config.get('arch', 'residual')} colorizer on {config['backbone']!r}: {summary}") from exc
    return model.eval(), dict(payload["meta"])
