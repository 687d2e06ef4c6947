"""The schema comes from the migrations, matches the models, and upgrading twice changes nothing.

Schema and concurrent-upgrade tests run on SQLite and on PostgreSQL (see tests/db_backends.py).
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from db.engine import make_engine, mask_url, normalize_url
from db.migrate import alembic_config, current_revision, head_revision, upgrade
from db.models import Base

TABLES = {"jobs", "poll_cursors", "banned_subreddits", "opted_out_users", "replied_posts", "state", "model_switches",
          "reddit_requests", "reply_scores", "canaries", "alembic_version"}


def test_upgrade_creates_schema_matching_models_and_is_idempotent(database_url: str) -> None:
    url = database_url
    upgrade(url)
    upgrade(url)  # second start-up: nothing to do, no error
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == TABLES
        assert current_revision(engine) == head_revision() is not None
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("jobs")}
        if engine.dialect.name == "postgresql":  # an aware type, not 'timestamp without time zone'
            assert all(columns[name].timezone for name in ("next_attempt_at", "lease_expires_at", "created_at"))
    finally:
        engine.dispose()


def test_migrations_downgrade_to_empty_and_upgrade_again(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        command.downgrade(alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        assert current_revision(engine) is None
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) == TABLES
    finally:
        engine.dispose()


def test_a_0001_database_keeps_its_jobs_through_0002(database_url: str) -> None:
    from db import JobQueue, NewJob

    upgrade(database_url, "0001")
    engine = make_engine(database_url)
    try:
        assert "model_switches" not in inspect(engine).get_table_names()
        with engine.begin() as connection:  # a job written by the previous release
            connection.exec_driver_sql(
                "INSERT INTO jobs (post_id, subreddit, permalink, image_url, image_index, role, state, attempts, "
                "next_attempt_at, hosted_url, created_at, updated_at) VALUES ('abc', 'OldSchoolCool', '/r/x', "
                "'https://i.redd.it/a.jpg', 0, 'bw', 'done', 1, '2026-11-30 10:00:00+00:00', 'https://i.imgur.com/a.jpg', "
                "'2026-11-30 10:00:00+00:00', '2026-11-30 10:00:00+00:00')")
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        (job,) = JobQueue(engine).jobs_for_post("abc")
        assert (job.hosted_url, job.model_sha256) == ("https://i.imgur.com/a.jpg", None)
        queue = JobQueue(engine)
        queue.enqueue([NewJob("def", "OldSchoolCool", "/r/y", "https://i.redd.it/b.jpg")])
        (new,) = queue.jobs_for_post("def")
        assert queue.record_hosted_url(new.id, "https://i.imgur.com/b.jpg", model_sha256="ab" * 32).model_sha256 == "ab" * 32
    finally:
        engine.dispose()


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}", busy_timeout_ms=1234)
    try:
        with engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert (pragma("journal_mode"), pragma("busy_timeout"), pragma("foreign_keys")) == ("wal", 1234, 1)
    finally:
        engine.dispose()


def test_mask_url_hides_password() -> None:
    masked = mask_url("postgresql+psycopg://bot:s3cr%40t@db.example:5432/colorbot")
    assert "s3cr" not in masked and "***" in masked and "db.example" in masked
    in_query = mask_url("postgresql+psycopg://bot@db.example/colorbot?password=s3cret&sslmode=require")
    assert "s3cret" not in in_query and "password=***" in in_query and "sslmode=require" in in_query
    assert mask_url("not a url :: s3cret") == "<unparseable database URL>"


def test_postgres_urls_get_the_installed_driver_and_other_databases_are_refused() -> None:
    assert normalize_url("postgres://bot:pw@db/colorbot").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql://bot:pw@db/colorbot").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"
    with pytest.raises(ValueError, match="only sqlite") as refused:
        make_engine("mysql://bot:s3cret@db/colorbot")
    assert "s3cret" not in str(refused.value)


def upgrade_together(url: str, start: Any) -> None:
    """A worker starting up at the same moment as its siblings."""
    start.wait(timeout=60)
    upgrade(url)


def test_simultaneous_first_upgrades_do_not_collide(tmp_path: Path, database_url: str) -> None:
    # On SQLite the folder does not exist yet either.
    url = database_url.replace(str(tmp_path), str(tmp_path / "new"))
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    workers = [context.Process(target=upgrade_together, args=(url, start)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    engine = make_engine(url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
