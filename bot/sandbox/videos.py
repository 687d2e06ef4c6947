"""v.redd.it as the sandbox serves it: a DASH playlist, video-only renditions and a separate sound file.

Reddit keeps a clip's picture and sound apart (``../shared/real_reddit/README.md``, fact 10): the
playlist ``DASHPlaylist.mpd`` names ``CMAF_<height>.mp4`` files holding only video and, when the
clip has sound, ``CMAF_AUDIO_128.mp4`` holding only audio; ``fallback_url`` is the tallest
rendition. GIF clips (``is_gif``) have no sound. A seed's ``"video"`` spec builds those files
from a real clip (``"file"``: any file PyAV reads, e.g. DATA.md's 1906 film fetched by
``python -m training.fetch_clips``) or from a pan across a scikit-image photo (``"photo"``),
toned gray, sepia or left in colour. Encoded once per spec and cached.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from bot.sandbox import images

RATE = Fraction(24)
AUDIO_NAME = "CMAF_AUDIO_128.mp4"
SAMPLE_RATE = 48000


@dataclass(frozen=True)
class ClipFiles:
    """The files of one clip, by name under ``https://v.redd.it/<id>/``, with what the post declares."""

    files: dict[str, tuple[str, bytes]]  # name -> (content type, bytes)
    width: int
    height: int
    seconds: float
    has_audio: bool


def _pan_frames(spec: dict[str, Any]) -> tuple[list[np.ndarray], Fraction]:
    picture = images.tone(images.skimage_photo(spec.get("photo", "astronaut"), 512), spec.get("tone", "gray")).convert("RGB")
    pixels = np.asarray(picture)
    height = int(spec.get("height", 360))
    width = int(spec.get("width", round(height * 4 / 3))) // 2 * 2
    scale = height / pixels.shape[0] * 1.25
    big = np.asarray(Image.fromarray(pixels).resize((max(width + 8, round(pixels.shape[1] * scale)), round(pixels.shape[0] * scale))))
    count = round(float(spec.get("seconds", 2.0)) * RATE)
    room = big.shape[1] - width
    return [big[:height, min(room, i * room // max(1, count - 1)):][:, :width] for i in range(count)], RATE


def _file_frames(spec: dict[str, Any]) -> tuple[list[np.ndarray], Fraction]:
    """Frames of a real clip (the first ``seconds``), toned as asked, as even-sized RGB arrays, and its frame rate."""
    limit = float(spec.get("seconds", 10.0))
    frames: list[np.ndarray] = []
    with av.open(str(spec["file"])) as container:
        stream = container.streams.video[0]
        rate = Fraction(stream.average_rate or stream.guessed_rate or RATE).limit_denominator(1001)
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= limit:
                break
            image = images.tone(frame.to_image(), spec.get("tone", "color")).convert("RGB")
            frames.append(np.asarray(image)[: image.height // 2 * 2, : image.width // 2 * 2])
    return frames, rate


def _encode_video(frames: list[np.ndarray], height: int, rate: Fraction) -> bytes:
    with tempfile.TemporaryDirectory(prefix="sandbox-clip-") as tmp:
        path = Path(tmp) / "v.mp4"
        with av.open(str(path), "w", format="mp4") as out:
            stream = out.add_stream("libx264", rate=rate, options={"preset": "ultrafast", "crf": "28"})
            width = round(frames[0].shape[1] * height / frames[0].shape[0]) // 2 * 2
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for index, rgb in enumerate(frames):
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(width, height, "yuv420p")
                frame.pts = index
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        return path.read_bytes()


def _encode_sound(seconds: float) -> bytes:
    with tempfile.TemporaryDirectory(prefix="sandbox-sound-") as tmp:
        path = Path(tmp) / "a.mp4"
        with av.open(str(path), "w", format="mp4") as out:
            stream = out.add_stream("aac", rate=SAMPLE_RATE)
            stream.layout = "stereo"
            total = int(seconds * SAMPLE_RATE)
            for start in range(0, total, 1024):
                t = np.arange(start, min(total, start + 1024)) / SAMPLE_RATE
                samples = np.stack([0.2 * np.sin(2 * np.pi * 330 * t)] * 2).astype(np.float32)
                frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
                frame.sample_rate, frame.pts = SAMPLE_RATE, start
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        return path.read_bytes()


def playlist(renditions: list[tuple[str, int, int]], has_audio: bool, seconds: float, rate: Fraction = RATE) -> str:
    """The MPD v.redd.it writes: one video AdaptationSet (tallest first) and, with sound, one audio set."""
    duration = f"PT0H0M{seconds:.3f}S"
    videos = "".join(
        f'<Representation id="{i + 1}" mimeType="video/mp4" codecs="avc1.4d401f" width="{w}" height="{h}" '
        f'frameRate="{rate}" sar="1:1" startWithSAP="1" bandwidth="{w * h * 2}"><BaseURL>{name}</BaseURL>'
        f'<SegmentBase indexRangeExact="true" indexRange="0-0"><Initialization range="0-0"/></SegmentBase></Representation>'
        for i, (name, w, h) in enumerate(renditions))
    tallest = renditions[0]
    audio = (f'<AdaptationSet segmentAlignment="true" subsegmentAlignment="true" subsegmentStartsWithSAP="1" lang="und">'
             f'<Representation id="{len(renditions) + 1}" mimeType="audio/mp4" codecs="mp4a.40.2" audioSamplingRate="{SAMPLE_RATE}" '
             f'startWithSAP="1" bandwidth="128000"><AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>'
             f'<BaseURL>{AUDIO_NAME}</BaseURL></Representation></AdaptationSet>') if has_audio else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<MPD xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns="urn:mpeg:dash:schema:mpd:2011" minBufferTime="PT1.500S" type="static" '
            f'mediaPresentationDuration="{duration}" maxSegmentDuration="PT0H0M4.000S" '
            'profiles="urn:mpeg:dash:profile:isoff-on-demand:2011,http://dashif.org/guidelines/dash264">'
            f'<Period duration="{duration}"><AdaptationSet segmentAlignment="true" maxWidth="{tallest[1]}" maxHeight="{tallest[2]}" '
            f'maxFrameRate="{rate}" par="{tallest[1]}:{tallest[2]}" lang="und" subsegmentAlignment="true" subsegmentStartsWithSAP="1">'
            f'{videos}</AdaptationSet>{audio}</Period></MPD>')


@lru_cache(maxsize=16)
def _build(spec_json: str) -> ClipFiles:
    spec = json.loads(spec_json)
    frames, rate = _file_frames(spec) if "file" in spec else _pan_frames(spec)
    if not frames:
        raise ValueError(f"video spec {spec_json} gives no frames")
    seconds = len(frames) / float(rate)
    source_height = frames[0].shape[0]
    heights = sorted({min(int(h), source_height) // 2 * 2 for h in spec.get("heights", [source_height, 240])}, reverse=True)
    files: dict[str, tuple[str, bytes]] = {}
    renditions = []
    for height in heights:
        name = f"CMAF_{height}.mp4"
        data = _encode_video(frames, height, rate)
        files[name] = ("video/mp4", data)
        renditions.append((name, round(frames[0].shape[1] * height / source_height) // 2 * 2, height))
    has_audio = bool(spec.get("audio", True)) and not spec.get("is_gif", False)
    if has_audio:
        files[AUDIO_NAME] = ("audio/mp4", _encode_sound(seconds))
    files["DASHPlaylist.mpd"] = ("application/dash+xml", playlist(renditions, has_audio, seconds, rate).encode())
    return ClipFiles(files, renditions[0][1], renditions[0][2], seconds, has_audio)


def build_clip(spec: dict[str, Any]) -> ClipFiles:
    """The files of a seed's ``"video"`` spec (cached: every sandbox in a test run reuses them)."""
    return _build(json.dumps(spec, sort_keys=True))
