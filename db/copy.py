"""Copy every row of one colorbot database into another empty one (e.g. SQLite → PostgreSQL).

Why a copy through the models rather than a dump: the two backends spell types differently
(naive-UTC text vs ``timestamptz``, JSON text vs ``json``); reading and writing through the same
tables converts each value exactly as the bot itself would. The copy is all or nothing (one
transaction on the target), reads one consistent snapshot of the source, refuses a target that
already holds rows, and moves PostgreSQL's id sequence past the copied ids, without which the
next ``enqueue`` would collide with a copied job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Integer, func, select

from db.engine import make_engine, mask_url, writer
from db.migrate import upgrade
from db.models import Base

log = logging.getLogger(__name__)
BATCH_ROWS = 1000


class CopyError(RuntimeError):
    """The copy was refused or failed; the target is left as it was."""


@dataclass(frozen=True)
class CopyResult:
    """Rows copied per table, in copy order."""

    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def copy_database(source_url: str, target_url: str, *, batch_rows: int = BATCH_ROWS) -> CopyResult:
    """Migrate both databases to the newest schema, then copy all rows of `source_url` into `target_url`.

    Stop the bot first: rows written to the source after the copy's snapshot are not copied.
    """
    if mask_url(source_url) == mask_url(target_url):
        raise CopyError("source and target are the same database")
    source, target = make_engine(source_url), make_engine(target_url)
    try:
        upgrade(source)
        upgrade(target)
        with _snapshot(source) as reading, writer(target).connect() as writing, writing.begin():
            _refuse_non_empty(writing, target_url)
            rows = {table.name: _copy_table(reading, writing, table.name, batch_rows) for table in Base.metadata.sorted_tables}
            _advance_sequences(writing)
    finally:
        source.dispose()
        target.dispose()
    result = CopyResult(rows)
    log.info("copied %d rows from %s to %s: %s", result.total, mask_url(source_url), mask_url(target_url), rows)
    return result


def _snapshot(engine: Engine) -> Connection:
    """A connection whose reads all see one moment of the source (REPEATABLE READ; on SQLite one read transaction)."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
    connection.begin()
    return connection


def _refuse_non_empty(connection: Connection, url: str) -> None:
    filled = [t.name for t in Base.metadata.sorted_tables if connection.execute(select(func.count()).select_from(t)).scalar()]
    if filled:
        raise CopyError(f"target {mask_url(url)} already holds rows in {', '.join(filled)}: copy only into an empty database")


def _copy_table(reading: Connection, writing: Connection, name: str, batch_rows: int) -> int:
    table = Base.metadata.tables[name]
    order = list(table.primary_key.columns)
    copied = 0
    rows = reading.execute(select(table).order_by(*order)).mappings()
    while chunk := rows.fetchmany(batch_rows):
        writing.execute(table.insert(), [dict(row) for row in chunk])
        copied += len(chunk)
    return copied


def _advance_sequences(connection: Connection) -> None:
    """Set each PostgreSQL serial sequence to the largest copied id (SQLite needs nothing)."""
    if connection.dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        (column, *more) = table.primary_key.columns
        if more or not isinstance(column.type, Integer):
            continue
        sequence = connection.execute(select(func.pg_get_serial_sequence(table.name, column.name))).scalar()
        if sequence:
            top = connection.execute(select(func.max(column))).scalar()
            connection.execute(select(func.setval(sequence, top or 1, top is not None)))
