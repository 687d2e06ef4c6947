"""Alembic environment for colorbot's database; driven by `db.migrate`, which passes the engine."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import text

from db.engine import make_engine, writer
from db.models import Base
from db.types import UTCDateTime

# Any constant shared by all colorbot processes: serialises concurrent upgrades on PostgreSQL.
_PG_MIGRATION_LOCK = 0x636F6C6F72626F74  # "colorbot"


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our column type as a plain SQLAlchemy type, so revisions never import the models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    """Run all pending migrations in one write transaction."""
    config = context.config
    engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url"))
    with writer(engine).connect() as connection:
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
                render_item=_render_item,
                compare_type=True,
            )
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run db.migrate.upgrade(url)")
run_migrations_online()
