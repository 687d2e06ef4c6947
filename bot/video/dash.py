"""Reddit's DASH playlists (``media.reddit_video.dash_url``): which video file and which audio file to fetch.

v.redd.it keeps video and sound apart. The playlist (``DASHPlaylist.mpd``) lists the video at
several heights (``CMAF_720.mp4``, ``CMAF_360.mp4``…; ``DASH_720.mp4`` or plain ``DASH_720`` in
older posts) and, when the clip has sound, an audio track (``CMAF_AUDIO_128.mp4``,
``DASH_AUDIO_128.mp4`` or ``DASH_audio.mp4``). Each file's name is relative to the playlist.

The bot takes the tallest video at or under its height limit (the smallest one when every
rendition is taller) and the best audio. A playlist that lists no video is an error with one
clear line; anything that does not parse as XML is too.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urljoin

#: v.redd.it names: CMAF_720.mp4, DASH_720.mp4, DASH_720 (2018–2019), DASH_AUDIO_128.mp4, DASH_audio.mp4, audio.
_HEIGHT_IN_NAME = re.compile(r"(?:CMAF|DASH)_(\d+)(?:\.mp4)?$", re.IGNORECASE)
_AUDIO_NAME = re.compile(r"(?:^|_)audio(?:_(\d+))?(?:\.mp4)?$", re.IGNORECASE)


class PlaylistError(ValueError):
    """A playlist the bot cannot use; ``str()`` is the log line."""


@dataclass(frozen=True)
class Rendition:
    """One file the playlist offers; ``url`` is absolute."""

    url: str
    kind: str  # "video" | "audio"
    height: int = 0
    width: int = 0
    bandwidth: int = 0
    frame_rate: float | None = None


@dataclass(frozen=True)
class Choice:
    """What to download: one video file and, when the clip has sound, one audio file."""

    video: Rendition
    audio: Rendition | None
    heights: tuple[int, ...]  # every video height offered, tallest first (for the log line)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _int(value: str | None) -> int:
    try:
        return int(float(value or 0))
    except ValueError:
        return 0


def _frame_rate(value: str | None) -> float | None:
    """``30``, ``30000/1001`` or absent."""
    if not value:
        return None
    numerator, _, denominator = value.partition("/")
    try:
        rate = float(numerator) / float(denominator or 1)
    except (ValueError, ZeroDivisionError):
        return None
    return rate if rate > 0 else None


def _kind(representation: ET.Element, adaptation: ET.Element, name: str) -> str | None:
    declared = " ".join(filter(None, (representation.get("mimeType"), adaptation.get("mimeType"), adaptation.get("contentType"))))
    if "video" in declared:
        return "video"
    if "audio" in declared:
        return "audio"
    if _AUDIO_NAME.search(name):
        return "audio"
    if _HEIGHT_IN_NAME.search(name) or representation.get("height"):
        return "video"
    return None


def parse_playlist(text: str | bytes, playlist_url: str) -> list[Rendition]:
    """Every video and audio file of a DASH playlist, with absolute URLs."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise PlaylistError(f"the DASH playlist is not valid XML ({exc})") from None
    if _local(root.tag) != "MPD":
        raise PlaylistError(f"the DASH playlist's root is <{_local(root.tag)}>, not <MPD>")
    renditions: list[Rendition] = []
    for adaptation in (e for e in root.iter() if _local(e.tag) == "AdaptationSet"):
        for representation in (e for e in adaptation if _local(e.tag) == "Representation"):
            base = next((e.text or "" for e in representation if _local(e.tag) == "BaseURL"), "").strip()
            if not base:
                continue
            kind = _kind(representation, adaptation, base.split("?", 1)[0])
            if kind is None:
                continue
            height = _int(representation.get("height"))
            if kind == "video" and not height and (match := _HEIGHT_IN_NAME.search(base.split("?", 1)[0])):
                height = int(match.group(1))
            renditions.append(Rendition(
                url=urljoin(playlist_url, base), kind=kind, height=height, width=_int(representation.get("width")),
                bandwidth=_int(representation.get("bandwidth")),
                frame_rate=_frame_rate(representation.get("frameRate") or adaptation.get("frameRate") or adaptation.get("maxFrameRate")),
            ))
    return renditions


def choose(renditions: list[Rendition], max_height: int, want_audio: bool = True) -> Choice:
    """The tallest video at or under ``max_height`` (else the smallest), and the best audio when wanted."""
    videos = sorted((r for r in renditions if r.kind == "video"), key=lambda r: (r.height, r.bandwidth), reverse=True)
    if not videos:
        raise PlaylistError("the DASH playlist lists no video file")
    fitting = [r for r in videos if r.height <= max_height]
    video = fitting[0] if fitting else videos[-1]
    audios = sorted((r for r in renditions if r.kind == "audio"), key=lambda r: r.bandwidth, reverse=True)
    audio = audios[0] if want_audio and audios else None
    return Choice(video, audio, tuple(r.height for r in videos))
