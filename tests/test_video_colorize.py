"""`colorbot colorize` on films: real encoded clips in, real files out, checked by decoding them again."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from bot.cli import app
from colorizer.inference import Colorizer
from colorizer.video import TemporalSettings, VideoColorizer
from colorizer.video.formats import LAYOUTS
from colorizer.video.planes import build_frame
from colorizer.video.progress import work_folder
from tests.video_clips import NTSC, decode_planes, pan, photo, write_clip
from training.metrics import colorfulness
from training.video_metrics import warping_error

SIZE = (640, 360)
SHOT = 90  # frames per shot: two 3-second pans with a cut between them


def _psnr(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(peak**2 / mse)


def _audio_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(audio=0) if p.size]


def _chroma(uv: np.ndarray) -> np.ndarray:
    return np.moveaxis(uv.astype(np.float32) - 128.0, 0, -1)


def _rgb(y: np.ndarray, uv: np.ndarray) -> np.ndarray:
    return build_frame(y, uv[0], uv[1], LAYOUTS["yuv420p"]).to_ndarray(format="rgb24")


@pytest.fixture(scope="module")
def gray_film(tmp_path_factory) -> Path:
    """6 s of 360p black and white at 29.97 fps with AAC audio: a pan, a cut, another pan."""
    frames = itertools.chain(pan(photo("astronaut", 960), SIZE, SHOT), pan(photo("coffee", 620), SIZE, SHOT))
    return write_clip(tmp_path_factory.mktemp("film") / "film.mp4", frames)


@pytest.fixture(scope="module")
def shipped() -> Colorizer:
    return Colorizer.from_checkpoint(device="cpu")


@pytest.fixture(scope="module")
def runs(gray_film, shipped, tmp_path_factory) -> dict[str, Path]:
    """The film colorized with temporal consistency (the default), frame by frame, and with no colour at all
    (saturation 0: what the encoder alone does to Y — its floor)."""
    out = tmp_path_factory.mktemp("runs")
    no_colour = Colorizer(shipped.model, render_size=shipped.render_size, device="cpu", saturation=0.0)
    results = {
        "temporal": VideoColorizer(shipped).run(gray_film, out / "temporal"),
        "per_frame": VideoColorizer(shipped, temporal=None).run(gray_film, out / "per_frame"),
        "floor": VideoColorizer(no_colour, temporal=None).run(gray_film, out / "floor"),
    }
    for result in results.values():
        assert result.error is None, result.error
    return {name: result.output for name, result in results.items()}


def test_film_keeps_frames_timestamps_rate_duration_and_audio(gray_film, runs):
    output = runs["temporal"]
    assert output.suffix == ".mp4" and output.exists()
    with av.open(str(gray_film)) as src, av.open(str(output)) as out:
        assert out.streams.video[0].average_rate == src.streams.video[0].average_rate == NTSC  # never rounded to 30
        assert [s.type for s in out.streams] == ["video", "audio"]
        assert abs(out.duration - src.duration) < 2e4
        assert (out.streams.video[0].codec_context.width, out.streams.video[0].codec_context.height) == SIZE
    src_y, _, src_pts, _ = decode_planes(gray_film)
    out_y, out_uv, out_pts, _ = decode_planes(output)
    assert len(out_y) == len(src_y) == 2 * SHOT
    assert [Fraction(p) for p in out_pts] == [Fraction(p) for p in src_pts]
    assert _audio_packets(output) == _audio_packets(gray_film)  # copied byte for byte, not re-encoded
    assert np.mean([np.abs(_chroma(uv)).mean() for uv in out_uv]) > 2.0, "the film gained colour"


def test_luminance_stays_within_the_encoders_own_floor(gray_film, runs):
    src_y, *_ = decode_planes(gray_film)
    floor = np.mean([_psnr(a, b) for a, b in zip(decode_planes(runs["floor"])[0], src_y)])
    ours = np.mean([_psnr(a, b) for a, b in zip(decode_planes(runs["temporal"])[0], src_y)])
    assert floor > 38
    assert ours >= floor - 0.5, (ours, floor)


def test_temporal_colour_follows_the_per_frame_colour_without_its_flicker(gray_film, runs):
    src_y, *_ = decode_planes(gray_film)
    _, temporal, _, _ = decode_planes(runs["temporal"])
    per_y, per_frame, _, _ = decode_planes(runs["per_frame"])
    correlations = [np.corrcoef(_chroma(a).ravel(), _chroma(b).ravel())[0, 1] for a, b in zip(temporal, per_frame)]
    assert np.median(correlations) >= 0.5
    cf_temporal = np.mean([colorfulness(_rgb(y, uv)) for y, uv in zip(per_y[::15], temporal[::15])])
    cf_per_frame = np.mean([colorfulness(_rgb(y, uv)) for y, uv in zip(per_y[::15], per_frame[::15])])
    assert cf_temporal >= 0.6 * cf_per_frame
    grays = [cv2.resize(y, (SIZE[0] // 2, SIZE[1] // 2), interpolation=cv2.INTER_AREA) for y in src_y[:SHOT]]
    flicker_temporal = warping_error([_chroma(uv) for uv in temporal[:SHOT]], grays)
    flicker_per_frame = warping_error([_chroma(uv) for uv in per_frame[:SHOT]], grays)
    assert flicker_temporal <= 0.5 * flicker_per_frame, (flicker_temporal, flicker_per_frame)


def test_no_colour_is_carried_across_the_cut(runs):
    _, temporal, _, _ = decode_planes(runs["temporal"])
    _, per_frame, _, _ = decode_planes(runs["per_frame"])
    first_after_cut = np.abs(_chroma(temporal[SHOT]) - _chroma(per_frame[SHOT])).mean()
    within_shot = np.abs(_chroma(temporal[SHOT + 20]) - _chroma(per_frame[SHOT + 20])).mean()
    assert first_after_cut < 0.6, "the first frame of a shot is the net's own prediction (up to encoder noise)"
    assert within_shot > 2 * first_after_cut, "later frames are smoothed, so they differ from the raw prediction"


@pytest.fixture
def short_clip(tmp_path) -> Path:
    return write_clip(tmp_path / "short.mp4", pan(photo("chelsea", 300), (320, 180), 24), rate=Fraction(12))


# The interrupt comes after frame 14's batch: batches of 4 closed a segment at 8 and at 16.
@pytest.mark.parametrize(("batch_size", "keyframes", "segments"), [(2, 1, [6, 6]), (4, 1, [8, 8]), (3, 3, [6, 6])])
def test_interrupted_run_resumes_at_the_last_segment_and_matches_an_uninterrupted_run(short_clip, colorizer, tmp_path,
                                                                                        batch_size, keyframes, segments):
    def runner() -> VideoColorizer:  # segments of 0.5 s = 6 frames, closed between batches
        return VideoColorizer(colorizer, batch_size=batch_size, segment_seconds=0.5, temporal=TemporalSettings(keyframe_interval=keyframes))

    whole = runner().run(short_clip, tmp_path / "whole" / "short")

    def stop_midway(done: int, total: int | None) -> None:
        if done >= 14:
            raise KeyboardInterrupt

    target = tmp_path / "resumed" / "short.mp4"
    with pytest.raises(KeyboardInterrupt):
        runner().run(short_clip, tmp_path / "resumed" / "short", stop_midway)
    assert not target.exists() and not list(target.parent.glob(".*partial*")), "nothing sits under the final name"
    manifest = json.loads((work_folder(target) / "manifest.json").read_text())
    assert [s["frames"] for s in manifest["segments"]] == segments
    resumed = runner().run(short_clip, tmp_path / "resumed" / "short")
    assert resumed.error is None and resumed.resumed_frames == sum(segments) and resumed.frames == 24
    assert not work_folder(target).exists()
    whole_y, whole_uv, whole_pts, _ = decode_planes(whole.output)
    got_y, got_uv, got_pts, _ = decode_planes(resumed.output)
    assert got_pts == whole_pts
    for a, b in zip(got_uv, whole_uv):
        np.testing.assert_array_equal(a, b)  # the filter state carried over: the same film, bit for bit


def test_changed_settings_start_over_instead_of_mixing_two_runs(short_clip, colorizer, tmp_path):
    def stop(done: int, total: int | None) -> None:
        if done >= 8:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        VideoColorizer(colorizer, batch_size=2, segment_seconds=0.25).run(short_clip, tmp_path / "short", stop)
    again = VideoColorizer(colorizer, batch_size=2, segment_seconds=0.25, temporal=None).run(short_clip, tmp_path / "short")
    assert again.error is None and again.resumed_frames == 0 and again.frames == 24


@pytest.mark.parametrize(
    ("name", "codec", "pix_fmt", "size", "want_layout"),
    [
        ("odd.mkv", "ffv1", "yuv420p", (321, 241), "yuv444p"),
        ("gray.mkv", "ffv1", "gray", (320, 240), "yuv420p"),
        ("deep.mkv", "libx264", "yuv420p10le", (320, 240), "yuv420p10le"),
    ],
)
def test_odd_sizes_gray_and_10_bit_keep_their_y_plane_exactly(name, codec, pix_fmt, size, want_layout, colorizer, tmp_path):
    source = write_clip(tmp_path / name, pan(photo("astronaut", 400), size, 8), rate=Fraction(24), codec=codec, pix_fmt=pix_fmt, audio=False)
    result = VideoColorizer(colorizer, quality=0).run(source, tmp_path / "out" / Path(name).stem)
    assert result.error is None, result.error
    src_y, *_ = decode_planes(source)
    out_y, out_uv, _, last = decode_planes(result.output)
    assert last.format.name == want_layout and (last.width, last.height) == size
    if "10" in pix_fmt:  # x264 CRF 0 is near-lossless at 10 bits
        assert min(_psnr(a, b, 1023.0) for a, b in zip(out_y, src_y)) > 50
        assert out_y[0].max() > 255, "10-bit samples stay 10-bit"
    else:  # x264 CRF 0 is lossless at 8 bits: the decoder's Y came out of the encoder untouched
        for a, b in zip(out_y, src_y):
            np.testing.assert_array_equal(a, b)
    neutral = 512 if "10" in pix_fmt else 128
    assert np.abs(out_uv[0].astype(np.int32) - neutral).mean() > 1, "colour was added"


def test_rotation_metadata_and_variable_frame_rate_survive(colorizer, tmp_path):
    stamps = [0, 1000, 1500, 3500, 4000, 4100, 6000, 7000]  # milliseconds, irregular
    source = write_clip(tmp_path / "phone.mp4", pan(photo("chelsea", 300), (320, 180), len(stamps)), rate=Fraction(30),
                        pts=stamps, time_base=Fraction(1, 1000), rotation=90, audio=False)
    result = VideoColorizer(colorizer).run(source, tmp_path / "out" / "phone")
    assert result.error is None, result.error
    *_, src_pts, src_last = decode_planes(source)
    *_, out_pts, out_last = decode_planes(result.output)
    assert src_last.rotation == out_last.rotation == 90
    with av.open(str(source)) as a, av.open(str(result.output)) as b:
        tb_a, tb_b = a.streams.video[0].time_base, b.streams.video[0].time_base
    assert [p * tb_b for p in out_pts] == [p * tb_a for p in src_pts]


def _bad_inputs(folder: Path, good: Path) -> dict[str, Path]:
    folder.mkdir()
    raw = good.read_bytes()
    files = {
        "empty": folder / "empty.mp4",
        "noise": folder / "noise.mkv",
        "truncated": folder / "truncated.mp4",  # the index (moov) is at the end: nothing can be found
        "audio_only": folder / "audio_only.mp4",
    }
    files["empty"].write_bytes(b"")
    files["noise"].write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    files["truncated"].write_bytes(raw[: len(raw) // 3])
    with av.open(str(files["audio_only"]), "w") as out:
        stream = out.add_stream("aac", rate=48000)
        stream.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = 48000, 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return files


def test_cli_colorizes_a_folder_of_films_and_photos_one_bad_file_never_stops_it(short_clip, vivid_checkpoint, tmp_path):
    from colorizer.samples import write_sample_photos

    inputs = tmp_path / "inputs"
    bad = _bad_inputs(inputs, short_clip)
    (inputs / "good.mp4").write_bytes(short_clip.read_bytes())
    write_sample_photos(inputs / "photos")
    # Matroska announces its duration up front and streams its clusters: a cut-off copy still plays its first part
    mkv_truncated = write_clip(inputs / "cut_short.mkv", pan(photo("chelsea", 300), (160, 90), 96), rate=Fraction(12), audio=False)
    mkv_truncated.write_bytes(mkv_truncated.read_bytes()[: mkv_truncated.stat().st_size * 3 // 4])
    result = CliRunner().invoke(app, ["colorize", str(inputs), "-o", str(tmp_path / "out"), "--model", str(vivid_checkpoint)])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == len(bad), result.output
    for path in bad.values():
        assert sum(str(path) in line for line in errors) == 1
    assert "empty file" in result.output and "no video stream (the file holds audio)" in result.output
    assert (tmp_path / "out" / "good.mp4").exists() and (tmp_path / "out" / "photos" / "coffee.jpg").exists()
    assert (tmp_path / "out" / "cut_short.mkv").exists() and "ends early" in result.output
    assert f"colorized {6 + 2} of {6 + 2 + len(bad)} inputs" in result.output


CUES = [(100, 400, "Paris, 1906."), (700, 500, "The start.")]


def test_audio_and_subtitles_are_copied_packet_for_packet(colorizer, tmp_path):
    source = write_clip(tmp_path / "talkie.mkv", pan(photo("chelsea", 300), (320, 180), 12), rate=Fraction(10), subtitles=CUES)
    result = VideoColorizer(colorizer).run(source, tmp_path / "out" / "talkie")
    assert result.error is None and result.notes == [], (result.error, result.notes)
    with av.open(str(result.output)) as out:
        assert [s.type for s in out.streams] == ["video", "audio", "subtitle"]
        texts = [bytes(p) for p in out.demux(subtitles=0) if p.size]
    assert texts == [text.encode() for _, _, text in CUES]
    assert _audio_packets(result.output) == _audio_packets(source)


class _WrittenAs(VideoColorizer):
    """A colorizer whose output container is forced (as a source whose own container cannot be kept would be)."""

    def __init__(self, colorizer: Colorizer, extension: str) -> None:
        super().__init__(colorizer)
        self.extension = extension

    def plan(self, source):
        from colorizer.video.formats import plan_output

        return plan_output(self.extension, source.codec, source.layout, source.width, source.height)


def test_a_container_that_refuses_a_stream_drops_subtitles_first_then_transcodes_audio(colorizer, tmp_path):
    source = write_clip(tmp_path / "talkie.mkv", pan(photo("chelsea", 300), (320, 180), 12), rate=Fraction(10),
                        audio_codec="pcm_s16le", subtitles=CUES)
    to_mov = _WrittenAs(colorizer, ".mov").run(source, tmp_path / "mov" / "talkie")  # QuickTime holds PCM, not SubRip
    assert to_mov.error is None, to_mov.error
    with av.open(str(to_mov.output)) as out:
        assert [(s.type, s.codec_context.name) for s in out.streams] == [("video", "h264"), ("audio", "pcm_s16le")]
    assert _audio_packets(to_mov.output) == _audio_packets(source)
    assert any(note.startswith("subtitle stream 2 (srt) dropped") for note in to_mov.notes), to_mov.notes
    to_webm = _WrittenAs(colorizer, ".webm").run(source, tmp_path / "webm" / "talkie")  # webm holds neither
    assert to_webm.error is None, to_webm.error
    with av.open(str(to_webm.output)) as out:
        assert [(s.type, s.codec_context.name) for s in out.streams] == [("video", "vp9"), ("audio", "opus")]
        seconds = sum(float(p.duration * p.time_base) for p in out.demux(audio=0) if p.duration)
    assert abs(seconds - 1.2) < 0.1, "the transcoded audio lasts as long as the film"
    assert any("transcoded to libopus" in note for note in to_webm.notes)


def test_ctrl_c_on_the_command_then_the_same_command_continues(vivid_checkpoint, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    clip = write_clip(tmp_path / "reel.mp4", pan(photo("astronaut", 600), (320, 180), 192, step=1.5), rate=Fraction(24), audio=False)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "bot.cli", "colorize", str(clip), "-o", str(out), "--model", str(vivid_checkpoint),
               "--render-size", "192", "--batch-size", "2", "--segment-seconds", "1"]
    manifest = work_folder(out / "reel.mp4") / "manifest.json"
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONPATH": "."})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if manifest.exists() and len(json.loads(manifest.read_text())["segments"]) >= 2:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the film finished before it could be interrupted: " + process.communicate()[0]
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 130, output
    assert "interrupted: " in output and "run the same command again" in output
    assert not (out / "reel.mp4").exists()
    saved = sum(s["frames"] for s in json.loads(manifest.read_text())["segments"])
    assert 48 <= saved < 192
    again = subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": "."})
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"continued after {saved}" in again.stdout + again.stderr
    ys, _, stamps, _ = decode_planes(out / "reel.mp4")
    assert len(ys) == 192 and stamps == sorted(stamps) and len(set(stamps)) == 192


def test_an_unwritable_output_folder_is_one_error_not_a_crash(short_clip, colorizer, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the output folder should be")
    result = VideoColorizer(colorizer).run(short_clip, blocked / "short")
    assert result.output is None and result.error is not None and str(short_clip) in result.error


def test_a_resumed_run_tells_models_apart_by_all_their_weights(colorizer):
    import copy

    import torch

    from colorizer.video.pipeline import weights_digest

    other = copy.deepcopy(colorizer)
    largest = max(other.model.state_dict().values(), key=lambda t: t.numel() if t.is_floating_point() else 0)
    with torch.no_grad():
        largest.view(-1)[-1] += 1.0  # far past the first few kilobytes of the tensor
    assert weights_digest(other) != weights_digest(colorizer)
