"""Frames of a source video in display order, from the start or from just after a given timestamp."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

import av

from colorizer.video.probe import MAX_BAD_PACKETS, SourceVideo, open_input


def decode_frames(source: SourceVideo, after_pts: int | None = None) -> Iterator[av.VideoFrame]:
    """The source's frames in display order with timestamps filled in, from just after ``after_pts``.

    A resumed run seeks to the keyframe before that point and decodes forward (from the start
    if the seek overshot); damaged packets are skipped (the decoder conceals what it can) and a
    long run of them ends the file as truncated.
    """
    seek = after_pts is not None
    while True:
        try:
            yield from _decode(source, after_pts, seek)
            return
        except _SeekOvershot:
            seek = False


def batches(frames: Iterable[av.VideoFrame], size: int) -> Iterator[list[av.VideoFrame]]:
    """``frames`` in lists of ``size`` (the last one shorter): what the net sees at once."""
    frames = iter(frames)
    while batch := list(islice(frames, size)):
        yield batch


class _SeekOvershot(Exception):
    """The container landed after the frame to continue from: decode from the start instead."""


def _decode(source: SourceVideo, after_pts: int | None, seek: bool) -> Iterator[av.VideoFrame]:
    with open_input(source.path) as container:
        stream = container.streams[source.stream_index]
        stream.thread_type = "AUTO"
        if seek and after_pts is not None:
            container.seek(after_pts, stream=stream, backward=True, any_frame=False)
        bad, next_pts, first = 0, 0, True
        step = max(1, round(1 / ((source.rate or 25) * source.time_base)))
        for packet in container.demux(stream):
            try:
                decoded = packet.decode()
                bad = 0
            except av.FFmpegError:
                bad += 1
                if bad > MAX_BAD_PACKETS:
                    return
                continue
            for frame in decoded:
                if frame.pts is None:  # streams without timestamps: count frames
                    frame.pts = next_pts
                next_pts = frame.pts + step
                if seek and first and after_pts is not None and frame.pts > after_pts:
                    raise _SeekOvershot
                first = False
                if after_pts is not None and frame.pts <= after_pts:
                    continue
                yield frame
