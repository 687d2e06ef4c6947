"""Durable facts: poll cursors, subreddit bans, opt-outs and the key/value state survive a new engine.

Each test runs on SQLite and on PostgreSQL (see tests/db_backends.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from db.engine import make_engine
from db.facts import Facts
from db.migrate import upgrade

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def open_facts(url: str) -> Facts:
    upgrade(url)
    return Facts(make_engine(url), clock=lambda: T0)


def test_facts_persist_across_engines(database_url: str) -> None:
    facts = open_facts(database_url)
    assert facts.cursor("r/OldSchoolCool/new") is None
    facts.record_poll("r/OldSchoolCool/new", "t3_aaa")
    facts.record_poll("r/OldSchoolCool/new", None, now=T0 + timedelta(minutes=1))  # nothing new: keep newest
    facts.ban_subreddit("PICS", "banned by mods", next_check_at=T0 + timedelta(days=7))
    facts.opt_out("SomeUser", "asked by PM")
    facts.set_state("inbox", {"last": "t4_x", "n": 3})
    facts.set_state("odd", {"hash": 0xFFFF_FFFF_FFFF_FFFF, "text": "naïve ☃", "flag": True, "none": None})
    facts.engine.dispose()

    facts = open_facts(database_url)  # a restart
    cursor = facts.cursor("r/OldSchoolCool/new")
    assert (cursor.newest_fullname, cursor.last_polled_at) == ("t3_aaa", T0 + timedelta(minutes=1))
    assert facts.is_banned("pics") and not facts.is_banned("OldSchoolCool")
    assert facts.is_opted_out("someuser") and not facts.is_opted_out(None)
    assert facts.get_state("inbox") == {"last": "t4_x", "n": 3} and facts.get_state("nope", 0) == 0
    assert facts.get_state("odd") == {"hash": 2**64 - 1, "text": "naïve ☃", "flag": True, "none": None}
    facts.engine.dispose()


def test_ban_rescheduling_keeps_since_and_unban(database_url: str) -> None:
    facts = open_facts(database_url)
    facts.ban_subreddit("pics", "banned", next_check_at=T0 + timedelta(days=1), now=T0)
    facts.ban_subreddit("pics", "still banned", next_check_at=T0 + timedelta(days=3), now=T0 + timedelta(days=1))
    (ban,) = facts.banned_subreddits()
    assert (ban.since, ban.next_check_at, ban.reason) == (T0, T0 + timedelta(days=3), "still banned")
    assert facts.bans_due_for_check(now=T0 + timedelta(days=2)) == []
    assert [b.name for b in facts.bans_due_for_check(now=T0 + timedelta(days=3))] == ["pics"]
    assert facts.unban_subreddit("Pics") and not facts.unban_subreddit("pics")
    facts.opt_out("u", now=T0)
    facts.opt_out("u", now=T0 + timedelta(days=1))  # idempotent
    assert facts.opt_in("U") and not facts.is_opted_out("u")
    facts.set_state("k", 1)
    facts.set_state("k", [1, 2])
    assert facts.get_state("k") == [1, 2]
    facts.engine.dispose()
