"""Is the bot alive? The answer behind /healthz and the status page's badge, per role.

A poller is alive when a poll succeeded recently: the heartbeat is the newest ``last_polled_at``
of the poll cursors, written only after a poll's jobs were queued. "Recently" defaults to three
poll intervals, so one slow or failed poll does not page anyone, two in a row do not either, and
a hung scheduler does. A worker is alive when *it* looked at the queue recently — within its
lease plus three work intervals, since no batch may outlive its lease — whatever the poller does;
``colorbot run --role all`` must be both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.config import Settings
    from db.report import QueueGauges

POLL_INTERVALS_TOLERATED = 3


def max_poll_age_seconds(settings: Settings) -> float:
    """The configured limit (``serve.max_poll_age_seconds``), else three poll intervals."""
    configured = settings.serve.max_poll_age_seconds
    return configured if configured is not None else POLL_INTERVALS_TOLERATED * settings.poll_interval_seconds


@dataclass(frozen=True)
class Health:
    """The verdict and why, in words an operator reads on the page and in ``curl /healthz``."""

    ok: bool
    reason: str
    last_poll_at: datetime | None
    poll_age_seconds: float | None
    max_poll_age_seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "reason": self.reason,
            "last_poll_at": self.last_poll_at.isoformat(timespec="seconds") if self.last_poll_at else None,
            "poll_age_seconds": None if self.poll_age_seconds is None else round(self.poll_age_seconds, 1),
            "max_poll_age_seconds": self.max_poll_age_seconds,
        }


def worker_max_idle_seconds(settings: Settings) -> float:
    """How long a worker may go without finishing a look at the queue: its lease plus three intervals."""
    return settings.worker.lease_seconds + POLL_INTERVALS_TOLERATED * settings.worker.interval_seconds


def check_worker(last_loop_at: float | None, started_at: float, now: float, max_idle: float) -> Health:
    """A worker's own verdict; times are ``time.monotonic()`` seconds of that process."""
    since = last_loop_at if last_loop_at is not None else started_at
    idle = max(now - since, 0.0)
    what = "looked at the queue" if last_loop_at is not None else "started"
    if idle > max_idle:
        return Health(False, f"worker last {what} {idle:.0f}s ago, more than {max_idle:.0f}s (stuck?)", None, None, max_idle)
    return Health(True, f"worker last {what} {idle:.0f}s ago", None, None, max_idle)


def combine(verdicts: list[Health]) -> Health:
    """All must be healthy; the reasons are joined (the first one's poll fields are kept)."""
    first = verdicts[0]
    if len(verdicts) == 1:
        return first
    return Health(all(v.ok for v in verdicts), "; ".join(v.reason for v in verdicts), first.last_poll_at,
                  first.poll_age_seconds, first.max_poll_age_seconds)


def check_health(gauges: QueueGauges | None, now: datetime, max_age: float, error: str | None = None) -> Health:
    """The verdict for ``gauges`` (None with ``error``: the database could not be read)."""
    if gauges is None:
        return Health(False, error or "the database could not be read", None, None, max_age)
    last = gauges.last_poll_at
    if last is None:
        return Health(False, "the bot has never polled successfully", None, None, max_age)
    age = max((now - last).total_seconds(), 0.0)
    if age > max_age:
        return Health(False, f"last successful poll {age:.0f}s ago, more than {max_age:.0f}s", last, age, max_age)
    return Health(True, f"last successful poll {age:.0f}s ago", last, age, max_age)
