"""64-bit perceptual hash (DCT pHash): the bot skips reposts of a photo it already did, the
photo pool drops near-identical copies.

Copies arrive resized, recompressed, brightened, or already colorized by someone else, so
the hash looks only at the coarse luminance structure: the signs of the lowest 8×8 DCT
frequencies of a 32×32 gray thumbnail, relative to their median.  Hashes of the same photo
differ in a few bits; hashes of different photos in about half of the 64.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from colorizer.imageio import small_copy

_SIZE = 32  # thumbnail side the DCT runs on
_BITS_SIDE = 8  # 8×8 lowest frequencies → 64 bits


def _dct_matrix(n: int) -> np.ndarray:
    """Orthonormal DCT-II matrix: ``D @ x`` is the DCT of ``x`` (no scipy needed)."""
    k = np.arange(n)[:, None]
    m = np.cos(np.pi * (2 * np.arange(n)[None, :] + 1) * k / (2 * n)) * np.sqrt(2 / n)
    m[0] /= np.sqrt(2)
    return m


_DCT = _dct_matrix(_SIZE)


def phash(image: Image.Image) -> int:
    """The 64-bit pHash of ``image`` as an unsigned int (bit 63 = lowest frequency).

    Luminance only, so a photo and its colorization hash alike.  The DC term is left out of
    the median, which would otherwise make overall brightness flip bits.
    """
    gray = small_copy(image, 4 * _SIZE).convert("L").resize((_SIZE, _SIZE), Image.Resampling.BOX)
    pixels = np.asarray(gray, dtype=np.float64)
    low = (_DCT @ pixels @ _DCT.T)[:_BITS_SIDE, :_BITS_SIDE].ravel()
    bits = low > np.median(low[1:])
    return int("".join("1" if b else "0" for b in bits), 2)


__all__ = ["phash"]
