"""Durable facts the bot consults before acting: poll cursors, banned subreddits, opted-out users, state.

Subreddit and user names are case-insensitive on Reddit, so they are stored lower-cased.
Each method is one short transaction; times come from `now` arguments or the injected clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from db.engine import dialect_insert, transaction
from db.models import BannedSubreddit, OptedOutUser, PollCursor, StateEntry
from db.types import Clock, as_utc, utcnow


class Facts:
    """Read and write the bot's durable facts; returned rows are detached snapshots."""

    def __init__(self, engine: Engine, *, clock: Clock = utcnow) -> None:
        self.engine = engine
        self._clock = clock

    def _now(self, now: datetime | None) -> datetime:
        return as_utc(now if now is not None else self._clock())

    def _upsert(self, session: Session, model: Any, key: str, values: dict[str, Any], update: dict[str, Any]) -> None:
        insert = dialect_insert(session)
        statement = insert(model.__table__).values(**values)
        if update:
            session.execute(statement.on_conflict_do_update(index_elements=[key], set_=update))
        else:
            session.execute(statement.on_conflict_do_nothing(index_elements=[key]))

    # -- poll cursors -----------------------------------------------------------------------
    def cursor(self, listing_key: str) -> PollCursor | None:
        """Where polling of `listing_key` stopped last time (None: never polled)."""
        with transaction(self.engine, write=False) as session:
            return session.get(PollCursor, listing_key)

    def record_poll(self, listing_key: str, newest_fullname: str | None, now: datetime | None = None) -> None:
        """Remember a poll of `listing_key`; `newest_fullname` None keeps the previous newest post.

        Call this *after* enqueueing the posts it covers: a crash in between re-reads a few posts,
        which `JobQueue.enqueue` ignores, instead of losing them.
        """
        now = self._now(now)
        values: dict[str, Any] = {"listing_key": listing_key, "last_polled_at": now}
        if newest_fullname is not None:
            values["newest_fullname"] = newest_fullname
        with transaction(self.engine, write=True) as session:
            changes = {k: v for k, v in values.items() if k != "listing_key"}
            self._upsert(session, PollCursor, "listing_key", values, changes)

    # -- banned subreddits ------------------------------------------------------------------
    def ban_subreddit(
        self, name: str, reason: str | None, next_check_at: datetime | None, now: datetime | None = None
    ) -> None:
        """Record (or re-schedule) a ban; `since` keeps the first time it was seen."""
        now = self._now(now)
        check = as_utc(next_check_at) if next_check_at else None
        values = {"name": name.lower(), "since": now, "next_check_at": check, "reason": reason}
        with transaction(self.engine, write=True) as session:
            self._upsert(session, BannedSubreddit, "name", values, {"next_check_at": check, "reason": reason})

    def unban_subreddit(self, name: str) -> bool:
        """Forget a ban (it was lifted); False if there was none."""
        with transaction(self.engine, write=True) as session:
            return session.execute(delete(BannedSubreddit).where(BannedSubreddit.name == name.lower())).rowcount == 1

    def is_banned(self, name: str) -> bool:
        """Whether the bot is banned from subreddit `name`."""
        with transaction(self.engine, write=False) as session:
            return session.get(BannedSubreddit, name.lower()) is not None

    def banned_subreddits(self) -> list[BannedSubreddit]:
        """All recorded bans, by name."""
        with transaction(self.engine, write=False) as session:
            return list(session.scalars(select(BannedSubreddit).order_by(BannedSubreddit.name)))

    def bans_due_for_check(self, now: datetime | None = None) -> list[BannedSubreddit]:
        """Bans whose `next_check_at` has come, soonest first."""
        now = self._now(now)
        with transaction(self.engine, write=False) as session:
            due = BannedSubreddit.next_check_at <= now
            return list(session.scalars(select(BannedSubreddit).where(due).order_by(BannedSubreddit.next_check_at)))

    # -- opted-out users --------------------------------------------------------------------
    def opt_out(self, username: str, reason: str | None = None, now: datetime | None = None) -> None:
        """Never answer `username` again (idempotent; keeps the first opt-out time)."""
        values = {"username": username.lower(), "since": self._now(now), "reason": reason}
        with transaction(self.engine, write=True) as session:
            self._upsert(session, OptedOutUser, "username", values, {})

    def opt_in(self, username: str) -> bool:
        """Undo an opt-out; False if the user had not opted out."""
        with transaction(self.engine, write=True) as session:
            return session.execute(delete(OptedOutUser).where(OptedOutUser.username == username.lower())).rowcount == 1

    def is_opted_out(self, username: str | None) -> bool:
        """Whether `username` opted out (None, a deleted author, never has)."""
        if not username:
            return False
        with transaction(self.engine, write=False) as session:
            return session.get(OptedOutUser, username.lower()) is not None

    # -- key/value state --------------------------------------------------------------------
    def get_state(self, key: str, default: Any = None) -> Any:
        """A JSON value stored under `key`, or `default`."""
        with transaction(self.engine, write=False) as session:
            entry = session.get(StateEntry, key)
            return default if entry is None else entry.value

    def set_state(self, key: str, value: Any, now: datetime | None = None) -> None:
        """Store a JSON-serialisable `value` under `key`."""
        now = self._now(now)
        values = {"key": key, "value": value, "updated_at": now}
        with transaction(self.engine, write=True) as session:
            self._upsert(session, StateEntry, "key", values, {"value": value, "updated_at": now})
