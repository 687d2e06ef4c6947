"""Which clip a post holds, on posts reddit.com really served (``tests/real_reddit/``): v.redd.it
videos of 2026, one still transcoding (``media`` null), a ``.gif`` post; limits before download."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.video.posts import NotYet, Refused, VideoLimits, gallery_gif, gif_video, reddit_video
from tests.reddit_shapes import recording

POPULAR = "listing_r_popular_hot_2026.json"


def post(name: str, index: int) -> dict[str, Any]:
    return copy.deepcopy(recording(name)["data"]["children"][index]["data"])


def test_a_transcoded_2026_video_gives_its_playlist_fallback_sound_and_declared_size():
    data = post(POPULAR, 12)  # 59 s, 720 px tall, 2,400 kbps, with sound
    clip = reddit_video(data, VideoLimits(max_seconds=60))
    video = data["media"]["reddit_video"]
    assert clip.kind == "reddit_video" and not clip.is_gif
    assert clip.playlist_url == video["dash_url"] and "DASHPlaylist.mpd?a=" in clip.playlist_url
    assert clip.video_url == video["fallback_url"] and clip.video_url.endswith("?source=fallback")
    assert (clip.duration, clip.height, clip.has_audio) == (59, 720, True)


def test_limits_refuse_before_any_download():
    with pytest.raises(Refused, match="video is 147 s long, over the 60 s limit"):
        reddit_video(post(POPULAR, 1), VideoLimits(max_seconds=60))
    with pytest.raises(Refused, match=r"about 18 MB \(2400 kbps × 59 s\), over the 10 MB limit"):
        reddit_video(post(POPULAR, 12), VideoLimits(max_seconds=600, max_bytes=10_000_000))


def test_a_video_still_transcoding_is_read_again_later():
    data = recording("comments_video_post_unprocessed_2025.json")[0]["data"]["children"][0]["data"]
    assert data["is_video"] and data["media"] is None
    with pytest.raises(NotYet, match="still transcoding"):
        reddit_video(data, VideoLimits())
    processing = post(POPULAR, 12)
    processing["secure_media"]["reddit_video"]["transcoding_status"] = "processing"
    with pytest.raises(NotYet, match=r"still transcoding \(processing\)"):
        reddit_video(processing, VideoLimits())


def test_gif_clips_and_clips_without_a_sound_flag():
    data = post(POPULAR, 12)
    for media in (data["media"], data["secure_media"]):
        media["reddit_video"].update(is_gif=True)
    assert reddit_video(data, VideoLimits()).has_audio is False, "an is_gif clip has no sound"
    older = post(POPULAR, 12)
    for media in (older["media"], older["secure_media"]):
        del media["reddit_video"]["has_audio"]  # before 2026: the playlist says
    assert reddit_video(older, VideoLimits()).has_audio is True
    gif = gif_video(post(POPULAR, 99))
    assert gif is not None and gif.kind == "gif" and gif.is_gif and "u7ld6zcktyug1.gif?format=mp4" in gif.video_url
    assert "&amp;" not in gif.video_url, "preview URLs are HTML-escaped in listings"
    assert gif_video(post(POPULAR, 12)) is None


def test_an_animated_gallery_item_gives_its_mp4():
    meta = {"status": "valid", "e": "AnimatedImage", "m": "image/gif",
            "s": {"y": 480, "x": 360, "gif": "https://i.redd.it/x.gif", "mp4": "https://preview.redd.it/x.gif?format=mp4&amp;s=1"}}
    clip = gallery_gif(meta, 2)
    assert (clip.kind, clip.index, clip.video_url, clip.width, clip.height) == ("gallery_gif", 2, "https://preview.redd.it/x.gif?format=mp4&s=1", 360, 480)
    assert gallery_gif({"status": "valid", "e": "Image", "s": {"u": "https://preview.redd.it/y.jpg"}}, 0) is None
