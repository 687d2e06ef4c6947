"""`colorbot backup`: one SQLite online backup now, into ``backup.dir``, keeping the newest ``backup.keep``.

``colorbot run`` takes the same backup every ``backup.interval_hours``; this command is for a
backup before an upgrade or from a cron job. On PostgreSQL it does nothing (use pg_dump).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.commands.common import ConfigOption, settings_or_exit


def backup_command(
    config: ConfigOption = None,
    folder: Annotated[Optional[Path], typer.Option("--dir", help="Backup folder (default: backup.dir).")] = None,
    keep: Annotated[Optional[int], typer.Option(min=1, help="How many backups to keep (default: backup.keep).")] = None,
) -> None:
    """Back up the SQLite database now (consistent while the bot runs); old backups beyond --keep are deleted."""
    from db.backup import BackupError, backup_database

    settings = settings_or_exit(config)
    try:
        result = backup_database(settings.database_url, folder or settings.backup.dir, keep or settings.backup.keep)
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if result is None:
        typer.echo("backup: the database is not SQLite; nothing to do (back up PostgreSQL with pg_dump)")
        return
    typer.echo(f"backup: {result.path} ({result.size_bytes / 1e6:.1f} MB in {result.seconds:.2f}s)"
               + (f"; deleted {len(result.deleted)} older" if result.deleted else ""))
