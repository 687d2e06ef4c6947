"""`colorbot config`: print the effective settings (file + environment), secrets masked.

Why: the operator's one place to see what the bot will do before it does it. The output is
TOML that can be pasted back into ``colorbot.toml`` (``[praw]`` and ``user_agent`` are shown
for information only and are not settings); ``--json`` is for scripts.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from bot.commands.common import ConfigOption, settings_or_exit
from bot.toml_literal import toml_literal

#: What an unset (None) value means, shown next to it.
UNSET_MEANS = {
    "model_path": "the checkpoint shipped with colorbot",
    "model_store": "no store: model_path answers",
    "render_size": "the checkpoint's",
    "praw_site": "PRAW's choice: the praw_site variable, else DEFAULT",
}


def config_command(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of TOML.")] = False,
) -> None:
    """Show the effective settings and PRAW site, with secrets masked."""
    from bot.config import ConfigError, praw_site_config

    settings = settings_or_exit(config)
    data = settings.masked()
    try:
        praw: dict[str, Any] = praw_site_config(settings.reddit.praw_site)
    except ConfigError as exc:
        praw = {"error": str(exc)}
    if as_json:
        typer.echo(json.dumps({**data, "praw": praw}, indent=2, ensure_ascii=False))
        return
    user_agent = data.pop("user_agent")
    typer.echo(f"# user_agent: {user_agent}  (derived from the version and reddit.owner)")
    typer.echo(to_toml(data))
    typer.echo("\n# PRAW's own configuration (praw.ini / praw_* variables); read-only, not a colorbot setting")
    typer.echo("\n".join("# " + line if line else "#" for line in to_toml({"praw": praw}).splitlines()))


def to_toml(data: dict[str, Any]) -> str:
    """Our settings tree as TOML: scalars first, then one ``[table]`` per section; None as a comment."""
    lines: list[str] = []
    _table(data, (), lines)
    return "\n".join(lines).strip("\n")


def _table(data: dict[str, Any], path: tuple[str, ...], lines: list[str]) -> None:
    if path:
        lines += ["", f"[{'.'.join(path)}]"]
    for key, value in data.items():
        if not isinstance(value, dict):
            lines.append(f"# {key} = (unset: {UNSET_MEANS.get(key, 'none')})" if value is None else f"{key} = {toml_literal(value)}")
    for key, value in data.items():
        if isinstance(value, dict):
            _table(value, (*path, key), lines)
