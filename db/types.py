"""Time handling shared by the queue and the facts: one clock, one column type, always UTC.

Every timestamp the package stores is an aware UTC datetime. SQLite has no time zone type, so
`UTCDateTime` stores naive UTC there (string order == time order, which the claim query relies on)
and hands back aware values; PostgreSQL gets ``timestamptz``. Naive datetimes are refused because
a local-time value silently shifts every lease and backoff by the UTC offset.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The default clock: the current aware UTC time (tests inject their own)."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """Return `value` in UTC; refuse naive datetimes rather than guess their zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: pass an aware datetime (e.g. datetime.now(timezone.utc))")
    return value.astimezone(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware-UTC datetime column that round-trips identically on SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
