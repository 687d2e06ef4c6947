"""One request budget for every process and machine that shares an OAuth client: ≤ N requests in any 60 s.

Each request first takes a slot in ``reddit_requests`` inside one write transaction (SQLite's
single writer; on PostgreSQL an advisory lock per client), so processes and threads never
overshoot together. Rows older than a minute are deleted as the window slides. Times are the
writing machine's UTC clock: machines sharing a PostgreSQL budget must keep their clocks in sync
(NTP), as any lease-based queue needs anyway.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session

from db.engine import transaction
from db.models import RedditRequest
from db.types import Clock, utcnow



class RequestWindow:
    """The shared sliding minute of one OAuth client (``client`` is a hash of its id, never the id)."""

    def __init__(self, engine: Engine, client: str, max_per_minute: int, *, clock: Clock = utcnow,
                 window_seconds: float = 60.0) -> None:
        self.engine, self.client, self.max_per_minute, self._clock = engine, client, max_per_minute, clock
        self.window = timedelta(seconds=window_seconds)  # the caller may add a margin for send latency

    def wait(self) -> float:
        with transaction(self.engine, write=False) as session:
            return self._wait(session, self._clock(), prune=False)

    def take(self) -> float:
        now = self._clock()
        with transaction(self.engine, write=True) as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"colorbot-budget:{self.client}"})
            wait = self._wait(session, now, prune=True)
            if wait <= 0:
                session.add(RedditRequest(client=self.client, sent_at=now))
            return wait

    def sent_in_window(self) -> int:
        """Requests counted in the current window (for tests and benchmarks)."""
        with transaction(self.engine, write=False) as session:
            since = self._clock() - self.window
            return int(session.scalar(select(func.count()).select_from(RedditRequest)
                                      .where(RedditRequest.client == self.client, RedditRequest.sent_at > since)) or 0)

    def _wait(self, session: Session, now: datetime, *, prune: bool) -> float:
        since = now - self.window
        if prune:
            session.execute(delete(RedditRequest).where(RedditRequest.client == self.client, RedditRequest.sent_at <= since))
        where = (RedditRequest.client == self.client) & (RedditRequest.sent_at > since)
        count = int(session.scalar(select(func.count()).select_from(RedditRequest).where(where)) or 0)
        if count < self.max_per_minute:
            return 0.0
        oldest = session.scalar(select(func.min(RedditRequest.sent_at)).where(where))
        return max((oldest + self.window - now).total_seconds(), 0.001) if oldest is not None else 0.0
