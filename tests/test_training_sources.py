"""The readers behind the offline photo pool: Qt rcc bundles, JPEGs inside other files, photo
cut-outs, and the normalisation every fetched photo goes through."""

from __future__ import annotations

import io
import random
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from training.fetch_photos import MAX_SIDE, normalise
from training.sources.catalog import _stem_group
from training.sources.cutouts import composite, is_photo_cutout, neutral_background
from training.sources.embedded_jpeg import largest_embedded_jpeg
from training.sources.rcc import RccError, read_rcc
from training.synthetic import color_image


def _name_entry(name: str) -> bytes:
    encoded = name.encode("utf-16-be")
    return struct.pack(">HI", len(name), 0) + encoded


def build_rcc(files: dict[str, tuple[bytes, bool]], version: int = 2) -> bytes:
    """A Qt resource bundle holding ``files`` under one directory ``dir/`` (written from the
    format's description, independently of the reader): ``{name: (bytes, zlib?)}``."""
    names = b""
    name_offsets = {}
    for name in ["dir", *files]:
        name_offsets[name] = len(names)
        names += _name_entry(name)
    data = b""
    data_offsets = {}
    for name, (payload, compress) in files.items():
        data_offsets[name] = len(data)
        body = struct.pack(">I", len(payload)) + zlib.compress(payload) if compress else payload
        data += struct.pack(">I", len(body)) + body
    node_tail = b"\0" * 8 if version >= 2 else b""
    # node 0: root dir (1 child: node 1); node 1: "dir" (children from node 2); nodes 2..: files
    tree = struct.pack(">IHII", 0, 2, 1, 1) + node_tail
    tree += struct.pack(">IHII", name_offsets["dir"], 2, len(files), 2) + node_tail
    for name, (_, compress) in files.items():
        tree += struct.pack(">IHHHI", name_offsets[name], 1 if compress else 0, 0, 0, data_offsets[name]) + node_tail
    header_size = 20
    tree_at, data_at = header_size, header_size + len(tree)
    names_at = data_at + len(data)
    return b"qres" + struct.pack(">IIII", version, tree_at, data_at, names_at) + tree + data + names


@pytest.mark.parametrize("version", [1, 2])
def test_rcc_reader_returns_every_file_with_its_path_and_bytes(tmp_path, version):
    files = {"a.webp": (b"plain bytes", False), "b.png": (b"x" * 5000 + b"compressed", True)}
    path = tmp_path / "bundle.rcc"
    path.write_bytes(build_rcc(files, version))
    assert dict(read_rcc(path)) == {"dir/a.webp": b"plain bytes", "dir/b.png": b"x" * 5000 + b"compressed"}


def test_rcc_reader_rejects_other_and_truncated_files(tmp_path):
    bad = tmp_path / "bad.rcc"
    bad.write_bytes(b"PK\3\4 not qt")
    with pytest.raises(RccError, match="qres"):
        list(read_rcc(bad))
    blob = build_rcc({"a.webp": (b"y" * 100, False)})
    bad.write_bytes(blob[:-40])  # names cut off
    with pytest.raises(RccError, match="truncated"):
        list(read_rcc(bad))


def _jpeg(width: int, height: int, seed: int) -> bytes:
    buffer = io.BytesIO()
    color_image(seed, (width, height)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_largest_embedded_jpeg_skips_truncated_copies(tmp_path):
    small, big, bigger = _jpeg(40, 30, 1), _jpeg(200, 120, 2), _jpeg(400, 240, 3)
    blob = b"EET\0header" + small + b"\0junk" + big + b"\xff\xd8\xff garbage" + bigger[: len(bigger) // 2] + b"index"
    path = tmp_path / "wallpaper.edj"
    path.write_bytes(blob)
    image = largest_embedded_jpeg(path)
    assert image is not None and image.size == (200, 120)  # the 400 px copy is truncated
    path.write_bytes(b"no images here")
    assert largest_embedded_jpeg(path) is None


def test_photo_cutouts_are_told_from_flat_drawings():
    rng = np.random.default_rng(0)
    alpha = np.zeros((120, 120), np.uint8)
    alpha[20:100, 20:100] = 255
    photo = np.dstack([np.asarray(color_image(4, (120, 120))), alpha])
    drawing = np.zeros((120, 120, 4), np.uint8)
    drawing[..., :3] = (200, 40, 40)
    drawing[60:, :, :3] = (30, 30, 200)
    drawing[..., 3] = alpha
    assert is_photo_cutout(Image.fromarray(photo))
    assert not is_photo_cutout(Image.fromarray(drawing))
    noise = rng.integers(0, 255, (120, 120, 4), dtype=np.uint8)
    noise[..., 3] = 0  # fully transparent: nothing to judge
    assert not is_photo_cutout(Image.fromarray(noise))


def test_composite_places_the_cutout_on_the_background():
    rng = random.Random(0)
    cutout = np.zeros((50, 50, 4), np.uint8)
    cutout[..., 0] = 255
    cutout[10:40, 10:40, 3] = 255
    background = neutral_background((300, 200), rng)
    frame = np.asarray(composite(Image.fromarray(cutout), background, rng, size=128)).astype(int)
    assert frame.shape == (128, 128, 3)
    red = (frame[..., 0] > 200) & (frame[..., 1] < 60)
    assert 0.05 < red.mean() < 0.5  # the opaque square, scaled to 40-80 % of the frame
    spread = np.abs(np.asarray(background).astype(int) - np.asarray(background).mean(axis=2, keepdims=True)).max()
    assert spread <= 16  # the gradient is near neutral


def test_normalise_applies_exif_orientation_alpha_and_size():
    wide = color_image(5, (2000, 100))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buffer = io.BytesIO()
    wide.save(buffer, "JPEG", exif=exif)
    upright = normalise(Image.open(io.BytesIO(buffer.getvalue())))
    assert upright.size == (round(100 * MAX_SIDE / 2000), MAX_SIDE)  # tall after rotation, long side capped
    rgba = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    assert normalise(rgba).getpixel((5, 5)) == (255, 255, 255)  # transparent → white, not black


def test_source_photo_groups_join_crops_pairs_and_frames():
    assert _stem_group("bar55_2") == _stem_group("bar55") == "bar"
    assert _stem_group("rocks2-l") == _stem_group("rocks2-r") == "rocks"
    assert _stem_group("flowers7") == _stem_group("flowers1") == "flowers"
    assert _stem_group("grand_canyon_3") == "grand_canyon"
    assert _stem_group("messi5") != _stem_group("baboon")
