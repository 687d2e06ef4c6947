"""Engines and transactions configured so several processes can share one SQLite file safely.

SQLite: WAL (readers never block the writer), a busy timeout (writers wait instead of failing),
foreign keys on, and pysqlite's own BEGIN handling switched off so *we* emit BEGIN. Write
transactions use ``BEGIN IMMEDIATE``: they take the write lock up front, so a read-then-write
(a claim) can never hit SQLITE_BUSY halfway, which the busy timeout cannot retry in WAL mode.
PostgreSQL needs none of this; its claims use ``FOR UPDATE SKIP LOCKED`` instead, and its engine
checks pooled connections before use (a restarted server or a dropped idle connection must not
fail a worker's next claim) and names itself to the server (``application_name``) so an operator
can tell the workers apart in ``pg_stat_activity``.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///colorbot.db"
BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "colorbot_sqlite_begin"
PG_CONNECT_TIMEOUT_S = 10
#: Query parameters libpq accepts that hold secrets; `mask_url` hides them like the password.
_SECRET_QUERY_KEYS = frozenset({"password", "sslpassword", "passfile", "sslkey"})


def mask_url(url: str | URL) -> str:
    """The URL with its password (also one given as ``?password=``) replaced by ***, safe for logs."""
    try:
        parsed = make_url(url)
        hidden = {key: "***" for key in parsed.query if key.lower() in _SECRET_QUERY_KEYS}
        rendered = parsed.update_query_dict(hidden).render_as_string(hide_password=True)
        return rendered.replace("=%2A%2A%2A", "=***")  # the query's *** comes back percent-encoded
    except Exception:  # an unparseable URL may still hold a secret: show none of it
        return "<unparseable database URL>"


def normalize_url(url: str | URL) -> URL:
    """Parse `url`; a PostgreSQL URL without a driver (``postgres://``, ``postgresql://``) gets psycopg 3,
    the one driver colorbot installs (SQLAlchemy's default would be psycopg2)."""
    url = make_url(url)
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def make_engine(url: str | URL = DEFAULT_URL, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, echo: bool = False) -> Engine:
    """An engine for `url` (``sqlite:///path.db`` or ``postgresql+psycopg://…``), ready for several processes."""
    url = normalize_url(url)
    if url.get_backend_name() == "postgresql":
        return create_engine(url, echo=echo, pool_pre_ping=True, connect_args=_pg_connect_args(url))
    if url.get_backend_name() != "sqlite":
        raise ValueError(f"database {mask_url(url)}: only sqlite:/// and postgresql+psycopg:// URLs are supported")
    _create_parent_directory(url)
    engine = create_engine(url, echo=echo)
    _configure_sqlite(engine, busy_timeout_ms)
    return engine


def _pg_connect_args(url: URL) -> dict[str, Any]:
    """Defaults the URL may override: a connect timeout, and a name showing host and pid of the process."""
    args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    if "application_name" not in url.query:
        args["application_name"] = f"colorbot@{socket.gethostname()}:{os.getpid()}"[:63]
    return args


def _create_parent_directory(url: URL) -> None:
    """Create the folder of a file database, so a fresh deployment does not fail with 'unable to open'."""
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:") and not url.query.get("uri"):
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Install the pragmas and our own BEGIN (SQLAlchemy docs: pysqlite serializable isolation)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite must not emit BEGIN/COMMIT on its own
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")  # first: WAL switch may wait
            _switch_to_wal(cursor, busy_timeout_ms / 1000)
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _switch_to_wal(cursor: Any, timeout_s: float) -> None:
    """``PRAGMA journal_mode = WAL``, retried while the file is locked.

    On a new file the switch needs the exclusive lock. When another process is committing its
    first (rollback-journal) transaction, SQLite answers "database is locked" at once instead of
    calling the busy handler (it would deadlock), so the switch is retried here until the timeout.
    """
    deadline = time.monotonic() + timeout_s
    delay = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def writer(engine: Engine) -> Engine:
    """A view of `engine` whose transactions take the SQLite write lock at BEGIN (no-op elsewhere)."""
    return engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit, so returned rows stay readable."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Session]:
    """One short unit of work: commits on success, rolls back on error.

    Pass ``write=True`` whenever the block may write; keep the block short, because on SQLite it
    holds the single write lock that every other worker is waiting for.
    """
    bind = writer(engine) if write else engine
    with Session(bind, expire_on_commit=False) as session, session.begin():
        yield session


def dialect_insert(session: Session) -> Any:
    """The dialect's INSERT construct, which has ``on_conflict_do_nothing/update`` on both backends."""
    name = session.get_bind().dialect.name
    if name == "sqlite":
        return sqlite.insert
    if name == "postgresql":
        return postgresql.insert
    raise NotImplementedError(f"database dialect {name!r} is not supported (use sqlite or postgresql)")
