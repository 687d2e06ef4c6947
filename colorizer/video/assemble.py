"""The final file: the segments' video packets interleaved with the source's audio and subtitles.

Audio and subtitles are copied packet for packet. Where the output container refuses a copied
stream, subtitles are dropped first, then audio is transcoded (to the container's usual codec),
each with a note. The file is written under a hidden partial name and renamed when complete.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av

from colorizer.video.encode import encoder_time_base
from colorizer.video.formats import OutputPlan
from colorizer.video.probe import SourceVideo

# The audio codec each muxer takes when a source's audio cannot be copied.
_AUDIO_FALLBACK = {"mp4": "aac", "mov": "aac", "3gp": "aac", "matroska": "aac", "mpegts": "aac", "flv": "aac",
                   "avi": "libmp3lame", "webm": "libopus", "ogg": "flac", "mpeg": "mp2"}


def partial_path(target: Path) -> Path:
    """Where the final file is written before it is complete (hidden, same folder, same extension)."""
    return target.with_name(f".{target.stem}.partial{target.suffix}")


def assemble(source: SourceVideo, segments: list[tuple[Path, int]], plan: OutputPlan, target: Path) -> list[str]:
    """Write ``target`` from ``segments`` (file, first source pts); returns notes on streams that could not be copied."""
    partial = partial_path(target)
    for level, uncopied in enumerate(_FALLBACKS):
        try:
            notes = _write(source, segments, plan, partial, uncopied)
            break
        except (av.FFmpegError, ValueError):  # the container refused a copied stream (PyAV checks some up front): copy less
            partial.unlink(missing_ok=True)
            if level == len(_FALLBACKS) - 1:
                raise
    os.replace(partial, target)
    return notes


# Stream kinds not copied, tried in order: everything copied; subtitles dropped; audio transcoded too.
_FALLBACKS: tuple[frozenset[str], ...] = (frozenset(), frozenset({"subtitle"}), frozenset({"subtitle", "audio"}))


def _time(packet: av.Packet) -> Fraction:
    stamp = packet.dts if packet.dts is not None else packet.pts
    return Fraction(stamp or 0) * Fraction(packet.time_base)


def _video_packets(segments: list[tuple[Path, int]], source_time_base: Fraction, stream: av.video.stream.VideoStream) -> Iterator[av.Packet]:
    """The segments' packets, each segment moved back to its source start time where the encoder
    needed a coarser time base (MPEG-2 counts whole frames from the stream's start)."""
    for path, first_pts in segments:
        with av.open(str(path)) as segment:
            shift: int | None = None
            for packet in segment.demux(segment.streams.video[0]):
                if packet.size == 0 or packet.pts is None:
                    continue
                if shift is None:
                    shift = round((first_pts * source_time_base) / packet.time_base) - packet.pts
                packet.pts += shift
                packet.dts = packet.pts  # segments have no B-frames: decoding order is display order
                packet.stream = stream
                yield packet


def _other_packets(container: av.container.InputContainer, routes: dict[int, av.stream.Stream | tuple[av.audio.stream.AudioStream, av.audio.stream.AudioStream]]) -> Iterator[av.Packet]:
    selected = [s for s in container.streams if s.index in routes]
    if not selected:
        return
    for packet in container.demux(selected):
        route = routes[packet.stream.index]
        if isinstance(route, tuple):  # (source stream, encoder stream): transcode
            _, encoder = route
            try:
                frames = packet.decode()
            except av.FFmpegError:
                continue  # a damaged audio packet is dropped, as a player would
            for frame in frames:
                frame.pts = None  # the encoder counts samples from the stream start
                yield from encoder.encode(frame)
        elif packet.size or packet.dts is not None:
            packet.stream = route
            yield packet
    for route in routes.values():
        if isinstance(route, tuple):
            yield from route[1].encode(None)


def _write(source: SourceVideo, segments: list[tuple[Path, int]], plan: OutputPlan, partial: Path, uncopied: frozenset[str]) -> list[str]:
    notes: list[str] = []
    with av.open(str(partial), "w", format=plan.muxer) as out, av.open(str(source.path), metadata_errors="replace") as src:
        with av.open(str(segments[0][0])) as first:
            video = out.add_stream_from_template(first.streams.video[0])
            # the source's own time base, unless the encoder counted frames (then the segment's finer one keeps the start offset)
            exact = encoder_time_base(plan, source) == source.time_base
            video.time_base = source.time_base if exact else first.streams.video[0].time_base
        if source.rotation:
            video.set_display_rotation(source.rotation)
        routes: dict[int, object] = {}
        for index, kind, codec in source.other_streams:
            stream = src.streams[index]
            if kind not in uncopied:
                routes[index] = out.add_stream_from_template(stream)
            elif kind == "audio":
                encoder = out.add_stream(_AUDIO_FALLBACK.get(plan.muxer, "aac"), rate=stream.codec_context.sample_rate)
                encoder.layout = {1: "mono", 2: "stereo"}.get(stream.codec_context.channels, stream.codec_context.layout)  # PCM may carry no channel order
                routes[index] = (stream, encoder)
                notes.append(f"audio stream {index} ({codec}) transcoded to {encoder.codec_context.name}: the container cannot hold {codec}")
            else:
                notes.append(f"{kind} stream {index} ({codec}) dropped: the container cannot hold it")
        streams = heapq.merge(_video_packets(segments, source.time_base, video), _other_packets(src, routes), key=_time)
        for packet in streams:
            out.mux(packet)
    return notes
