"""Download a post's clip as Reddit serves it and hand back one MP4 with picture and sound.

v.redd.it: the DASH playlist first (small, capped), then the chosen video file and, when the
clip has sound, the audio file; the two are joined without re-encoding. Without a playlist the
``fallback_url`` (picture only) is fetched; GIF posts' MP4s are picture only too. Every file goes
through :func:`bot.download.fetch_file` — the same host allow-list (plus ``v.redd.it``), public
addresses, redirects checked hop by hop, byte cap, stall and total-time limits as images — and is
opened with FFmpeg before it counts, so a truncated MP4 or one without its ``moov`` atom is one
clear ``corrupt`` line. A sound track that is gone (403/404) or unreadable leaves a silent clip
with a note; a retryable failure (5xx, 429, timeout) fails the whole fetch so the job retries.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av

from bot.download import DownloadError, DownloadPolicy, Resolver, fetch_file, resolve_host
from bot.video.dash import PlaylistError, choose, parse_playlist
from bot.video.posts import VideoLimits, VideoRef
from colorizer.video.probe import SourceVideo, VideoError, probe_video

VIDEO_HOSTS = frozenset({"v.redd.it"})
PLAYLIST_MAX_BYTES = 1_000_000
#: A clip may take longer than a photo to arrive; never less than this many seconds in all.
MIN_TOTAL_SECONDS = 300.0


@dataclass
class FetchedClip:
    """The joined file and what went into it."""

    path: Path
    video_url: str
    audio_url: str | None
    height: int
    notes: list[str] = field(default_factory=list)


def clip_policy(policy: DownloadPolicy, limits: VideoLimits) -> DownloadPolicy:
    """The image policy widened for clips: v.redd.it, video/audio/DASH types, the clip byte cap."""
    return dataclasses.replace(
        policy, noun="video", content_types=("video/", "audio/", "application/dash+xml"),
        accept="video/mp4, audio/mp4, application/dash+xml", allowed_hosts=policy.allowed_hosts | VIDEO_HOSTS,
        max_bytes=limits.max_bytes, total_timeout=max(policy.total_timeout, MIN_TOTAL_SECONDS),
    )


def _playable(path: Path, url: str, limits: VideoLimits) -> None:
    """The file is a video FFmpeg can decode and not far heavier than the limits (one probe for both)."""
    try:
        source = probe_video(path)
    except VideoError as exc:
        raise DownloadError("corrupt", f"not a playable video: {exc.reason}", url) from None
    check_workload(source, url, limits)


def _has_sound(path: Path, url: str) -> None:
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise DownloadError("corrupt", "the sound file holds no audio track", url)
            next(container.demux(container.streams.audio[0]))
    except (av.FFmpegError, StopIteration) as exc:
        raise DownloadError("corrupt", f"not a readable sound track ({type(exc).__name__})", url) from None


def fetch_clip(ref: VideoRef, workdir: Path, policy: DownloadPolicy, limits: VideoLimits, *,
               resolver: Resolver = resolve_host) -> FetchedClip:
    """Fetch ``ref`` into ``workdir`` and return ``workdir/clip.mp4``; raises :class:`DownloadError`."""
    workdir.mkdir(parents=True, exist_ok=True)
    video_policy = clip_policy(policy, limits)
    notes: list[str] = []
    video_url, audio_url, height = ref.video_url, None, ref.height
    if ref.playlist_url:
        playlist, _ = fetch_file(ref.playlist_url, workdir / "playlist.mpd",
                                 dataclasses.replace(video_policy, max_bytes=PLAYLIST_MAX_BYTES), resolver=resolver)
        try:
            choice = choose(parse_playlist(playlist.path.read_bytes(), playlist.url), limits.max_height, want_audio=ref.has_audio)
        except PlaylistError as exc:
            raise DownloadError("corrupt", str(exc), playlist.url) from None
        video_url, height = choice.video.url, choice.video.height
        audio_url = choice.audio.url if choice.audio else None
        if choice.video.height > limits.max_height:
            notes.append(f"every rendition is taller than {limits.max_height} px: took {choice.video.height} px")
    video, _ = fetch_file(video_url, workdir / "video.mp4", video_policy, resolver=resolver,
                          verify=lambda path, url: _playable(path, url, limits))
    sound: Path | None = None
    if audio_url:
        try:
            sound = fetch_file(audio_url, workdir / "audio.mp4", video_policy, resolver=resolver, verify=_has_sound)[0].path
        except DownloadError as exc:
            if exc.retryable:
                raise
            audio_url = None
            notes.append(f"no sound: {exc}")
    out = workdir / "clip.mp4"
    if sound is None:
        video.path.replace(out)
    else:
        join_tracks(video.path, sound, out)
    return FetchedClip(out, video.url, audio_url, height, notes)


def workload_limit(limits: VideoLimits) -> float:
    """Pixels x frames the bot colorizes for one clip: the largest clip the limits ask Reddit for
    (``max_height`` at 16:9, 30 fps, ``max_seconds``), twice over."""
    return 2 * (limits.max_height * 16 / 9) * limits.max_height * 30 * limits.max_seconds


def check_workload(source: SourceVideo, url: str, limits: VideoLimits) -> None:
    """Refuse a clip far heavier than the limits (4K at 60 fps behind a GIF post or a fallback URL)
    with one line, before minutes of colorizing."""
    rate = float(source.rate or 30)
    seconds = source.duration_seconds or (source.frames_estimate or 0) / rate
    work = source.width * source.height * rate * seconds
    if work > workload_limit(limits):
        raise DownloadError("too_large", f"clip is {source.width}x{source.height} at {rate:.0f} fps for {seconds:.0f} s: "
                            f"more than {workload_limit(limits) / 1e9:.1f} G pixel-frames to colorize", url)


def _packets(container: av.container.InputContainer, stream: av.stream.Stream, order: int) -> Iterator[tuple[float, int, av.Packet]]:
    for packet in container.demux(stream):
        if packet.dts is None:  # the demuxer's end-of-stream flush packet
            continue
        yield float(packet.dts * packet.time_base), order, packet


def join_tracks(video: Path, sound: Path, out: Path) -> Path:
    """Copy the picture of ``video`` and the sound of ``sound`` into one MP4 (no re-encoding),
    packets interleaved by time as a player reads them."""
    tmp = out.with_name(f".{out.name}.part")
    try:
        with av.open(str(video)) as vin, av.open(str(sound)) as ain, av.open(str(tmp), "w", format="mp4") as muxer:
            v_in, a_in = vin.streams.video[0], ain.streams.audio[0]
            v_out, a_out = muxer.add_stream_from_template(v_in), muxer.add_stream_from_template(a_in)
            for _, order, packet in heapq.merge(_packets(vin, v_in, 0), _packets(ain, a_in, 1), key=lambda item: item[:2]):
                packet.stream = v_out if order == 0 else a_out
                muxer.mux(packet)
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
