"""The real bot (real PRAW over HTTP) against the sandbox, a real SQLite file and a small random model.

Each test gets a fresh sandbox with the default seed; the expected outcome per seeded post is
spelled out in EXPECTED_PANELS / NO_REPLY. Faults are injected with the sandbox's fault rules.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.sandbox import SandboxServer
from bot.sandbox.praw_site import CREDENTIALS
from bot.scheduler import run_once
from colorizer.inference import Colorizer
from tests.bot_helpers import LINK, bot_settings, comments_by_post, make_bot, make_due, open_link, panel_count
#: Every B&W post of the default seed and the panels its comparison must have.
EXPECTED_PANELS = {"gray01": 2, "moon01": 2, "sepia1": 2, "gray02": 2, "sepia2": 2, "xpost1": 2, "gal001": 2, "ba0001": 3}
#: gal001 is "then and now": its colour item is another photo, so it is no reference (two panels).
NO_REPLY = {"color1", "color2", "nsfw01", "lock01", "del001", "arch01", "self01", "video1", "link01", "done01", "miss01",
            "ban001", "gal002"}


# -- the whole default seed --------------------------------------------------------------------------
def test_run_once_answers_every_bw_post_exactly_once(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                                     colorizer: Colorizer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)

    first = run_once(bot)

    replies = comments_by_post(sandbox)
    assert set(replies) == set(EXPECTED_PANELS)
    assert not NO_REPLY & set(replies)
    for post_id, panels in EXPECTED_PANELS.items():
        (comment,) = replies[post_id]
        assert comment["author"] == "colorbot"
        assert panel_count(open_link(comment["body"])) == panels, post_id
        assert bot.queue.reply_for(post_id).reply_id == comment["id"]
    assert first.exit_code == 1  # miss01's image is gone: failed for good
    (miss,) = bot.queue.jobs_for_post("miss01")
    assert miss.state == "failed" and "404" in (miss.last_error or "")
    assert bot.facts.is_banned("BannedHere")
    assert bot.queue.reply_for("done01").reply_id == "cbot01"  # found on Reddit, recorded, not answered again
    assert [j.state for j in bot.queue.jobs_for_post("color1")] == ["skipped"]
    assert bot.queue.jobs_for_post("gal002") == []  # still processing: waits for a later poll
    assert bot.queue.jobs_for_post("gray01")[0].metrics["kind"] == "neutral"

    second = run_once(bot)
    assert sum(len(c) for c in comments_by_post(sandbox).values()) == len(EXPECTED_PANELS)
    assert second.poll.new_posts == 0 and not second.work.replies and second.exit_code == 0

    secrets = [CREDENTIALS["client_secret"], CREDENTIALS["password"]]
    assert not [s for s in secrets if s in caplog.text]
    assert any("replied t1_" in r.getMessage() for r in caplog.records)


def test_a_gallery_is_queued_once_its_items_are_processed(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                                          colorizer: Colorizer) -> None:
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=("ColorizationRequests",)), sandbox, colorizer)
    run_once(bot)
    assert "gal002" not in comments_by_post(sandbox)
    with sandbox.world.lock:
        for item in sandbox.world.posts["gal002"].gallery:
            item.status = "valid"  # Reddit finished processing (the image itself is a 404: that is fine here)
    result = run_once(bot)
    assert result.poll.new_posts == 0  # the cursor did not wait for the gallery
    assert bot.queue.jobs_for_post("gal002"), "re-read by id and queued"
    assert bot.facts.get_state("poller.retry_later") == {}


# -- faults --------------------------------------------------------------------------------------------
def test_server_errors_once_then_success(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    """prawcore retries the 503 on the listing (a read); the 503 on a comment (a write) is the bot's to handle."""
    sandbox.faults.status("/r/*/new", 503, times=1)
    sandbox.faults.status("/api/comment", 503, times=1)
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=("OldSchoolCool",)), sandbox, colorizer)
    run_once(bot)
    replies = comments_by_post(sandbox)
    assert len(replies) == 2 and all(len(c) == 1 for c in replies.values())
    (waiting,) = {"gray01", "sepia1", "gal001"} - set(replies)
    (job,) = [j for j in bot.queue.jobs_for_post(waiting) if j.hosted_url]
    assert job.state == "pending" and "HTTP 503" in (job.last_error or "")
    comments_posted = [r for r in sandbox.state()["requests"] if r["route"] == "POST /api/comment"]
    assert [r["status"] for r in comments_posted].count(503) == 1 and len(comments_posted) == 3  # the 503 was not re-sent
    make_due(bot)
    run_once(bot)
    replies = comments_by_post(sandbox)
    assert set(replies) == {"gray01", "sepia1", "gal001"} and all(len(c) == 1 for c in replies.values())


def test_ratelimit_on_comment_reschedules_without_replying(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                                           colorizer: Colorizer) -> None:
    sandbox.faults.api_error("/api/comment", "RATELIMIT", "Looks like you've been doing that a lot. Take a break for 9m3s before trying again.")
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    result = run_once(bot, ["gray01"])
    assert comments_by_post(sandbox) == {}
    (job,) = bot.queue.jobs_for_post("gray01")
    assert job.state == "pending" and job.hosted_url and "9m3s" in (job.last_error or "")
    assert job.attempts == 0  # waiting for Reddit does not use up the job's attempts
    wait = (job.next_attempt_at - job.updated_at).total_seconds()
    assert 543 + 4 <= wait <= 543 + 10  # Reddit's wait plus the margin
    assert bot.queue.reply_for("gray01") is None  # reservation given back: the comment surely was not made
    assert result.work.decisions["rescheduled"] == 1
    assert result.exit_code == 75 and result.come_back_at == job.next_attempt_at  # "come back later", not "done"


def test_thread_locked_on_comment_skips(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    sandbox.faults.api_error("/api/comment", "THREAD_LOCKED")
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    run_once(bot, ["gray01"])
    (job,) = bot.queue.jobs_for_post("gray01")
    assert job.state == "skipped" and "locked" in (job.skip_reason or "")
    assert comments_by_post(sandbox) == {}


def test_post_deleted_between_ingest_and_reply_gets_no_reply(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                                             colorizer: Colorizer) -> None:
    sandbox.add_fault("delete_post", path="/api/media/asset", post="gray01", times=1)  # while publishing
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    run_once(bot, ["https://www.reddit.com/r/OldSchoolCool/comments/gray01/my_grandfather/"])
    (job,) = bot.queue.jobs_for_post("gray01")
    assert job.state == "skipped" and "deleted" in (job.skip_reason or "")
    assert comments_by_post(sandbox) == {}
    assert len(sandbox.state()["deleted"]) == 1  # the unused comparison was taken down


def test_forbidden_marks_the_subreddit_banned(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    sandbox.faults.status("/api/comment", 403, times=None)
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    run_once(bot, ["gray01", "moon01"])
    assert bot.facts.is_banned("OldSchoolCool") and bot.facts.is_banned("Colorization")
    assert {j.state for p in ("gray01", "moon01") for j in bot.queue.jobs_for_post(p)} == {"skipped"}
    assert bot.queue.reply_for("gray01") is None


def test_truncated_image_fails_for_good(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    sandbox.faults.image("/i.redd.it/*", "truncated")
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    result = run_once(bot, ["gray01"])
    (job,) = bot.queue.jobs_for_post("gray01")
    assert job.state == "failed" and result.exit_code == 1
    assert comments_by_post(sandbox) == {}


def test_reply_budget_leaves_the_rest_pending(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, max_replies_per_hour=2), sandbox, colorizer)
    result = run_once(bot, ["gray01", "moon01", "gray02"])
    assert len(comments_by_post(sandbox)) == 2
    assert bot.queue.counts_by_state()["pending"] == 1 and result.exit_code == 0


def test_dry_run_posts_nothing_and_writes_the_outbox(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                                     colorizer: Colorizer) -> None:
    settings = bot_settings(tmp_path, sandbox, vivid_checkpoint, dry_run=True)
    bot = make_bot(settings, sandbox, colorizer)
    run_once(bot, ["gray01", "ba0001"])
    state = sandbox.state()
    assert state["comments"] == [] and state["uploads"] == []
    for post_id in ("gray01", "ba0001"):
        text = (tmp_path / "outbox" / f"{post_id}.md").read_text()
        assert LINK.search(text).group(1).startswith("file://")
        assert bot.queue.jobs_for_post(post_id)[0].state == "skipped"


# -- the commands, as the CLI runs them (settings file + praw.ini site) ---------------------------------
def test_run_once_and_status_commands(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import praw.config
    import typer
    from typer.testing import CliRunner

    from bot.commands.run import run_once_command
    from bot.commands.status import status_command
    from bot.sandbox.praw_site import write_praw_ini

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("praw_site", raising=False)
    write_praw_ini(tmp_path / "praw.ini", sandbox.url)
    monkeypatch.setattr(praw.config.Config, "CONFIG", None)  # PRAW caches praw.ini per process
    config = tmp_path / "colorbot.toml"
    config.write_text(f"""
subreddits = ["OldSchoolCool"]
database_url = "sqlite:///{tmp_path / 'cli.db'}"
model_path = "{vivid_checkpoint}"
device = "cpu"
[reddit]
praw_site = "colorbot_sandbox"
[download]
sandbox_image_base_url = "{sandbox.url}"
[host]
kind = "outbox"
outbox_dir = "{tmp_path / 'outbox'}"
""")
    app = typer.Typer()
    app.command("run-once")(run_once_command)
    app.command("status")(status_command)
    runner = CliRunner()

    result = runner.invoke(app, ["run-once", "--config", str(config), "--post", "gray01", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry_run 1" in result.output and (tmp_path / "outbox" / "gray01.md").exists()
    assert sandbox.state()["comments"] == []

    result = runner.invoke(app, ["run-once", "--config", str(config), "--post", "not a post"])
    assert result.exit_code == 2

    result = runner.invoke(app, ["status", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "skipped 1" in result.output and "t3_gray01#0" in result.output and "dry run" in result.output


def test_due_bans_are_rechecked_and_lifted_when_readable(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path) -> None:
    from datetime import datetime, timedelta, timezone

    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox)
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    bot.facts.ban_subreddit("OldSchoolCool", "403 on a comment", past)
    bot.facts.ban_subreddit("BannedHere", "403 on a comment", past)
    assert bot.poller.recheck_bans() == ["oldschoolcool"]  # names are stored lower-cased
    assert not bot.facts.is_banned("OldSchoolCool")
    (ban,) = bot.facts.banned_subreddits()
    assert ban.name == "bannedhere" and ban.next_check_at > datetime.now(timezone.utc) + timedelta(hours=23)


def test_too_many_requests_on_the_listing_keeps_the_cursor_and_pauses(tmp_path: Path, sandbox: SandboxServer,
                                                                      vivid_checkpoint: Path) -> None:
    sandbox.faults.status("/r/*/new", 429, headers={"retry-after": "42"})
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox)
    result = run_once(bot)
    assert result.exit_code == 75 and "429" in (result.poll.error or "") and result.poll.pause_seconds == 42
    assert bot.worker.paused_until is not None and bot.facts.cursor("r/bannedhere+colorization+colorizationrequests+oldschoolcool/new") is None
    assert not result.work.decisions  # nothing was queued, and the worker waits out the pause


def test_a_gallery_reference_must_be_the_same_photo(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                                     colorizer: Colorizer) -> None:
    from bot.sandbox.seed import load_into

    load_into(sandbox.world, {"posts": [
        {"id": "gal010", "subreddit": "OldSchoolCool", "title": "Scan and my colorization", "author": "someone",
         "gallery": [{"image": {"photo": "astronaut", "tone": "gray"}}, {"image": {"photo": "astronaut", "tone": "color"}}]},
        {"id": "gal011", "subreddit": "OldSchoolCool", "title": "Then and now", "author": "someone",
         "gallery": [{"image": {"photo": "camera", "tone": "gray"}}, {"image": {"photo": "chelsea", "tone": "color"}}]},
    ]})
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    run_once(bot, ["gal010", "gal011"])
    replies = comments_by_post(sandbox)
    assert panel_count(open_link(replies["gal010"][0]["body"])) == 3  # gray | auto | the human colorization
    assert panel_count(open_link(replies["gal011"][0]["body"])) == 2  # an unrelated colour photo is no reference
