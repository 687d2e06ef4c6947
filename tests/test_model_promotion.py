"""Promotion: the face skin-tone figure, the better-or-refused rule, and `colorbot model` end to end."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from bot.cli import app
from training.faces import judge_faces, summarize
from training.predict import split_yuv
from training.promotion import Scores, judge
from tests.model_helpers import astronaut, neutral_checkpoint, vivid_checkpoint_file


def test_a_real_face_is_skin_toned_only_with_the_right_hue_and_enough_chroma() -> None:
    rgb = astronaut()
    _, uv = split_yuv(torch.from_numpy(rgb).permute(2, 0, 1)[None])
    truth = judge_faces(rgb, uv, uv)
    assert len(truth) == 1 and truth[0].judged and truth[0].skin_toned  # the truth is right about itself
    box = truth[0].box
    assert 150 < box[0] < 210 and 40 < box[1] < 100  # Eileen Collins' face, not the flag or the suit
    rotate = torch.tensor([[0.0, -1.0], [1.0, 0.0]])  # the same chroma magnitude, hue turned 90°
    turned = torch.einsum("rc,bchw->brhw", rotate, uv)
    verdicts = {name: summarize(judge_faces(rgb, uv, pred, [box])) for name, pred in
                {"gray": uv * 0, "faint": uv * 0.3, "enough": uv * 0.5, "turned": turned}.items()}
    assert {name: v["skin_toned"] for name, v in verdicts.items()} == {"gray": 0, "faint": 0, "enough": 1, "turned": 0}
    blue = torch.zeros_like(uv)
    blue[:, 0] = 0.1  # a blue-faced "truth" is not skin, so it is not judged
    assert summarize(judge_faces(rgb, blue, blue, [box]))["judged"] == 0
    assert math.isnan(summarize([])["rate"])


def scores(psnr: float, cf: float, frontier: list[tuple[float, float]], faces: tuple[int, float] = (0, math.nan)) -> Scores:
    return Scores(psnr, cf, frontier, faces[0], faces[1], 30, "k")


def test_judge_compares_psnr_at_the_candidates_colourfulness_and_faces() -> None:
    current = scores(21.0, 0.6, [(0.0, 20.5), (0.4, 21.3), (0.6, 21.0), (0.9, 20.0)], (10, 0.6))
    # At CF 0.4 the current model's knob reaches 21.3 dB: 21.1 there is worse even though it beats 21.0.
    assert not judge(scores(21.1, 0.4, [(0.4, 21.1)], (10, 0.6)), current).better
    assert judge(scores(21.4, 0.4, [(0.4, 21.4)], (10, 0.6)), current).better
    # More colour at a PSNR above the current curve there (interpolated: 20.5 dB at CF 0.75).
    assert judge(scores(20.6, 0.75, [(0.75, 20.6)], (10, 0.7)), current).better
    worse_faces = judge(scores(21.5, 0.6, [(0.6, 21.5)], (10, 0.5)), current)
    assert not worse_faces.better and "worse on faces: 50% skin-toned vs 60%" in worse_faces.line()
    assert judge(scores(21.5, 0.6, [(0.6, 21.5)]), current).better  # no faces judged: PSNR alone decides
    with pytest.raises(ValueError, match="different photos"):
        judge(Scores(21.5, 0.6, [(0.6, 21.5)], 0, math.nan, 30, "other"), current)


def test_a_refusal_compares_like_with_like() -> None:
    current = scores(23.81, 0.64, [(0.0, 22.0504), (0.3, 23.1), (0.64, 23.81)], (10, 0.9))
    gray = judge(scores(22.05, 0.0, [(0.0, 22.05)]), current)
    assert not gray.better and "adds almost no colour: CF ratio 0.00" in gray.line()
    assert "22.05 dB vs the current model's 22.05 dB" not in gray.line() and "23.81 dB" in gray.line()
    close = judge(scores(23.096, 0.3, [(0.3, 23.096)]), current)  # 0.004 dB under the curve: the digits show it
    assert not close.better and "23.096 dB at CF ratio 0.30" in close.line() and "23.100 dB" in close.line()


def write_config(folder: Path, model_path: Path, database_url: str) -> Path:
    config = folder / "colorbot.toml"
    config.write_text(f'database_url = "{database_url}"\nmodel_path = "{model_path}"\nmodel_store = "{folder / "store"}"\n'
                      'device = "cpu"\n')
    return config


class ModelCli:
    """`colorbot model …` on a store whose configured model is a gray one, beside a vivid checkpoint."""

    def __init__(self, folder: Path) -> None:
        self.neutral = neutral_checkpoint(folder / "neutral.pt")
        self.vivid = vivid_checkpoint_file(folder / "vivid.pt")
        self.config = write_config(folder, self.neutral, f"sqlite:///{folder / 'colorbot.db'}")
        self.runner = CliRunner()

    def __call__(self, *args: str) -> tuple[int, str]:
        result = self.runner.invoke(app, ["model", *args, "--config", str(self.config)])
        if "--json" in args:  # a Rich log handler left by an earlier test in this process may print migration lines first
            return result.exit_code, result.stdout[result.stdout.index("{\n"):]
        return result.exit_code, result.output


def test_promote_refuses_a_worse_model_force_overrides_and_rollback_returns(tmp_path: Path, test_photos: Path) -> None:
    model = ModelCli(tmp_path)
    neutral, vivid = model.neutral, model.vivid

    code, out = model("promote", str(vivid), "--data", str(test_photos))
    assert code == 1, out
    assert "refused" in out and "lower PSNR at equal colourfulness" in out
    listed = json.loads(model("list", "--json")[1])
    assert listed["current"] is None and [m["source"] for m in listed["models"]] == [f"configured model {neutral}"]
    models_dir = Path(listed["store"]) / "models"
    graphs = [p.name for p in models_dir.glob("*.onnx")]
    assert len(graphs) == 1 and graphs[0].startswith(listed["models"][0]["id"])  # the refused candidate left with its graph; CPU workers load the baseline's

    code, out = model("promote", str(vivid), "--data", str(test_photos), "--force")
    assert code == 0 and "(forced)" in out, out
    listed = json.loads(model("list", "--json")[1])
    vivid_id = listed["current"]
    assert len(list(models_dir.glob(f"{vivid_id}*.onnx"))) == 1
    (current,) = [m for m in listed["models"] if m["current"]]
    assert current["id"] == vivid_id and current["lineage"]["label"] == "vivid 0"
    assert current["lineage"]["stages"] == 1  # exported on the way in: fp16 with its lineage
    assert [len(m["test"]) for m in listed["models"]] == [1, 1]  # both scored on these photos, cached

    other_neutral = neutral_checkpoint(tmp_path / "neutral-2.pt", seed=1)  # gray again: ties any model at no colour
    code, out = model("promote", str(other_neutral), "--data", str(test_photos))
    assert code == 1 and "adds almost no colour" in out, out  # a model that colours nothing is never promoted by itself
    code, out = model("promote", str(other_neutral), "--data", str(test_photos), "--force")
    assert code == 0 and "promoted" in out and "(forced)" in out, out
    assert json.loads(model("list", "--json")[1])["current"] != vivid_id

    assert model("rollback")[0] == 0
    assert json.loads(model("list", "--json")[1])["current"] == vivid_id
    code, out = model("rollback")
    assert code == 0
    baseline = json.loads(model("list", "--json")[1])
    assert [m["source"] for m in baseline["models"] if m["current"]] == [f"configured model {neutral}"]
    code, out = model("rollback")
    assert code == 1 and "nothing earlier to roll back to" in out


def test_promote_explains_bad_input_in_one_line(tmp_path: Path, test_photos: Path) -> None:
    neutral = neutral_checkpoint(tmp_path / "neutral.pt")
    config = write_config(tmp_path, neutral, f"sqlite:///{tmp_path / 'colorbot.db'}")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x80\x02garbage")
    runner = CliRunner()
    result = runner.invoke(app, ["model", "promote", str(junk), "--data", str(test_photos), "--config", str(config)])
    assert result.exit_code == 1 and "not a readable PyTorch checkpoint" in result.output
    result = runner.invoke(app, ["model", "promote", str(neutral), "--data", str(tmp_path / "nothing"), "--config", str(config)])
    assert result.exit_code == 1 and "no test photos" in result.output
    bare = tmp_path / "bare.toml"
    bare.write_text(f'database_url = "sqlite:///{tmp_path / "x.db"}"\n')
    result = runner.invoke(app, ["model", "list", "--config", str(bare)])
    assert result.exit_code == 2 and "no model store configured" in result.output


def test_canary_promote_list_rollback_and_promote_to_every_post(tmp_path: Path, test_photos: Path) -> None:
    model = ModelCli(tmp_path)
    vivid = model.vivid

    code, out = model("promote", str(vivid), "--data", str(test_photos), "--canary", "0.1", "--force")
    assert code == 0 and "answers 10% of new posts" in out, out
    code, out = model("list")
    assert "CANARY" in out and "10% of new posts" in out and re.search(r"^c \w{12}", out, re.M), out
    code, out = model("rollback")
    assert code == 0 and "canary" in out and "ended" in out
    assert "CANARY" not in model("list")[1]
    current = json.loads(model("list", "--json")[1])["current"]
    model("promote", str(vivid), "--data", str(test_photos), "--canary", "0.2", "--force")
    code, out = model("promote")  # no checkpoint: the running canary answers every post
    assert code == 0 and "promoted canary" in out, out
    listed = json.loads(model("list", "--json")[1])
    assert listed["canary"] is None and listed["current"] != current
    assert [m["lineage"].get("label") for m in listed["models"] if m["current"]] == ["vivid 0"]
    code, out = model("promote")
    assert code == 1 and "no canary runs" in out
