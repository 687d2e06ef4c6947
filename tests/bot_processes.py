"""Helpers for tests that run the real `colorbot` command as processes against an in-test sandbox."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from bot.demo import bot_environment, write_sandbox_config
from bot.sandbox import SandboxServer
from bot.sandbox.generated import bw_posts
from bot.sandbox.seed import load_into
from bot.sandbox.world import World
from db import JobQueue, make_engine, upgrade

SUBREDDIT = "OldSchoolCool"


class TripwireWorld(World):
    """A sandbox world that calls ``tripwire(route)`` after each request is handled, before it is answered.

    A tripwire that kills the bot there leaves Reddit changed (comment made, image stored) while
    the bot never hears back: exactly the crash windows the bot must survive.
    """

    tripwire: Callable[[str], None] | None = None

    def record(self, method: str, path: str, route: str, status: int, *, api: bool = True) -> None:
        super().record(method, path, route, status, api=api)
        if self.tripwire is not None and not path.startswith("/_sandbox/"):
            self.tripwire(route)


def bw_sandbox(count: int, seed: int = 0) -> SandboxServer:
    """A sandbox (not started) whose only content is ``count`` distinct B&W photo posts on r/OldSchoolCool."""
    world = TripwireWorld()
    load_into(world, {"subreddits": [{"name": SUBREDDIT}], "posts": bw_posts(count, seed, SUBREDDIT)})
    return SandboxServer(world)


def bot_config(folder: Path, sandbox: SandboxServer, checkpoint: Path, video: dict[str, Any] | None = None, **worker: Any) -> Path:
    """praw.ini + colorbot.toml in ``folder`` for a bot on r/OldSchoolCool with a SQLite file queue.

    The first poll runs at start; later ones every 10 s, so polls do not eat the 100 requests a
    minute the bot allows itself (``bot.reddit.budget.MAX_REQUESTS_PER_MINUTE``).
    """
    database_url = f"sqlite:///{folder / 'colorbot.db'}"
    upgrade(database_url)  # migrate once up front: several processes may start together
    return write_sandbox_config(folder, sandbox.url, database_url=database_url, model_path=checkpoint,
                                subreddits=(SUBREDDIT,), top={"poll_interval_seconds": 10.0}, worker=worker, video=video)


def start_bot(config: Path, *args: str, log: IO[str]) -> subprocess.Popen[str]:
    """``colorbot <args> --config config`` as a child process, its output into ``log``."""
    command = [sys.executable, "-m", "bot.cli", *args, "--config", str(config)]
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True, env=bot_environment(config.parent))


def open_queue(config: Path) -> JobQueue:
    return JobQueue(make_engine(f"sqlite:///{config.parent / 'colorbot.db'}"))


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.1) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(interval_s)


def replies_by_post(sandbox: SandboxServer) -> dict[str, list[Any]]:
    """The bot's comments in the sandbox world, by post id."""
    with sandbox.world.lock:
        comments = [sandbox.world.comments[i] for i in sandbox.world.made["comments"]]
    result: dict[str, list[Any]] = {}
    for comment in comments:
        result.setdefault(comment.link_id, []).append(comment)
    return result
