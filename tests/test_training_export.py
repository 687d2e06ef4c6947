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
