"""Encode colorized frames into one segment file (NUT: it keeps any time base exactly).

A film is written as a run of segments so that an interrupted run resumes at the last finished
one. Segments have no B-frames, so decoding order equals display order and their packets can be
concatenated into the final file with monotonic timestamps.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av

from colorizer.video.formats import OutputPlan
from colorizer.video.probe import RANGE_FULL, RANGE_LIMITED, SourceVideo

SEGMENT_FORMAT = "nut"


class SegmentWriter:
    """One segment: ``write`` frames, then ``close`` (flushes the encoder) or ``abort``."""

    def __init__(self, path: Path, plan: OutputPlan, source: SourceVideo, threads: int = 0) -> None:
        self.path = path
        self.container = av.open(str(path), "w", format=SEGMENT_FORMAT)
        rate = source.rate or Fraction(25)
        self.stream = self.container.add_stream(plan.encoder.codec, rate=rate, options=plan.encoder.options_for(plan.quality))
        context = self.stream.codec_context
        context.width, context.height = source.width, source.height
        context.pix_fmt = plan.layout.name
        context.max_b_frames = 0
        context.thread_count = threads
        self.time_base = encoder_time_base(plan, source)
        context.time_base = self.time_base
        context.color_range = RANGE_FULL if source.full_range else RANGE_LIMITED
        context.colorspace = source.colorspace
        context.color_primaries = source.color_primaries
        context.color_trc = source.color_trc
        if source.sample_aspect_ratio:
            context.sample_aspect_ratio = source.sample_aspect_ratio
        self.frames = 0

    def write(self, frame: av.VideoFrame) -> None:
        if self.time_base != frame.time_base and frame.pts is not None:
            frame.pts = math.floor(frame.pts * frame.time_base / self.time_base + Fraction(1, 2))  # never ties to even
            frame.time_base = self.time_base
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        for packet in self.stream.encode(None):
            self.container.mux(packet)
        self.container.close()

    def abort(self) -> None:
        try:
            self.container.close()
        except av.FFmpegError:
            pass
        self.path.unlink(missing_ok=True)


def encoder_time_base(plan: OutputPlan, source: SourceVideo) -> Fraction:
    """The source's own time base (so every timestamp survives), except where the codec needs 1/fps."""
    if plan.encoder.codec == "mpeg2video" and source.rate:
        return 1 / source.rate
    return source.time_base
