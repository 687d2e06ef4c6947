"""colorizer.imageio: every input we can meet in the wild loads or fails with one clear line."""

from __future__ import annotations

import io
import os
import pickle
import resource
import stat
import struct
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image, ImageCms, JpegImagePlugin

from colorizer.imageio import (
    DEFAULT_MAX_PIXELS,
    ImageLoadError,
    LoadedImage,
    _to_luma_source,
    load_image,
    output_format,
    save_image,
)

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


# ----------------------------------------------------------------------------- helpers


def _save(im: Image.Image, path: Path, **params) -> Path:
    im.save(path, **params)
    return path


def _load_error(path: Path, **kwargs) -> ImageLoadError:
    with pytest.raises(ImageLoadError) as info:
        load_image(path, **kwargs)
    err = info.value
    assert err.path == str(path)
    assert str(err) == f"{path}: {err.reason}"
    assert "\n" not in str(err)
    return err


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _write_zero_png(path: Path, width: int, height: int) -> Path:
    """A valid all-black 1-bit PNG written row by row: huge in pixels, tiny on disk and in RAM."""
    row = bytes(1 + (width + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
                     + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b""))
    return path


def _astronaut() -> Image.Image:
    return Image.fromarray(skimage.data.astronaut())


def _srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _halves(size: tuple[int, int], left, right, mode: str = "RGB") -> Image.Image:
    im = Image.new(mode, size, left)
    im.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return im


# ------------------------------------------------------------------------- bad inputs


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    assert _load_error(path).reason == "empty file"


def test_missing_file(tmp_path):
    assert _load_error(tmp_path / "nope.png").reason == "no such file"


def test_directory(tmp_path):
    path = tmp_path / "photo.jpg"
    path.mkdir()
    assert _load_error(path).reason == "is a directory"


def test_fifo_is_rejected_without_blocking(tmp_path):
    path = tmp_path / "pipe.png"
    os.mkfifo(path)
    assert _load_error(path).reason == "not a regular file"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<!DOCTYPE html>\n<html><body>404 Not Found</body></html>",
         "not an image (looks like an HTML page)"),
        ("just some notes, café\n".encode(), "not an image (looks like text)"),
        (bytes(range(7, 200)), "not an image (unrecognised format, starts with 07 08 09"),
    ],
    ids=["html", "text", "binary"],
)
def test_not_an_image(tmp_path, content, reason):
    path = tmp_path / "download.jpg"
    path.write_bytes(content)
    assert _load_error(path).reason.startswith(reason)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
@pytest.mark.parametrize("keep", [0.5, 0.97])
def test_truncated_file_is_reported_not_padded(tmp_path, fmt, keep):
    full = io.BytesIO()
    _astronaut().save(full, fmt)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(full.getvalue()[: int(len(full.getvalue()) * keep)])
    assert _load_error(path).reason.startswith("truncated or corrupt image data (")


def test_unreadable_png_header(tmp_path):
    path = tmp_path / "head.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    assert _load_error(path).reason == "truncated or corrupt image data (PNG header unreadable)"


def test_corrupt_png_data(tmp_path):
    data = bytearray(_save(_astronaut(), tmp_path / "ok.png").read_bytes())
    middle = len(data) // 2
    data[middle: middle + 500] = bytes(500)
    path = tmp_path / "corrupt.png"
    path.write_bytes(bytes(data))
    assert _load_error(path).reason.startswith("truncated or corrupt image data (")


def test_decompression_bomb_rejected_from_header(tmp_path):
    path = _write_zero_png(tmp_path / "bomb.png", 20_000, 10_000)
    assert path.stat().st_size < 1_000_000
    rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing of Pillow's bomb machinery may leak out
        err = _load_error(path)
    elapsed = time.perf_counter() - start
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before_kb) / 1024
    assert err.reason == "too large: 200.0 megapixels exceeds the limit of 120.0"
    assert elapsed < 2.0
    assert rss_growth_mb < 200


def test_between_our_limit_and_pillows_hard_limit(tmp_path):
    # Pillow only warns at 150 MP; our own check must reject it, with no warning escaping.
    path = _write_zero_png(tmp_path / "big.png", 15_000, 10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        err = _load_error(path)
    assert err.reason == "too large: 150.0 megapixels exceeds the limit of 120.0"


def test_limit_above_pillows_hard_limit_explains_pillow(tmp_path):
    path = _write_zero_png(tmp_path / "bomb.png", 20_000, 10_000)
    err = _load_error(path, max_pixels=300_000_000)
    assert err.reason.startswith("too large: 200.0 megapixels exceeds Pillow's")


def test_custom_pixel_limit(tmp_path):
    path = _save(Image.new("RGB", (100, 100)), tmp_path / "small.png")
    assert _load_error(path, max_pixels=5_000).reason == (
        "too large: 0.01 megapixels exceeds the limit of 0.005")
    assert load_image(path, max_pixels=10_000).luma_source.size == (100, 100)
    assert DEFAULT_MAX_PIXELS == 120_000_000


def test_error_pickles_for_worker_processes():
    err = pickle.loads(pickle.dumps(ImageLoadError("a.png", "empty file")))
    assert (err.path, err.reason, str(err)) == ("a.png", "empty file", "a.png: empty file")


# ------------------------------------------------------------------------------ modes


def _load(im: Image.Image, path: Path, **params) -> LoadedImage:
    return load_image(_save(im, path, **params))


def test_mode_1(tmp_path):
    im = Image.fromarray(np.indices((8, 6)).sum(axis=0) % 2 == 0)  # checkerboard, mode "1"
    assert im.mode == "1"
    got = _load(im, tmp_path / "bits.png")
    assert got.luma_source.mode == "L" and got.luma_source.size == (6, 8)
    assert set(np.unique(np.asarray(got.luma_source))) == {0, 255}
    assert not got.is_color and got.alpha is None and got.format == "PNG"


def test_mode_l(tmp_path):
    values = np.arange(256, dtype=np.uint8).reshape(16, 16)
    got = _load(Image.fromarray(values), tmp_path / "gray.png")
    assert got.luma_source.mode == "L"
    assert np.array_equal(np.asarray(got.luma_source), values)
    assert not got.is_color and got.notes == []


def test_mode_la_alpha_split(tmp_path):
    gray = np.full((4, 5), 77, np.uint8)
    alpha = np.arange(20, dtype=np.uint8).reshape(4, 5) * 10
    got = _load(Image.fromarray(np.dstack([gray, alpha])), tmp_path / "la.png")
    assert got.luma_source.mode == "L" and not got.is_color
    assert np.array_equal(np.asarray(got.luma_source), gray)
    assert got.alpha.mode == "L" and np.array_equal(np.asarray(got.alpha), alpha)


def test_mode_p_without_transparency(tmp_path):
    im = _halves((10, 4), RED, BLUE).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    got = _load(im, tmp_path / "pal.png")
    assert got.luma_source.mode == "RGB" and got.alpha is None and got.is_color
    assert got.luma_source.getpixel((0, 0)) == RED
    assert got.luma_source.getpixel((9, 3)) == BLUE


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_mode_p_with_transparency(tmp_path, fmt):
    im = Image.new("P", (6, 2), 0)
    im.putpalette([*RED, *GREEN] + [0] * 762)
    im.paste(1, (3, 0, 6, 2))
    got = _load(im, tmp_path / f"key.{fmt.lower()}", transparency=1)
    assert got.luma_source.mode == "RGB" and got.is_color
    assert got.luma_source.getpixel((0, 0)) == RED
    assert got.alpha.getpixel((0, 0)) == 255 and got.alpha.getpixel((5, 1)) == 0


def test_mode_rgb_and_rgba(tmp_path):
    rgba = np.random.default_rng(0).integers(0, 256, (9, 7, 4), dtype=np.uint8)
    got = _load(Image.fromarray(rgba), tmp_path / "rgba.png")
    assert got.luma_source.mode == "RGB" and got.is_color
    assert np.array_equal(np.asarray(got.luma_source), rgba[..., :3])
    assert np.array_equal(np.asarray(got.alpha), rgba[..., 3])
    plain = load_image(_save(Image.fromarray(rgba[..., :3]), tmp_path / "rgb.png"))
    assert plain.alpha is None and plain.luma_source.mode == "RGB"


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
def test_mode_cmyk(tmp_path, fmt):
    cmyk = _halves((32, 16), (0, 255, 255, 0), (255, 255, 0, 0), "CMYK")  # red | blue
    got = _load(cmyk, tmp_path / f"cmyk.{fmt.lower()}")  # Pillow writes Adobe-inverted JPEG
    assert got.luma_source.mode == "RGB" and got.is_color
    assert "CMYK converted to RGB" in got.notes
    np.testing.assert_allclose(got.luma_source.getpixel((4, 8)), RED, atol=6)
    np.testing.assert_allclose(got.luma_source.getpixel((28, 8)), BLUE, atol=6)


@pytest.mark.parametrize(
    ("dtype", "fmt"), [("<u2", "PNG"), ("<u2", "TIFF"), (">u2", "TIFF"), ("<u2", "PPM")],
    ids=["I;16-png", "I;16-tiff", "I;16B-tiff", "I-ppm"],
)
def test_16_bit_gray_scaled_by_bit_depth(tmp_path, dtype, fmt):
    values = np.array([[0x8040, 0xFFFF, 0x00FF], [0x0100, 0x7FFF, 0]], dtype=dtype)
    got = _load(Image.fromarray(values), tmp_path / f"deep.{fmt.lower()}")
    assert got.luma_source.mode == "L" and not got.is_color
    assert np.asarray(got.luma_source).tolist() == [[0x80, 0xFF, 0x00], [0x01, 0x7F, 0]]
    assert "16-bit: scaled to 8-bit" in got.notes


def test_32_bit_int_tiff(tmp_path):
    values = np.array([[0x12345678, 0x7FFFFFFF, -5]], dtype=np.int32)
    got = _load(Image.fromarray(values), tmp_path / "int.tif")
    assert np.asarray(got.luma_source).tolist() == [[0x12, 0x7F, 0]]
    assert "32-bit: scaled to 8-bit" in got.notes


def test_float_clipped(tmp_path):
    values = np.array([[-5.0, 100.4, 254.6, 1e6, np.nan]], dtype=np.float32)
    got = _load(Image.fromarray(values), tmp_path / "float.tif")
    assert np.asarray(got.luma_source).tolist() == [[0, 100, 255, 255, 0]]
    assert not got.is_color and "32-bit float: clipped to 0..255" in got.notes


@pytest.mark.parametrize("mode", ["YCbCr", "LAB"])
def test_other_colour_spaces_via_tiff(tmp_path, mode):
    im = Image.new(mode, (4, 4), (120, 90, 180))
    got = _load(im, tmp_path / f"{mode}.tif")
    assert got.luma_source.mode == "RGB" and got.is_color
    assert got.luma_source.getpixel((1, 1)) == im.convert("RGB").getpixel((1, 1))


def test_hsv_converts():
    im = Image.new("HSV", (2, 2), (0, 255, 255))
    assert _to_luma_source(im, Path("x"), []).getpixel((0, 0)) == RED


def test_gray_content_in_rgb_jpeg_is_not_colour(tmp_path):
    gray = Image.fromarray(skimage.data.camera()).convert("RGB")
    got = _load(gray, tmp_path / "gray_rgb.jpg", quality=80)
    assert got.luma_source.mode == "RGB" and not got.is_color
    tinted = np.asarray(gray).copy()
    tinted[200:220, 200:220] = RED  # a small stamp of colour is enough
    assert _load(Image.fromarray(tinted), tmp_path / "stamp.png").is_color


# ------------------------------------------------------------------- orientation, frames


def test_exif_orientation_applied_and_reset(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: display = rotate 90° clockwise
    exif[0x010F] = "TestCam"
    stored = _halves((40, 20), RED, BLUE)  # red left, blue right
    got = _load(stored, tmp_path / "phone.jpg", exif=exif.tobytes(), quality=95)
    assert got.luma_source.size == (20, 40)
    np.testing.assert_allclose(got.luma_source.getpixel((10, 5)), RED, atol=8)  # left → top
    np.testing.assert_allclose(got.luma_source.getpixel((10, 34)), BLUE, atol=8)
    carried = Image.Exif()
    carried.load(got.exif)
    assert carried.get(0x0112, 1) == 1 and carried[0x010F] == "TestCam"

    out = tmp_path / "out.jpg"
    save_image(got.luma_source, out, "JPEG", exif=got.exif)
    assert load_image(out).luma_source.size == (20, 40)  # not rotated a second time


def test_luma_only_decodes_a_colour_jpeg_to_its_own_luminance_upright(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = _save(Image.fromarray(skimage.data.astronaut()), tmp_path / "colour.jpg", exif=exif.tobytes(), quality=90)
    full, luma = load_image(photo), load_image(photo, luma_only=True)
    assert full.is_color and full.luma_source.mode == "RGB"
    assert luma.luma_source.mode == "L" and not luma.is_color and luma.format == "JPEG"
    assert luma.luma_source.size == full.luma_source.size == (512, 512)
    difference = np.abs(np.asarray(full.luma_source.convert("L"), dtype=int) - np.asarray(luma.luma_source, dtype=int))
    assert (difference <= 1).mean() > 0.99 and difference.mean() < 0.1  # JPEG's Y; the RGB decode clips saturated pixels
    upright = np.asarray(full.luma_source.convert("L"), dtype=float)
    assert np.corrcoef(upright.ravel(), np.asarray(luma.luma_source, dtype=float).ravel())[0, 1] > 0.999  # rotated the same way
    png = load_image(_save(Image.fromarray(skimage.data.astronaut()), tmp_path / "colour.png"), luma_only=True)
    assert png.luma_source.mode == "RGB" and png.is_color  # other formats decode as before


def test_tiff_layout_tags_not_carried_as_exif(tmp_path):
    got = _load(Image.new("RGB", (8, 8), RED), tmp_path / "plain.tif")
    if got.exif is not None:
        carried = Image.Exif()
        carried.load(got.exif)
        assert not {256, 257, 273, 279}.intersection(carried)


@pytest.mark.parametrize(("fmt", "kind"), [("GIF", "animated GIF"), ("PNG", "animated PNG"),
                                            ("WEBP", "animated WebP")])
def test_animated_first_frame(tmp_path, fmt, kind):
    frames = [Image.new("RGB", (16, 16), c) for c in (RED, GREEN, BLUE)]
    path = tmp_path / f"anim.{fmt.lower()}"
    frames[0].save(path, format=fmt, save_all=True, append_images=frames[1:], duration=100,
                   **({"lossless": True} if fmt == "WEBP" else {}))
    got = load_image(path)
    assert f"{kind}: used frame 1 of 3" in got.notes
    assert got.luma_source.convert("RGB").getpixel((8, 8)) == RED


# ----------------------------------------------------------------------- ICC and save


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF"])
def test_icc_profile_carried_through_save(tmp_path, fmt):
    profile = _srgb_profile()
    got = _load(Image.new("RGB", (8, 8), RED), tmp_path / f"in.{fmt.lower()}",
                format=fmt, icc_profile=profile)
    assert got.icc_profile == profile
    out = tmp_path / f"out{output_format(fmt)[1]}"
    save_image(got.luma_source, out, output_format(fmt)[0], icc_profile=got.icc_profile)
    with Image.open(out) as saved:
        assert saved.info["icc_profile"] == profile


def test_non_rgb_icc_profile_dropped_with_note(tmp_path):
    profile = bytearray(_srgb_profile())
    profile[16:20] = b"GRAY"
    got = _load(Image.new("L", (8, 8), 9), tmp_path / "gray.png", icc_profile=bytes(profile))
    assert got.icc_profile is None
    assert any("ICC profile (GRAY space) dropped" in note for note in got.notes)


def test_alpha_round_trip_png(tmp_path):
    rgba = np.random.default_rng(1).integers(0, 256, (12, 10, 4), dtype=np.uint8)
    got = _load(Image.fromarray(rgba), tmp_path / "in.png")
    out = tmp_path / "out.png"
    save_image(got.luma_source, out, "PNG", alpha=got.alpha)
    with Image.open(out) as saved:
        assert saved.mode == "RGBA"
        assert np.array_equal(np.asarray(saved), rgba)


def test_jpeg_drops_alpha_and_uses_420(tmp_path):
    out = tmp_path / "out.jpg"
    save_image(_astronaut(), out, "JPEG", alpha=Image.new("L", (512, 512), 100))
    with Image.open(out) as saved:
        assert saved.mode == "RGB"
        assert JpegImagePlugin.get_sampling(saved) == 2  # 4:2:0


def test_tiff_saved_with_lzw(tmp_path):
    out = tmp_path / "out.tif"
    save_image(Image.new("RGB", (8, 8), RED), out, "TIFF", alpha=Image.new("L", (8, 8), 7))
    with Image.open(out) as saved:
        assert saved.info["compression"] == "tiff_lzw" and saved.mode == "RGBA"


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    out = tmp_path / "new" / "dir" / "out.png"
    save_image(Image.new("RGB", (8, 8), RED), out, "PNG")
    save_image(Image.new("RGB", (8, 8), BLUE), out, "PNG")  # replaces
    assert os.listdir(out.parent) == ["out.png"]
    with Image.open(out) as saved:
        assert saved.getpixel((0, 0)) == BLUE
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask


def test_failed_save_keeps_old_file_and_no_temp(tmp_path):
    out = tmp_path / "out.jpg"
    save_image(Image.new("RGB", (8, 8), RED), out, "JPEG")
    before = out.read_bytes()
    with pytest.raises(ValueError):  # EXIF larger than a JPEG marker can hold
        save_image(Image.new("RGB", (8, 8), BLUE), out, "JPEG", exif=b"Exif\0\0" + bytes(70_000))
    assert out.read_bytes() == before
    assert os.listdir(tmp_path) == ["out.jpg"]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("JPEG", ("JPEG", ".jpg")), ("MPO", ("JPEG", ".jpg")), ("PNG", ("PNG", ".png")),
     ("WEBP", ("WEBP", ".webp")), ("TIFF", ("TIFF", ".tif")), ("GIF", ("PNG", ".png")),
     ("BMP", ("PNG", ".png")), ("PPM", ("PNG", ".png")), ("jpeg", ("JPEG", ".jpg"))],
)
def test_output_format(fmt, expected):
    assert output_format(fmt) == expected


def test_real_photo_round_trip(tmp_path):
    got = _load(_astronaut(), tmp_path / "astro.jpg", quality=95)
    assert (got.format, got.is_color, got.luma_source.size) == ("JPEG", True, (512, 512))
    assert got.exif is None and got.icc_profile is None and got.notes == []
