"""Turn a training run's checkpoint into a shippable one: fp16 weights plus the metadata a user
(and the model card) needs — the whole training lineage, the chosen saturation and eval numbers.

A fine-tuned run records only its own steps and names its starting checkpoint (``init_from``);
the lineage follows that chain so the shipped file states the total budget honestly. With
``members``, the file is an ensemble (``colorizer.ensemble``) of ``source`` and those checkpoints,
each member's lineage kept apart so each one's budget stays readable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from colorizer.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from colorizer.ensemble import ChromaEnsemble

#: Metadata of one training run beyond its lineage stage (dropped from an ensemble's top level).
RUN_ONLY_KEYS = ("init_from", "parent_lineage", "epochs", "skipped", "weights", "train_seconds")
#: Metadata that describes one file (its scores, when and by which colorbot it was written), not the weights.
PER_FILE_KEYS = ("metrics", "final", "created", "colorbot_version")
LINEAGE_KEYS = ("steps", "images_seen", "loss", "optimizer", "lr", "batch_size", "crop_size", "aging", "freeze_backbone", "backbone_weights")


def run_seconds(checkpoint: Path) -> float | None:
    """Wall-clock seconds of the run that wrote ``checkpoint``, from the end record of its metrics.jsonl."""
    log = checkpoint.parent / "metrics.jsonl"
    if not log.is_file():
        return None
    ends = [json.loads(line) for line in log.read_text().splitlines() if '"split": "end"' in line]
    return float(ends[-1]["seconds"]) if ends else None


def _run_folder(run: object) -> Path | None:
    return Path(str(run)).resolve() if run else None


def lineage(checkpoint: str | Path, limit: int = 10) -> list[dict[str, Any]]:
    """The runs behind ``checkpoint``, oldest first, following ``init_from`` while the files exist."""
    checkpoint = Path(checkpoint)
    chain: list[dict[str, Any]] = []
    path: Path | None = checkpoint
    while path is not None and path.is_file() and len(chain) < limit:
        meta = read_checkpoint(path)["meta"]  # metadata only: no need to build each ancestor's net
        if isinstance(meta.get("lineage"), list):
            # An exported (shipped) parent carries its whole lineage. If it lists a run already in
            # the chain, that file was overwritten by an export *of* this chain after the run began
            # (a run older than ``parent_lineage``): only the stages before that run are its parents.
            stages = meta["lineage"]
            ours = {_run_folder(stage.get("run")) for stage in chain}
            cut = next((i for i, stage in enumerate(stages) if _run_folder(stage.get("run")) in ours), len(stages))
            chain.extend(reversed(stages[:cut]))
            break
        stage = {k: meta[k] for k in LINEAGE_KEYS if k in meta}
        stage["run"] = str(path.parent)
        seconds = meta.get("train_seconds") or run_seconds(path)  # every piece of a resumed run, when recorded
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


def budget(stages: list[dict[str, Any]]) -> dict[str, Any]:
    """Steps, images and (when every stage has it) minutes that ``stages`` add up to."""
    total: dict[str, Any] = {"steps": sum(int(s.get("steps", 0)) for s in stages),
                             "images_seen": sum(int(s.get("images_seen", 0)) for s in stages)}
    minutes = [s["minutes"] for s in stages if "minutes" in s]
    if stages and len(minutes) == len(stages):
        total["train_minutes"] = round(sum(minutes), 1)
    return total


def export_model(source: str | Path, out: str | Path, *, label: str, saturation: float = 1.0,
                 eval_report: str | Path | None = None, training_data: str | None = None, flip_average: bool = False,
                 members: tuple[str | Path, ...] = ()) -> dict[str, Any]:
    """Write ``source``'s model (an ensemble with ``members`` when given) to ``out`` in fp16 with
    shipping metadata; returns that metadata."""
    paths = [Path(source), *map(Path, members)]
    loaded = [load_checkpoint(path) for path in paths]
    for path, (net, _) in zip(paths, loaded):
        if isinstance(net, ChromaEnsemble):
            raise ValueError(f"{path} is already an ensemble: export its members' run checkpoints together instead")
    model, meta = loaded[0]
    shipped: dict[str, Any] = {k: v for k, v in meta.items() if k not in PER_FILE_KEYS}
    shipped.update(label=label, saturation=float(saturation), flip_average=bool(flip_average))
    if members:
        model = ChromaEnsemble([net for net, _ in loaded])
        parts = []
        for path, (net, _) in zip(paths, loaded):
            stages = lineage(path)
            parts.append({"run": str(path.parent), "backbone": net.config.get("backbone"), "arch": net.config.get("arch"),
                          "lineage": stages, **budget(stages)})
        for key in (*LINEAGE_KEYS, *RUN_ONLY_KEYS):  # one member's run settings; each member's lineage has its own
            shipped.pop(key, None)
        shipped.update(members=parts, backbone="+".join(str(p["backbone"]) for p in parts),
                       arch="+".join(sorted({str(p["arch"]) for p in parts})))
        stages = [stage for part in parts for stage in part["lineage"]]
    else:
        stages = lineage(paths[0])
    shipped.pop("train_minutes", None)
    shipped.update(lineage=stages, **budget(stages))
    if training_data:
        shipped["training_data"] = training_data
    if eval_report:
        shipped["metrics"] = eval_metrics(json.loads(Path(eval_report).read_text()))
    save_checkpoint(out, model, shipped, half=True)
    return shipped
