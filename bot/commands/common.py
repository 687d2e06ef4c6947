"""What the bot's commands share: the ``--config`` option, loading settings, logging setup."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

if TYPE_CHECKING:
    from bot.config import Settings

EXIT_BAD_CONFIG = 2
ConfigOption = Annotated[Optional[Path], typer.Option("--config", "-c", envvar="COLORBOT_CONFIG", help="Settings file; default: ./colorbot.toml if it exists.")]


def setup_logging(verbose: bool = False) -> None:
    """One line per decision, with time and module; PRAW's own chatter stays at warnings."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("prawcore", "urllib3", "apscheduler.executors", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def settings_or_exit(config: Optional[Path], dry_run: bool = False) -> Settings:
    """The effective settings, or a one-line error and exit code 2 for a bad file or variable."""
    from bot.config import ConfigError, load_settings

    try:
        settings = load_settings(config)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_CONFIG) from None
    return dataclasses.replace(settings, dry_run=True) if dry_run else settings
