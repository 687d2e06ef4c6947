"""The durable job queue shared by several worker processes.

Exactly-once claiming: a claim is one write transaction (SQLite ``BEGIN IMMEDIATE``, PostgreSQL
``FOR UPDATE SKIP LOCKED``) that moves rows to ``running`` under a lease and counts an attempt.
A worker that dies simply lets its lease run out; the next claim takes the job back (or fails it
when its attempts are spent, so a picture that crashes workers cannot loop forever).

Every change to a claimed job is fenced by (id, lease owner, attempts): once a lease has been
taken over, the old holder's `complete`/`fail`/... raise `LeaseLost` instead of clobbering it.
All times come from `now` arguments or the injected clock, so tests control time.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Collection, Iterable, Iterator

from sqlalchemy import ColumnElement, Engine, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from db import replies
from db.backoff import Backoff
from db.engine import dialect_insert, writer
from db.models import Job, JobState, RepliedPost
from db.phash import hamming, normalize_hash
from db.types import Clock, as_utc, utcnow

ERROR_TEXT_LIMIT = 4000
PENDING, RUNNING = JobState.PENDING.value, JobState.RUNNING.value
DONE, SKIPPED, FAILED = JobState.DONE.value, JobState.SKIPPED.value, JobState.FAILED.value


class LeaseLost(RuntimeError):
    """Another worker took this job over (our lease ran out): drop the work and do not reply."""


@dataclass(frozen=True)
class NewJob:
    """What ingest knows about one image of one post when it queues it."""

    post_id: str
    subreddit: str
    permalink: str
    image_url: str
    author: str | None = None
    image_index: int = 0
    role: str = "bw"
    kind: str = "photo"  # "video": a clip, claimed only by a clip worker
    media: dict[str, Any] | None = None


class JobQueue:
    """Queue operations; each method is one short transaction and returns detached `Job` snapshots."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock = utcnow,
        max_attempts: int = 5,
        backoff: Backoff = Backoff(),
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.engine = engine
        self.max_attempts = max_attempts
        self.backoff = backoff
        self._clock = clock
        self._rng = rng or random.Random()
        self._writer = writer(engine)

    # -- plumbing ---------------------------------------------------------------------------
    def _now(self, now: datetime | None) -> datetime:
        return as_utc(now if now is not None else self._clock())

    @contextmanager
    def _tx(self, *, write: bool) -> Iterator[Session]:
        with Session(self._writer if write else self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @staticmethod
    def _held(job: Job) -> ColumnElement[bool]:
        """Rows still under the lease that `job` was handed with."""
        return and_(
            Job.id == job.id, Job.state == RUNNING, Job.lease_owner == job.lease_owner, Job.attempts == job.attempts
        )

    def _change(self, job: Job, values: dict[str, Any], now: datetime) -> Job:
        """Apply `values` to a job we hold; raise `LeaseLost` if we no longer do."""
        with self._tx(write=True) as session:
            statement = update(Job).where(self._held(job)).values(**values, updated_at=now)
            result = session.execute(statement.execution_options(synchronize_session=False))
            if result.rowcount != 1:
                raise LeaseLost(f"job {job.id}: lease of {job.lease_owner!r} (attempt {job.attempts}) is gone")
            changed = session.get(Job, job.id)
            assert changed is not None
            return changed

    # -- producing --------------------------------------------------------------------------
    def enqueue(self, jobs: Iterable[NewJob], now: datetime | None = None) -> list[int]:
        """Queue new jobs; a (post, image index) already queued is left alone. Returns the new ids."""
        now = self._now(now)
        batch = list(jobs)  # build outside the transaction: it holds the write lock
        created: list[int] = []
        with self._tx(write=True) as session:
            insert = dialect_insert(session)
            for job in batch:
                statement = (
                    insert(Job.__table__)
                    .values(**asdict(job), state=PENDING, attempts=0, next_attempt_at=now)
                    .values(created_at=now, updated_at=now)
                    .on_conflict_do_nothing(index_elements=["post_id", "image_index"])
                    .returning(Job.__table__.c.id)
                )
                new_id = session.execute(statement).scalar_one_or_none()
                if new_id is not None:
                    created.append(new_id)
        return created

    # -- consuming --------------------------------------------------------------------------
    def claim(
        self, worker_id: str, limit: int = 1, lease_seconds: float = 600, now: datetime | None = None,
        kinds: Collection[str] | None = None,
    ) -> list[Job]:
        """Atomically take up to `limit` due jobs (pending, or running with an expired lease) for `worker_id`;
        only jobs of `kinds` when given (a photo worker never takes a clip that would hold it for minutes)."""
        now = self._now(now)
        with self._tx(write=True) as session:
            self._fail_exhausted_leases(session, now)
            ids = session.scalars(claimable(now, limit, kinds)).all()
            if not ids:
                return []
            session.execute(
                update(Job)
                .where(Job.id.in_(ids))
                .values(
                    state=RUNNING,
                    lease_owner=worker_id,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                    attempts=Job.attempts + 1,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            return list(session.scalars(select(Job).where(Job.id.in_(ids)).order_by(Job.next_attempt_at, Job.id)))

    def _fail_exhausted_leases(self, session: Session, now: datetime) -> None:
        """Jobs whose worker vanished on their last allowed attempt are failed, not retried.

        On PostgreSQL rows another claimer has locked are skipped (it fails them itself), so claims
        never wait on each other here either.
        """
        exhausted = (
            select(Job.id)
            .where(Job.state == RUNNING, Job.lease_expires_at <= now, Job.attempts >= self.max_attempts)
            .with_for_update(skip_locked=True)
        )
        session.execute(
            update(Job)
            .where(Job.id.in_(exhausted))
            .values(
                state=FAILED,
                lease_owner=None,
                lease_expires_at=None,
                last_error=f"lease expired on attempt {self.max_attempts} of {self.max_attempts} (worker lost)",
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )

    def heartbeat(self, job: Job, lease_seconds: float = 600, now: datetime | None = None) -> Job:
        """Extend the lease of a job still being worked on (call well before it expires)."""
        now = self._now(now)
        return self._change(job, {"lease_expires_at": now + timedelta(seconds=lease_seconds)}, now)

    def complete(
        self,
        job: Job,
        *,
        metrics: dict[str, Any] | None = None,
        phash: int | str | None = None,
        hosted_url: str | None = None,
        hosted_delete_handle: str | None = None,
        now: datetime | None = None,
    ) -> Job:
        """Mark a held job done, storing what the work produced (None leaves a field as it is)."""
        values = _given(metrics=metrics, hosted_url=hosted_url, hosted_delete_handle=hosted_delete_handle)
        if phash is not None:
            values["phash"] = normalize_hash(phash)
        now = self._now(now)
        return self._change(job, {**values, "state": DONE, "lease_owner": None, "lease_expires_at": None}, now)

    def skip(
        self,
        job: Job,
        reason: str,
        *,
        metrics: dict[str, Any] | None = None,
        phash: int | str | None = None,
        now: datetime | None = None,
    ) -> Job:
        """Mark a held job skipped for `reason` (not B&W, opted out, banned, already answered…)."""
        values = _given(metrics=metrics)
        if phash is not None:
            values["phash"] = normalize_hash(phash)
        now = self._now(now)
        return self._change(
            job, {**values, "state": SKIPPED, "skip_reason": reason, "lease_owner": None, "lease_expires_at": None}, now
        )

    def fail(
        self,
        job: Job,
        error: str,
        retry_at: datetime | None = None,
        *,
        permanent: bool = False,
        now: datetime | None = None,
    ) -> Job:
        """Record a failed attempt: retry at `retry_at` (default: backoff), or fail for good when out of
        attempts or `permanent` (an error no retry can fix, e.g. the image is gone)."""
        now = self._now(now)
        values: dict[str, Any] = {"last_error": error[:ERROR_TEXT_LIMIT], "lease_owner": None, "lease_expires_at": None}
        if permanent or job.attempts >= self.max_attempts:
            values["state"] = FAILED
        else:
            values["state"] = PENDING
            delay = self.backoff.delay(job.attempts, self._rng)
            values["next_attempt_at"] = as_utc(retry_at) if retry_at else now + delay
        return self._change(job, values, now)

    def release(self, job: Job, now: datetime | None = None) -> Job:
        """Hand a held job back untouched (clean shutdown): claimable at once, this attempt not counted."""
        now = self._now(now)
        values = {"state": PENDING, "attempts": Job.attempts - 1, "lease_owner": None, "lease_expires_at": None}
        return self._change(job, values, now)

    def reschedule(self, job: Job, at: datetime, reason: str, now: datetime | None = None) -> Job:
        """Put a held job back until `at` without counting the attempt: Reddit asked us to wait
        (RATELIMIT, 429), which says nothing about the job itself."""
        now = self._now(now)
        values = {"state": PENDING, "attempts": Job.attempts - 1, "next_attempt_at": as_utc(at),
                  "last_error": reason[:ERROR_TEXT_LIMIT], "lease_owner": None, "lease_expires_at": None}
        return self._change(job, values, now)

    # -- side effects: record them before the next one, so a retried job can skip what was done --
    def record_hosted_url(
        self,
        job_id: int,
        url: str,
        delete_handle: str | None = None,
        *,
        model_sha256: str | None = None,
        metrics: dict[str, Any] | None = None,
        replace: bool = False,
        now: datetime | None = None,
    ) -> Job:
        """Store where the comparison image was uploaded (and which model drew it); commit this *before* replying.

        The first URL recorded wins unless `replace`: if the returned job's ``hosted_url`` is not
        `url`, another attempt already uploaded one — use that and delete yours. ``metrics``, when
        given, are stored with the URL, so a retry still knows what was published beside it.
        """
        now = self._now(now)
        with self._tx(write=True) as session:
            condition = Job.id == job_id if replace else and_(Job.id == job_id, Job.hosted_url.is_(None))
            session.execute(
                update(Job)
                .where(condition)
                .values(hosted_url=url, hosted_delete_handle=delete_handle, model_sha256=model_sha256, updated_at=now,
                        **_given(metrics=metrics))
                .execution_options(synchronize_session=False)
            )
            job = session.get(Job, job_id)
            if job is None:
                raise LookupError(f"no job {job_id}")
            return job

    def forget_hosted_url(self, job_id: int, now: datetime | None = None) -> None:
        """The comparison was taken down (its owner asked): no later post may reuse or link it."""
        now = self._now(now)
        with self._tx(write=True) as session:
            session.execute(update(Job).where(Job.id == job_id).values(hosted_url=None, hosted_delete_handle=None, updated_at=now)
                            .execution_options(synchronize_session=False))

    def reserve_reply(self, post_id: str, job_id: int | None = None, now: datetime | None = None) -> bool:
        """Win the right to reply to `post_id` (False: reserved or answered already — do not reply)."""
        now = self._now(now)
        with self._tx(write=True) as session:
            return replies.reserve(session, post_id, job_id, now)

    def record_reply(self, post_id: str, reply_id: str, job_id: int | None = None, now: datetime | None = None) -> str:
        """Store the reply's comment id; returns the id on record (a different one: yours is a duplicate)."""
        now = self._now(now)
        with self._tx(write=True) as session:
            return replies.record(session, post_id, reply_id, now, job_id)

    def cancel_reply(self, post_id: str) -> bool:
        """Give up a reservation whose comment surely was not posted, so a retry may reply."""
        with self._tx(write=True) as session:
            return replies.cancel(session, post_id)

    def reply_for(self, post_id: str) -> RepliedPost | None:
        """The reply ledger row of `post_id`, or None if nobody reserved or replied."""
        with self._tx(write=False) as session:
            return replies.lookup(session, post_id)

    # -- reading ----------------------------------------------------------------------------
    def get(self, job_id: int) -> Job | None:
        """One job by id."""
        with self._tx(write=False) as session:
            return session.get(Job, job_id)

    def jobs_for_post(self, post_id: str) -> list[Job]:
        """All images of one post, in gallery order (to decide when the whole post is finished)."""
        with self._tx(write=False) as session:
            return list(session.scalars(select(Job).where(Job.post_id == post_id).order_by(Job.image_index)))

    def counts_by_state(self) -> dict[str, int]:
        """How many jobs are in each state (every state present, zero included)."""
        with self._tx(write=False) as session:
            rows = session.execute(select(Job.state, func.count()).group_by(Job.state)).all()
        return {state.value: 0 for state in JobState} | {state: count for state, count in rows}

    def find_done_by_hash(self, phash: int | str, max_distance: int = 0, limit: int = 5) -> list[Job]:
        """Done jobs whose image hash is within `max_distance` bits of `phash`, closest (then oldest) first.

        Exact matches use the index; a distance > 0 scans the hashes of done jobs in Python, which
        is fine for the tens of thousands of rows a bot accumulates.
        """
        target = normalize_hash(phash)
        with self._tx(write=False) as session:
            if max_distance <= 0:
                query = select(Job).where(Job.state == DONE, Job.phash == target).order_by(Job.id).limit(limit)
                return list(session.scalars(query))
            rows = session.execute(select(Job.id, Job.phash).where(Job.state == DONE, Job.phash.is_not(None))).all()
            near = sorted((d, job_id) for job_id, h in rows if (d := hamming(target, h)) <= max_distance)
            ids = [job_id for _, job_id in near[:limit]]
            by_id = {job.id: job for job in session.scalars(select(Job).where(Job.id.in_(ids)))}
            return [by_id[job_id] for job_id in ids]


def claimable(now: datetime, limit: int, kinds: Collection[str] | None = None) -> Select[tuple[int]]:
    """Ids of due jobs (of ``kinds`` when given), oldest first; PostgreSQL locks them and skips rows other claimers hold."""
    due = or_(
        and_(Job.state == PENDING, Job.next_attempt_at <= now),
        and_(Job.state == RUNNING, Job.lease_expires_at <= now),
    )
    if kinds is not None:
        due = and_(Job.kind.in_(list(kinds)), due)
    oldest_first = select(Job.id).where(due).order_by(Job.next_attempt_at, Job.id).limit(limit)
    return oldest_first.with_for_update(skip_locked=True)


def _given(**values: Any) -> dict[str, Any]:
    """The keyword arguments that were actually passed (not None)."""
    return {key: value for key, value in values.items() if value is not None}
