"""The tables: the job queue plus one table per durable fact the bot must not forget across restarts.

Constraint names follow a fixed convention so migrations (and SQLite batch rebuilds) can refer to
them by name on every backend. No relationships: callers get plain rows, never lazy loads.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose metadata carries the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class JobState(str, enum.Enum):
    """Life of a job: pending → running → done | skipped | failed (running → pending on retry/release)."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


TERMINAL_STATES = frozenset({JobState.DONE, JobState.SKIPPED, JobState.FAILED})
_STATE_VALUES = ", ".join(f"'{s.value}'" for s in JobState)


class Job(Base):
    """One image of one Reddit post to colorize and answer; the unit the workers claim.

    Instances handed out by `db.queue.JobQueue` are detached snapshots: change a job through the
    queue (its methods check the lease), never by assigning attributes.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("post_id", "image_index"),
        CheckConstraint(f"state IN ({_STATE_VALUES})", name="state"),
        Index("ix_jobs_claimable", "state", "next_attempt_at"),
        Index("ix_jobs_lease", "state", "lease_expires_at"),
        Index("ix_jobs_kind_claimable", "kind", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # What Reddit told us about the post.
    post_id: Mapped[str] = mapped_column(String(32), index=True)
    subreddit: Mapped[str] = mapped_column(String(64))
    author: Mapped[str | None] = mapped_column(String(64))
    permalink: Mapped[str] = mapped_column(String(512))
    image_url: Mapped[str] = mapped_column(String(2048))
    image_index: Mapped[int] = mapped_column(Integer, default=0)
    role: Mapped[str] = mapped_column(String(16), default="bw")
    kind: Mapped[str] = mapped_column(String(16), default="photo", server_default="photo")  # photo | video: who claims it
    media: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # a clip's facts from the listing (playlist, duration, sound)
    # Queue bookkeeping.
    state: Mapped[str] = mapped_column(String(16), default=JobState.PENDING.value)
    skip_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # What the work produced.
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    phash: Mapped[str | None] = mapped_column(String(16), index=True)
    hosted_url: Mapped[str | None] = mapped_column(String(2048))
    hosted_delete_handle: Mapped[str | None] = mapped_column(String(256))
    reply_id: Mapped[str | None] = mapped_column(String(32))
    model_sha256: Mapped[str | None] = mapped_column(String(64))  # the model that drew its comparison
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        where = f"{self.post_id}#{self.image_index}"
        return f"Job(id={self.id}, post={where}, state={self.state}, attempts={self.attempts})"


class PollCursor(Base):
    """Newest post seen per listing (e.g. 'r/OldSchoolCool/new'), so a restart does not re-read history."""

    __tablename__ = "poll_cursors"

    listing_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    newest_fullname: Mapped[str | None] = mapped_column(String(32))
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BannedSubreddit(Base):
    """A subreddit that banned the bot; checked again at `next_check_at` in case the ban was lifted."""

    __tablename__ = "banned_subreddits"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    reason: Mapped[str | None] = mapped_column(Text)


class OptedOutUser(Base):
    """A user who asked the bot never to answer their posts."""

    __tablename__ = "opted_out_users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)


class RepliedPost(Base):
    """At most one reply per post: the primary key is the guarantee, however many images it has.

    A row with `reply_id` NULL is a reservation: a worker won the right to reply and has not yet
    recorded the comment id (if it stays NULL, that worker died mid-reply: check Reddit first).
    """

    __tablename__ = "replied_posts"

    post_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    reply_id: Mapped[str | None] = mapped_column(String(32))
    job_id: Mapped[int | None] = mapped_column(Integer)
    reserved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StateEntry(Base):
    """Small key/value store for odd durable facts (e.g. last inbox check) not worth a table."""

    __tablename__ = "state"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ModelSwitch(Base):
    """One change of the model every worker answers with; the newest row is the current model.

    ``previous_id`` is the switch a rollback returns to (a promote points at the switch it replaced,
    a rollback at the one before its target), so rolling back twice goes two models back.
    """

    __tablename__ = "model_switches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # baseline | promote | force | rollback
    previous_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    switched_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RedditRequest(Base):
    """One request sent to Reddit in the last minute, counted against its OAuth client's shared budget."""

    __tablename__ = "reddit_requests"
    __table_args__ = (Index("ix_reddit_requests_client_sent_at", "client", "sent_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(32))  # a hash of the OAuth client id, never the id itself
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReplyScore(Base):
    """What Reddit's readers made of one of the bot's replies, as last read back.

    ``state``: live | removed (a moderator removed it) | post_deleted (its post is gone) |
    deleted_for_score (the bot deleted it, with its comparison, when readers voted it down; the
    post stays answered). ``next_check_at``: when its age will have doubled since the last look.
    """

    __tablename__ = "reply_scores"
    __table_args__ = (Index("ix_reply_scores_state_next_check_at", "state", "next_check_at"),)

    reply_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    post_id: Mapped[str] = mapped_column(String(32), index=True)
    model_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    replied_at: Mapped[datetime] = mapped_column(UTCDateTime())
    score: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(20), default="live")
    checks: Mapped[int] = mapped_column(Integer, default=0)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)


class Canary(Base):
    """A candidate model answering a share of new posts (chosen by post id) beside the current one.

    At most one row has ``ended_at`` null: the running canary. It ends by a full promote or a rollback.
    """

    __tablename__ = "canaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    share: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(16))  # promote | rollback
    reason: Mapped[str | None] = mapped_column(Text)
