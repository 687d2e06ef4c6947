"""Decoded frames in, colorized frames out: the one path that ``colorize`` encodes and ``eval`` scores.

Each frame's Y plane is copied as it left the decoder; the net sees a small upright 8-bit copy of
it; its chroma, optionally carried along the optical flow (``temporal``), is written at the
video's own chroma resolution, matrix, range and bit depth.
"""

from __future__ import annotations

from collections.abc import Sequence

import av
import cv2
import numpy as np
from PIL import Image

from colorizer.color import unit_to_uv
from colorizer.fullres import render_shape
from colorizer.inference import Colorizer
from colorizer.video.chroma import VideoColour, chroma_planes
from colorizer.video.formats import PlanarLayout
from colorizer.video.planes import build_frame, chroma_shape, luma_uint8, luma_unit, read_luma
from colorizer.video.probe import RANGE_FULL, RANGE_LIMITED, SourceVideo
from colorizer.video.temporal import TemporalFilter


class FrameColorizer:
    """Colorizes the frames of one video in order (the temporal filter carries state between calls)."""

    def __init__(self, colorizer: Colorizer, source: SourceVideo, out_layout: PlanarLayout, temporal: TemporalFilter | None) -> None:
        self.colorizer = colorizer
        self.source = source
        self.layout = source.layout
        self.out_layout = out_layout
        self.temporal = temporal
        self.colour = VideoColour.of(source.colorspace, source.full_range, out_layout.bits, source.height)
        self.turns = (source.rotation // 90) % 4  # quarter turns counter-clockwise to stand the picture upright
        self.chroma_shape = chroma_shape(out_layout, source.height, source.width)

    def _small_gray(self, y: np.ndarray) -> np.ndarray:
        """The upright 8-bit gray the network and the optical flow see (shrunk first: the range mapping is per pixel)."""
        upright = np.rot90(y, self.turns) if self.turns else y
        height, width = render_shape(upright.shape[0], upright.shape[1], self.colorizer.render_size)
        if (height, width) != upright.shape:
            upright = cv2.resize(np.ascontiguousarray(upright), (width, height), interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(luma_uint8(upright, self.layout, self.source.full_range))

    def _chroma_luma(self, y: np.ndarray) -> np.ndarray:
        """Y in [0, 1] averaged over each chroma sample's area: what the gamut limit compares against."""
        rows, cols = self.chroma_shape
        if y.shape != (rows, cols):
            y = cv2.resize(y, (cols, rows), interpolation=cv2.INTER_AREA)
        return luma_unit(y, self.layout, self.source.full_range)

    def luma_planes(self, frames: Sequence[av.VideoFrame]) -> list[np.ndarray]:
        """Each frame's Y plane, converted first only where the file stores no planar Y."""
        return [read_luma(f.reformat(format=self.layout.name) if self.source.needs_conversion else f, self.layout) for f in frames]

    def predict_chroma(self, lumas: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Analog U, V ((2, h, w) float32, stored orientation, at the net's size) for each frame, in order.

        With a temporal filter whose keyframe interval is k > 1, the net sees only each shot's first
        frame and every k-th after it; the frames between carry the colour along the flow.
        """
        grays = [self._small_gray(y) for y in lumas]
        plans = [self.temporal.plan(g) if self.temporal is not None else None for g in grays]
        wanted = [g for g, plan in zip(grays, plans) if plan is None or plan.predict]
        units = iter(self.colorizer.predict([self.colorizer.prepare(Image.fromarray(g)) for g in wanted]))
        chroma: list[np.ndarray] = []
        for gray, plan in zip(grays, plans):
            uv = unit_to_uv(next(units)[None].float())[0].numpy() * self.colorizer.saturation if plan is None or plan.predict else None
            if self.temporal is not None:
                uv = self.temporal.blend(gray, uv, plan)
            chroma.append(np.rot90(uv, -self.turns, axes=(1, 2)) if self.turns else uv)
        return chroma

    def colorize(self, frames: Sequence[av.VideoFrame], lumas: Sequence[np.ndarray] | None = None) -> list[av.VideoFrame]:
        """The colorized frames, with the sources' timestamps (``lumas``: their Y planes, when already read)."""
        lumas = self.luma_planes(frames) if lumas is None else lumas
        outputs = []
        for frame, y, uv in zip(frames, lumas, self.predict_chroma(lumas)):
            cb, cr = chroma_planes(uv, self._chroma_luma(y), self.colour)
            out = build_frame(y, cb, cr, self.out_layout)
            out.pts = frame.pts
            out.time_base = frame.time_base
            out.color_range = RANGE_FULL if self.source.full_range else RANGE_LIMITED
            out.colorspace = self.source.colorspace
            outputs.append(out)
        return outputs
