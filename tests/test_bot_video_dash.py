"""Reddit's DASH playlists as v.redd.it writes them (2026 CMAF names, 2020 DASH names, 2018 names
without a suffix): the right video height, the sound track, and a clear line for unusable ones."""

from __future__ import annotations

import pytest

from bot.video.dash import PlaylistError, choose, parse_playlist

PLAYLIST_URL = "https://v.redd.it/dqm10oy4d0vg1/DASHPlaylist.mpd?a=1778705385%2CYjc1&v=1&f=sd"


def mpd(videos: list[tuple[str, int]], audio: list[str], video_mime: bool = True) -> str:
    """A playlist in the layout v.redd.it serves: one video and one audio AdaptationSet."""
    mime = 'mimeType="video/mp4"' if video_mime else ""
    reps = "".join(
        f'<Representation id="{i}" {mime} codecs="avc1.4d401f" width="{h * 16 // 9}" '
        f'height="{h}" frameRate="30000/1001" bandwidth="{h * 3000}"><BaseURL>{name}</BaseURL>'
        f'<SegmentBase indexRange="800-1000"><Initialization range="0-799"/></SegmentBase></Representation>'
        for i, (name, h) in enumerate(videos))
    sound = "".join(f'<Representation id="a{i}" mimeType="audio/mp4" codecs="mp4a.40.2" bandwidth="{(i + 1) * 64000}">'
                    f'<BaseURL>{name}</BaseURL></Representation>' for i, name in enumerate(audio))
    audio_set = f'<AdaptationSet contentType="audio" lang="und">{sound}</AdaptationSet>' if audio else ""
    return ('<?xml version="1.0" encoding="UTF-8"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
            'mediaPresentationDuration="PT0H0M14.933S"><Period duration="PT0H0M14.933S">'
            f'<AdaptationSet segmentAlignment="true" maxHeight="1080" maxFrameRate="30">{reps}</AdaptationSet>{audio_set}</Period></MPD>')


def test_the_tallest_video_under_the_limit_and_the_best_audio_are_chosen():
    text = mpd([("CMAF_1080.mp4", 1080), ("CMAF_720.mp4", 720), ("CMAF_480.mp4", 480), ("CMAF_360.mp4", 360)],
               ["CMAF_AUDIO_64.mp4", "CMAF_AUDIO_128.mp4"])
    choice = choose(parse_playlist(text, PLAYLIST_URL), max_height=720)
    assert choice.video.url == "https://v.redd.it/dqm10oy4d0vg1/CMAF_720.mp4"
    assert (choice.video.height, choice.video.width) == (720, 1280)
    assert choice.video.frame_rate == pytest.approx(29.97, abs=0.01)
    assert choice.audio is not None and choice.audio.url == "https://v.redd.it/dqm10oy4d0vg1/CMAF_AUDIO_128.mp4"
    assert choice.heights == (1080, 720, 480, 360)
    assert choose(parse_playlist(text, PLAYLIST_URL), max_height=400).video.height == 360
    assert choose(parse_playlist(text, PLAYLIST_URL), max_height=240).video.height == 360, "all taller: the smallest"
    assert choose(parse_playlist(text, PLAYLIST_URL), max_height=720, want_audio=False).audio is None


@pytest.mark.parametrize("videos, audio, expected_video, expected_audio", [
    ([("DASH_720.mp4", 720), ("DASH_240.mp4", 240)], ["DASH_AUDIO_128.mp4"], "DASH_720.mp4", "DASH_AUDIO_128.mp4"),  # 2020
    ([("DASH_720", 720), ("DASH_360", 360)], ["audio"], "DASH_720", "audio"),  # 2018: no suffix
    ([("DASH_480.mp4", 480)], ["DASH_audio.mp4"], "DASH_480.mp4", "DASH_audio.mp4"),
])
def test_older_names_are_understood(videos, audio, expected_video, expected_audio):
    choice = choose(parse_playlist(mpd(videos, audio, video_mime=False), PLAYLIST_URL), max_height=720)
    assert choice.video.url.endswith("/" + expected_video) and choice.audio.url.endswith("/" + expected_audio)


def test_a_gif_clip_has_no_audio_set():
    choice = choose(parse_playlist(mpd([("CMAF_480.mp4", 480)], []), PLAYLIST_URL), max_height=720)
    assert choice.audio is None and choice.video.height == 480


@pytest.mark.parametrize("text, message", [
    (mpd([], ["CMAF_AUDIO_128.mp4"]), "lists no video file"),
    ("<html><body>403 Forbidden</body></html>", "root is <html>, not <MPD>"),
    ('<?xml version="1.0"?><MPD><Period><AdaptationSet>', "not valid XML"),
])
def test_unusable_playlists_are_one_clear_error(text, message):
    with pytest.raises(PlaylistError, match=message):
        choose(parse_playlist(text, PLAYLIST_URL), max_height=720)
