"""`colorbot eval` on colour clips (desaturated, so the truth is known) and the before/after film strip."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from bot.cli import app
from colorizer.checkpoint import DEFAULT_CHECKPOINT
from tests.video_clips import pan, photo, write_clip
from training.film_strip import film_strip


def test_eval_on_a_colour_clip_scores_both_modes_against_truth_and_gray(tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    frames = itertools.chain(pan(photo("chelsea", 300), (320, 180), 24, step=4), pan(photo("coffee", 400), (320, 180), 12))
    write_clip(clips / "cat.mp4", frames, rate=Fraction(24), gray=False, audio=False)
    (clips / "notes.txt").write_text("not a video")
    out = tmp_path / "eval"
    result = CliRunner().invoke(app, ["eval", "--model", str(DEFAULT_CHECKPOINT), "--data", str(clips), "--out", str(out), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "video_eval.json").read_text())
    (clip,) = report["clips"]
    assert clip["frames"] == 36 and clip["shots"] == 2
    scores = clip["scores"]
    assert scores["truth"]["psnr"] == 100.0 and scores["truth"]["cf_ratio"] == 1.0
    assert scores["gray"]["cf"] == 0.0 and scores["gray"]["e_warp"] < 1e-9
    assert 10 < scores["per_frame"]["psnr"] < 60 and scores["per_frame"]["cf"] > 1.0
    assert scores["temporal"]["e_warp"] < scores["per_frame"]["e_warp"], "the temporal filter removes flicker"
    assert "| cat.mp4 | temporal |" in (out / "video_eval.md").read_text()


def test_film_strip_puts_the_original_above_the_colorized_frames(tmp_path):
    gray = write_clip(tmp_path / "bw.mp4", pan(photo("astronaut", 300), (200, 150), 20), rate=Fraction(10), audio=False)
    colour = write_clip(tmp_path / "colour.mp4", pan(photo("astronaut", 300), (200, 150), 20), rate=Fraction(10), gray=False, audio=False)
    strip = film_strip(gray, colour, tmp_path / "strip.jpg", count=4, height=100)
    with Image.open(strip) as image:
        rgb = image.convert("RGB")
        top = rgb.crop((0, 0, rgb.width, rgb.height // 2))
        bottom = rgb.crop((0, rgb.height // 2, rgb.width, rgb.height))
        assert rgb.width > 3 * rgb.height / 2  # four frames across, two rows
    def saturation(image: Image.Image) -> float:
        return float(np.asarray(image.convert("HSV"))[..., 1].mean())

    assert saturation(bottom) > 3 * saturation(top) + 5
