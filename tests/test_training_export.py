"""training.export: the shipped file is fp16, sums its whole training lineage and carries eval numbers."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from colorizer.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from colorizer.inference import Colorizer
from tests.conftest import vivid_colorizer
from training.export import export_model


def _run(folder: Path, meta: dict, seconds: float) -> Path:
    folder.mkdir(parents=True)
    (folder / "metrics.jsonl").write_text(json.dumps({"split": "val", "step": 1}) + "\n"
                                          + json.dumps({"split": "end", "seconds": seconds, "status": "finished"}) + "\n")
    return save_checkpoint(folder / "final.pt", vivid_colorizer(), {"render_size": 64, **meta})


def test_export_sums_the_lineage_and_stores_fp16_weights_with_eval_numbers(tmp_path: Path) -> None:
    first = _run(tmp_path / "base", {"steps": 700, "images_seen": 11200, "loss": "seed"}, 1314.0)
    second = _run(tmp_path / "gan", {"steps": 286, "images_seen": 4576, "loss": "seed+gan", "init_from": str(first)}, 782.0)
    report = {"images": 29, "data": "val", "max_side": 512, "summary": {
        "model": {"psnr": 20.75, "cf": 31.75, "cf_true": 51.9}, "gray": {"psnr": 20.5, "cf": 0.03, "cf_true": 51.9}}}
    (tmp_path / "eval.json").write_text(json.dumps(report))

    meta = export_model(second, tmp_path / "ship.pt", label="default", saturation=1.1, eval_report=tmp_path / "eval.json")

    assert [stage["loss"] for stage in meta["lineage"]] == ["seed", "seed+gan"]
    assert (meta["steps"], meta["images_seen"], meta["train_minutes"]) == (986, 15776, 34.9)
    assert meta["metrics"]["model_psnr"] == 20.75 and meta["metrics"]["gray_psnr"] == 20.5 and meta["metrics"]["cf_true"] == 51.9
    state = read_checkpoint(tmp_path / "ship.pt")["state_dict"]
    assert all(t.dtype == torch.float16 for t in state.values() if t.is_floating_point())
    assert Colorizer.from_checkpoint(tmp_path / "ship.pt", device="cpu").saturation == 1.1
    shipped, _ = load_checkpoint(tmp_path / "ship.pt")
    original, _ = load_checkpoint(second)
    for (name, a), b in zip(shipped.state_dict().items(), original.state_dict().values()):
        if a.is_floating_point():
            assert torch.allclose(a.float(), b.float(), rtol=1e-3, atol=1e-3), name


def test_a_model_fine_tuned_from_a_shipped_file_keeps_the_whole_lineage(tmp_path: Path) -> None:
    """The new default starts from the old shipped file, which the export then overwrites: the
    lineage comes from the parent's stored lineage, not from whatever is at that path later."""
    from training.export import lineage

    first = _run(tmp_path / "base", {"steps": 700, "images_seen": 11200, "loss": "seed"}, 1314.0)
    shipped = tmp_path / "default.pt"
    export_model(first, shipped, label="default")
    # what the trainer records when it starts from --init-from
    second = _run(tmp_path / "v2", {"steps": 4800, "images_seen": 76800, "loss": "seed", "init_from": str(shipped),
                                    "parent_lineage": lineage(shipped)}, 3558.0)

    meta = export_model(second, shipped, label="default")  # overwrites its own parent
    assert [stage["steps"] for stage in meta["lineage"]] == [700, 4800]
    assert (meta["images_seen"], meta["train_minutes"]) == (88000, 81.2)
    again = export_model(second, tmp_path / "again.pt", label="default")  # after the overwrite: still right
    assert again["lineage"] == meta["lineage"]


def test_frontier_has_a_curve_per_model_and_a_point_per_baseline(tmp_path: Path) -> None:
    from PIL import Image

    from training.frontier import frontier_series, plot_frontier

    summary = {"model": {"cf_ratio": 0.6, "psnr": 20.7}, "gray": {"cf_ratio": 0.0, "psnr": 20.5},
               "mean_chroma": {"cf_ratio": 0.28, "psnr": 19.7}}
    sweep = [{"saturation": 0.5, "cf_ratio": 0.3, "psnr": 21.3}, {"saturation": 1.0, "cf_ratio": 0.6, "psnr": 20.7}]
    shipped_between = {**summary, "model": {"cf_ratio": 0.45, "psnr": 21.0}}
    reports = {"gan": {"summary": summary, "saturation_sweep": sweep}, "plain": {"summary": summary},
               "shipped": {"summary": shipped_between, "saturation_sweep": sweep}}
    series = {label: points for label, _, points in frontier_series(reports)}
    assert series["gan (saturation sweep)"] == [(0.3, 21.3), (0.6, 20.7)]
    assert series["shipped (saturation sweep)"] == [(0.3, 21.3), (0.45, 21.0), (0.6, 20.7)]  # its own point joins the curve
    assert series["plain (saturation sweep)"] == [(0.6, 20.7)]  # no sweep: the model's own point
    assert series["gray"] == [(0.0, 20.5)] and series["mean_chroma"] == [(0.28, 19.7)]
    with Image.open(plot_frontier(reports, tmp_path / "f.png")) as image:
        assert image.size == (800, 450)
