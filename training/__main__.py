"""``python -m training train|eval|export ...``: training's own commands without the rest of the bot (for torchrun)."""

from training.cli import app

if __name__ == "__main__":
    app()
