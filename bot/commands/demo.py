"""`colorbot demo`: the bot's main job once, against a local sandbox Reddit, with nothing to set up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def demo_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the config files, database, log, comparisons and replies.")] = Path("demo-out"),
    model: Annotated[Optional[Path], typer.Option("--model", help="Checkpoint to colorize with; default: the shipped colorizer/weights/default.pt.")] = None,
) -> None:
    """Start a sandbox Reddit, write praw.ini + colorbot.toml, run the bot once, save what it posted."""
    from bot.demo import CONFIG_NAME, LOG_NAME, PRAW_INI_NAME, run_demo

    typer.echo(f"colorbot demo: a local sandbox Reddit with sample posts; settings in {out / CONFIG_NAME}, "
               f"PRAW site in {out / PRAW_INI_NAME}; the bot's log in {out / LOG_NAME}")
    result = run_demo(out, model)
    for line in result.lines:
        typer.echo(line)
    typer.echo("")
    for post in result.posts:
        typer.echo(f"t3_{post.post_id} r/{post.subreddit} {post.title!r}")
        typer.echo(f"    {post.decision}: {post.reason}")
        if post.reply_url:
            typer.echo(f"    reply: {post.reply_url} (the sandbox stops with the demo)")
            typer.echo(f"    comparison: {post.comparison}   reply text: {post.reply_text}")
    typer.echo(f"\n{len(result.replied)} posts answered; open {out / 'comparisons'} to see the gray | auto | reference panels.")
    raise typer.Exit(0 if result.replied else 1)
