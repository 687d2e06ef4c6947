"""What reading the replies' scores back costs in Reddit requests, measured against the sandbox.

A sandbox holds ``replies_per_day`` × ``days`` of the bot's replies, spread evenly in time; the
real :class:`bot.reply_scores.ScoreReader` runs every hour of a simulated clock over those days
and every ``/api/info`` request it sends is counted by the sandbox. Reported for the days after
the first week (every reply then has a full week of history): requests a day, per reply the bot
tracks (younger than ``scores.max_age_days``) and per new reply.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.config import HostSettings, ScoresSettings, Settings
from bot.hosting import make_host
from bot.reddit.budget import share_budget
from bot.reddit.client import make_reddit
from bot.reply_scores import ScoreReader
from bot.sandbox import SandboxServer
from bot.sandbox.praw_site import praw_settings
from bot.sandbox.seed import load_into
from db import JobQueue, make_engine, transaction, upgrade
from db.models import RepliedPost

SUBREDDIT = "OldSchoolCool"


@dataclasses.dataclass(frozen=True)
class ScoreReadingCost:
    replies_per_day: int
    requests_per_day: float  # in the steady state (the second week)
    tracked_replies: int  # replies younger than max_age_days

    @property
    def per_tracked_reply_per_day(self) -> float:
        return self.requests_per_day / self.tracked_replies

    @property
    def per_new_reply(self) -> float:
        return self.requests_per_day / self.replies_per_day


class _SimulatedTime:
    """A request window for a simulated clock: the 100-a-minute cap is about real minutes, which do not pass here."""

    def wait(self) -> float:
        return 0.0

    def take(self) -> float:
        return 0.0


def measure(replies_per_day: int, folder: Path, *, days: int = 10, settings: ScoresSettings = ScoresSettings()) -> ScoreReadingCost:
    """Run the score reader hourly over ``days`` of replies; count its requests after the first week."""
    total = replies_per_day * days
    with SandboxServer({"subreddits": [{"name": SUBREDDIT}]}) as sandbox:
        load_into(sandbox.world, {
            "posts": [{"id": f"s{n:06d}", "subreddit": SUBREDDIT, "title": "old photo", "is_self": True, "selftext": "x"}
                      for n in range(total)],
            "comments": [{"id": f"r{n:06d}", "post": f"s{n:06d}", "author": "colorbot", "body": "reply"} for n in range(total)]})
        url = f"sqlite:///{folder / 'scores.db'}"
        upgrade(url)
        engine = make_engine(url)
        t0 = datetime(2026, 12, 1, tzinfo=timezone.utc)
        step = timedelta(days=1) / replies_per_day
        with transaction(engine, write=True) as session:
            session.add_all(RepliedPost(post_id=f"s{n:06d}", reply_id=f"r{n:06d}", reserved_at=t0 + n * step,
                                        replied_at=t0 + n * step) for n in range(total))
        config = Settings(subreddits=(SUBREDDIT,), database_url=url, device="cpu", scores=settings,
                          host=HostSettings(kind="local", local_dir=folder / "hosted", local_base_url="https://img.example.org"))
        reddit = make_reddit(config, **praw_settings(sandbox.url))
        share_budget(reddit, _SimulatedTime())  # days pass in seconds here: the real-time minute cap does not apply
        reader = ScoreReader(reddit, JobQueue(engine), make_host("local", config.host, reddit), settings)
        steady_from = round(settings.max_age_days) * 24  # from then on every reply has its full week of looks
        steady = 0
        for hour in range(days * 24):
            result = reader.run(t0 + timedelta(hours=hour, minutes=5))
            if hour >= steady_from:
                steady += result.requests
        assert sandbox.world.counts["GET /api/info"] >= steady  # what the sandbox saw, not what the reader thinks
    return ScoreReadingCost(replies_per_day, steady / (days - steady_from / 24), round(replies_per_day * settings.max_age_days))
