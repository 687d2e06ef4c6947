"""Which clip a Reddit post holds, read from its listing JSON alone (``../shared/real_reddit/``, fact 10).

Three shapes carry moving pictures:

- **v.redd.it posts**: ``is_video`` true, ``media.reddit_video`` with ``dash_url`` (the playlist),
  ``fallback_url`` (video only), ``duration``, ``height``/``width``, ``bitrate_kbps``, ``is_gif``
  and, since 2026, ``has_audio``. Until Reddit has transcoded the upload, ``media`` is null while
  ``is_video`` is already true: such a post is read again later, like an unprocessed gallery item.
- **GIF posts on i.redd.it**: ``preview.images[0].variants.mp4.source`` is Reddit's MP4 of the GIF.
- **Gallery items** with ``e`` "AnimatedImage": ``s.mp4`` is the MP4 of the animation.

Limits apply **before downloading**: the declared duration, and the size it implies
(``bitrate_kbps`` × ``duration``), so a ten-minute upload costs one log line, not a download.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class VideoLimits:
    """What the bot takes on (settings ``[video]``)."""

    max_seconds: float = 60.0
    max_bytes: int = 200_000_000
    max_height: int = 720  # the tallest rendition fetched; taller clips are fetched smaller

    @classmethod
    def from_settings(cls, settings: Any) -> VideoLimits:
        """``settings.video`` (a :class:`bot.config.Settings`) as limits."""
        v = settings.video
        return cls(max_seconds=v.max_seconds, max_bytes=int(v.max_megabytes * 1_000_000), max_height=v.max_height)


@dataclass(frozen=True)
class VideoRef:
    """One clip of a post. ``playlist_url`` is v.redd.it's DASH playlist (absent for GIF MP4s);
    ``video_url`` is a file that holds the picture alone (``fallback_url``, or the GIF's MP4)."""

    kind: str  # "reddit_video" | "gif" | "gallery_gif"
    index: int
    video_url: str
    playlist_url: str | None = None
    has_audio: bool = False
    duration: float | None = None
    width: int = 0
    height: int = 0
    is_gif: bool = False  # a silent clip that loops (GIF posts, v.redd.it's is_gif): answered looping, without sound


class NotYet(Exception):
    """The post's clip is not ready (Reddit is still transcoding it): read the post again later."""


class Refused(Exception):
    """The post's clip breaks a limit or cannot be used; ``str()`` is the log line's reason."""


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def reddit_video(data: Mapping[str, Any], limits: VideoLimits) -> VideoRef:
    """The clip of a v.redd.it post; :class:`NotYet` while transcoding, :class:`Refused` over a limit."""
    media = data.get("secure_media") or data.get("media") or {}
    video = media.get("reddit_video") if isinstance(media, Mapping) else None
    if not video:
        raise NotYet("video still transcoding (media is null)")
    status = str(video.get("transcoding_status") or "completed")
    if status != "completed":
        raise NotYet(f"video still transcoding ({status})")
    playlist, fallback = html.unescape(str(video.get("dash_url") or "")), html.unescape(str(video.get("fallback_url") or ""))
    if not playlist and not fallback:
        raise Refused("video post lists neither a DASH playlist nor a fallback file")
    duration = _number(video.get("duration"))
    _check_declared(duration, _number(video.get("bitrate_kbps")), limits)
    is_gif = bool(video.get("is_gif"))
    # has_audio is absent before 2026: then the playlist itself says whether there is a sound track.
    has_audio = not is_gif and video.get("has_audio") is not False
    return VideoRef("reddit_video", 0, fallback or playlist, playlist or None, has_audio, duration,
                    int(_number(video.get("width")) or 0), int(_number(video.get("height")) or 0), is_gif)


def _check_declared(duration: float | None, bitrate_kbps: float | None, limits: VideoLimits) -> None:
    if duration is not None and duration > limits.max_seconds:
        raise Refused(f"video is {duration:g} s long, over the {limits.max_seconds:g} s limit")
    if duration is not None and bitrate_kbps:
        size = bitrate_kbps * 1000 / 8 * duration
        if size > limits.max_bytes:
            raise Refused(f"video would be about {size / 1e6:.0f} MB ({bitrate_kbps:g} kbps × {duration:g} s), "
                          f"over the {limits.max_bytes / 1e6:.0f} MB limit")


def gif_video(data: Mapping[str, Any]) -> VideoRef | None:
    """Reddit's MP4 of a GIF image post (``preview.images[0].variants.mp4``), or ``None``."""
    preview = ((data.get("preview") or {}).get("images") or [{}])[0]
    mp4 = ((preview.get("variants") or {}).get("mp4") or {}).get("source") or {}
    url = html.unescape(str(mp4.get("url") or ""))
    if not url:
        return None
    return VideoRef("gif", 0, url, width=int(_number(mp4.get("width")) or 0), height=int(_number(mp4.get("height")) or 0), is_gif=True)


def gallery_gif(meta: Mapping[str, Any], index: int) -> VideoRef | None:
    """The MP4 of an ``AnimatedImage`` gallery entry (``s.mp4``), or ``None``."""
    if meta.get("e") != "AnimatedImage":
        return None
    source = meta.get("s") or {}
    url = html.unescape(str(source.get("mp4") or ""))
    if not url:
        return None
    return VideoRef("gallery_gif", index, url, width=int(_number(source.get("x")) or 0), height=int(_number(source.get("y")) or 0),
                    is_gif=True)
