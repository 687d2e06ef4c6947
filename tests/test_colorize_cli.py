"""`colorbot colorize` end to end: real photos, every awkward input, exit codes, no overwrites."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data
from typer.testing import CliRunner

from bot.cli import app
from colorizer.samples import write_sample_photos

runner = CliRunner()


def colorize(*args: str):
    return runner.invoke(app, ["colorize", *args])


def luma_of(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.float64) @ np.array([0.299, 0.587, 0.114])


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("samples")
    write_sample_photos(folder)
    return folder


def test_real_photos_keep_size_format_and_luminance(samples, tmp_path, vivid_checkpoint):
    result = colorize(str(samples), "-o", str(tmp_path / "out"), "--model", str(vivid_checkpoint), "--panel")
    assert result.exit_code == 0, result.output
    assert "colorized 6 of 6 inputs" in result.output
    for source in sorted(samples.iterdir()):
        output = tmp_path / "out" / source.name
        with Image.open(source) as original, Image.open(output) as colored:
            assert colored.format == original.format and colored.size == original.size and colored.mode == "RGB"
            delta = np.abs(luma_of(colored) - np.asarray(original.convert("L"), dtype=np.float64))
            if original.format == "PNG":  # lossless: every pixel keeps its luminance to within rounding
                assert delta.max() <= 1.0, source.name
            else:  # JPEG's own loss (4:2:0 chroma at this test model's extreme colours) adds a little
                assert delta.mean() <= 1.0 and np.median(delta) <= 0.5, source.name
            assert np.asarray(colored.convert("HSV"))[..., 1].mean() > 10, "the vivid test model adds colour"


def test_panel_has_three_parts_for_colour_inputs_and_two_for_gray(samples, tmp_path, vivid_checkpoint):
    out = tmp_path / "out"
    assert colorize(str(samples / "camera.png"), str(samples / "coffee.jpg"), "-o", str(out), "--model", str(vivid_checkpoint), "--panel").exit_code == 0
    with Image.open(out / "camera_panel.jpg") as gray_panel, Image.open(out / "coffee_panel.jpg") as color_panel:
        camera_ratio = gray_panel.width / gray_panel.height
        coffee_ratio = color_panel.width / color_panel.height
    assert 1.6 < camera_ratio < 2.0  # two square-ish panels plus the label strip
    assert 3.0 < coffee_ratio < 4.2  # three 4:3 panels


def _write_bad_files(folder: Path) -> dict[str, str]:
    """Every kind of bad input, and the reason each error line must give."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "page.png").write_text("<html><body>404 not found</body></html>")
    good = folder / "_good.jpg"
    Image.fromarray(data.camera()).save(good, quality=90)
    (folder / "truncated.jpg").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    corrupt = bytearray(good.read_bytes())
    corrupt[200:4000] = b"\xff" * 3800
    (folder / "corrupt.jpg").write_bytes(bytes(corrupt))
    Image.new("1", (20000, 10000)).save(folder / "bomb.png")
    good.rename(folder / "good.jpg")
    return {"empty.jpg": "empty", "page.png": "not an image", "truncated.jpg": "truncated", "corrupt.jpg": "", "bomb.png": "too large"}


def test_bad_inputs_fail_one_line_each_and_the_batch_goes_on(tmp_path, vivid_checkpoint):
    reasons = _write_bad_files(tmp_path / "in")
    result = colorize(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--model", str(vivid_checkpoint))
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    for name, reason in reasons.items():
        lines = [line for line in errors if name in line]
        assert len(lines) == 1 and reason in lines[0], (name, errors)
    assert (tmp_path / "out" / "good.jpg").exists()
    assert "colorized 1 of 6 inputs" in result.output and "5 failed" in result.output


def test_awkward_modes_alpha_16bit_cmyk_animated_exif(tmp_path, vivid_checkpoint):
    src = tmp_path / "in"
    src.mkdir()
    camera = data.camera()
    rgba = Image.fromarray(data.astronaut()).convert("RGBA")
    rgba.putalpha(Image.fromarray(np.tile(np.linspace(0, 255, 512, dtype=np.uint8), (512, 1))))
    rgba.save(src / "alpha.png")
    Image.fromarray(camera.astype(np.uint16) * 257).save(src / "deep.png")
    Image.fromarray(data.coffee()).convert("CMYK").save(src / "print.jpg")
    frames = [Image.fromarray(camera).convert("P"), Image.new("P", (512, 512), 7)]
    frames[0].save(src / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    Image.fromarray(data.astronaut()[:, :300]).save(src / "rotated.jpg", exif=exif.tobytes(), quality=95)

    result = colorize(str(src), "-o", str(tmp_path / "out"), "--model", str(vivid_checkpoint))
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    with Image.open(out / "alpha.png") as image:
        assert image.mode == "RGBA" and np.array_equal(np.asarray(image)[..., 3], np.asarray(rgba)[..., 3])
    with Image.open(out / "deep.png") as image:
        assert image.mode == "RGB" and np.abs(luma_of(image) - camera).max() <= 1.0
    with Image.open(out / "print.jpg") as image:
        assert image.mode == "RGB" and image.size == (600, 400)
    with Image.open(out / "anim.png") as image:
        assert np.abs(luma_of(image) - camera).max() <= 1.0
    assert "anim.gif" in result.output and "frame" in result.output
    with Image.open(out / "rotated.jpg") as image:
        assert image.size == (512, 300), "EXIF orientation applied: the output stands upright"
        assert image.getexif().get(0x0112, 1) == 1


def test_inputs_are_never_overwritten(tmp_path, vivid_checkpoint):
    photo = tmp_path / "photo.jpg"
    Image.fromarray(data.chelsea()).save(photo)
    before = photo.read_bytes()
    result = colorize(str(photo), "-o", str(tmp_path), "--model", str(vivid_checkpoint))
    assert result.exit_code == 0, result.output
    assert photo.read_bytes() == before
    assert (tmp_path / "photo_colorized.jpg").exists()


def test_usage_errors_exit_2(tmp_path, vivid_checkpoint):
    assert colorize(str(tmp_path / "missing.jpg"), "-o", str(tmp_path / "o"), "--model", str(vivid_checkpoint)).exit_code == 2
    photo = tmp_path / "p.png"
    Image.fromarray(data.camera()).save(photo)
    bad_model = tmp_path / "model.pt"
    bad_model.write_text("not a model")
    result = colorize(str(photo), "-o", str(tmp_path / "o"), "--model", str(bad_model))
    assert result.exit_code == 2 and "not a readable PyTorch checkpoint" in result.output


def test_a_training_state_is_named_and_the_runs_model_suggested(tmp_path, vivid_checkpoint):
    from training.resume import save_state

    run = tmp_path / "runs" / "x"
    state = save_state(run / "resume.pt", {"step": 7, "model": {}})
    photo = tmp_path / "p.png"
    Image.fromarray(data.camera()).save(photo)
    result = colorize(str(photo), "-o", str(tmp_path / "o"), "--model", str(state))
    assert result.exit_code == 2 and "a training state for `colorbot train --resume`" in result.output
    assert "final.pt or last.pt" in result.output and "colorbot export" in result.output
    (run / "last.pt").write_bytes(vivid_checkpoint.read_bytes())
    result = colorize(str(photo), "-o", str(tmp_path / "o"), "--model", str(state))
    assert f"use {run / 'last.pt'}" in " ".join(result.output.split())


def test_console_script_runs_and_reports_failure_in_its_exit_code(tmp_path, vivid_checkpoint):
    photo = tmp_path / "p.png"
    Image.fromarray(data.camera()).save(photo)
    (tmp_path / "junk.jpg").write_bytes(b"junk")
    command = [sys.executable, "-m", "bot.cli", "colorize", str(photo), str(tmp_path / "junk.jpg"), "-o", str(tmp_path / "o"), "--model", str(vivid_checkpoint)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert f"error: {tmp_path / 'junk.jpg'}:" in done.stderr
    assert (tmp_path / "o" / "p.png").exists()
