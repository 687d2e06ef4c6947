"""pHash: copies of a photo stay close, different photos stay far."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from PIL import Image, ImageEnhance
from skimage import data
from skimage.color import rgb2gray

from bot.phash import hamming, phash
from colorizer.phash import _dct_matrix
from db.phash import normalize_hash

NAMES = ["astronaut", "coffee", "chelsea", "rocket", "camera", "moon"]


def photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(data, name)()).convert("RGB")


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


COPIES = {
    "half size": lambda im: im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS),
    "jpeg q50": lambda im: jpeg(im, 50),
    "third size + jpeg q70": lambda im: jpeg(im.resize((im.width // 3, im.height // 3)), 70),
    "10 % brighter": lambda im: ImageEnhance.Brightness(im).enhance(1.1),
}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("copy", list(COPIES))
def test_copies_are_close(name: str, copy: str) -> None:
    image = photo(name)
    assert hamming(phash(image), phash(COPIES[copy](image))) <= 6


def test_different_photos_are_far() -> None:
    hashes = [phash(photo(n)) for n in NAMES]
    assert min(hamming(a, b) for a, b in itertools.combinations(hashes, 2)) >= 20


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket"])
def test_color_and_gray_versions_are_close(name: str) -> None:
    image = photo(name)
    gray = Image.fromarray((rgb2gray(np.asarray(image)) * 255).round().astype(np.uint8))  # BT.709 weights
    assert hamming(phash(image), phash(gray)) <= 4


def test_hash_is_64_bits_and_dct_is_orthonormal() -> None:
    h = phash(photo("astronaut"))
    assert 0 <= h < 1 << 64
    d = _dct_matrix(32)
    assert np.allclose(d @ d.T, np.eye(32))
    assert int(normalize_hash(h), 16) == h, "the queue stores every 64-bit hash losslessly"
    assert hamming(0, (1 << 64) - 1) == 64
