"""Black-and-white clips from sampled frames: gray film, sepia film, colour film, a gray film with
a colour logo at the end, and a file with no picture."""

from __future__ import annotations

import numpy as np
import pytest

from bot.video.detect import detect_clip, sample_times
from colorizer.video.probe import VideoError
from tests.video_clips import pan, photo, write_clip, write_sound

FRAMES = 40


def frames(name: str = "astronaut") -> list[np.ndarray]:
    return list(pan(photo(name, 200), (160, 120), FRAMES))


def sepia(rgb: np.ndarray) -> np.ndarray:
    y = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.clip(y[..., None] * np.array([1.07, 0.94, 0.76], np.float32), 0, 255).astype(np.uint8)


def test_gray_and_sepia_film_are_black_and_white_and_colour_film_is_not(tmp_path):
    gray = detect_clip(write_clip(tmp_path / "gray.mp4", frames(), gray=True))
    assert (gray.kind, gray.is_bw, len(gray.frames)) == ("neutral", True, 8)
    toned = detect_clip(write_clip(tmp_path / "sepia.mp4", [sepia(f) for f in frames()], gray=False))
    assert (toned.kind, toned.is_bw) == ("toned", True)
    colour = detect_clip(write_clip(tmp_path / "colour.mp4", frames(), gray=False))
    assert (colour.kind, colour.is_bw) == ("color", False)
    assert colour.reason().startswith("color clip (8 frames sampled: 8 color)"), colour.reason()


def test_one_colourful_frame_in_eight_does_not_make_a_film_colour(tmp_path):
    rgb = [sepia(f) if i < FRAMES - 5 else f for i, f in enumerate(frames())]  # a colour logo over the last frames
    verdict = detect_clip(write_clip(tmp_path / "logo.mp4", rgb, gray=False))
    assert verdict.is_bw and sum(f.kind == "color" for f in verdict.frames) == 1


def test_samples_avoid_the_first_and_last_moments():
    assert sample_times(8.0, 4) == [1.0, 3.0, 5.0, 7.0]
    assert sample_times(None) == [0.0]


def test_a_file_without_a_picture_is_one_clear_error(tmp_path):
    with pytest.raises(VideoError, match="no video stream"):
        detect_clip(write_sound(tmp_path / "sound.mp4", 1.0))
