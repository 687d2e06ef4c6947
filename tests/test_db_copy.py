"""`colorbot db copy`: a filled SQLite database copied into SQLite and PostgreSQL, and back, row for row."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, select
from typer.testing import CliRunner

from bot.cli import app
from db.engine import make_engine
from db.facts import Facts
from db.migrate import upgrade
from db.model_switches import ModelSwitches
from db.models import Base
from db.queue import JobQueue, NewJob
from db.reply_scores import Reading, ReplyScores

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
HIGH_BIT_HASH = 0xFEDC_BA98_7654_3210  # above 2**63: a signed BIGINT would overflow


def fill(url: str) -> None:
    """A database that has seen a bit of everything: each job state, replies, facts, JSON, hashes."""
    upgrade(url)
    engine = make_engine(url)
    queue, facts = JobQueue(engine, clock=lambda: T0), Facts(engine, clock=lambda: T0)
    queue.enqueue(NewJob(f"p{n}", "OldSchoolCool", f"/r/x/{n}", f"https://i.redd.it/{n}.jpg", author="u") for n in range(5))
    done, skipped, failed, running = queue.claim("w1", limit=4, lease_seconds=60)
    queue.record_hosted_url(done.id, "https://i.imgur.com/a.png", "del", model_sha256="ab" * 32)
    queue.reserve_reply(done.post_id, done.id)
    queue.record_reply(done.post_id, "c1", done.id)
    queue.complete(done, metrics={"colorfulness": 0.25, "kind": "sepia", "sizes": [1, 2]}, phash=HIGH_BIT_HASH)
    queue.skip(skipped, "already in colour", phash=1)
    queue.fail(failed, "404 image gone", permanent=True)
    facts.record_poll("r/OldSchoolCool/new", "t3_p4")
    facts.ban_subreddit("pics", "banned", next_check_at=T0 + timedelta(days=1))
    facts.opt_out("someone", "asked")
    facts.set_state("inbox", {"last": "t4_x", "big": 2**64 - 1})
    switches = ModelSwitches(engine, clock=lambda: T0)
    switches.promote("cd" * 6, "cd" * 32, baseline=("ab" * 6, "ab" * 32))
    switches.rollback()
    switches.start_canary("ef" * 6, "ef" * 32, 0.1)
    scores = ReplyScores(engine, clock=lambda: T0)
    assert scores.track_new_replies() == 1
    scores.record([Reading("c1", -3)])
    engine.dispose()


def dump(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, read through the models (so values compare across backends)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: [dict(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns)).mappings()]
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def copy(source: str, target: str) -> Any:
    return CliRunner().invoke(app, ["db", "copy", "--from", source, "--to", target])


def test_copy_into_an_empty_database_and_back_keeps_every_row(tmp_path: Path, database_url: str) -> None:
    source, back = f"sqlite:///{tmp_path / 'source.db'}", f"sqlite:///{tmp_path / 'back.db'}"
    fill(source)
    original = dump(source)
    assert {table: len(rows) for table, rows in original.items()} == {
        "banned_subreddits": 1, "jobs": 5, "opted_out_users": 1, "poll_cursors": 1, "replied_posts": 1, "state": 1,
        "model_switches": 3, "reddit_requests": 0, "reply_scores": 1, "canaries": 1}

    result = copy(source, database_url)
    assert result.exit_code == 0, result.output
    assert "jobs: 5 rows" in result.output and "copied 15 rows" in result.output
    copied = dump(database_url)
    assert copied == original
    (done,) = [job for job in copied["jobs"] if job["state"] == "done"]
    assert done["phash"] == f"{HIGH_BIT_HASH:016x}" and done["metrics"]["sizes"] == [1, 2]
    assert done["updated_at"] == T0 and done["updated_at"].tzinfo is not None

    engine = make_engine(database_url)  # new work continues after the copied ids
    (new_id,) = JobQueue(engine).enqueue([NewJob("p9", "s", "/p9", "https://i.redd.it/9.jpg")])
    assert new_id == max(job["id"] for job in copied["jobs"]) + 1
    promoted = ModelSwitches(engine).promote("ef" * 6, "ef" * 32)  # the switch log continues after the copied ids
    assert (promoted.id, promoted.previous_id) == (4, 3)
    assert ModelSwitches(engine).rollback().sha256 == "ab" * 32
    engine.dispose()

    refused = copy(source, database_url)  # a second copy would duplicate everything
    assert refused.exit_code == 1 and "already holds rows" in refused.output
    password = make_url(database_url).password
    assert not password or password not in result.output + refused.output

    assert copy(database_url, back).exit_code == 0  # and back again, e.g. PostgreSQL → SQLite
    assert dump(back)["jobs"] == dump(database_url)["jobs"]


def test_copy_onto_itself_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'same.db'}"
    result = copy(url, url)
    assert result.exit_code == 1 and "same database" in result.output


def test_unreachable_target_from_the_environment_fails_in_one_line_without_its_password(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    unreachable = "postgresql+psycopg://bot:Sup3rSecret@127.0.0.1:1/colorbot"  # nothing listens on port 1
    result = CliRunner().invoke(app, ["db", "copy", "--from", source], env={"COLORBOT_DATABASE_URL": unreachable})
    assert result.exit_code == 1 and "bot:***@127.0.0.1:1" in result.output and "Connection refused" in result.output
    assert "Sup3rSecret" not in result.output and "Traceback" not in result.output
