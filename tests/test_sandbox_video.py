"""The sandbox serves v.redd.it as Reddit does (playlist, video-only renditions, a separate sound
file, ``media`` null while transcoding, GIF clips without sound) and fails as its CDN fails; the
bot's clip reader and fetcher run against it."""

from __future__ import annotations

import time

import av
import pytest

from bot.download import DownloadError, DownloadPolicy
from bot.sandbox import SandboxServer
from bot.sandbox.things import post_json
from bot.video.fetch import fetch_clip
from bot.video.posts import NotYet, Refused, VideoLimits, reddit_video

CLIP = {"photo": "camera", "tone": "sepia", "seconds": 1.5, "heights": [240, 144]}
SEED = {
    "subreddits": [{"name": "OldSchoolCool"}],
    "posts": [
        {"id": "film01", "subreddit": "OldSchoolCool", "title": "Home movie, 1958", "video": CLIP},
        {"id": "gif001", "subreddit": "OldSchoolCool", "title": "Dancing, 1920s", "video": {**CLIP, "is_gif": True}},
        {"id": "mute01", "subreddit": "OldSchoolCool", "title": "Street, 1910", "video": {**CLIP, "audio": False}},
        {"id": "long01", "subreddit": "OldSchoolCool", "title": "Newsreel, 1936", "video": {**CLIP, "duration": 1800}},
        {"id": "fresh1", "subreddit": "OldSchoolCool", "title": "Just uploaded", "video": {**CLIP, "transcode_s": 3600}},
    ],
}


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(SEED) as server:
        yield server


def listing(sandbox: SandboxServer, post_id: str) -> dict:
    return post_json(sandbox.world, sandbox.world.posts[post_id], sandbox.url)["data"]


def fetch(sandbox: SandboxServer, post_id: str, tmp_path):
    clip = reddit_video(listing(sandbox, post_id), VideoLimits(max_seconds=60))
    return clip, fetch_clip(clip, tmp_path / post_id, DownloadPolicy(sandbox_base_url=sandbox.url, total_timeout=30),
                            VideoLimits(max_height=200))


def test_a_video_post_has_reddits_shape_and_its_files_join_into_one_clip(sandbox, tmp_path):
    data = listing(sandbox, "film01")
    video = data["media"]["reddit_video"]
    assert data["is_video"] and data["domain"] == "v.redd.it" and data["post_hint"] == "hosted:video"
    assert data["secure_media"] == data["media"] and video["fallback_url"].endswith("/CMAF_240.mp4?source=fallback")
    assert (video["height"], video["duration"], video["has_audio"], video["is_gif"]) == (240, 2, True, False)
    clip, fetched = fetch(sandbox, "film01", tmp_path)
    assert fetched.video_url.endswith("/CMAF_144.mp4") and fetched.audio_url.endswith("/CMAF_AUDIO_128.mp4")
    with av.open(str(fetched.path)) as joined:
        assert joined.streams.video[0].codec_context.height == 144 and len(joined.streams.audio) == 1
        assert sum(1 for _ in joined.decode(video=0)) == 36  # 1.5 s at 24 fps


def test_gif_and_silent_clips_have_no_sound_file(sandbox, tmp_path):
    for post_id in ("gif001", "mute01"):
        playlist = sandbox.world.media[next(k for k in sandbox.world.media if k.endswith("DASHPlaylist.mpd")
                                            and sandbox.world.posts[post_id].url.split("/")[-1] in k)]
        assert b"audio/mp4" not in playlist.data
        clip, fetched = fetch(sandbox, post_id, tmp_path)
        assert fetched.audio_url is None and clip.has_audio is False
    assert listing(sandbox, "gif001")["media"]["reddit_video"]["is_gif"] is True


def test_a_declared_duration_over_the_limit_is_refused_before_any_download(sandbox):
    def media_requests() -> int:
        return sum(1 for entry in sandbox.world.log if "/v.redd.it/" in entry["path"])

    before = media_requests()
    with pytest.raises(Refused, match="1800 s long, over the 60 s limit"):
        reddit_video(listing(sandbox, "long01"), VideoLimits(max_seconds=60))
    assert media_requests() == before


def test_media_is_null_while_transcoding_then_appears(sandbox):
    data = listing(sandbox, "fresh1")
    assert data["is_video"] and data["media"] is None and data["secure_media"] is None
    with pytest.raises(NotYet):
        reddit_video(data, VideoLimits())
    sandbox.world.posts["fresh1"].video.ready_at = time.time() - 1
    assert reddit_video(listing(sandbox, "fresh1"), VideoLimits()).playlist_url


@pytest.mark.parametrize("fault, kind", [
    ({"kind": "status", "status": 403, "path": "/v.redd.it/*/CMAF_144.mp4"}, "http_4xx"),  # the CDN refuses the file
    ({"kind": "image", "image": "truncated", "path": "/v.redd.it/*/CMAF_144.mp4"}, "corrupt"),  # cut mid-file: no moov
])
def test_cdn_faults_are_one_clear_error(sandbox, tmp_path, fault, kind):
    sandbox.add_fault(fault.pop("kind"), **fault, times=1)
    with pytest.raises(DownloadError) as caught:
        fetch(sandbox, "film01", tmp_path)
    assert caught.value.kind == kind


def test_a_real_clip_file_is_served_at_its_own_rate(tmp_path):
    from bot.sandbox.videos import build_clip
    from tests.video_clips import pan, photo, write_clip

    source = write_clip(tmp_path / "film.mp4", list(pan(photo("coffee", 200), (160, 120), 30)), gray=False, audio=False)
    clip = build_clip({"file": str(source), "tone": "gray", "seconds": 10, "heights": [120]})
    assert (clip.width, clip.height) == (160, 120) and clip.seconds == pytest.approx(30 / 29.97, abs=0.01)
    assert b'frameRate="30000/1001"' in clip.files["DASHPlaylist.mpd"][1]
    path = tmp_path / "served.mp4"
    path.write_bytes(clip.files["CMAF_120.mp4"][1])
    with av.open(str(path)) as served:
        rate = float(served.streams.video[0].average_rate)
        frames = list(served.decode(video=0))
    assert len(frames) == 30 and rate == pytest.approx(29.97, abs=0.01)
