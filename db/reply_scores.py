"""The scores of the bot's replies as Reddit's readers left them, and the per-model verdict they add up to.

Why a schedule per reply: a reply's score moves most in its first hours. Each reply is read back
when its age has doubled since the last look (1 h, 2 h, 4 h … until ``max_age``), so a week of
replies costs about eight looks each, batched 50 to a request (``bot.reply_scores``), and a due
look waits for company until it is :func:`overdue`.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from db.engine import transaction
from db.models import Job, RepliedPost, ReplyScore
from db.types import Clock, as_utc, utcnow

LIVE, REMOVED, POST_DELETED, DELETED_FOR_SCORE = "live", "removed", "post_deleted", "deleted_for_score"
FIRST_CHECK = timedelta(hours=1)
#: The least a due look may wait for others to share its request (more than the reader's hourly run, so they pool).
MIN_WAIT = timedelta(hours=2)


@dataclass(frozen=True)
class Reading:
    """One reply as Reddit shows it now."""

    reply_id: str
    score: int
    state: str = LIVE  # live | removed | post_deleted


@dataclass(frozen=True)
class ModelVerdict:
    """The readers' numbers for one model's replies."""

    model_sha256: str | None
    replies: int
    median_score: float
    mean_score: float
    share_at_or_below_zero: float
    share_removed: float  # removed by moderators
    deleted_for_score: int
    scores: tuple[int, ...]


class ReplyScores:
    """Read and write ``reply_scores``; rows returned are detached snapshots."""

    def __init__(self, engine: Engine, *, clock: Clock = utcnow) -> None:
        self.engine = engine
        self._clock = clock

    def track_new_replies(self, now: datetime | None = None) -> int:
        """Add a row for every recorded reply not tracked yet (with the model that drew it); returns how many."""
        with transaction(self.engine, write=True) as session:
            rows = session.execute(select(RepliedPost.reply_id, RepliedPost.post_id, RepliedPost.replied_at, Job.model_sha256)
                                   .outerjoin(Job, Job.id == RepliedPost.job_id)
                                   .outerjoin(ReplyScore, ReplyScore.reply_id == RepliedPost.reply_id)
                                   .where(RepliedPost.reply_id.is_not(None), ReplyScore.reply_id.is_(None))).all()
            for reply_id, post_id, replied_at, model in rows:
                replied = as_utc(replied_at or self._now(now))
                session.add(ReplyScore(reply_id=reply_id, post_id=post_id, model_sha256=model, score=1, state=LIVE, checks=0,
                                       replied_at=replied, next_check_at=replied + FIRST_CHECK))
            return len(rows)

    def due(self, max_age: timedelta, now: datetime | None = None, limit: int = 1000) -> list[ReplyScore]:
        """Live replies younger than ``max_age`` whose next look is due (age doubled since the last one), most overdue first."""
        now = self._now(now)
        with transaction(self.engine, write=False) as session:
            return list(session.scalars(select(ReplyScore).where(
                ReplyScore.state == LIVE, ReplyScore.next_check_at <= now, ReplyScore.replied_at >= now - max_age)
                .order_by(ReplyScore.next_check_at).limit(limit)))

    def record(self, readings: Iterable[Reading], now: datetime | None = None) -> None:
        """Store what Reddit showed; a reply it no longer shows at all counts as removed."""
        now = self._now(now)
        with transaction(self.engine, write=True) as session:
            for reading in readings:
                row = session.get(ReplyScore, reading.reply_id)
                if row is None or row.state == DELETED_FOR_SCORE:
                    continue
                row.score, row.checks, row.checked_at = reading.score, row.checks + 1, now
                row.next_check_at = now + max(now - as_utc(row.replied_at), FIRST_CHECK)
                if reading.state != LIVE and row.state == LIVE:
                    row.state, row.removed_at = reading.state, now

    def mark_deleted_for_score(self, reply_id: str, reason: str, now: datetime | None = None) -> None:
        now = self._now(now)
        with transaction(self.engine, write=True) as session:
            row = session.get(ReplyScore, reply_id)
            if row is not None:
                row.state, row.removed_at, row.reason = DELETED_FOR_SCORE, now, reason

    def get(self, reply_id: str) -> ReplyScore | None:
        with transaction(self.engine, write=False) as session:
            return session.get(ReplyScore, reply_id)

    def all(self) -> list[ReplyScore]:
        with transaction(self.engine, write=False) as session:
            return list(session.scalars(select(ReplyScore).order_by(ReplyScore.replied_at)))

    def lowest(self, limit: int = 10) -> list[ReplyScore]:
        """The lowest-scored replies that were read back at least once (the status page's list)."""
        with transaction(self.engine, write=False) as session:
            return list(session.scalars(select(ReplyScore).where(ReplyScore.checks > 0)
                                        .order_by(ReplyScore.score, ReplyScore.replied_at).limit(limit)))

    def verdicts(self) -> dict[str | None, ModelVerdict]:
        """Per model: replies read back at least once, their scores, removals."""
        by_model: dict[str | None, list[ReplyScore]] = {}
        for row in self.all():
            if row.checks > 0 or row.state == DELETED_FOR_SCORE:
                by_model.setdefault(row.model_sha256, []).append(row)
        return {model: verdict(model, rows) for model, rows in by_model.items()}

    def _now(self, now: datetime | None) -> datetime:
        return as_utc(now if now is not None else self._clock())


def overdue(row: ReplyScore, now: datetime) -> bool:
    """Whether a due look may wait no longer: half its interval past due, and at least :data:`MIN_WAIT`.

    Looks that may still wait join the next request someone else's overdue look makes, so a few
    replies a day do not cost one request an hour."""
    last = as_utc(row.checked_at) if row.checked_at is not None else as_utc(row.replied_at)
    due = as_utc(row.next_check_at)
    return now >= due + max((due - last) / 2, MIN_WAIT)


def verdict(model: str | None, rows: list[ReplyScore]) -> ModelVerdict:
    scores = tuple(row.score for row in rows)
    n = len(rows)
    return ModelVerdict(model, n, float(statistics.median(scores)), float(statistics.fmean(scores)),
                        sum(1 for s in scores if s <= 0) / n, sum(1 for r in rows if r.state == REMOVED) / n,
                        sum(1 for r in rows if r.state == DELETED_FOR_SCORE), scores)
