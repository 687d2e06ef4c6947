"""The reply's clip: gray | auto side by side, every frame and its time kept, H.264 + AAC, a poster frame."""

from __future__ import annotations

import av
import numpy as np
import pytest

from bot.video.comparison import comparison_clip
from colorizer.video.probe import VideoError
from tests.video_clips import pan, photo, write_clip

FRAMES = 30


@pytest.fixture(scope="module", params=["aac", "mp3"])
def pair(tmp_path_factory, request):
    """A gray clip and its colour twin; AAC sound is copied, MP3 re-encoded."""
    folder = tmp_path_factory.mktemp("pair")
    rgb = list(pan(photo("coffee", 180), (160, 120), FRAMES))
    gray = write_clip(folder / "gray.mp4", rgb, gray=True, audio=True, audio_codec=request.param)
    auto = write_clip(folder / "auto.mp4", rgb, gray=False, audio=True, audio_codec=request.param)
    return gray, auto


def test_side_by_side_keeps_every_frame_and_its_time_and_gets_aac_sound(pair, tmp_path):
    gray, auto = pair
    clip = comparison_clip(gray, auto, tmp_path / "cmp.mp4")
    assert clip.frames == FRAMES and clip.has_audio and clip.width % 2 == 0 and clip.height % 2 == 0
    assert clip.width > 2 * 160 * clip.height // (120 + 40) > 0, "two panels side by side"
    with av.open(str(clip.path)) as out, av.open(str(gray)) as source:
        video, sound = out.streams.video[0], out.streams.audio[0]
        assert (video.codec_context.name, video.codec_context.pix_fmt, sound.codec_context.name) == ("h264", "yuv420p", "aac")
        times = [float(f.pts * f.time_base) for f in out.decode(video)]
        source_times = [float(f.pts * f.time_base) for f in source.decode(source.streams.video[0])]
        assert times == pytest.approx(source_times, abs=1e-3)
    with av.open(str(clip.path)) as out:
        strip = next(out.decode(video=0)).to_ndarray(format="rgb24").astype(np.int16)
    half = strip.shape[1] // 2
    chroma = lambda part: float(np.abs(part - part.mean(axis=2, keepdims=True)).mean())  # noqa: E731
    assert chroma(strip[60:, :half - 8]) < 3 < chroma(strip[60:, half + 8:]), "gray on the left, colour on the right"
    assert clip.poster.is_file() and clip.poster.suffix == ".jpg"


def test_a_gif_clip_loops_without_sound(pair, tmp_path):
    gray, auto = pair
    clip = comparison_clip(gray, auto, tmp_path / "gif.mp4", loop=True)
    with av.open(str(clip.path)) as out:
        assert not out.streams.audio and out.metadata.get("comment") == "loop"
    assert not clip.has_audio


def test_a_clip_with_no_frames_is_an_error_and_leaves_nothing(tmp_path):
    from tests.video_clips import write_sound

    sound = write_sound(tmp_path / "sound.mp4", 0.5)
    with pytest.raises(VideoError, match="no video stream to compare"):
        comparison_clip(sound, sound, tmp_path / "none.mp4")
    assert not list(tmp_path.glob("*none*"))


def test_a_phone_clips_display_rotation_stands_both_panels_upright(tmp_path):
    rgb = list(pan(photo("coffee", 180), (160, 120), 6))
    gray = write_clip(tmp_path / "g.mp4", rgb, gray=True, audio=False, rotation=90)
    auto = write_clip(tmp_path / "a.mp4", rgb, gray=False, audio=False, rotation=90)
    clip = comparison_clip(gray, auto, tmp_path / "cmp.mp4")
    # stored 160x120, shown 120x160: two portrait panels of 120x160 side by side, not two landscape ones
    assert clip.width == 2 * 120 + 8 and clip.height > 160


def test_variable_frame_rate_keeps_each_frames_own_time(tmp_path):
    from fractions import Fraction

    rgb = list(pan(photo("coffee", 180), (160, 120), 8))
    pts = [0, 1, 3, 4, 8, 9, 15, 16]  # a phone's uneven frame times, in 1/30 s
    gray = write_clip(tmp_path / "g.mp4", rgb, gray=True, audio=False, pts=pts, time_base=Fraction(1, 30))
    auto = write_clip(tmp_path / "a.mp4", rgb, gray=False, audio=False, pts=pts, time_base=Fraction(1, 30))
    clip = comparison_clip(gray, auto, tmp_path / "vfr.mp4")
    with av.open(str(clip.path)) as out:
        times = [round(float(f.pts * f.time_base) * 30) for f in out.decode(video=0)]
    assert times == pts
