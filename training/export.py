"""Turn a training run's checkpoint into a shippable one: fp16 weights plus the metadata a user
(and the model card) needs — the whole training lineage, the chosen saturation and eval numbers.

A fine-tuned run records only its own steps and names its starting checkpoint (``init_from``);
the lineage follows that chain so the shipped file states the total budget honestly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from colorizer.checkpoint import load_checkpoint, save_checkpoint

LINEAGE_KEYS = ("steps", "images_seen", "loss", "optimizer", "lr", "batch_size", "crop_size", "freeze_backbone", "backbone_weights")


def run_seconds(checkpoint: Path) -> float | None:
    """Wall-clock seconds of the run that wrote ``checkpoint``, from the end record of its metrics.jsonl."""
    log = checkpoint.parent / "metrics.jsonl"
    if not log.is_file():
        return None
    ends = [json.loads(line) for line in log.read_text().splitlines() if '"split": "end"' in line]
    return float(ends[-1]["seconds"]) if ends else None


def lineage(checkpoint: str | Path, limit: int = 10) -> list[dict[str, Any]]:
    """The runs behind ``checkpoint``, oldest first, following ``init_from`` while the files exist."""
    checkpoint = Path(checkpoint)
    chain: list[dict[str, Any]] = []
    path: Path | None = checkpoint
    while path is not None and path.is_file() and len(chain) < limit:
        _, meta = load_checkpoint(path)
        if isinstance(meta.get("lineage"), list):
            # An exported (shipped) parent carries its whole lineage: use it as it is.
            chain.extend(reversed(meta["lineage"]))
            break
        stage = {k: meta[k] for k in LINEAGE_KEYS if k in meta}
        stage["run"] = str(path.parent)
        seconds = run_seconds(path)
        if seconds is not None:
            stage["minutes"] = round(seconds / 60.0, 1)
        chain.append(stage)
        if meta.get("parent_lineage"):
            # What the run started from, as read when it started (that file may since have been
            # overwritten, e.g. by the export that replaced the default it was fine-tuned from).
            chain.extend(reversed(meta["parent_lineage"]))
            break
        parent = meta.get("init_from")
        path = Path(parent) if parent else None
    return chain[::-1]


def eval_metrics(report: dict[str, Any]) -> dict[str, Any]:
    """The summary numbers of an eval report, flattened as ``{method}_{metric}``."""
    flat: dict[str, Any] = {"val_images": report["images"], "val_data": report["data"], "max_side": report["max_side"]}
    for method, scores in report["summary"].items():
        for metric, value in scores.items():
            if metric != "cf_true":
                flat[f"{method}_{metric}"] = round(float(value), 4)
        flat["cf_true"] = round(float(scores["cf_true"]), 4)
    return flat


def export_model(source: str | Path, out: str | Path, *, label: str, saturation: float = 1.0,
                 eval_report: str | Path | None = None, training_data: str | None = None, flip_average: bool = False) -> dict[str, Any]:
    """Write ``source``'s model to ``out`` in fp16 with shipping metadata; returns that metadata."""
    source = Path(source)
    model, meta = load_checkpoint(source)
    stages = lineage(source)
    shipped: dict[str, Any] = {k: v for k, v in meta.items() if k not in ("metrics", "final", "created", "colorbot_version")}
    shipped.update(
        label=label,
        saturation=float(saturation),
        flip_average=bool(flip_average),
        lineage=stages,
        steps=sum(int(s.get("steps", 0)) for s in stages),
        images_seen=sum(int(s.get("images_seen", 0)) for s in stages),
    )
    minutes = [s["minutes"] for s in stages if "minutes" in s]
    if len(minutes) == len(stages):
        shipped["train_minutes"] = round(sum(minutes), 1)
    if training_data:
        shipped["training_data"] = training_data
    if eval_report:
        shipped["metrics"] = eval_metrics(json.loads(Path(eval_report).read_text()))
    save_checkpoint(out, model, shipped, half=True)
    return shipped
