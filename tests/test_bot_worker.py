"""bot.worker's side-effect protocol: retries reuse what was done, a crash mid-reply never answers twice."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from bot.config import WorkerSettings
from bot.poller import parse_post_ref
from bot.sandbox import SandboxServer
from bot.sandbox.seed import load_into
from bot.scheduler import run_forever, run_once
from colorizer.inference import Colorizer
from tests.bot_helpers import bot_settings, comments_by_post, make_bot, open_link, panel_count


def _claim_one(bot, post_id: str):  # noqa: ANN001, ANN202
    bot.poller.queue_posts([post_id])
    (job,) = bot.queue.claim("test-worker", limit=1)
    return job


def test_a_recorded_hosted_url_is_reused_without_uploading_again(tmp_path: Path, sandbox: SandboxServer,
                                                                  vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    job = _claim_one(bot, "gray01")
    recorded = f"{sandbox.url}/i.redd.it/uploaded-by-an-earlier-attempt.jpg"
    bot.queue.record_hosted_url(job.id, recorded, "t3_earlier")
    bot.queue.fail(job, "worker crashed", retry_at=job.next_attempt_at)

    bot.worker.work_until_empty()

    assert sandbox.state()["uploads"] == []
    (comment,) = comments_by_post(sandbox)["gray01"]
    assert recorded in comment["body"]
    assert bot.queue.jobs_for_post("gray01")[0].state == "done"


def test_a_reply_made_before_a_crash_is_found_and_recorded(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                                           colorizer: Colorizer) -> None:
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    job = _claim_one(bot, "gray01")
    bot.queue.record_hosted_url(job.id, f"{sandbox.url}/i.redd.it/x.jpg")
    assert bot.queue.reserve_reply("gray01", job.id)
    made = bot.reddit.submission(id="gray01").reply("reply that went out just before the worker died")
    bot.queue.release(job)

    bot.worker.work_until_empty()

    assert len(comments_by_post(sandbox)["gray01"]) == 1
    assert bot.queue.reply_for("gray01").reply_id == made.id
    (done,) = bot.queue.jobs_for_post("gray01")  # the bot did answer: the job is done, not skipped
    assert done.state == "done" and done.hosted_url == f"{sandbox.url}/i.redd.it/x.jpg"


def test_a_reservation_without_a_comment_on_reddit_is_completed(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                                                colorizer: Colorizer) -> None:
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    job = _claim_one(bot, "gray01")
    assert bot.queue.reserve_reply("gray01", job.id)  # died before the comment call
    bot.queue.release(job)
    bot.worker.work_until_empty()
    (comment,) = comments_by_post(sandbox)["gray01"]
    assert bot.queue.reply_for("gray01").reply_id == comment["id"]


def test_a_colour_post_on_r_colorization_is_compared_with_its_desaturation(tmp_path: Path, sandbox: SandboxServer,
                                                                            vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    load_into(sandbox.world, {"posts": [{"id": "human1", "subreddit": "Colorization", "title": "I colorized this portrait",
                                         "image": {"photo": "astronaut", "tone": "color"}}]})
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    run_once(bot, ["human1", "color1"])
    replies = comments_by_post(sandbox)
    assert set(replies) == {"human1"}  # color1 is on r/OldSchoolCool: a colour photo, skipped
    assert panel_count(open_link(replies["human1"][0]["body"])) == 3
    assert bot.queue.jobs_for_post("human1")[0].metrics["reference"] == "post"


def test_stop_hands_the_claimed_jobs_back(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                          colorizer: Colorizer, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    bot.poller.queue_posts(["gray01", "moon01"])
    original = bot.worker._colorize

    def colorize_then_stop(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        original(*args, **kwargs)
        bot.stop.set()  # SIGTERM arrives while the batch runs

    monkeypatch.setattr(bot.worker, "_colorize", colorize_then_stop)
    summary = bot.worker.work_until_empty()
    assert summary.decisions == {"released": 2} and summary.stopped_because
    assert {(j.state, j.attempts) for p in ("gray01", "moon01") for j in bot.queue.jobs_for_post(p)} == {("pending", 0)}
    assert comments_by_post(sandbox) == {}


def test_run_polls_works_and_stops_cleanly(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                           colorizer: Colorizer) -> None:
    settings = bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=("OldSchoolCool",), poll_interval_seconds=1.0,
                            worker=WorkerSettings(interval_seconds=0.3))
    bot = make_bot(settings, sandbox, colorizer)
    thread = threading.Thread(target=run_forever, args=(bot,), kwargs={"install_signals": False})
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(comments_by_post(sandbox)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        bot.stop.set()
        thread.join(timeout=15)
    assert not thread.is_alive()
    assert set(comments_by_post(sandbox)) == {"gray01", "sepia1", "gal001"}
    assert bot.queue.counts_by_state()["running"] == 0
    assert "t4_msg001" in sandbox.state()["read"]  # the inbox job ran too


@pytest.mark.parametrize(("ref", "post_id"), [("gray01", "gray01"), ("t3_Gray01", "gray01"),
                                              ("https://www.reddit.com/r/OldSchoolCool/comments/gray01/my_grandfather/", "gray01"),
                                              ("https://redd.it/comments/abc123", "abc123")])
def test_post_references(ref: str, post_id: str) -> None:
    assert parse_post_ref(ref) == post_id


def test_bad_post_reference() -> None:
    with pytest.raises(ValueError):
        parse_post_ref("https://www.reddit.com/r/OldSchoolCool/")


def test_sigterm_stops_run_cleanly(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    script = f"""
import logging, sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stdout)
from pathlib import Path
from tests.bot_helpers import bot_settings, make_bot
from bot.scheduler import run_forever
class Box: url = {sandbox.url!r}
bot = make_bot(bot_settings(Path({str(tmp_path)!r}), Box, Path({str(vivid_checkpoint)!r}), subreddits=("OldSchoolCool",)), Box)
run_forever(bot)
"""
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:  # wait until the scheduler loop runs
        lines.append(line)
        if "scheduler: polling" in line:
            break
    time.sleep(0.5)
    os.kill(process.pid, signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    output = "".join(lines) + out
    assert process.returncode == 0, output
    assert "stopping (SIGTERM)" in output and "scheduler: stopped" in output
