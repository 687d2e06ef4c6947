"""`colorbot db copy`: move the bot's database to another backend (SQLite → PostgreSQL, or back).

Passwords on a command line are visible to every user of the machine (``ps``): give the URLs
without one and let libpq read ``~/.pgpass``, or pass them in the environment variables below.
``--to`` defaults to the bot's configured ``database_url``, so the usual move is: point the bot
at the new database (``COLORBOT_DATABASE_URL``), then ``colorbot db copy --from sqlite:///colorbot.db``.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from bot.commands.common import ConfigOption, settings_or_exit

EXIT_REFUSED = 1

db_app = typer.Typer(rich_markup_mode=None, name="db", help="Database maintenance: copy the bot's data between databases.", no_args_is_help=True)


@db_app.command("copy")
def copy_command(
    source: Annotated[str, typer.Option("--from", envvar="COLORBOT_COPY_FROM", help="Database to copy from, e.g. sqlite:///data/colorbot.db.")],
    target: Annotated[Optional[str], typer.Option("--to", envvar="COLORBOT_COPY_TO", help="Empty database to copy into, e.g. postgresql+psycopg://colorbot@db/colorbot; default: the bot's database_url (settings file, then COLORBOT_DATABASE_URL).")] = None,
    config: ConfigOption = None,
) -> None:
    """Copy every row into an empty database (both are migrated first). Stop the bot before copying."""
    target = target or settings_or_exit(config).database_url
    from sqlalchemy import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from db.copy import CopyError, copy_database
    from db.engine import mask_url

    try:
        result = copy_database(source, target)
    except (CopyError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_REFUSED) from None
    except SQLAlchemyError as exc:  # unreachable server, wrong password, ...: one line, no secrets
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        for url in (source, target):
            if password := make_url(url).password:
                reason = reason.replace(str(password), "***")
        typer.echo(f"error: copy from {mask_url(source)} to {mask_url(target)} failed: {reason}", err=True)
        raise typer.Exit(EXIT_REFUSED) from None
    for table, rows in result.rows.items():
        typer.echo(f"{table}: {rows} rows")
    typer.echo(f"copied {result.total} rows from {mask_url(source)} to {mask_url(target)}")
