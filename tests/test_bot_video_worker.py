"""Black-and-white video posts answered end to end: the real bot (real PRAW) against the sandbox's
v.redd.it, a real SQLite file and a small random model. One clip at a time, beside the photos."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import av
import pytest

from bot.health import Health
from bot.reply_removal import remove_reply
from bot.sandbox import SandboxServer
from bot.status_page import render_page
from db.report import read_report
from db.types import utcnow
from bot.scheduler import run_once
from colorizer.inference import Colorizer
from tests.bot_helpers import bot_settings, comments_by_post, make_bot

CLIP = {"photo": "camera", "tone": "gray", "seconds": 2.0, "heights": [240, 144]}
SEED = {
    "users": {"colorbot": "sandbox-password", "sandbox_user": "sandbox-password"},
    "subreddits": [{"name": "OldSchoolCool"}],
    "posts": [
        {"id": "film01", "subreddit": "OldSchoolCool", "title": "Home movie, 1958", "age_s": 60, "video": CLIP},
        {"id": "gif001", "subreddit": "OldSchoolCool", "title": "Dancing, 1920s", "age_s": 70, "video": {**CLIP, "is_gif": True}},
        {"id": "color1", "subreddit": "OldSchoolCool", "title": "Holiday, 2019", "age_s": 80, "video": {**CLIP, "photo": "coffee", "tone": "color"}},
        {"id": "long01", "subreddit": "OldSchoolCool", "title": "Newsreel, 1936", "age_s": 90, "video": {**CLIP, "duration": 1800}},
        {"id": "fresh1", "subreddit": "OldSchoolCool", "title": "Just uploaded", "age_s": 100, "video": {**CLIP, "transcode_s": 3600}},
        {"id": "photo1", "subreddit": "OldSchoolCool", "title": "Grandpa, 1950", "age_s": 110, "image": {"photo": "camera", "tone": "gray"}},
    ],
}


@pytest.fixture
def sandbox():
    with SandboxServer(SEED) as server:
        yield server


def settings_for(tmp_path: Path, sandbox: SandboxServer, checkpoint: Path, **video):
    settings = bot_settings(tmp_path, sandbox, checkpoint, subreddits=("OldSchoolCool",))
    return dataclasses.replace(settings, video=dataclasses.replace(settings.video, work_dir=tmp_path / "clips", **video))


def test_a_bw_film_and_a_gif_are_answered_with_a_clip_once(tmp_path, sandbox, vivid_checkpoint, colorizer):
    bot = make_bot(settings_for(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    run_once(bot)
    replies = comments_by_post(sandbox)
    assert set(replies) == {"film01", "gif001", "photo1"}
    (film,) = replies["film01"]
    assert "colorized version of this film clip" in film["body"] and "guesses" in film["body"]
    job = bot.queue.jobs_for_post("film01")[0]
    assert (job.kind, job.state) == ("video", "done") and job.metrics["clip_seconds"] == pytest.approx(2.0, abs=0.05)
    hosted = sandbox.world.posts[job.hosted_delete_handle.removeprefix("t3_")]
    assert hosted.is_video and hosted.author == "colorbot" and hosted.subreddit == "u_colorbot" and not hosted.video.is_gif
    assert sandbox.world.posts[bot.queue.jobs_for_post("gif001")[0].hosted_delete_handle[3:]].video.is_gif, "a GIF comes back looping"
    clip = sandbox.world.media[next(k for k in sandbox.world.media if k.startswith(f"v.redd.it/{hosted.url.rsplit('/', 1)[-1]}/CMAF"))]
    path = tmp_path / "answer.mp4"
    path.write_bytes(clip.data)
    with av.open(str(path)) as answer:
        assert sum(1 for _ in answer.decode(video=0)) == 48 and len(answer.streams.audio) == 1  # every frame, the sound kept
        assert answer.streams.video[0].codec_context.width > 2 * answer.streams.video[0].codec_context.height  # gray | auto
    assert not list((tmp_path / "clips").glob("job-*")), "finished clips leave no work folder"
    assert bot.metrics.clip_seconds._value.get() == pytest.approx(4.0, abs=0.1)

    again = run_once(bot)
    assert sum(len(c) for c in comments_by_post(sandbox).values()) == 3 and not again.work.replies

    page = render_page(read_report(bot.queue.engine), Health(True, "ok", None, None, 180.0), database="sqlite", now=utcnow())
    assert '<figure class="clip">' in page and "▶ colorized clip, 2 s" in page, "video answers show on the status page"
    assert '<span class="count">2</span><span class="label">clips answered (4 s colorized)' in page


def test_file_hosts_publish_the_clip_and_its_poster_frame(tmp_path, sandbox, vivid_checkpoint, colorizer):
    settings = settings_for(tmp_path, sandbox, vivid_checkpoint)
    settings = dataclasses.replace(settings, host=dataclasses.replace(settings.host, kind="local", local_dir=tmp_path / "hosted",
                                                                      local_base_url="https://media.example.org/colorbot"))
    bot = make_bot(settings, sandbox, colorizer)
    run_once(bot)
    job = bot.queue.jobs_for_post("film01")[0]
    base = "https://media.example.org/colorbot/"
    clip = tmp_path / "hosted" / job.hosted_url.removeprefix(base)
    poster = tmp_path / "hosted" / job.metrics["poster_url"].removeprefix(base)
    assert clip.suffix == ".mp4" and clip.is_file() and poster.suffix == ".jpg" and poster.is_file()
    (reply,) = comments_by_post(sandbox)["film01"]
    assert "film clip" in reply["body"] and job.hosted_url in reply["body"]
    page = render_page(read_report(bot.queue.engine), Health(True, "ok", None, None, 180.0), database="sqlite", now=utcnow())
    assert f'src="{job.metrics["poster_url"]}"' in page, "the poster frame is the status page's thumbnail"

    remove_reply(bot.reddit, bot.queue, bot.worker.host, "film01", reply["id"])  # its author asked
    assert not clip.exists() and not poster.exists(), "taking the answer down takes down the clip and its poster frame"


def test_colour_long_and_transcoding_clips(tmp_path, sandbox, vivid_checkpoint, colorizer):
    bot = make_bot(settings_for(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    run_once(bot)
    (colour,) = bot.queue.jobs_for_post("color1")
    assert colour.state == "skipped" and colour.skip_reason.startswith("color clip")
    assert bot.queue.jobs_for_post("long01") == [], "refused from the listing: nothing downloaded"
    assert not [e for e in sandbox.world.log if "/v.redd.it/" in e["path"] and sandbox.world.posts["long01"].url.rsplit("/", 1)[-1] in e["path"]]
    assert bot.queue.jobs_for_post("fresh1") == [] and "fresh1" in bot.facts.get_state("poller.retry_later")
    sandbox.world.posts["fresh1"].video.ready_at = time.time() - 1  # Reddit finished transcoding
    run_once(bot)
    assert "fresh1" in comments_by_post(sandbox)


def test_photos_are_answered_while_a_clip_is_being_colorized(tmp_path, sandbox, vivid_checkpoint, colorizer, monkeypatch):
    """The photo worker never claims a clip, so a clip in progress holds up no photo."""
    from colorizer.video import pipeline

    bot = make_bot(settings_for(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    bot.poller.poll()
    inside, release = threading.Event(), threading.Event()
    original = pipeline.VideoColorizer.run

    def slow_run(self, *args, **kwargs):
        inside.set()
        release.wait(60)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pipeline.VideoColorizer, "run", slow_run)
    clip_thread = threading.Thread(target=bot.clips.work_until_empty)  # the colour clip ends at the detector: go on to the film
    clip_thread.start()
    try:
        assert inside.wait(60), "the clip worker reached the colorizer"
        bot.worker.work_until_empty()
        assert "photo1" in comments_by_post(sandbox) and "film01" not in comments_by_post(sandbox)
    finally:
        release.set()
        clip_thread.join(120)
    assert "film01" in comments_by_post(sandbox)


def test_an_interrupted_clip_resumes_from_its_last_segment_and_is_answered_once(tmp_path, vivid_checkpoint, colorizer, monkeypatch):
    from colorizer.video import segments

    with SandboxServer({**SEED, "posts": SEED["posts"][:1]}) as sandbox:
        _interrupt_then_resume(tmp_path, sandbox, vivid_checkpoint, colorizer, monkeypatch, segments)


def _interrupt_then_resume(tmp_path, sandbox, vivid_checkpoint, colorizer, monkeypatch, segments) -> None:
    bot = make_bot(settings_for(tmp_path, sandbox, vivid_checkpoint, segment_seconds=0.5), sandbox, colorizer)
    bot.poller.poll()
    finished = []
    original = segments.SegmentSink.end_batch

    def stop_after_a_segment(self):
        original(self)
        if self._count == 0 and not finished:  # a segment was just closed
            finished.append(True)
            bot.stop.set()  # SIGTERM mid-clip: the worker hands the job back

    monkeypatch.setattr(segments.SegmentSink, "end_batch", stop_after_a_segment)
    bot.clips.work_until_empty(max_batches=1)
    (job,) = bot.queue.jobs_for_post("film01")
    assert job.state == "pending" and finished and "film01" not in comments_by_post(sandbox)
    assert list((tmp_path / "clips" / f"job-{job.id}").rglob("*.mp4")), "the fetched clip and finished segments are kept"

    bot.stop.clear()
    monkeypatch.setattr(segments.SegmentSink, "end_batch", original)
    bot.clips.work_until_empty(max_batches=1)
    (job,) = bot.queue.jobs_for_post("film01")
    assert job.state == "done" and job.metrics["resumed_frames"] > 0
    assert len(comments_by_post(sandbox)["film01"]) == 1


def test_clips_count_against_the_hourly_reply_cap_like_photos(tmp_path, sandbox, vivid_checkpoint, colorizer):
    settings = dataclasses.replace(settings_for(tmp_path, sandbox, vivid_checkpoint), max_replies_per_hour=1)
    bot = make_bot(settings, sandbox, colorizer)
    run_once(bot)
    answered = set(comments_by_post(sandbox))
    assert len(answered) == 1, answered  # one reply in the hour, photo or clip
    waiting = [j for post in ("film01", "gif001", "photo1") if post not in answered for j in bot.queue.jobs_for_post(post)]
    assert waiting and all(j.state == "pending" for j in waiting), [(j.post_id, j.state) for j in waiting]
