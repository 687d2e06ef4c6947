"""YUV conversion: exact round trip, known values, and chroma that never moves luminance."""

import numpy as np
import torch

from colorizer.color import RGB_TO_YUV, U_MAX, V_MAX, YUV_TO_RGB, rgb_to_yuv, rgb_to_yuv_torch, unit_to_uv, uv_to_unit, yuv_to_rgb, yuv_to_rgb_torch


def test_round_trip_numpy_is_exact_to_float_precision():
    rgb = np.random.default_rng(0).random((64, 48, 3), dtype=np.float32)
    assert np.abs(yuv_to_rgb(rgb_to_yuv(rgb)) - rgb).max() < 1e-5


def test_round_trip_torch_matches_numpy():
    rgb = torch.rand(2, 3, 8, 9, generator=torch.Generator().manual_seed(1))
    yuv = rgb_to_yuv_torch(rgb)
    assert torch.allclose(yuv_to_rgb_torch(yuv), rgb, atol=1e-5)
    expected = rgb_to_yuv(rgb.permute(0, 2, 3, 1).numpy())
    assert np.allclose(yuv.permute(0, 2, 3, 1).numpy(), expected, atol=1e-6)


def test_known_colors():
    white, red, blue = rgb_to_yuv(np.array([[1.0, 1, 1], [1, 0, 0], [0, 0, 1]]))
    assert np.allclose(white, [1, 0, 0], atol=2e-5)  # the standard 5-digit coefficients
    assert np.allclose(red, [0.299, -0.14713, 0.615], atol=1e-6)
    assert np.isclose(blue[1], U_MAX)
    assert np.isclose(red[2], V_MAX)


def test_chroma_adds_no_luminance():
    # Y of the RGB produced by any U, V alone is zero: colour never changes brightness.
    assert np.allclose(RGB_TO_YUV[0] @ YUV_TO_RGB[:, 1:], 0.0, atol=1e-12)


def test_unit_mapping_spans_the_gamut_and_inverts():
    unit = torch.tensor([[[[0.0]], [[1.0]]]])
    uv = unit_to_uv(unit)
    assert torch.allclose(uv.flatten(), torch.tensor([-U_MAX, V_MAX]))
    assert torch.allclose(uv_to_unit(uv), unit)
    assert torch.allclose(unit_to_uv(torch.full((1, 2, 1, 1), 0.5)), torch.zeros(1, 2, 1, 1))
