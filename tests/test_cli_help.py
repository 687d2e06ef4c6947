"""`colorbot … --help` at 80 columns: whole option names and plain type names, as a person reads them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def help_text(*command: str) -> str:
    env = {**os.environ, "COLUMNS": "80", "TERM": "dumb"}
    out = subprocess.run([sys.executable, "-m", "bot.cli", *command, "--help"], capture_output=True, text=True, env=env,
                         timeout=60, check=True)
    return out.stdout


@pytest.mark.parametrize("command", [("run-once",), ("run",), ("train",), ("colorize",), ("model", "promote")])
def test_help_fits_80_columns_with_whole_names_and_plain_types(command: tuple[str, ...]) -> None:
    text = help_text(*command)
    assert all(len(line) <= 80 for line in text.splitlines()), max(text.splitlines(), key=len)
    assert "…" not in text and "<str>" not in text and "<list[" not in text and "<bool>" not in text
    assert "╭" not in text  # no boxes whose column widths cut option names


def test_run_once_help_names_max_wait_and_the_exit_status() -> None:
    text = help_text("run-once")
    assert "--max-wait FLOAT" in text and "[default: 60.0" in text
    assert "-p, --post TEXT" in text and "75" in text
