"""The `colorbot` command: thin wiring from subcommands to the packages that do the work."""

from __future__ import annotations

import typer

from bot.commands.backup import backup_command
from bot.commands.colorize import colorize_command, samples_command
from bot.commands.config import config_command
from bot.commands.db import db_app
from bot.commands.demo import demo_command
from bot.commands.help_format import plain_metavars
from bot.commands.model import model_app, promote_after_training
from bot.commands.run import run_command, run_once_command
from bot.commands.sandbox import sandbox_command
from bot.commands.serve import serve_command
from bot.commands.status import status_command
from training.cli import eval_command, export_command, set_promote_hook, train_command

app = typer.Typer(
    rich_markup_mode=None,  # click's plain help: whole option names and plain type names at 80 columns
    name="colorbot",
    help="Automatic photo colorization: batch colorizer, trainer and Reddit bot.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("run")(run_command)
app.command("run-once")(run_once_command)
app.command("status")(status_command)
app.command("serve")(serve_command)
app.command("backup")(backup_command)
app.add_typer(db_app, name="db")
app.add_typer(model_app, name="model")
app.command("colorize")(colorize_command)
app.command("samples")(samples_command)
app.command("sandbox")(sandbox_command)
app.command("demo")(demo_command)
app.command("config")(config_command)
app.command("train")(train_command)  # training owns these three (training/cli.py); the bot only mounts them
app.command("eval")(eval_command)
app.command("export")(export_command)
set_promote_hook(promote_after_training)  # `colorbot train --promote` hands the final checkpoint to `colorbot model promote`


def main() -> None:
    """Console-script entry point (plain help: see ``bot.commands.help_format``)."""
    plain_metavars(typer.main.get_command(app))(prog_name="colorbot")


if __name__ == "__main__":
    main()
