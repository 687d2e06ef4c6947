"""``python -m training train|eval ...``: the two commands without the rest of the bot (for torchrun)."""

import typer

from bot.commands.train import eval_command, train_command

app = typer.Typer(add_completion=False, no_args_is_help=True)
app.command("train")(train_command)
app.command("eval")(eval_command)

if __name__ == "__main__":
    app()
