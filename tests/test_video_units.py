"""The video parts on their own: output plans, the chroma conversion, the temporal filter and cut detector, the metrics."""

from __future__ import annotations

import numpy as np
import pytest

from colorizer.color import YUV_TO_RGB
from colorizer.video.chroma import BT601, BT709, VideoColour, chroma_planes
from colorizer.video.formats import LAYOUTS, decoded_layout, plan_output
from colorizer.video.temporal import SceneCutDetector, TemporalFilter, TemporalSettings
from tests.video_clips import pan, photo
from training.video_metrics import color_distribution_consistency, visible_mask, warping_error


@pytest.mark.parametrize(
    ("extension", "codec", "pix_fmt", "size", "want_codec", "want_layout", "want_extension"),
    [
        (".mp4", "h264", "yuv420p", (640, 360), "libx264", "yuv420p", ".mp4"),
        (".mp4", "h264", "yuv444p", (1280, 720), "libx264", "yuv444p", ".mp4"),
        (".mkv", "hevc", "yuv420p10le", (640, 360), "libx264", "yuv420p10le", ".mkv"),
        (".mkv", "ffv1", "yuv420p", (321, 241), "libx264", "yuv444p", ".mkv"),  # x264 takes no odd-sized 4:2:0
        (".mkv", "ffv1", "gray", (320, 240), "libx264", "yuv420p", ".mkv"),  # gray gains chroma planes
        (".ogv", "theora", "yuv420p", (218, 160), "libvpx", "yuv420p", ".ogv"),  # no Theora encoder: VP8 in Ogg
        (".webm", "vp9", "yuv420p10le", (640, 360), "libx264", "yuv420p10le", ".mkv"),  # no 10-bit VP9 here
        (".mpg", "mpeg2video", "yuv420p", (720, 405), "mpeg2video", "yuv420p", ".mpg"),  # MPEG-2 takes odd heights
        (".avi", "msmpeg4", "yuv420p", (768, 576), "mpeg4", "yuv420p", ".avi"),
        (".wmv", "wmv2", "yuv420p", (320, 240), "libx264", "yuv420p", ".mkv"),
    ],
)
def test_output_plan_keeps_container_and_layout_where_an_encoder_allows(extension, codec, pix_fmt, size, want_codec, want_layout, want_extension):
    layout, _ = decoded_layout(pix_fmt)
    plan = plan_output(extension, codec, layout, *size)
    assert (plan.encoder.codec, plan.layout.name, plan.extension) == (want_codec, want_layout, want_extension)
    assert bool(plan.notes) == (want_layout != layout.name or want_extension != extension or plan.encoder.family != codec)


def test_packed_formats_are_converted_to_planar_with_a_note():
    assert decoded_layout("rgb24") == (LAYOUTS["yuv420p"], True)
    assert decoded_layout("rgb48le", 16) == (LAYOUTS["yuv420p10le"], True)
    assert decoded_layout("yuvj420p") == (LAYOUTS["yuvj420p"], False) and LAYOUTS["yuvj420p"].full_range


@pytest.mark.parametrize("matrix", [BT601, BT709])
@pytest.mark.parametrize(("full_range", "bits"), [(False, 8), (True, 8), (False, 10)])
def test_chroma_planes_show_the_models_colour_in_the_videos_matrix_and_range(matrix, full_range, bits):
    colour = VideoColour(*matrix, full_range=full_range, bits=bits)
    uv = np.zeros((2, 4, 4), np.float32)
    uv[0], uv[1] = -0.08, 0.12  # a warm skin-like chroma, well inside the gamut at mid gray
    luma = np.full((4, 4), 0.5, np.float32)
    cb, cr = chroma_planes(uv, luma, colour)
    assert cb.dtype == (np.uint16 if bits > 8 else np.uint8)
    decoded = colour.rgb_offsets_from_chroma(colour.from_digital(np.stack([cb, cr])))
    meant = np.einsum("rc,chw->rhw", YUV_TO_RGB[:, 1:], uv)
    # the offset a player reconstructs is the model's, less only its luma under this matrix
    luma_of_meant = colour.kr * meant[0] + (1 - colour.kr - colour.kb) * meant[1] + colour.kb * meant[2]
    np.testing.assert_allclose(decoded, meant - luma_of_meant, atol=2.5 / (1 << bits))


def test_chroma_is_scaled_into_gamut_instead_of_clipping():
    colour = VideoColour(*BT601, full_range=True, bits=8)
    uv = np.zeros((2, 2, 2), np.float32)
    uv[1] = 0.6  # a saturated red: impossible next to white
    bright = np.full((2, 2), 0.97, np.float32)
    cb, cr = chroma_planes(uv, bright, colour)
    rgb = bright[None] + colour.rgb_offsets_from_chroma(colour.from_digital(np.stack([cb, cr])))
    assert rgb.max() <= 1.0 + 2 / 255 and rgb.min() >= -2 / 255
    assert abs(int(cr[0, 0]) - 128) > 2, "some colour survives"


def _gray(rgb: np.ndarray) -> np.ndarray:
    return np.rint(rgb @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)


def test_cut_detector_fires_on_a_cut_and_not_during_a_pan():
    detector = SceneCutDetector()
    shot_a = [_gray(f) for f in pan(photo("astronaut", 480), (320, 180), 30)]
    shot_b = [_gray(f) for f in pan(photo("coffee", 300), (320, 180), 10)]
    cuts = [detector.is_cut(g) for g in shot_a + shot_b]
    assert cuts.index(True) == 30 and sum(cuts) == 1


def test_temporal_filter_follows_motion_and_starts_afresh_at_a_cut():
    frames = [_gray(f) for f in pan(photo("astronaut", 480), (320, 180), 12, step=4)]
    rng = np.random.default_rng(0)
    steady = np.zeros((2, 180, 320), np.float32)
    steady[0] = 0.05
    filt = TemporalFilter(TemporalSettings(carry=0.85))
    outputs = [filt(g, steady + rng.normal(0, 0.05, steady.shape).astype(np.float32)) for g in frames]
    noise_in = 0.05
    noise_out = np.std(outputs[-1][0] - 0.05)
    assert noise_out < 0.5 * noise_in, "flicker (independent per-frame noise) is averaged away along the flow"
    other = _gray(next(pan(photo("coffee", 300), (320, 180), 1)))
    fresh = np.full((2, 180, 320), -0.1, np.float32)
    np.testing.assert_array_equal(filt(other, fresh), fresh)  # nothing of the last shot crosses the cut
    assert filt.shots == 2


def test_temporal_state_round_trip_continues_identically():
    frames = [_gray(f) for f in pan(photo("astronaut", 480), (320, 180), 6, step=4)]
    uv = [np.full((2, 180, 320), 0.01 * i, np.float32) for i in range(6)]
    whole = TemporalFilter()
    expected = [whole(g, u) for g, u in zip(frames, uv)]
    first = TemporalFilter()
    for g, u in zip(frames[:3], uv[:3]):
        first(g, u)
    second = TemporalFilter()
    second.restore(first.state())
    for g, u, want in zip(frames[3:], uv[3:], expected[3:]):
        np.testing.assert_allclose(second(g, u), want, atol=1e-6)


def test_warping_error_is_zero_for_colour_that_moves_with_the_scene_and_grows_with_flicker():
    rgb = list(pan(photo("astronaut", 480), (320, 180), 8, step=4))
    grays = [_gray(f) for f in rgb]
    stable = [f.astype(np.float32) / 255 for f in rgb]
    rng = np.random.default_rng(1)
    flicker = [f + rng.normal(0, 0.05, (1, 1, 3)).astype(np.float32) for f in stable]
    assert warping_error(stable, grays) < 0.1 * warping_error(flicker, grays)
    assert color_distribution_consistency(rgb[:1] * 6) == 0.0
    assert color_distribution_consistency([np.clip(f * 255, 0, 255).astype(np.uint8) for f in flicker]) > \
        color_distribution_consistency(rgb)


def test_visible_mask_marks_pixels_whose_flow_disagrees_both_ways():
    backward = np.zeros((20, 20, 2), np.float32)
    forward = np.zeros((20, 20, 2), np.float32)
    forward[:, 10:] = 5.0  # the right half claims to move, the way back says it did not
    mask = visible_mask(backward, forward)
    assert mask[:, :9].all() and not mask[:, 11:].any()


def test_keyframe_interval_runs_the_net_on_every_kth_frame_and_on_every_new_shot():
    filt = TemporalFilter(TemporalSettings(keyframe_interval=3))
    shot_a = [_gray(f) for f in pan(photo("astronaut", 480), (320, 180), 7, step=4)]
    shot_b = [_gray(f) for f in pan(photo("coffee", 300), (320, 180), 4)]
    plans = [filt.plan(g) for g in shot_a + shot_b]  # a whole batch is planned before it is blended
    assert [p.predict for p in plans] == [True, False, False, True, False, False, True] + [True, False, False, True]
    assert [p.new_shot for p in plans].count(True) == 2
    uv = np.full((2, 180, 320), 0.05, np.float32)
    outputs = [filt.blend(g, uv if p.predict else None, p) for g, p in zip(shot_a + shot_b, plans)]
    assert filt.shots == 2
    np.testing.assert_allclose(outputs[1][:, 60:120, 100:200], 0.05, atol=1e-4)  # carried along the flow
    with pytest.raises(ValueError, match="exactly for the frames"):
        filt.blend(shot_b[0], None, filt.plan(shot_a[0]))  # a cut back to shot A needs a prediction
