"""Real video files made with PyAV for the tests: pans across public-domain photos, cuts, audio, odd formats.

A pan is a window sliding across a photo (a camera panning over a still scene), so every frame's
true colour is known and the optical flow is a pure translation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image
from skimage import data

NTSC = Fraction(30000, 1001)


def photo(name: str, height: int) -> np.ndarray:
    """A scikit-image colour photo (RGB uint8) scaled to ``height`` rows."""
    image = Image.fromarray(np.asarray(getattr(data, name)())[..., :3])
    width = round(image.width * height / image.height)
    return np.asarray(image.resize((width, height), Image.Resampling.LANCZOS))


def pan(image: np.ndarray, size: tuple[int, int], frames: int, step: float = 3.0) -> Iterator[np.ndarray]:
    """``frames`` windows of ``size`` (width, height) sliding right by ``step`` px per frame (and a little down)."""
    width, height = size
    room_x, room_y = image.shape[1] - width, image.shape[0] - height
    for t in range(frames):
        x = min(room_x, round(t * step))
        y = min(room_y, round(t * step * 0.25))
        yield image[y : y + height, x : x + width]


def write_clip(path: Path, frames: Iterable[np.ndarray], *, rate: Fraction = NTSC, gray: bool = True, audio: bool = True,
               codec: str = "libx264", pix_fmt: str = "yuv420p", rotation: int = 0, pts: list[int] | None = None,
               time_base: Fraction | None = None, audio_codec: str = "aac", subtitles: list[tuple[int, int, str]] = ()) -> Path:
    """Encode RGB ``frames``; ``gray`` stores them as black and white (neutral chroma, or a gray pix_fmt).

    ``subtitles`` are (start ms, duration ms, text) cues of a SubRip stream.
    """
    with av.open(str(path), "w") as out:
        frames = iter(frames)
        first = next(frames)
        stream = out.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = first.shape[1], first.shape[0], pix_fmt
        stream.codec_context.time_base = time_base or 1 / rate
        if rotation:
            stream.set_display_rotation(rotation)
        sound = _audio_stream(out, audio_codec) if audio else None
        cues = out.add_mux_stream("subrip") if subtitles else None
        for index, rgb in enumerate([first, *frames]):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(format=pix_fmt)
            if gray and pix_fmt.startswith("yuv"):
                _neutral_chroma(frame)
            frame.pts = pts[index] if pts else index
            frame.time_base = stream.codec_context.time_base
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
        if sound is not None:
            seconds = (pts[-1] * stream.codec_context.time_base if pts else index / rate) + 1 / rate
            _write_tone(out, sound, float(seconds))
        for start, duration, text in subtitles:
            packet = av.Packet(text.encode())
            packet.stream, packet.time_base = cues, Fraction(1, 1000)
            packet.pts = packet.dts = start
            packet.duration = duration
            out.mux(packet)
    return path


def _neutral_chroma(frame: av.VideoFrame) -> None:
    deep = "10" in frame.format.name
    for plane in frame.planes[1:]:
        view = np.frombuffer(plane, np.uint8)
        if deep:
            view.view("<u2")[...] = 512
        else:
            view[...] = 128


def _audio_stream(out: av.container.OutputContainer, codec: str) -> av.audio.stream.AudioStream:
    stream = out.add_stream(codec, rate=48000)
    stream.layout = "stereo"
    if codec.startswith("pcm_s16"):
        stream.format = "s16"
    return stream


def _write_tone(out: av.container.OutputContainer, stream: av.audio.stream.AudioStream, seconds: float) -> None:
    """A 440 Hz tone for ``seconds``; encoded after the video (the muxer interleaves)."""
    total = int(seconds * 48000)
    for start in range(0, total, 1024):
        count = min(1024, total - start)
        t = (np.arange(start, start + count) / 48000.0).astype(np.float32)
        samples = np.stack([0.2 * np.sin(2 * np.pi * 440 * t)] * 2).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
        frame.sample_rate = 48000
        frame.pts = start
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)


def decode_planes(path: Path) -> tuple[list[np.ndarray], list[np.ndarray], list[int], av.VideoFrame]:
    """Every frame's Y plane and stacked (U, V) planes as stored, its pts, and the last frame."""
    ys, uvs, stamps = [], [], []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            dtype = "<u2" if "10" in frame.format.name else "u1"
            planes = [np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)[:, : p.width * np.dtype(dtype).itemsize].view(dtype).copy()
                      for p in frame.planes]
            ys.append(planes[0])
            uvs.append(np.stack(planes[1:3]) if len(planes) >= 3 else np.zeros((0,)))
            stamps.append(frame.pts)
            last = frame
    return ys, uvs, stamps, last


def write_sound(path: Path, seconds: float, codec: str = "aac") -> Path:
    """An audio-only MP4 (v.redd.it keeps a clip's sound in a file of its own): a 440 Hz tone."""
    with av.open(str(path), "w", format="mp4") as out:
        _write_tone(out, _audio_stream(out, codec), seconds)
    return path
