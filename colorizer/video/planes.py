"""Decoded frames ↔ numpy planes, byte for byte: the Y plane that leaves the decoder is the one the encoder gets."""

from __future__ import annotations

import av
import numpy as np

from colorizer.video.formats import PlanarLayout


def _plane_view(plane: av.video.plane.VideoPlane, dtype: str) -> np.ndarray:
    """The plane's pixels without its row padding (a view into the frame's buffer)."""
    itemsize = np.dtype(dtype).itemsize
    rows = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width * itemsize].view(dtype)


def read_luma(frame: av.VideoFrame, layout: PlanarLayout) -> np.ndarray:
    """A copy of the frame's Y (or gray) plane in its own bit depth."""
    return _plane_view(frame.planes[0], layout.dtype).copy()


def chroma_shape(layout: PlanarLayout, height: int, width: int) -> tuple[int, int]:
    """(rows, cols) of each chroma plane of a ``height`` × ``width`` frame (rounded up, as FFmpeg does)."""
    return -(-height >> layout.shift_y), -(-width >> layout.shift_x)


def build_frame(y: np.ndarray, u: np.ndarray, v: np.ndarray, layout: PlanarLayout) -> av.VideoFrame:
    """A new frame of ``layout`` holding exactly these planes."""
    height, width = y.shape
    frame = av.VideoFrame(width, height, layout.name)
    for plane, data in zip(frame.planes, (y, u, v)):
        _plane_view(plane, layout.dtype)[...] = data
    return frame


def luma_unit(y: np.ndarray, layout: PlanarLayout, full_range: bool) -> np.ndarray:
    """Y as float32 in [0, 1] (limited range 16–235 stretched, as a display would)."""
    scale = float(1 << (layout.bits - 8))
    if full_range:
        return y.astype(np.float32) / float((1 << layout.bits) - 1)
    return np.clip((y.astype(np.float32) / scale - 16.0) / 219.0, 0.0, 1.0)


def luma_uint8(y: np.ndarray, layout: PlanarLayout, full_range: bool) -> np.ndarray:
    """Y as 8-bit full-range gray: what the network and the optical flow look at."""
    return np.rint(luma_unit(y, layout, full_range) * 255.0).astype(np.uint8)
