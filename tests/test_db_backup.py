"""SQLite online backups: consistent while another connection writes, atomic, with retention."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db import JobQueue, NewJob, make_engine, upgrade
from db.backup import BackupError, backup_sqlite, backups, next_backup_at, sqlite_file

T0 = datetime(2025, 1, 1, 3, 0, tzinfo=timezone.utc)


def new_jobs(start: int, count: int) -> list[NewJob]:
    return [NewJob(f"p{i}", "OldSchoolCool", f"/r/OldSchoolCool/comments/p{i}/x/", f"https://i.redd.it/{i}.jpg" + "#" * 500)
            for i in range(start, start + count)]


def job_count(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM jobs").fetchone()[0]


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "data" / "colorbot.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    JobQueue(make_engine(url)).enqueue(new_jobs(0, 800))
    return url, path


def test_backup_taken_while_another_connection_writes_is_consistent(database: tuple[str, Path], tmp_path: Path) -> None:
    url, path = database
    queue = JobQueue(make_engine(url))
    stop, written = threading.Event(), [800]

    def writer() -> None:
        while not stop.is_set():
            queue.enqueue(new_jobs(written[0], 20))
            written[0] += 20

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 900:  # the writer is going
            time.sleep(0.005)
        before = written[0]
        result = backup_sqlite(sqlite_file(url), tmp_path / "backups", keep=3)
    finally:
        stop.set()
        thread.join()

    assert result.path.parent == tmp_path / "backups" and result.size_bytes == result.path.stat().st_size
    copied = job_count(result.path)
    assert before <= copied <= written[0] and copied % 20 == 0  # whole transactions only
    assert job_count(path) == written[0]
    with sqlite3.connect(result.path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # self-contained: no -wal needed
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()  # migrations recorded too
    assert not list(result.path.parent.glob("*.partial"))
    # a backup opens as a colorbot database
    restored = JobQueue(make_engine(f"sqlite:///{result.path}"))
    assert restored.counts_by_state()["pending"] == copied


def test_retention_keeps_the_newest(database: tuple[str, Path], tmp_path: Path) -> None:
    url, path = database
    folder = tmp_path / "backups"
    results = [backup_sqlite(path, folder, keep=3, now=T0 + timedelta(hours=i)) for i in range(5)]
    assert backups(folder, "colorbot") == [r.path for r in results[2:]]
    assert results[3].deleted == [results[0].path] and results[4].deleted == [results[1].path]
    assert results[0].path.name == "colorbot-20250101T030000.000000Z.db"


def test_a_failed_backup_leaves_nothing_that_looks_like_a_backup(tmp_path: Path) -> None:
    not_a_db = tmp_path / "colorbot.db"
    not_a_db.write_bytes(b"this is not a SQLite database, just some bytes " * 200)
    folder = tmp_path / "backups"
    with pytest.raises(BackupError):
        backup_sqlite(not_a_db, folder, keep=3)
    assert list(folder.iterdir()) == []
    with pytest.raises(BackupError, match="no database file"):
        backup_sqlite(tmp_path / "missing.db", folder, keep=3)


def test_postgres_urls_are_not_sqlite_files() -> None:
    assert sqlite_file("postgresql+psycopg://bot:secret@db/colorbot") is None
    assert sqlite_file("sqlite:////var/lib/colorbot/colorbot.db") == Path("/var/lib/colorbot/colorbot.db")
    with pytest.raises(BackupError):
        sqlite_file("sqlite://")


def test_backup_command(database: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import app

    url, _ = database
    monkeypatch.setenv("COLORBOT_DATABASE_URL", url)
    monkeypatch.setenv("COLORBOT_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for _ in range(3):
        result = runner.invoke(app, ["backup", "--keep", "2"])
        assert result.exit_code == 0, result.output
    assert "backup: " in result.output and "deleted 1 older" in result.output
    assert len(backups(tmp_path / "backups", "colorbot")) == 2

    monkeypatch.setenv("COLORBOT_DATABASE_URL", "postgresql+psycopg://bot:DB-PASSWORD@db.invalid/colorbot")
    result = runner.invoke(app, ["backup"])
    assert result.exit_code == 0 and "pg_dump" in result.output and "DB-PASSWORD" not in result.output


def test_the_next_scheduled_backup_follows_the_newest(database: tuple[str, Path], tmp_path: Path) -> None:
    _, path = database
    folder, day = tmp_path / "backups", timedelta(hours=24)
    assert next_backup_at(folder, "colorbot", day, T0) == T0 + timedelta(hours=1)  # none yet: within the hour
    assert next_backup_at(folder, "colorbot", timedelta(minutes=10), T0) == T0 + timedelta(minutes=10)
    backup_sqlite(path, folder, keep=3, now=T0)
    assert next_backup_at(folder, "colorbot", day, T0 + timedelta(hours=2)) == T0 + day  # a restart waits
    assert next_backup_at(folder, "colorbot", day, T0 + timedelta(hours=30)) == T0 + timedelta(hours=30)  # overdue: now


def test_colorbot_run_schedules_backups_only_for_sqlite(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from bot.config import BackupSettings, Settings
    from bot.scheduler import _backup_due

    caplog.set_level("INFO")
    sqlite = Settings(database_url=f"sqlite:///{tmp_path / 'colorbot.db'}", backup=BackupSettings(dir=tmp_path / "b"))
    assert _backup_due(sqlite) is not None
    assert _backup_due(Settings(database_url="postgresql+psycopg://bot:DB-PASSWORD@db/colorbot")) is None
    assert "not SQLite" in caplog.text and "pg_dump" in caplog.text and "DB-PASSWORD" not in caplog.text
    assert _backup_due(Settings(backup=BackupSettings(interval_hours=0))) is None
    assert "scheduled backups off" in caplog.text
