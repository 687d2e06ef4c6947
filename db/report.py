"""Read-only views of the queue for operators: ``colorbot status``, the status page and /metrics.

One module so the three agree on what "a failure" or "the last poll" means. Every function
only reads (never migrates or writes), so it is safe beside live bots and on a replica.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from db.engine import transaction
from db.facts import Facts
from db.model_switches import ModelSwitches
from db.models import BannedSubreddit, Job, JobState, PollCursor, RepliedPost, ReplyScore
from db.queue import JobQueue
from db.reply_scores import ModelVerdict, ReplyScores
from db.types import Clock, utcnow

PENDING, DONE, FAILED = JobState.PENDING.value, JobState.DONE.value, JobState.FAILED.value


@dataclass(frozen=True)
class CurrentModel:
    """The newest model switch, as plain values (comparable, unlike an ORM row)."""

    model_id: str
    sha256: str
    action: str
    switched_at: datetime


@dataclass(frozen=True)
class QueueGauges:
    """The few numbers a monitor scrapes: cheap queries, one snapshot."""

    counts: dict[str, int]
    oldest_pending_created_at: datetime | None  # how long the oldest waiting job has waited
    last_poll_at: datetime | None  # the heartbeat: the last *successful* poll of any listing
    replies_recorded: int
    banned_subreddits: int
    current_model: CurrentModel | None = None  # None: no model was ever promoted (the configured one answers)
    replies_by_model: dict[str | None, int] = field(default_factory=dict)  # model hash → posts answered
    clips_answered: int = 0  # video posts answered with a colorized clip
    clip_seconds: float = 0.0  # seconds of clip those answers colorized

    def oldest_pending_age_seconds(self, now: datetime) -> float:
        """0 when nothing waits."""
        if self.oldest_pending_created_at is None:
            return 0.0
        return max((now - self.oldest_pending_created_at).total_seconds(), 0.0)


@dataclass(frozen=True)
class StatusReport:
    """Everything the operator's views show, as detached rows."""

    gauges: QueueGauges
    recent_jobs: list[Job] = field(default_factory=list)
    comparisons: list[Job] = field(default_factory=list)  # done jobs with a hosted comparison, newest first
    failures: list[Job] = field(default_factory=list)  # failed for good, or waiting to retry after an error
    banned: list[BannedSubreddit] = field(default_factory=list)
    polls: list[PollCursor] = field(default_factory=list)
    generated_at: datetime | None = None
    verdicts: dict[str | None, ModelVerdict] = field(default_factory=dict)  # readers' scores per model
    lowest_replies: list[tuple[ReplyScore, str]] = field(default_factory=list)  # (reply, link), lowest score first
    canary: tuple[str, float] | None = None  # (model id, share) while a canary runs


def read_gauges(engine: Engine) -> QueueGauges:
    """Queue counts, oldest pending job, last successful poll, replies and bans, the current model."""
    counts = JobQueue(engine).counts_by_state()
    with transaction(engine, write=False) as session:
        oldest = session.scalar(select(func.min(Job.created_at)).where(Job.state == PENDING))
        last_poll = session.scalar(select(func.max(PollCursor.last_polled_at)))
        replies = session.scalar(select(func.count()).select_from(RepliedPost).where(RepliedPost.reply_id.is_not(None)))
        bans = session.scalar(select(func.count()).select_from(BannedSubreddit))
    switches = ModelSwitches(engine)
    row = switches.current()
    current = CurrentModel(row.model_id, row.sha256, row.action, row.switched_at) if row is not None else None
    clips = _clip_totals(engine)
    return QueueGauges(counts, oldest, last_poll, int(replies or 0), int(bans or 0),  # min/max keep UTCDateTime
                       current, switches.replies_by_model(), *clips)


def _clip_totals(engine: Engine) -> tuple[int, float]:
    """(clips answered, seconds of clip colorized) over the done video jobs, summed by the database
    (every /metrics scrape reads this: no job rows are loaded)."""
    seconds = Job.metrics["clip_seconds"].as_float()
    with transaction(engine, write=False) as session:
        count, total = session.execute(select(func.count(), func.coalesce(func.sum(seconds), 0.0))
                                       .where(Job.kind == "video", Job.state == DONE)).one()
    return int(count), float(total)


def read_report(engine: Engine, recent: int = 10, *, clock: Clock = utcnow) -> StatusReport:
    """The gauges plus the newest jobs, comparisons and failures (``recent`` of each), bans and polls."""
    gauges = read_gauges(engine)
    with transaction(engine, write=False) as session:
        jobs = _newest(session, None, recent)
        comparisons = _newest(session, (Job.state == DONE) & Job.hosted_url.is_not(None), recent)
        failures = _newest(session, or_(Job.state == FAILED, (Job.state == PENDING) & Job.last_error.is_not(None)), recent)
        polls = list(session.scalars(select(PollCursor).order_by(PollCursor.last_polled_at.desc())))
        lowest = ReplyScores(engine).lowest(10)
        permalinks = dict(session.execute(select(Job.post_id, Job.permalink).where(Job.post_id.in_([r.post_id for r in lowest]))).all())
    canary = ModelSwitches(engine).canary()
    return StatusReport(gauges, jobs, comparisons, failures, Facts(engine).banned_subreddits(), polls, clock(),
                        ReplyScores(engine).verdicts(),
                        [(row, reply_link(permalinks.get(row.post_id), row.post_id, row.reply_id)) for row in lowest],
                        (canary.model_id, canary.share) if canary else None)


def reply_link(permalink: str | None, post_id: str, reply_id: str) -> str:
    """The reply's address on Reddit (its post's permalink plus the comment id)."""
    base = permalink if permalink and permalink.startswith("/r/") else f"/comments/{post_id}/_/"
    return f"https://www.reddit.com{base.rstrip('/')}/{reply_id}/"


def _newest(session: Session, where: object, limit: int) -> list[Job]:
    query = select(Job).order_by(Job.updated_at.desc(), Job.id.desc()).limit(limit)
    return list(session.scalars(query if where is None else query.where(where)))  # type: ignore[arg-type]
