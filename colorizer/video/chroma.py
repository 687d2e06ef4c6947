"""The model's chroma (analog BT.601 U, V) as a video's own Cb/Cr planes: its matrix, range and bit depth.

The net's U, V mean an RGB offset from the gray (``YUV_TO_RGB``'s chroma columns). The same
offset is written in the video's matrix (BT.601, BT.709, BT.2020…), so the colour a player shows
is the colour the model meant, on the video's untouched luminance. Where the offset would leave
the RGB gamut at a pixel's luminance, the chroma is scaled down instead of clipping a channel.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from colorizer.color import YUV_TO_RGB

# AVColorSpace values → (Kr, Kb) of the matrix.
_KR_KB = {
    1: (0.2126, 0.0722),  # BT.709
    4: (0.30, 0.11),  # FCC
    5: (0.299, 0.114),  # BT.470BG (PAL)
    6: (0.299, 0.114),  # SMPTE 170M (NTSC)
    7: (0.212, 0.087),  # SMPTE 240M
    9: (0.2627, 0.0593),  # BT.2020 non-constant
    10: (0.2627, 0.0593),  # BT.2020 constant (approximated by the non-constant matrix)
}
BT601, BT709 = (0.299, 0.114), (0.2126, 0.0722)
_RGB_OFFSETS = YUV_TO_RGB[:, 1:].astype(np.float32)  # (3, 2): RGB change per unit of U, V


@dataclass(frozen=True)
class VideoColour:
    """How a video stores colour: its matrix coefficients, range and bit depth."""

    kr: float
    kb: float
    full_range: bool
    bits: int

    @classmethod
    def of(cls, colorspace: int, full_range: bool, bits: int, height: int) -> VideoColour:
        """Unspecified matrices follow FFmpeg and players: BT.709 from 720 lines up, else BT.601."""
        kr, kb = _KR_KB.get(int(colorspace or 2), BT709 if height >= 720 else BT601)
        return cls(kr, kb, full_range, bits)

    @property
    def _kg(self) -> float:
        return 1.0 - self.kr - self.kb

    def chroma_from_rgb_offsets(self, offsets: np.ndarray) -> np.ndarray:
        """(3, h, w) RGB offsets → (2, h, w) normalised Cb, Cr in [-0.5, 0.5] of this matrix."""
        r, g, b = offsets
        luma = self.kr * r + self._kg * g + self.kb * b
        return np.stack([(b - luma) / (2.0 * (1.0 - self.kb)), (r - luma) / (2.0 * (1.0 - self.kr))])

    def rgb_offsets_from_chroma(self, cbcr: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`chroma_from_rgb_offsets` for a zero-luma offset."""
        cb, cr = cbcr
        r = 2.0 * (1.0 - self.kr) * cr
        b = 2.0 * (1.0 - self.kb) * cb
        g = -(self.kr * r + self.kb * b) / self._kg
        return np.stack([r, g, b])

    def to_digital(self, cbcr: np.ndarray) -> np.ndarray:
        """Normalised Cb, Cr → stored integer samples (uint8 or uint16)."""
        depth = float(1 << (self.bits - 8))
        if self.full_range:
            samples = 128.0 * depth + cbcr * float((1 << self.bits) - 1)
        else:
            samples = (128.0 + 224.0 * cbcr) * depth
        top = (1 << self.bits) - 1
        return np.clip(np.rint(samples), 0, top).astype(np.uint16 if self.bits > 8 else np.uint8)

    def from_digital(self, samples: np.ndarray) -> np.ndarray:
        """Stored chroma samples → normalised Cb, Cr (the inverse of :meth:`to_digital`)."""
        depth = float(1 << (self.bits - 8))
        values = samples.astype(np.float32)
        if self.full_range:
            return (values - 128.0 * depth) / float((1 << self.bits) - 1)
        return (values / depth - 128.0) / 224.0


def neutral_plane(colour: VideoColour, shape: tuple[int, int]) -> np.ndarray:
    """A chroma plane of no colour."""
    return colour.to_digital(np.zeros((1, *shape), np.float32))[0]


def chroma_planes(uv: np.ndarray, luma: np.ndarray, colour: VideoColour) -> tuple[np.ndarray, np.ndarray]:
    """Model chroma ``uv`` ((2, h, w) analog U, V at any size) → the video's Cb and Cr planes.

    ``luma`` is the frame's Y as float in [0, 1] at the chroma planes' size (averaged over each
    chroma sample's area); it sets the planes' shape and the gamut limit.
    """
    rows, cols = luma.shape
    if uv.shape[1:] != luma.shape:
        uv = np.stack([cv2.resize(c, (cols, rows), interpolation=cv2.INTER_LINEAR) for c in uv])
    offsets = np.einsum("rc,chw->rhw", _RGB_OFFSETS, uv.astype(np.float32))
    cbcr = colour.chroma_from_rgb_offsets(offsets)
    cbcr *= _gamut_scale(luma, colour.rgb_offsets_from_chroma(cbcr))
    cb, cr = colour.to_digital(cbcr)
    return cb, cr


def _gamut_scale(y: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Largest s ≤ 1 per pixel with ``y + s·offsets`` inside [0, 1] on every channel."""
    over = np.maximum(offsets.max(axis=0), 1e-6)
    under = np.maximum(-offsets.min(axis=0), 1e-6)
    return np.minimum(1.0, np.minimum((1.0 - y) / over, y / under)).astype(np.float32)

