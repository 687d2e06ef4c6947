"""Full-resolution recombination: exact size, luminance kept, chroma upsampled like bilinear."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from skimage import data

from colorizer.color import YUV_TO_RGB, unit_to_uv
from colorizer.fullres import padded_shape, recombine, render_shape, small_gray


def _luma_error(luma: Image.Image, rgb: Image.Image) -> int:
    """Largest |ΔY| in 8-bit levels between the input luminance and the output's (exact BT.601 Y)."""
    y_out = np.asarray(rgb, dtype=np.float64) @ np.array([0.299, 0.587, 0.114])
    return float(np.abs(y_out - np.asarray(luma, dtype=np.float64)).max())


def test_render_shape_keeps_aspect_and_never_enlarges():
    assert render_shape(3000, 4000, 256) == (192, 256)
    assert render_shape(4000, 3000, 256) == (256, 192)
    assert render_shape(100, 50, 256) == (100, 50)
    assert padded_shape(192, 250, 32) == (192, 256)


def test_small_gray_pads_to_the_backbone_multiple():
    luma = Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 1000), dtype=np.uint8))
    tensor, (height, width) = small_gray(luma, 256, 32)
    assert (height, width) == (77, 256)
    assert tensor.shape == (1, 96, 256) and 0 <= tensor.min() and tensor.max() <= 1
    assert torch.equal(tensor[:, height:], tensor[:, height - 1 : height].expand(-1, 96 - height, -1)), "edge padding"


def test_matches_full_bilinear_interpolation_where_in_gamut():
    rng = np.random.default_rng(1)
    luma = Image.fromarray(rng.integers(40, 215, (123, 257), dtype=np.uint8))
    uv_unit = torch.rand(2, 9, 17, generator=torch.Generator().manual_seed(0)) * 0.2 + 0.4
    out = np.asarray(recombine(luma, uv_unit), dtype=np.float64)
    uv = F.interpolate(unit_to_uv(uv_unit[None]), size=(123, 257), mode="bilinear", align_corners=False)[0].numpy()
    yuv = np.stack([np.asarray(luma) / 255.0, uv[0], uv[1]], axis=-1)
    expected = yuv @ YUV_TO_RGB.T * 255
    in_gamut = (expected.min(axis=-1) >= 0) & (expected.max(axis=-1) <= 255)
    assert in_gamut.mean() > 0.9
    assert np.abs(out - expected)[in_gamut].max() <= 0.51


def test_saturation_zero_gives_the_gray_input():
    luma = Image.fromarray(data.camera())
    out = recombine(luma, torch.rand(2, 16, 16), saturation=0.0)
    assert np.array_equal(np.asarray(out)[..., 0], np.asarray(luma))
    assert np.array_equal(np.asarray(out)[..., 0], np.asarray(out)[..., 2])


@pytest.mark.parametrize("photo", ["camera", "astronaut", "coffee"])
def test_real_photo_keeps_size_and_luminance_even_with_extreme_chroma(photo):
    image = Image.fromarray(getattr(data, photo)())
    luma = image.convert("L")
    extreme = torch.randint(0, 2, (2, 12, 12), generator=torch.Generator().manual_seed(3)).float()
    out = recombine(luma, extreme)
    assert out.size == image.size and out.mode == "RGB"
    assert _luma_error(luma, out) <= 1.0
    assert np.asarray(out.convert("HSV"))[..., 1].mean() > 40, "colours survive the gamut fit"


def test_tiles_do_not_show(monkeypatch):
    import colorizer.fullres as fullres

    luma = Image.fromarray(np.random.default_rng(2).integers(0, 256, (97, 64), dtype=np.uint8))
    uv = torch.rand(2, 5, 4)
    whole = np.asarray(recombine(luma, uv))
    monkeypatch.setattr(fullres, "TILE_PIXELS", 64 * 7)
    assert np.array_equal(np.asarray(recombine(luma, uv)), whole)


def test_refuses_non_gray_luma():
    with pytest.raises(ValueError, match="mode L"):
        recombine(Image.new("RGB", (4, 4)), torch.rand(2, 2, 2))
