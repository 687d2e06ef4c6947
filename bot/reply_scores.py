"""Read the scores of the bot's replies back from Reddit, and take down the ones readers voted below the line.

Why ``/api/info`` by id rather than paging ``/user/{me}/comments``: the bot knows its reply ids,
and one ``/api/info`` request reads up to 100 things, so each look costs a fraction of a request
however many replies are younger than a week (a listing must be paged through from the newest
reply down to the oldest one due). Each reply is looked at when its age has doubled since the
last look, and due looks wait (up to half their interval) to share one request
(``db.reply_scores.overdue``); the request goes through the shared budget.
Each batch also reads the replies' posts: a post deleted by its author shows in the same answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.reddit.errors import action_for
from bot.reddit.posts import DELETED
from bot.reply_removal import remove_reply
from db.reply_scores import LIVE, POST_DELETED, REMOVED, Reading, ReplyScores, overdue
from db.types import as_utc, utcnow

if TYPE_CHECKING:
    import praw

    from bot.config import ScoresSettings
    from bot.hosting import ImageHost
    from bot.metrics import BotMetrics
    from db import JobQueue
    from db.models import ReplyScore

log = logging.getLogger(__name__)

THINGS_PER_REQUEST = 100  # /api/info's limit; each reply is read with its post: 50 replies a request
REMOVED_BODY = "[removed]"


@dataclass
class ScoreRun:
    """What one pass did."""

    tracked: int = 0
    read: int = 0
    requests: int = 0
    removed_for_score: list[str] = field(default_factory=list)
    error: str | None = None


class ScoreReader:
    """One pass: track new replies, read the due ones back, store them, take down the voted-down ones."""

    def __init__(self, reddit: praw.Reddit, queue: JobQueue, host: ImageHost, settings: ScoresSettings,
                 metrics: BotMetrics | None = None) -> None:
        self.reddit, self.queue, self.host, self.settings = reddit, queue, host, settings
        self.scores = ReplyScores(queue.engine)
        self.metrics = metrics

    def run(self, now: datetime | None = None) -> ScoreRun:
        now = as_utc(now) if now is not None else utcnow()
        result = ScoreRun(tracked=self.scores.track_new_replies(now))
        due = self.scores.due(timedelta(days=self.settings.max_age_days), now)
        per_request = THINGS_PER_REQUEST // 2
        if len(due) < per_request and not any(overdue(row, now) for row in due):
            return result  # nothing must be read yet: these looks wait to share a request
        for start in range(0, len(due), per_request):
            batch = due[start:start + per_request]
            try:
                readings = self._read(batch)
            except Exception as exc:  # noqa: BLE001 - one line; the replies stay due for the next pass
                result.error = action_for(exc).reason
                log.warning("scores: reading %d replies back failed: %s", len(batch), result.error)
                break
            result.requests += 1
            result.read += len(readings)
            self.scores.record(readings, now)
            if self.settings.self_remove:
                self._remove_voted_down(batch, readings, now, result)
        if result.read or result.removed_for_score:
            log.info("scores: read %d replies back in %d requests (%d newly tracked); %d taken down for their score",
                     result.read, result.requests, result.tracked, len(result.removed_for_score))
        return result

    def _read(self, batch: list[ReplyScore]) -> list[Reading]:
        """The replies and their posts in one ``/api/info`` request."""
        names = [f"t1_{row.reply_id}" for row in batch] + [f"t3_{row.post_id}" for row in batch]
        found = {str(thing.fullname): vars(thing) for thing in self.reddit.info(fullnames=names)}
        readings = []
        for row in batch:
            comment, post = found.get(f"t1_{row.reply_id}"), found.get(f"t3_{row.post_id}")
            readings.append(reading_of(row.reply_id, comment, post))
        return readings

    def _remove_voted_down(self, batch: list[ReplyScore], readings: list[Reading], now: datetime, result: ScoreRun) -> None:
        min_age = timedelta(hours=self.settings.remove_min_age_hours)
        for row, reading in zip(batch, readings):
            if reading.state != LIVE or reading.score > self.settings.remove_at_or_below or now - as_utc(row.replied_at) < min_age:
                continue
            reason = (f"score {reading.score} <= {self.settings.remove_at_or_below} after "
                      f"{(now - as_utc(row.replied_at)).total_seconds() / 3600:.1f} h")
            try:
                remove_reply(self.reddit, self.queue, self.host, row.post_id, row.reply_id)
            except Exception as exc:  # noqa: BLE001 - tried again at the next look
                log.warning("scores: could not take down t1_%s on t3_%s (%s): %s", row.reply_id, row.post_id, reason,
                            action_for(exc).reason)
                continue
            self.scores.mark_deleted_for_score(row.reply_id, reason, now)
            result.removed_for_score.append(row.reply_id)
            if self.metrics is not None:
                self.metrics.removed_for_score.inc()
            log.info("scores: took down reply t1_%s on t3_%s and its comparison: readers voted it down (%s); "
                     "the post stays answered", row.reply_id, row.post_id, reason)


def reading_of(reply_id: str, comment: dict[str, Any] | None, post: dict[str, Any] | None) -> Reading:
    """What one reply's ``/api/info`` entries say: its score, and whether it or its post is gone."""
    if comment is None:  # Reddit no longer lists it at all
        return Reading(reply_id, 0, REMOVED)
    score = int(comment.get("score") or 0)
    if comment.get("body") == REMOVED_BODY or comment.get("removed_by_category") or comment.get("banned_by"):
        return Reading(reply_id, score, REMOVED)
    author = post.get("author") if post is not None else None  # PRAW turns "[deleted]" into None
    if post is None or author is None or str(author) == DELETED or post.get("removed_by_category") is not None:
        return Reading(reply_id, score, POST_DELETED)
    return Reading(reply_id, score, LIVE)
