"""Fetching a clip as v.redd.it serves it, from a local host mirrored like the sandbox's: the DASH
playlist, a video-only file, a separate sound file, joined; and each way it goes wrong."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import pytest

from bot.download import DownloadError, DownloadPolicy
from bot.video.fetch import fetch_clip
from bot.video.posts import VideoLimits, VideoRef
from tests.test_bot_video_dash import mpd
from tests.video_clips import pan, photo, write_clip, write_sound

FRAMES = 24


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("vredd")
    frames = list(pan(photo("astronaut", 240), (176, 144), FRAMES))
    video = write_clip(folder / "v.mp4", frames, audio=False).read_bytes()
    tall = write_clip(folder / "t.mp4", list(pan(photo("astronaut", 400), (320, 288), 6)), audio=False).read_bytes()
    sound = write_sound(folder / "a.mp4", FRAMES / 29.97).read_bytes()
    return {
        "/v.redd.it/clip1/DASHPlaylist.mpd": mpd([("CMAF_288.mp4", 288), ("CMAF_144.mp4", 144)], ["CMAF_AUDIO_128.mp4"]).encode(),
        "/v.redd.it/clip1/CMAF_288.mp4": tall, "/v.redd.it/clip1/CMAF_144.mp4": video, "/v.redd.it/clip1/CMAF_AUDIO_128.mp4": sound,
        "/v.redd.it/nosound/DASHPlaylist.mpd": mpd([("CMAF_144.mp4", 144)], ["CMAF_AUDIO_128.mp4"]).encode(),
        "/v.redd.it/nosound/CMAF_144.mp4": video,
        "/v.redd.it/forbidden/DASHPlaylist.mpd": mpd([("CMAF_144.mp4", 144)], []).encode(),
        "/v.redd.it/cut/DASHPlaylist.mpd": mpd([("CMAF_144.mp4", 144)], []).encode(),
        "/v.redd.it/cut/CMAF_144.mp4": video[: len(video) // 2],  # the moov atom is at the end: gone
        "/v.redd.it/empty/DASHPlaylist.mpd": mpd([], ["CMAF_AUDIO_128.mp4"]).encode(),
        "/v.redd.it/soundonly/CMAF_144.mp4": sound,
        "/v.redd.it/zero/CMAF_144.mp4": b"",
        "/v.redd.it/busy/DASHPlaylist.mpd": mpd([("CMAF_144.mp4", 144)], ["CMAF_AUDIO_128.mp4"]).encode(),
        "/v.redd.it/busy/CMAF_144.mp4": video,
    }


@pytest.fixture(scope="module")
def host(files) -> str:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's hook
            path = self.path.split("?", 1)[0]
            if path.startswith("/v.redd.it/forbidden/CMAF"):
                return self._send(403, b'{"message": "Forbidden", "error": 403}', "application/json")
            if path == "/v.redd.it/busy/CMAF_AUDIO_128.mp4":
                return self._send(503, b"busy", "text/plain")
            body = files.get(path)
            if body is None:
                return self._send(404, b"", "text/plain")
            kind = "application/dash+xml" if path.endswith(".mpd") else "audio/mp4" if "AUDIO" in path else "video/mp4"
            self._send(200, body, kind)

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def ref(host: str, name: str, **fields) -> VideoRef:
    base = f"{host}/v.redd.it/{name}"
    return VideoRef("reddit_video", 0, f"{base}/CMAF_144.mp4?source=fallback", fields.pop("playlist", f"{base}/DASHPlaylist.mpd?a=1"),
                    fields.pop("has_audio", True), 0.8, 176, 144)


def fetch(host: str, clip: VideoRef, tmp_path: Path, max_height: int = 200):
    policy = DownloadPolicy(sandbox_base_url=host, total_timeout=30)
    return fetch_clip(clip, tmp_path / "work", policy, VideoLimits(max_height=max_height, max_bytes=5_000_000))


def test_the_playlists_video_under_the_height_limit_is_joined_with_its_sound(host, tmp_path):
    clip = fetch(host, ref(host, "clip1"), tmp_path)
    assert clip.video_url.endswith("/clip1/CMAF_144.mp4") and clip.audio_url.endswith("/CMAF_AUDIO_128.mp4")
    assert clip.height == 144 and clip.notes == []
    with av.open(str(clip.path)) as joined:
        assert len(joined.streams.video) == 1 and len(joined.streams.audio) == 1
        assert sum(1 for p in joined.demux(joined.streams.video[0]) if p.size) == FRAMES, "every frame kept, none re-encoded away"
    assert fetch(host, ref(host, "clip1"), tmp_path / "tall", max_height=300).height == 288


def test_without_a_playlist_the_fallback_file_is_the_clip(host, tmp_path):
    clip = fetch(host, ref(host, "clip1", playlist=None, has_audio=False), tmp_path)
    assert clip.audio_url is None and clip.video_url.endswith("CMAF_144.mp4?source=fallback")
    with av.open(str(clip.path)) as picture:
        assert len(picture.streams.audio) == 0 and picture.streams.video[0].codec_context.height == 144


def test_a_sound_file_that_is_gone_leaves_a_silent_clip_with_a_note(host, tmp_path):
    clip = fetch(host, ref(host, "nosound"), tmp_path)
    assert clip.audio_url is None and clip.notes and "no sound" in clip.notes[0] and "HTTP 404" in clip.notes[0]


@pytest.mark.parametrize("name, kind, message", [
    ("forbidden", "http_4xx", "video host refused (HTTP 403)"),
    ("cut", "corrupt", "not a playable video"),
    ("empty", "corrupt", "lists no video file"),
    ("busy", "http_5xx", "video host failed (HTTP 503)"),  # a retryable sound failure fails the fetch: the job retries
])
def test_each_broken_clip_is_one_clear_error(host, tmp_path, name, kind, message):
    with pytest.raises(DownloadError, match=re.escape(message)) as caught:
        fetch(host, ref(host, name), tmp_path)
    assert caught.value.kind == kind and caught.value.retryable == (kind == "http_5xx")
    assert not (tmp_path / "work" / "clip.mp4").exists()


@pytest.mark.parametrize("name, message", [("soundonly", "not a playable video: no video stream"),
                                           ("zero", "not a playable video: empty file")])
def test_an_audio_only_or_empty_file_where_the_picture_should_be_is_refused(host, tmp_path, name, message):
    with pytest.raises(DownloadError, match=message) as caught:
        fetch(host, ref(host, name, playlist=None, has_audio=False), tmp_path)
    assert caught.value.kind == "corrupt"


def test_a_clip_over_the_byte_cap_stops_while_streaming(host, tmp_path):
    policy = DownloadPolicy(sandbox_base_url=host, total_timeout=30)
    with pytest.raises(DownloadError, match="video is .* more than 1000") as caught:
        fetch_clip(ref(host, "clip1", playlist=None, has_audio=False), tmp_path / "w", policy, VideoLimits(max_bytes=1000))
    assert caught.value.kind == "too_large"


def test_a_clip_far_heavier_than_the_limits_is_refused_after_download(host, tmp_path):
    policy = DownloadPolicy(sandbox_base_url=host, total_timeout=30)
    heavy = VideoLimits(max_height=40, max_seconds=0.2, max_bytes=5_000_000)  # 176x144 at 29.97 fps for 0.8 s is over this
    with pytest.raises(DownloadError, match=r"clip is 176x144 at 30 fps for 1 s: more than 0\.0 G pixel-frames") as caught:
        fetch_clip(ref(host, "clip1", playlist=None, has_audio=False), tmp_path / "w", policy, heavy)
    assert caught.value.kind == "too_large" and not caught.value.retryable
