"""training.interpolate: a blend of a model and its fine-tuned descendant, and the tune rule that picks alpha."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image

from colorizer.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from colorizer.inference import Colorizer
from tests.conftest import vivid_colorizer
from tests.test_ship_rule import report
from training import interpolate
from training.export import export_model


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    start = save_checkpoint(tmp_path / "start.pt", vivid_colorizer(seed=1), {"render_size": 64, "steps": 10, "images_seen": 160})
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text(json.dumps({"split": "end", "seconds": 120.0, "status": "finished"}) + "\n")
    tuned = save_checkpoint(run / "final.pt", vivid_colorizer(seed=2), {"render_size": 64, "steps": 30, "images_seen": 480,
                                                                        "init_from": str(start)})
    return start, tuned


def test_the_blend_lies_between_the_two_nets_and_keeps_the_lineage(tmp_path: Path) -> None:
    start, tuned = _pair(tmp_path)
    out = interpolate.interpolate(start, tuned, 0.25, tuned.parent / "blend.pt")
    a, b, (c, meta) = load_checkpoint(start)[0], load_checkpoint(tuned)[0], load_checkpoint(out)
    for (name, x), y, z in zip(a.state_dict().items(), b.state_dict().values(), c.state_dict().values()):
        if x.is_floating_point():
            assert torch.allclose(z, 0.75 * x + 0.25 * y, atol=1e-6), name
    assert meta["interpolation"]["alpha"] == 0.25 and meta["interpolation"]["method"] == "wise-ft"
    shipped = export_model(out, tmp_path / "ship.pt", label="blend", saturation=1.0)
    assert (shipped["steps"], shipped["images_seen"]) == (40, 640), "the blend's budget is the tuned run's, start included"
    assert shipped["interpolation"]["alpha"] == 0.25
    assert Colorizer.from_checkpoint(tmp_path / "ship.pt", device="cpu").colorize(Image.new("L", (40, 30), 128)).size == (40, 30)


def test_nets_of_different_designs_or_alphas_out_of_range_are_refused(tmp_path: Path) -> None:
    start, tuned = _pair(tmp_path)
    other = save_checkpoint(tmp_path / "other.pt", vivid_colorizer("mobilenet_v2"), {"render_size": 64})
    with pytest.raises(CheckpointError, match="different designs"):
        interpolate.interpolate(other, tuned, 0.5, tmp_path / "x.pt")
    with pytest.raises(ValueError, match=r"alpha must lie in \[0, 1\]"):
        interpolate.interpolate(start, tuned, 1.5, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="different layers"):
        interpolate.blend_states({"a": torch.zeros(1)}, {"b": torch.zeros(1)}, 0.5)


def test_alpha_is_the_passing_blend_with_the_widest_lead_else_one_that_keeps_the_faces() -> None:
    old = {"clean": report(0, faces=20), "aged": report(-4, faces=20)}
    candidates = {
        1.0: {"clean": report(-0.05), "aged": report(-3.5, faces=18)},    # better aged, worse clean, fewer faces
        0.5: {"clean": report(0.05), "aged": report(-3.8)},               # passes, lead 0.05
        0.25: {"clean": report(0.02), "aged": report(-3.9, faces=21)},    # passes, lead 0.02
    }
    assert interpolate.choose_alpha(old, candidates) == (0.5, True)
    assert interpolate.tune_margin(old, candidates[0.5]) == pytest.approx(0.05)
    failing = {1.0: candidates[1.0], 0.75: {"clean": report(-0.2), "aged": report(-3.6)}}
    assert interpolate.choose_alpha(old, failing) == (0.75, False), "none passes: the best one that keeps the faces, flagged"
