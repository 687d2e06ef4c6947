"""Engines and transactions configured so several processes can share one SQLite file safely.

SQLite: WAL (readers never block the writer), a busy timeout (writers wait instead of failing),
foreign keys on, and pysqlite's own BEGIN handling switched off so *we* emit BEGIN. Write
transactions use ``BEGIN IMMEDIATE``: they take the write lock up front, so a read-then-write
(a claim) can never hit SQLITE_BUSY halfway, which the busy timeout cannot retry in WAL mode.
PostgreSQL needs none of this; its claims use ``FOR UPDATE SKIP LOCKED`` instead.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///colorbot.db"
BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "colorbot_sqlite_begin"


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by ***, safe for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL may still hold a secret: show none of it
        return "<unparseable database URL>"


def make_engine(url: str | URL = DEFAULT_URL, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, echo: bool = False) -> Engine:
    """An engine for `url` (``sqlite:///path.db`` or ``postgresql+psycopg://…``), ready for several processes."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True)
    _create_parent_directory(url)
    engine = create_engine(url, echo=echo)
    _configure_sqlite(engine, busy_timeout_ms)
    return engine


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
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


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
