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


def test_a_run_older_than_parent_lineage_is_not_counted_twice_after_its_parent_is_overwritten(tmp_path: Path) -> None:
    """A run that names its parent only by path (``init_from``), whose export then replaced that
    file: the new file's lineage lists the run itself, which must not be added a second time."""
    first = _run(tmp_path / "base", {"steps": 700, "images_seen": 11200, "loss": "seed"}, 1314.0)
    shipped = tmp_path / "default.pt"
    export_model(first, shipped, label="default")
    second = _run(tmp_path / "v2", {"steps": 4800, "images_seen": 76800, "init_from": str(shipped)}, 3558.0)
    export_model(second, shipped, label="default")  # the parent's path now holds base + v2

    meta = export_model(second, tmp_path / "again.pt", label="default")
    assert [stage["steps"] for stage in meta["lineage"]] == [700, 4800]
    assert meta["images_seen"] == 88000


def test_an_ensemble_export_keeps_each_members_lineage_and_averages_their_chroma(tmp_path: Path) -> None:
    from colorizer.ensemble import ChromaEnsemble

    base = _run(tmp_path / "base", {"steps": 700, "images_seen": 11200, "loss": "seed"}, 1314.0)
    tuned = _run(tmp_path / "tuned", {"steps": 300, "images_seen": 4800, "loss": "seed", "init_from": str(base)}, 600.0)
    other_net = vivid_colorizer("efficientnet_lite0", seed=3, arch="residual-guided")
    (tmp_path / "other").mkdir()
    other = save_checkpoint(tmp_path / "other" / "final.pt", other_net, {"render_size": 64, "steps": 500, "images_seen": 8000})

    meta = export_model(tuned, tmp_path / "ship.pt", label="default", saturation=1.1, members=(other,))

    assert [m["backbone"] for m in meta["members"]] == ["resnet18", "efficientnet_lite0"]
    assert [[stage["steps"] for stage in m["lineage"]] for m in meta["members"]] == [[700, 300], [500]]
    assert [m["images_seen"] for m in meta["members"]] == [16000, 8000]
    assert (meta["images_seen"], meta["steps"], meta["backbone"]) == (24000, 1500, "resnet18+efficientnet_lite0")
    assert "train_minutes" not in meta  # the second member's run has no timing: no made-up total
    assert "init_from" not in meta and "loss" not in meta  # one member's run settings are not the ensemble's
    assert meta["members"][0]["train_minutes"] == 31.9
    shipped, _ = load_checkpoint(tmp_path / "ship.pt")
    assert isinstance(shipped, ChromaEnsemble)
    gray = torch.rand(1, 1, 64, 64)
    with torch.no_grad():
        expected = (load_checkpoint(tuned)[0](gray) + other_net(gray)) / 2
        difference = (shipped(gray) - expected).abs()
        assert difference.mean() < 1e-3 and difference.max() < 2e-2, (difference.mean(), difference.max())  # fp16 weights


def test_an_ensemble_is_not_nested_into_another(tmp_path: Path) -> None:
    import pytest
    from typer.testing import CliRunner

    from training.cli import app

    first = _run(tmp_path / "a", {"steps": 1, "images_seen": 2}, 1.0)
    second = _run(tmp_path / "b", {"steps": 1, "images_seen": 2}, 1.0)
    export_model(first, tmp_path / "pair.pt", label="pair", members=(second,))
    with pytest.raises(ValueError, match="already an ensemble"):
        export_model(first, tmp_path / "x.pt", label="x", members=(tmp_path / "pair.pt",))
    result = CliRunner().invoke(app, ["export", str(tmp_path / "pair.pt"), "--with", str(first), "--out", str(tmp_path / "y.pt"), "--label", "y"])
    assert result.exit_code == 2 and "already an ensemble" in result.output
    assert not (tmp_path / "y.pt").exists()


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


def test_the_saturation_rule_takes_the_strongest_point_within_a_quarter_db_of_the_peak() -> None:
    from training.frontier import choose_saturation

    sweep = [{"saturation": s, "psnr": p} for s, p in ((0.75, 23.20), (0.9, 23.32), (1.25, 23.10), (1.5, 22.70))]
    report = {"saturation": 1.0, "summary": {"model": {"psnr": 23.25}}, "saturation_sweep": sweep}
    assert choose_saturation(report) == 1.25  # 23.10 is within 0.25 dB of 23.32; 1.5 is not
    assert choose_saturation(report, tolerance_db=0.1) == 1.0  # the model's own point counts too
    assert choose_saturation({"saturation": 1.1, "summary": {"model": {"psnr": 20.0}}}) == 1.1  # no sweep


def test_a_resumed_run_counts_the_time_of_every_piece(tmp_path: Path) -> None:
    """metrics.jsonl's last end record is only the last piece; the checkpoint's own total wins."""
    run = _run(tmp_path / "long", {"steps": 900, "images_seen": 14400, "train_seconds": 6000.0}, 120.0)
    meta = export_model(run, tmp_path / "ship.pt", label="long")
    assert meta["lineage"][0]["minutes"] == 100.0 and meta["train_minutes"] == 100.0
