"""Reddit's pauses and token faults, against the sandbox: a manual batch finishes, credentials are named once.

Each fault here stopped a `run-once` batch before: a token revoked mid-run (Reddit's 401 on a
write, fine after a refresh), a 429 with ``retry-after``, RATELIMIT in the old and new wording,
and ``x-ratelimit-remaining: 0.0``. The whole batch must be answered, each post once.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.sandbox import SandboxServer
from bot.scheduler import RunOnceResult, run_once
from colorizer.inference import Colorizer
from tests.bot_helpers import bot_settings, comments_by_post, make_bot

FEED = ("OldSchoolCool",)  # gray01, sepia1, gal001: three posts to answer
ANSWERED = {"gray01", "sepia1", "gal001"}


def statuses(sandbox: SandboxServer, route: str) -> list[int]:
    return [r["status"] for r in sandbox.state()["requests"] if r["route"] == route]


def finished(result: RunOnceResult) -> bool:
    """The run ended done: nothing left for later; the one failure for good is miss01 (its image is a 404)."""
    return result.come_back_at is None and all(line.startswith("t3_miss01") for line in result.work.failed_for_good)


def answered_once(sandbox: SandboxServer) -> set[str]:
    replies = comments_by_post(sandbox)
    assert all(len(c) == 1 for c in replies.values()), replies
    return set(replies)


def test_a_token_revoked_before_the_second_comment_is_refreshed_and_the_comment_sent_once_more(
        tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    sandbox.add_fault("expire_tokens", path="/api/comment", skip=1)  # revoked just before the 2nd comment
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=FEED), sandbox, colorizer)
    result = run_once(bot)
    assert answered_once(sandbox) == ANSWERED
    assert statuses(sandbox, "POST /api/comment") == [200, 401, 200, 200]
    assert statuses(sandbox, "POST /api/v1/access_token").count(200) == 2  # one fresh token, fetched once
    assert finished(result) and result.work.decisions["replied"] == 3 and "rescheduled" not in result.work.decisions


def test_a_token_refused_even_when_fresh_stops_with_one_line_naming_the_site_and_loses_nothing(
        tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer,
        caplog: pytest.LogCaptureFixture) -> None:
    sandbox.add_fault("expire_tokens", path="/api/comment", times=None)  # the app's access revoked for good
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=FEED), sandbox, colorizer)
    with caplog.at_level(logging.INFO):
        result = run_once(bot, max_wait=5)
    assert comments_by_post(sandbox) == {}
    assert statuses(sandbox, "POST /api/comment") == [401, 401]  # the first post's comment, once more: then no more calls
    lines = [r.getMessage() for r in caplog.records if "praw.ini site [" in r.getMessage()]
    assert lines and all("fresh token" in line for line in lines)
    assert result.exit_code == 75 and result.come_back_at is not None
    jobs = [job for post in ANSWERED for job in bot.queue.jobs_for_post(post)]
    assert {job.state for job in jobs} == {"pending"} and all(job.attempts == 0 for job in jobs)  # nothing lost or used up
    assert all(bot.queue.reply_for(post) is None for post in ANSWERED)  # no reservation left behind: no comment exists


@pytest.mark.parametrize("route", ["/api/comment", "/api/info"])
def test_a_429_with_retry_after_is_waited_out_and_the_batch_finishes(
        tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer, route: str) -> None:
    sandbox.faults.too_many_requests(route, 2)  # a write, or the batch's re-check read
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=FEED), sandbox, colorizer)
    result = run_once(bot, max_wait=60)
    assert answered_once(sandbox) == ANSWERED
    assert finished(result) and result.waited_seconds >= 1.9
    assert statuses(sandbox, f"{'POST' if route == '/api/comment' else 'GET'} {route}").count(429) == 1


def test_a_429_longer_than_max_wait_ends_the_run_with_what_is_left_and_exit_75(
        tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    sandbox.faults.too_many_requests("/api/comment", 120)
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=FEED), sandbox, colorizer)
    result = run_once(bot, max_wait=60)
    assert comments_by_post(sandbox) == {}
    assert statuses(sandbox, "POST /api/comment") == [429]  # the other posts did not walk into the pause
    assert result.exit_code == 75 and result.work.decisions["rescheduled"] == 1  # the others were not even claimed
    assert {job.state for post in ANSWERED for job in bot.queue.jobs_for_post(post)} == {"pending"}
    (line,) = [line for line in result.lines() if line.startswith("come back later")]
    assert f"{result.counts['pending']} jobs wait" in line and result.come_back_at.isoformat(timespec="seconds") in line


@pytest.mark.parametrize("message", ["you are doing that too much. try again in 6 seconds.",
                                     "Looks like you've been doing that a lot. Take a break for 6 seconds before trying again."])
def test_ratelimit_in_the_old_and_new_wording_is_waited_out(
        tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer, message: str) -> None:
    sandbox.faults.api_error("/api/comment", "RATELIMIT", message)  # over PRAW's own 5 s: the bot's to handle
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=FEED), sandbox, colorizer)
    result = run_once(bot, max_wait=60)
    assert answered_once(sandbox) == ANSWERED
    assert finished(result) and result.waited_seconds >= 6 and result.work.decisions["rescheduled"] == 1


def test_remaining_0_waits_for_the_reset_instead_of_spending_requests_on_429s(
        tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    sandbox.add_fault("exhaust", path="/api/info", reset=3)  # the batch's re-check answers remaining 0.0, reset 3 s
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=FEED), sandbox, colorizer)
    result = run_once(bot, max_wait=60)
    assert answered_once(sandbox) == ANSWERED and finished(result)
    assert 429 not in [r["status"] for r in sandbox.state()["requests"]]


def test_remaining_0_with_a_reset_past_max_wait_ends_the_run_without_a_request(
        tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    settings = bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=FEED)
    from bot.reddit.client import make_reddit
    from bot.sandbox.praw_site import praw_settings
    from bot.scheduler import build_bot

    bot = build_bot(settings, make_reddit(settings, max_request_wait=2, **praw_settings(sandbox.url)), colorizer=colorizer)
    sandbox.add_fault("exhaust", path="/api/info", reset=30)
    result = run_once(bot, max_wait=2)
    assert comments_by_post(sandbox) == {}
    assert 429 not in [r["status"] for r in sandbox.state()["requests"]]
    assert result.exit_code == 75 and result.come_back_at is not None and result.waited_seconds < 5
