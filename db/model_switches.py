"""Which model every worker answers with: an append-only log of switches, the newest row current.

`promote` and `rollback` run in one write transaction (SQLite's single writer; a PostgreSQL
advisory lock), so two operators switching at once cannot both build on the same current model.
Workers only read `current` (one indexed query per batch).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from db.engine import transaction
from db.models import Canary, Job, ModelSwitch, RepliedPost
from db.types import Clock, as_utc, utcnow

_PG_SWITCH_LOCK = 0x636F6C6D  # "colm": serializes switches across processes on PostgreSQL


class NothingToRollBack(LookupError):
    """No earlier model to return to."""


class ModelSwitches:
    """Read and change the current model; rows returned are detached snapshots."""

    def __init__(self, engine: Engine, *, clock: Clock = utcnow) -> None:
        self.engine = engine
        self._clock = clock

    def current(self) -> ModelSwitch | None:
        """The newest switch (None: never switched, the deployment's configured model answers)."""
        with transaction(self.engine, write=False) as session:
            return _newest(session)

    def history(self, limit: int = 50) -> list[ModelSwitch]:
        """Switches, newest first."""
        with transaction(self.engine, write=False) as session:
            return list(session.scalars(select(ModelSwitch).order_by(ModelSwitch.id.desc()).limit(limit)))

    def promote(self, model_id: str, sha256: str, *, forced: bool = False, reason: str | None = None,
                baseline: tuple[str, str] | None = None, now: datetime | None = None) -> ModelSwitch:
        """Make ``sha256`` current; a later rollback returns to what was current before.

        ``baseline`` (id, hash) is the model that answered before any switch: recorded first when
        the log is empty, so the first promote can be rolled back too.
        """
        with transaction(self.engine, write=True) as session:
            _lock(session)
            before = _newest(session)
            if before is None and baseline is not None:
                before = self._add(session, baseline[0], baseline[1], "baseline", None, "the configured model before any promote", now)
            return self._add(session, model_id, sha256, "force" if forced else "promote", before.id if before else None, reason, now)

    def rollback(self, *, reason: str | None = None, now: datetime | None = None) -> ModelSwitch:
        """Make the model that was current before the current one current again."""
        with transaction(self.engine, write=True) as session:
            _lock(session)
            current = _newest(session)
            if current is None:
                raise NothingToRollBack("no model was ever promoted: nothing to roll back")
            target = session.get(ModelSwitch, current.previous_id) if current.previous_id is not None else None
            if target is None:
                raise NothingToRollBack(f"model {current.model_id} is the oldest one recorded: nothing earlier to roll back to")
            return self._add(session, target.model_id, target.sha256, "rollback", target.previous_id, reason, now)

    def _add(self, session: Session, model_id: str, sha256: str, action: str, previous_id: int | None,
             reason: str | None, now: datetime | None) -> ModelSwitch:
        row = ModelSwitch(model_id=model_id, sha256=sha256, action=action, previous_id=previous_id, reason=reason,
                          switched_at=self._now(now))
        session.add(row)
        session.flush()
        return row

    # -- canaries -------------------------------------------------------------------------------------
    def canary(self) -> Canary | None:
        """The running canary (None: the current model answers every post)."""
        with transaction(self.engine, write=False) as session:
            return _running_canary(session)

    def start_canary(self, model_id: str, sha256: str, share: float, *, reason: str | None = None,
                     now: datetime | None = None) -> Canary:
        """Let ``sha256`` answer ``share`` of new posts; replaces a running canary."""
        if not 0.0 < share < 1.0:
            raise ValueError(f"a canary share must be between 0 and 1 (exclusive), got {share}")
        with transaction(self.engine, write=True) as session:
            _lock(session)
            if (running := _running_canary(session)) is not None:
                running.ended_at, running.ended_by = self._now(now), "replaced"
            row = Canary(model_id=model_id, sha256=sha256, share=share, started_at=self._now(now), reason=reason)
            session.add(row)
            session.flush()
            return row

    def end_canary(self, ended_by: str, *, now: datetime | None = None) -> Canary | None:
        """End the running canary (``promote``: it became current; ``rollback``: dropped); None when none ran."""
        with transaction(self.engine, write=True) as session:
            _lock(session)
            running = _running_canary(session)
            if running is not None:
                running.ended_at, running.ended_by = self._now(now), ended_by
            return running

    def replies_by_model(self) -> dict[str | None, int]:
        """Posts answered per model hash (None: before models were recorded, or an unnamed model)."""
        with transaction(self.engine, write=False) as session:
            query = (select(Job.model_sha256, func.count())
                     .select_from(RepliedPost).join(Job, Job.id == RepliedPost.job_id)
                     .where(RepliedPost.reply_id.is_not(None)).group_by(Job.model_sha256))
            return {sha: int(count) for sha, count in session.execute(query)}

    def _now(self, now: datetime | None) -> datetime:
        return as_utc(now if now is not None else self._clock())


def _newest(session: Session) -> ModelSwitch | None:
    return session.scalars(select(ModelSwitch).order_by(ModelSwitch.id.desc()).limit(1)).first()


def _running_canary(session: Session) -> Canary | None:
    return session.scalars(select(Canary).where(Canary.ended_at.is_(None)).order_by(Canary.id.desc()).limit(1)).first()


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SWITCH_LOCK})
