"""The reply's clip: the gray original and the colorized one side by side, labelled like the photo panels.

Both files have the same frames (the temporal pipeline keeps every frame and its timestamp), so
they are decoded in lockstep, each pair is laid out by :func:`colorizer.panel.compose_panel`
("gray | auto"), and the strip is encoded as H.264 (yuv420p, even sides, ``+faststart`` so a
player starts before the end has arrived) at a height Reddit's player shows whole. The sound is
copied when it is AAC and re-encoded to AAC otherwise; a GIF's clip has none and is marked to loop.
A poster frame (the middle strip, JPEG) goes beside it for the upload and the status page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from colorizer.panel import compose_panel
from colorizer.video.probe import VideoError, open_input, probe_video

#: Each panel's height: Reddit's player shows a 2-panel strip of this height whole on a laptop.
PANEL_HEIGHT = 480
MAX_WIDTH = 1920
CRF = 23
PRESET = "veryfast"


@dataclass(frozen=True)
class ComparisonClip:
    path: Path
    poster: Path
    frames: int
    width: int
    height: int
    seconds: float
    has_audio: bool


def _even(value: int) -> int:
    return max(2, value - value % 2)


def _frames(container: av.container.InputContainer) -> Iterator[av.VideoFrame]:
    yield from container.decode(container.streams.video[0])


def _upright(frame: av.VideoFrame, turns: int) -> Image.Image:
    """The frame as shown: a phone clip's display rotation (quarter turns counter-clockwise) applied."""
    image = frame.to_image()
    return image.rotate(90 * turns, expand=True) if turns else image


def _turns(path: Path) -> int:
    return (probe_video(path).rotation // 90) % 4


def _strip_size(gin: av.container.InputContainer, ain: av.container.InputContainer, labels: tuple[str, str],
                panel_height: int, rotations: tuple[int, int]) -> tuple[int, int, int]:
    """(width, height, panel height) of the strips, from the streams' frame sizes alone."""
    sizes = [(c.streams.video[0].codec_context.width, c.streams.video[0].codec_context.height) for c in (gin, ain)]
    sizes = [(h, w) if turns % 2 else (w, h) for (w, h), turns in zip(sizes, rotations)]
    height = min(panel_height, sizes[0][1])
    blank = compose_panel([(label, Image.new("RGB", size)) for label, size in zip(labels, sizes)], height=height, max_width=MAX_WIDTH)
    return _even(blank.width), _even(blank.height), height


def comparison_clip(gray: Path, auto: Path, out: Path, *, labels: tuple[str, str] = ("gray", "auto"),
                    panel_height: int = PANEL_HEIGHT, loop: bool = False) -> ComparisonClip:
    """Write the side-by-side clip of ``gray`` and ``auto`` to ``out`` (and ``out``'s poster JPEG)."""
    tmp = out.with_name(f".{out.name}.part")
    poster = out.with_suffix(".poster.jpg")
    try:
        with open_input(gray) as gin, open_input(auto) as ain, \
                av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as muxer:
            if not gin.streams.video or not ain.streams.video:
                raise VideoError(gray if not gin.streams.video else auto, "no video stream to compare")
            if loop:  # read by the uploader: Reddit plays a GIF's clip on repeat (kind "videogif")
                muxer.metadata["comment"] = "loop"
            source = gin.streams.video[0]
            rate = source.average_rate or source.guessed_rate or Fraction(30)
            rotations = (_turns(gray), _turns(auto))
            width, height, panel = _strip_size(gin, ain, labels, panel_height, rotations)
            video = muxer.add_stream("libx264", rate=rate, options={"crf": str(CRF), "preset": PRESET})
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            video.codec_context.time_base = source.time_base
            sound = None if loop or not ain.streams.audio else ain.streams.audio[0]
            sound_out = _sound_stream(sound, muxer) if sound is not None else None
            frames = _write_video(gin, ain, muxer, video, labels, panel, poster, rotations)
            if sound is not None:
                _write_sound(ain, sound, sound_out, muxer)
        with av.open(str(tmp)) as written:
            seconds = float(written.duration / 1e6) if written.duration else frames / float(rate)
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        poster.unlink(missing_ok=True)
        raise
    return ComparisonClip(out, poster, frames, width, height, seconds, sound is not None)


def _write_video(gin: av.container.InputContainer, ain: av.container.InputContainer, muxer: av.container.OutputContainer,
                 stream: av.video.stream.VideoStream, labels: tuple[str, str], panel_height: int, poster: Path,
                 rotations: tuple[int, int]) -> int:
    source = gin.streams.video[0]
    middle = (source.frames or 0) // 2
    count = 0
    last = None
    for gray_frame, auto_frame in zip(_frames(gin), _frames(ain), strict=False):
        strip = compose_panel([(labels[0], _upright(gray_frame, rotations[0])), (labels[1], _upright(auto_frame, rotations[1]))],
                              height=panel_height, max_width=MAX_WIDTH)
        if strip.size != (stream.width, stream.height):
            strip = strip.crop((0, 0, stream.width, stream.height))
        if count == middle:
            strip.save(poster, quality=90)
        last = strip
        frame = av.VideoFrame.from_ndarray(np.asarray(strip), format="rgb24")
        frame.pts, frame.time_base = gray_frame.pts, source.time_base
        for packet in stream.encode(frame):
            muxer.mux(packet)
        count += 1
    if last is None:
        raise VideoError(gin.name, "no decodable frames to compare")
    for packet in stream.encode(None):
        muxer.mux(packet)
    if count <= middle:  # fewer frames than the header said: the last one is the poster
        last.save(poster, quality=90)
    return count


def _sound_stream(sound: av.audio.stream.AudioStream, muxer: av.container.OutputContainer) -> av.stream.Stream:
    """AAC is copied as it is; any other sound is re-encoded to AAC."""
    if sound.codec_context.name == "aac":
        return muxer.add_stream_from_template(sound)
    out = muxer.add_stream("aac", rate=sound.codec_context.sample_rate or 48000)
    out.layout = sound.codec_context.layout.name if sound.codec_context.layout else "stereo"
    return out


def _write_sound(ain: av.container.InputContainer, sound: av.audio.stream.AudioStream, out: av.stream.Stream,
                 muxer: av.container.OutputContainer) -> None:
    ain.seek(0)  # decoding the picture read past the sound's packets
    if sound.codec_context.name == "aac":
        for packet in ain.demux(sound):
            if packet.dts is not None:
                packet.stream = out
                muxer.mux(packet)
        return
    for frame in ain.decode(sound):
        frame.pts = None
        for packet in out.encode(frame):
            muxer.mux(packet)
    for packet in out.encode(None):
        muxer.mux(packet)
