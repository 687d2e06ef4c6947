"""Bans as Reddit has them: a banned account still reads; only a refused write or ``user_is_banned`` is a ban."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.config import HostSettings
from bot.sandbox import SandboxServer
from bot.scheduler import run_once
from colorizer.inference import Colorizer
from tests.bot_helpers import bot_settings, comments_by_post, make_bot


def requests_for(sandbox: SandboxServer, fragment: str) -> list[dict]:
    return [r for r in sandbox.state()["requests"] if fragment in r["path"]]


def test_a_banned_but_readable_subreddit_is_found_before_any_work(tmp_path: Path, sandbox: SandboxServer,
                                                                  vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    run_once(bot)
    assert bot.facts.is_banned("BannedHere")
    (ban,) = bot.facts.banned_subreddits()
    assert "user_is_banned" in (ban.reason or "")
    assert bot.queue.jobs_for_post("ban001") == [] and not requests_for(sandbox, "ban001")  # nothing downloaded
    assert "ban001" not in comments_by_post(sandbox)


def test_a_403_on_a_read_bans_nothing(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    local = HostSettings(kind="local", local_dir=tmp_path / "hosted", local_base_url="https://img.example.org")  # no read-back
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=("OldSchoolCool", "Colorization"), host=local),
                   sandbox, colorizer)
    bot.poller.poll()
    sandbox.faults.status("/api/info", 403, times=1)  # the batch's re-check before replying
    bot.worker.work_until_empty(max_batches=1)
    assert bot.facts.banned_subreddits() == []
    refused = [j for p in ("gray01", "sepia1", "gal001", "moon01", "gray02", "sepia2", "xpost1", "ba0001")
               for j in bot.queue.jobs_for_post(p) if "not a ban" in (j.last_error or "")]
    assert refused and {j.state for j in refused} == {"pending"}  # retried later, like any failed read


def test_a_403_on_the_comment_bans_and_takes_the_comparison_down(tmp_path: Path, sandbox: SandboxServer,
                                                                 vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    sandbox.faults.status("/api/comment", 403, times=None)
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    run_once(bot, ["gray01"])
    assert bot.facts.is_banned("OldSchoolCool")
    (job,) = bot.queue.jobs_for_post("gray01")
    assert job.state == "skipped" and job.hosted_url
    assert len(sandbox.state()["deleted"]) == 1  # the profile post made for it is not left behind


def test_a_ban_lifts_only_when_about_says_user_is_banned_false(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path) -> None:
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox)
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    bot.facts.ban_subreddit("BannedHere", "403 on a comment", past)
    bot.facts.ban_subreddit("Colorization", "403 on a comment", past)
    sandbox.add_fault("ban", subreddit="Colorization")  # now private: unreadable, which says nothing about a ban
    assert bot.poller.recheck_bans() == []  # BannedHere's about is readable and says user_is_banned: true
    assert bot.facts.is_banned("BannedHere") and bot.facts.is_banned("Colorization")
    assert all(b.next_check_at > datetime.now(timezone.utc) + timedelta(hours=23) for b in bot.facts.banned_subreddits())
    with sandbox.world.lock:
        sandbox.world.subreddit("BannedHere").user_is_banned = False  # the moderators lifted it
    bot.facts.ban_subreddit("BannedHere", "403 on a comment", past)
    assert bot.poller.recheck_bans() == ["bannedhere"]


def test_an_opt_out_that_arrives_while_the_post_is_worked_on_is_honoured(tmp_path: Path, vivid_checkpoint: Path,
                                                                         colorizer: Colorizer) -> None:
    import copy

    from bot.sandbox.seed import DEFAULT_SEED, load_into
    from tests.bot_processes import TripwireWorld

    world = TripwireWorld()
    load_into(world, copy.deepcopy(DEFAULT_SEED))
    with SandboxServer(world) as sandbox:
        bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)

        def opt_out_during_upload(route: str) -> None:
            if route == "POST /api/submit":  # after the batch's checks, before the reply
                bot.facts.opt_out("grandkid_1987", "asked while the photo was being colorized")

        world.tripwire = opt_out_during_upload
        run_once(bot, ["gray01"])
        world.tripwire = None
        assert comments_by_post(sandbox) == {}
        (job,) = bot.queue.jobs_for_post("gray01")
        assert job.state == "skipped" and "opted out meanwhile" in (job.skip_reason or "")
        assert len(sandbox.state()["deleted"]) == 1  # its comparison came down again


def test_a_comparison_its_owner_deleted_is_never_reused_for_a_repost(tmp_path: Path, sandbox: SandboxServer,
                                                                     vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    from bot.sandbox.seed import load_into
    from tests.bot_helpers import LINK

    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    run_once(bot, ["gray01"])
    (first,) = comments_by_post(sandbox)["gray01"]
    deleted_url = LINK.search(first["body"]).group(1)
    bot.inbox.process()  # the seeded messages
    load_into(sandbox.world, {"messages": [{"author": "grandkid_1987", "subject": "delete", "body": "delete t3_gray01"}]})
    assert bot.inbox.process().deleted == ["gray01"]
    run_once(bot, ["xpost1"])  # the same photo, crossposted
    (repost,) = comments_by_post(sandbox)["xpost1"]
    assert LINK.search(repost["body"]).group(1) != deleted_url


def test_a_post_that_ends_unanswered_takes_down_an_earlier_attempts_comparison(
        tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    from tests.bot_helpers import make_due

    sandbox.faults.status("/api/comment", 503, times=1)  # the first attempt publishes, then cannot reply
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    run_once(bot, ["gray01"])
    (job,) = bot.queue.jobs_for_post("gray01")
    assert job.state == "pending" and job.hosted_url and sandbox.state()["deleted"] == []
    bot.facts.ban_subreddit("OldSchoolCool", "403 on a comment elsewhere", None)  # meanwhile: banned
    make_due(bot)
    run_once(bot, ["gray01"])
    (job,) = bot.queue.jobs_for_post("gray01")
    assert job.state == "skipped" and len(sandbox.state()["deleted"]) == 1  # no orphaned profile post
