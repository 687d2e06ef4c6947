"""SQLite online backups: a consistent copy taken while the bot keeps writing, newest K kept.

Why the online backup API (``sqlite3.Connection.backup``) and not a file copy: copying the
file while a writer is mid-transaction (or while pages sit in the ``-wal`` file) yields a
torn or stale database. The backup copies every page in one step, inside one read
transaction: in WAL mode that is a snapshot, and writers are never blocked.

Each backup is written to a hidden ``.partial`` file, switched to a self-contained rollback
journal (no ``-wal`` beside it), checked with ``PRAGMA quick_check``, synced and only then
renamed into place, so a crash or full disk never leaves a file that looks like a good backup.
Names carry a UTC timestamp (``colorbot-20250101T030000.000000Z.db``), so name order is age order.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import make_url

from db.engine import mask_url
from db.types import as_utc, utcnow

log = logging.getLogger(__name__)

STAMP_FORMAT = "%Y%m%dT%H%M%S.%fZ"
STALE_PARTIAL_SECONDS = 3600.0
FIRST_BACKUP_DELAY = timedelta(hours=1)  # a .partial older than this was left by a crashed backup


class BackupError(RuntimeError):
    """The backup could not be written or did not check out; nothing was renamed into place."""


@dataclass(frozen=True)
class BackupResult:
    """Where the new backup is and what retention removed."""

    path: Path
    size_bytes: int
    seconds: float
    deleted: list[Path] = field(default_factory=list)


def sqlite_file(database_url: str) -> Path | None:
    """The database file of a ``sqlite:///`` URL; None for other databases (PostgreSQL)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("only a SQLite database file can be backed up (not :memory: or a URI)")
    return Path(url.database).expanduser()


def backup_database(database_url: str, folder: Path, keep: int) -> BackupResult | None:
    """Back up the database of ``database_url`` if it is a SQLite file; None (one log line) otherwise."""
    source = sqlite_file(database_url)
    if source is None:
        log.info("backup: %s is not SQLite; nothing to do (back up PostgreSQL with pg_dump)", mask_url(database_url))
        return None
    result = backup_sqlite(source, folder, keep)
    log.info("backup: %s written (%.1f MB in %.2fs)%s", result.path, result.size_bytes / 1e6, result.seconds,
             f"; deleted {len(result.deleted)} older (keeping {keep})" if result.deleted else "")
    return result


def backup_sqlite(source: Path, folder: Path, keep: int, *, now: datetime | None = None) -> BackupResult:
    """Back up the SQLite file ``source`` into ``folder``, then keep only the newest ``keep`` backups."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    if not source.is_file():
        raise BackupError(f"no database file at {source}")
    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = as_utc(now or utcnow()).strftime(STAMP_FORMAT)
    final = folder / f"{source.stem}-{stamp}.db"
    partial = folder / f".{final.name}.partial"
    _remove_stale_partials(folder, source.stem)
    try:
        _copy(source, partial)
        _fsync(partial)
        os.replace(partial, final)
        _fsync(folder)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    deleted = prune(folder, source.stem, keep)
    return BackupResult(final, final.stat().st_size, time.monotonic() - started, deleted)


def next_backup_at(folder: Path, stem: str, interval: timedelta, now: datetime) -> datetime:
    """One ``interval`` after the newest backup in ``folder``, so restarts do not multiply backups; now if
    that is overdue. With no backup yet, after ``FIRST_BACKUP_DELAY`` (or the interval, if shorter): a
    short-lived process (a test, a crash loop) writes none, a deployment gets its first within the hour."""
    found = backups(folder, stem)
    if not found:
        return now + min(interval, FIRST_BACKUP_DELAY)
    try:
        newest = datetime.strptime(found[-1].name[len(stem) + 1:-3], STAMP_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return now
    return max(now, newest + interval)


def backups(folder: Path, stem: str) -> list[Path]:
    """The finished backups of database ``stem`` in ``folder``, oldest first."""
    return sorted(folder.glob(f"{stem}-*Z.db")) if folder.is_dir() else []


def prune(folder: Path, stem: str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns the deleted paths."""
    old = backups(folder, stem)[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def _copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(str(source), timeout=30)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)  # pages=-1: every page in one step, one consistent read snapshot
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy of {source.name} failed its integrity check: {check}")
    except sqlite3.Error as exc:
        raise BackupError(f"cannot back up {source.name}: {exc}") from exc
    finally:
        dst.close()
        src.close()


def _remove_stale_partials(folder: Path, stem: str) -> None:
    cutoff = time.time() - STALE_PARTIAL_SECONDS
    for path in folder.glob(f".{stem}-*.partial"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass


def _fsync(path: Path) -> None:
    """Flush a file (or a folder's entry list) to disk, so the rename survives a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
