"""After downtime the poller pages back to the newest post it had seen (or to catch_up_hours): no post is lost."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from bot.sandbox import SandboxServer
from bot.sandbox.generated import bw_posts
from bot.sandbox.seed import load_into
from bot.sandbox.world import World
from tests.bot_helpers import bot_settings, make_bot

SUB = "OldSchoolCool"


def downtime_sandbox() -> SandboxServer:
    """One post the bot will see before it goes down."""
    world = World()
    load_into(world, {"subreddits": [{"name": SUB}], "posts": bw_posts(1, 1, SUB, prefix="seen")})
    return SandboxServer(world)


def add_posts(sandbox: SandboxServer, count: int, *, prefix: str, age_s: float) -> None:
    posts = bw_posts(count, 2, SUB, prefix=prefix)
    for post in posts:
        post["age_s"] = age_s  # all "arrived" while the bot was down
    load_into(sandbox.world, {"posts": posts})


def test_the_poller_pages_back_to_its_cursor_after_downtime(tmp_path: Path, vivid_checkpoint: Path) -> None:
    with downtime_sandbox() as sandbox:
        bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=(SUB,)), sandbox)
        assert bot.poller.poll().queued_posts == 1  # the cursor is now seen0000
        add_posts(sandbox, 250, prefix="down", age_s=30)  # two and a half pages arrived meanwhile
        result = bot.poller.poll()
        assert result.new_posts == 250 and result.queued_posts == 250
        pages = [r for r in sandbox.state()["requests"] if r["route"] == "GET /r/{subreddits}/new"]
        assert len(pages) == 1 + 3  # the first poll, then three pages back to the cursor
        assert bot.poller.poll().new_posts == 0 and len([r for r in sandbox.state()["requests"]
                                                         if r["route"] == "GET /r/{subreddits}/new"]) == 5


def test_catch_up_stops_at_the_age_limit(tmp_path: Path, vivid_checkpoint: Path) -> None:
    with downtime_sandbox() as sandbox:
        settings = dataclasses.replace(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=(SUB,)), catch_up_hours=1.0)
        bot = make_bot(settings, sandbox)
        bot.poller.poll()
        with sandbox.world.lock:
            sandbox.world.posts["seen0000"].created_utc = time.time() - 3 * 3600  # the cursor's post is old now
        add_posts(sandbox, 120, prefix="new", age_s=60)
        add_posts(sandbox, 30, prefix="old", age_s=2 * 3600)  # older than catch_up_hours: left alone
        result = bot.poller.poll()
        assert result.new_posts == 120
        assert not any(bot.queue.jobs_for_post(f"old{i:04d}") for i in range(30))
