"""Bring a database to the newest schema at start-up, without an alembic.ini.

Every worker may call `upgrade` as it starts: the migration runs in one write transaction
(SQLite ``BEGIN IMMEDIATE``; a PostgreSQL advisory lock), so concurrent starters queue up and
all but the first find nothing to do.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Engine

from db.engine import make_engine, mask_url

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    """An in-memory Alembic config pointing at this package's migrations (and `engine`, if given).

    The engine travels in ``config.attributes``, never as a URL string, so a password is neither
    written anywhere nor mangled by configparser's ``%`` interpolation.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(url_or_engine: str | URL | Engine, revision: str = "head") -> None:
    """Migrate the database to `revision` (default: newest); a no-op when already there."""
    engine = url_or_engine if isinstance(url_or_engine, Engine) else make_engine(url_or_engine)
    try:
        before = current_revision(engine)
        command.upgrade(alembic_config(engine), revision)
        after = current_revision(engine)
        if after != before:
            log.info("database %s migrated from %s to %s", mask_url(engine.url), before or "empty", after)
    finally:
        if engine is not url_or_engine:
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this package."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
