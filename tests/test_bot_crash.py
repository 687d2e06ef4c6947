"""`colorbot run` killed with SIGKILL at seeded points, restarted each time: every post is answered exactly once.

The sandbox runs in this process; each bot is a real child process reading a praw.ini site and a
colorbot.toml (SQLite file queue, the small random test model, 3 s leases so a restarted bot
reclaims the dead one's jobs). The kills land where a crash hurts most: right after Reddit
handled a request and before the bot heard the answer (the listing read, the image stored, the
profile post made, the comment made), and a moment after an image download
(preparing or colorizing). Then one bot runs to the end and is stopped with SIGTERM.
"""

from __future__ import annotations

import os
import random
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.sandbox.media import UPLOAD_BUCKET
from tests.bot_processes import bot_config, bw_sandbox, open_queue, replies_by_post, start_bot, wait_for

POSTS = 12  # the processes share one OAuth client's 100 requests a minute: ~6 a reply keeps this under it
SEED = 5
#: route names as the sandbox logs them (``bot/sandbox/endpoints.py``)
ROUTES = {"poll": "GET /r/{subreddits}/new", "download": "GET /{host:media}/{path:rest}", "store image": f"POST /{UPLOAD_BUCKET}",
          "profile post": "POST /api/submit", "comment": "POST /api/comment"}


@dataclass
class Kill:
    """SIGKILL the bot when the ``nth`` request of ``stage`` is handled (plus ``delay_s``), before it is answered."""

    stage: str
    nth: int
    delay_s: float = 0.0


def kill_plan(rng: random.Random) -> list[Kill]:
    plan = [Kill("poll", 1), Kill("download", rng.randint(1, 4), rng.uniform(0.05, 0.6)),
            Kill("store image", rng.randint(1, 2)), Kill("profile post", rng.randint(1, 2)), Kill("comment", rng.randint(1, 2))]
    rng.shuffle(plan)
    return plan


class Tripwire:
    """Counts one bot process's requests per route and kills it at the planned one."""

    def __init__(self, pid: int, kill: Kill) -> None:
        self.pid, self.kill, self.seen, self.fired = pid, kill, 0, threading.Event()

    def __call__(self, route: str) -> None:
        if route != ROUTES[self.kill.stage] or self.fired.is_set():
            return
        self.seen += 1
        if self.seen == self.kill.nth:
            if self.kill.delay_s:
                threading.Timer(self.kill.delay_s, self._fire).start()
            else:
                self._fire()

    def _fire(self) -> None:
        if not self.fired.is_set():
            self.fired.set()
            os.kill(self.pid, signal.SIGKILL)


def test_kill_9_at_seeded_points_then_every_post_is_answered_exactly_once(tmp_path: Path, vivid_checkpoint: Path) -> None:
    sandbox = bw_sandbox(POSTS, seed=SEED)
    world: Any = sandbox.world
    config = bot_config(tmp_path, sandbox, vivid_checkpoint, lease_seconds=3, max_attempts=10, interval_seconds=0.3)
    queue = open_queue(config)
    windows: dict[str, dict[str, int]] = {}
    with sandbox:
        for number, kill in enumerate(kill_plan(random.Random(SEED)), 1):
            with (tmp_path / f"bot-{number}-{kill.stage.replace(' ', '-')}.log").open("w") as log:
                bot = start_bot(config, "run", log=log)
                world.tripwire = tripwire = Tripwire(bot.pid, kill)
                try:
                    assert tripwire.fired.wait(40), f"kill {number} ({kill}) never came: {log.name}"
                    assert bot.wait(10) == -signal.SIGKILL
                finally:
                    world.tripwire = None
                    if bot.poll() is None:
                        bot.kill()
                        bot.wait()
            windows[kill.stage] = _window(sandbox, queue)

        with (tmp_path / "bot-final.log").open("w") as log:
            bot = start_bot(config, "run", log=log)
            try:
                wait_for(lambda: queue.counts_by_state().get("done", 0) == POSTS, 90, "every job done", interval_s=0.5)
            finally:
                bot.send_signal(signal.SIGTERM)
                assert bot.wait(20) == 0, (tmp_path / "bot-final.log").read_text()[-3000:]
        state = sandbox.state()

    # the kills hit the windows they aimed at: Reddit had acted, the database did not know yet
    assert windows["comment"]["comments"] > windows["comment"]["recorded"], windows
    assert windows["profile post"]["profile posts"] > windows["profile post"]["hosted"], windows

    replies = replies_by_post(sandbox)
    jobs = [job for post_id in sorted(replies) for job in queue.jobs_for_post(post_id)]
    assert len(replies) == POSTS and all(len(c) == 1 for c in replies.values()), {p: len(c) for p, c in replies.items()}
    assert len(jobs) == POSTS and {j.state for j in jobs} == {"done"}
    assert max(j.attempts for j in jobs) >= 2, "no job was reclaimed from a killed bot"
    hosted = {j.post_id: j.hosted_url for j in jobs}
    assert len(set(hosted.values())) == POSTS, "two posts link the same upload"
    profile_images = {s["url"].rsplit("/", 1)[-1] for s in state["submissions"]}
    for post_id, (comment,) in replies.items():
        assert queue.reply_for(post_id).reply_id == comment.id
        assert hosted[post_id] in comment.body
        assert hosted[post_id].rsplit("/", 1)[-1] in profile_images


def _window(sandbox: Any, queue: Any) -> dict[str, int]:
    """What Reddit has against what the database recorded, right after a kill."""
    with sandbox.world.lock:
        comments, posts = len(sandbox.world.made["comments"]), len(sandbox.world.made["submissions"])
    counts = queue.counts_by_state()
    with_url = sum(1 for post_id in sandbox.world.posts for j in queue.jobs_for_post(post_id) if j.hosted_url)
    recorded = sum(1 for post_id in sandbox.world.posts if (r := queue.reply_for(post_id)) is not None and r.reply_id)
    return {"comments": comments, "recorded": recorded, "profile posts": posts, "hosted": with_url, **counts}
