"""What a video file holds, read once before colorizing it; every unusable file becomes one ``VideoError`` line."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av

from colorizer.video.formats import PlanarLayout, decoded_layout

# FFmpeg's AVColorRange values.
RANGE_LIMITED, RANGE_FULL = 1, 2
# How many packets may fail to decode in a row before a file counts as corrupt rather than damaged.
MAX_BAD_PACKETS = 50


class VideoError(Exception):
    """A video that cannot be colorized; ``str(e)`` is the single line ``"{path}: {reason}"``."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = str(path)
        self.reason = " ".join(str(reason).split())
        super().__init__(f"{self.path}: {self.reason}")

    def __reduce__(self):  # picklable, like ImageLoadError
        return (type(self), (self.path, self.reason))


@dataclass
class SourceVideo:
    """The facts about a source that decide how it is decoded and written."""

    path: Path
    stream_index: int
    codec: str
    width: int
    height: int
    pix_fmt: str
    layout: PlanarLayout
    needs_conversion: bool  # frames must be converted to ``layout`` first (packed RGB, nv12, palette…)
    time_base: Fraction
    rate: Fraction | None  # average frame rate, exact (30000/1001 stays 30000/1001)
    frames_estimate: int | None
    duration_seconds: float | None
    rotation: int  # degrees, as FFmpeg's display matrix says (counter-clockwise)
    full_range: bool
    colorspace: int
    color_primaries: int
    color_trc: int
    sample_aspect_ratio: Fraction | None
    other_streams: list[tuple[int, str, str]] = field(default_factory=list)  # (index, type, codec)
    notes: list[str] = field(default_factory=list)


def _pick_video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream | None:
    """The main picture: the largest video stream that is not a cover image."""
    candidates = [s for s in container.streams.video if not (s.disposition & av.stream.Disposition.attached_pic)]
    if not candidates:
        return None
    return max(candidates, key=lambda s: (s.codec_context.width or 0) * (s.codec_context.height or 0))


def open_input(path: Path) -> av.container.InputContainer:
    """Open a file for decoding, turning FFmpeg's complaints into one clear line."""
    if not path.is_file():
        raise VideoError(path, "not a regular file")
    if path.stat().st_size == 0:
        raise VideoError(path, "empty file")
    try:
        return av.open(str(path), "r", metadata_errors="replace")
    except av.FFmpegError as exc:
        raise VideoError(path, f"not a readable video (FFmpeg: {exc.strerror or exc})") from None


def first_frame(container: av.container.InputContainer, stream: av.video.stream.VideoStream, path: Path) -> av.VideoFrame:
    """Decode up to the first picture (tolerating a few damaged packets)."""
    bad = 0
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.FFmpegError:
            bad += 1
            if bad > MAX_BAD_PACKETS:
                break
            continue
        if frames:
            return frames[0]
    raise VideoError(path, "no decodable picture in the video stream (corrupt or truncated)")


def probe_video(path: str | os.PathLike[str]) -> SourceVideo:
    """Read the container header and the first frame."""
    path = Path(path)
    with open_input(path) as container:
        stream = _pick_video_stream(container)
        if stream is None:
            kinds = ", ".join(sorted({s.type for s in container.streams})) or "nothing"
            raise VideoError(path, f"no video stream (the file holds {kinds})")
        context = stream.codec_context
        frame = first_frame(container, stream, path)
        pix_fmt = frame.format.name
        bits = max((c.bits for c in frame.format.components), default=8)
        layout, convert = decoded_layout(pix_fmt, bits)
        notes = [f"{pix_fmt} frames are converted to {layout.name} (the file stores no planar Y to pass through)"] if convert else []
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        duration = float(stream.duration * stream.time_base) if stream.duration else (container.duration / 1e6 if container.duration else None)
        frames = stream.frames or (round(duration * rate) if duration and rate else None)
        others = [(s.index, s.type, s.codec_context.name if s.codec_context else "unknown")
                  for s in container.streams if s.index != stream.index and s.type in ("audio", "subtitle")]
        extra_video = [s for s in container.streams.video if s.index != stream.index]
        if extra_video:
            notes.append(f"{len(extra_video)} further video stream(s) (cover art, angles) are not kept")
        return SourceVideo(
            path=path, stream_index=stream.index, codec=context.name, width=frame.width, height=frame.height,
            pix_fmt=pix_fmt, layout=layout, needs_conversion=convert, time_base=Fraction(stream.time_base),
            rate=Fraction(rate) if rate else None, frames_estimate=frames, duration_seconds=duration,
            rotation=int(round(frame.rotation or 0)), full_range=layout.full_range or int(frame.color_range or 0) == RANGE_FULL,
            colorspace=int(frame.colorspace or context.colorspace or 2), color_primaries=int(context.color_primaries or 2),
            color_trc=int(context.color_trc or 2),
            sample_aspect_ratio=Fraction(context.sample_aspect_ratio) if context.sample_aspect_ratio else None,
            other_streams=others, notes=notes,
        )
