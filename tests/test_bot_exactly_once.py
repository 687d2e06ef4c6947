"""Exactly one reply per post when Reddit misbehaves as it really does.

Each fault here made the bot answer twice before the exactly-once protocol moved to
``bot.reddit`` (writes sent once, the bot's own comments consulted): a comment Reddit made and
then answered 502, one it made while the client timed out, and a post answered before the
database was restored, whose 520-comment thread hides the bot's 1-point reply behind "more".
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.config import RedditSettings
from bot.reddit.client import make_reddit
from bot.sandbox import SandboxServer
from bot.sandbox.praw_site import reddit_kwargs
from bot.sandbox.world import Comment
from bot.scheduler import build_bot, run_once
from colorizer.inference import Colorizer
from tests.bot_helpers import bot_settings, comments_by_post, make_bot

ANSWERABLE = {"gray01", "sepia1", "gal001"}  # the default seed's posts on r/OldSchoolCool the bot answers


def comment_posts(sandbox: SandboxServer) -> list[int]:
    """The status of every ``POST /api/comment`` the sandbox received."""
    return [r["status"] for r in sandbox.state()["requests"] if r["route"] == "POST /api/comment"]


def test_a_comment_reddit_made_before_answering_502_is_recorded_not_repeated(
        tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    sandbox.faults.add("commit_then_status", path="/api/comment", status=502, times=1)
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=("OldSchoolCool",)), sandbox, colorizer)
    result = run_once(bot)
    replies = comments_by_post(sandbox)
    assert set(replies) == ANSWERABLE and all(len(c) == 1 for c in replies.values()), replies
    assert comment_posts(sandbox).count(502) == 1 and len(comment_posts(sandbox)) == 3  # never re-sent
    for post_id, (comment,) in replies.items():
        assert bot.queue.reply_for(post_id).reply_id == comment["id"]
    assert result.work.replies and sorted(result.work.replies) == sorted(ANSWERABLE)


def test_a_comment_made_while_the_client_timed_out_is_recorded_not_repeated(
        tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    sandbox.faults.add("commit_then_slow", path="/api/comment", delay=2.5, times=1)
    settings = bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=("OldSchoolCool",))
    reddit = make_reddit(settings, **reddit_kwargs(sandbox.url, timeout_s=1.0))  # the client gives up after 1 s
    bot = build_bot(settings, reddit, colorizer=colorizer)
    run_once(bot)
    replies = comments_by_post(sandbox)
    assert set(replies) == ANSWERABLE and all(len(c) == 1 for c in replies.values()), replies
    deadline = time.monotonic() + 10
    while len(comment_posts(sandbox)) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)  # the slow answer is logged when the sandbox finally sends it
    assert len(comment_posts(sandbox)) == 3
    assert all(bot.queue.reply_for(p).reply_id == c[0]["id"] for p, c in replies.items())


def test_an_answer_hidden_in_a_busy_thread_is_found_after_a_database_restore(
        tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    world = sandbox.world
    with world.lock:
        post = world.posts["gray01"]
        earlier = world.add_comment(Comment("", "gray01", post.fullname, "colorbot", "an earlier answer", post.created_utc + 5))
        for n in range(520):  # a front-page thread: everyone else's comments outrank the bot's 1-point reply
            world.add_comment(Comment("", "gray01", post.fullname, f"user{n}", f"comment {n}", time.time() - 60, score=2 + n % 50))
    first_page = sandbox.reddit().submission(id="gray01").comments  # what Reddit shows: 500 comments and "load more"
    assert len(first_page) == 501 and earlier.id not in {c.id for c in first_page if hasattr(c, "body")}
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=("OldSchoolCool",)), sandbox, colorizer)
    run_once(bot, ["gray01"])  # a fresh database: nothing says the post was answered
    assert "gray01" not in comments_by_post(sandbox)  # no second answer
    assert bot.queue.reply_for("gray01").reply_id == earlier.id
    (job,) = bot.queue.jobs_for_post("gray01")
    assert job.state == "skipped" and "already replied" in (job.skip_reason or "")


def test_morechildren_returns_what_the_thread_page_left_out(sandbox: SandboxServer) -> None:
    world = sandbox.world
    with world.lock:
        post = world.posts["sepia1"]
        for n in range(503):
            world.add_comment(Comment("", "sepia1", post.fullname, f"user{n}", f"comment {n}", score=n))
    submission = sandbox.reddit().submission(id="sepia1")
    submission.comments.replace_more(limit=None)  # PRAW's own POST /api/morechildren
    bodies = [c.body for c in submission.comments if c.author and str(c.author).startswith("user")]
    assert len(bodies) == 503 and bodies[:2] == ["comment 502", "comment 501"]  # best first, none lost


def test_the_bot_knows_its_name_from_api_v1_me_with_refresh_token_auth(
        tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    settings = bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=("OldSchoolCool",),
                            reddit=RedditSettings(owner="the_operator"))  # named in the User-Agent, not the bot
    kwargs = {k: v for k, v in reddit_kwargs(sandbox.url).items() if k not in ("username", "password")}
    reddit = make_reddit(settings, **kwargs, refresh_token="sandbox-refresh-token")
    assert not reddit.config.username  # PRAW itself does not know who it is
    bot = build_bot(settings, reddit, colorizer=colorizer)
    run_once(bot, ["gray01"])
    (reply,) = comments_by_post(sandbox)["gray01"]
    assert reply["author"] == "colorbot"
    assert "to=colorbot" in reply["body"] and "the_operator" not in reply["body"]  # opt-out and delete links
    routes = [r["route"] for r in sandbox.state()["requests"]]
    assert routes.count("GET /api/v1/me") == 1  # asked once, shared by poller, worker and host


def test_a_profile_post_reddit_made_before_answering_502_is_used_not_made_again(
        tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    sandbox.faults.add("commit_then_status", path="/api/submit", status=502, times=1)
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=("OldSchoolCool",)), sandbox, colorizer)
    run_once(bot, ["gray01"])
    (reply,) = comments_by_post(sandbox)["gray01"]
    profile_posts = [r for r in sandbox.state()["requests"] if r["route"] == "POST /api/submit"]
    assert len(profile_posts) == 1 and sandbox.state()["deleted"] == []  # one upload, used, nothing orphaned
    assert bot.queue.jobs_for_post("gray01")[0].hosted_url in reply["body"]
