"""`colorbot run` and `colorbot run-once`: the Reddit bot, on a schedule or for one pass.

Both migrate the database first and log one line per decision. ``run-once`` polls once (or
takes just the posts named with ``--post``), works the queue until nothing is due — waiting out
pauses Reddit asks for up to ``--max-wait`` — prints a summary and exits 0; 1 when a job failed
for good or the poll failed; 75 (EX_TEMPFAIL) when Reddit asked for a longer pause.
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import Annotated, Optional

import typer

from bot.commands.common import EXIT_BAD_CONFIG, ConfigOption, settings_or_exit, setup_logging

DEFAULT_MAX_WAIT_SECONDS = 60.0  # run-once waits out Reddit's short pauses (a 429's retry-after is seconds)


def run_once_command(
    post: Annotated[Optional[list[str]], typer.Option("--post", "-p", help="Only this post (id, t3_id or URL); repeatable. Default: one poll of the watched subreddits.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Publish to the outbox folder and write replies there; post nothing.")] = False,
    max_wait: Annotated[float, typer.Option("--max-wait", min=0, help="Wait out a pause Reddit asks for (429 retry-after, RATELIMIT, the rate window's reset) when it is at most this many seconds; a longer one ends the run with exit status 75.")] = DEFAULT_MAX_WAIT_SECONDS,
    config: ConfigOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Poll once (or take the named posts), work the queue until every answerable post is done, print a summary.

    Exit status: 0 done; 1 a post failed for good or the poll failed; 75 Reddit asked for a pause
    longer than --max-wait: run again after the time printed.
    """
    from bot.scheduler import build_bot, run_once

    setup_logging(verbose)
    settings = settings_or_exit(config, dry_run)
    try:
        result = run_once(build_bot(settings, max_request_wait=max_wait), post or (), max_wait=max_wait)
    except ValueError as exc:  # a bad --post
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_CONFIG) from None
    for line in result.lines():
        typer.echo(line)
    raise typer.Exit(result.exit_code)


class Role(str, Enum):
    """What one `colorbot run` process does (the jobs of each: ``bot.scheduler.ROLE_JOBS``)."""

    all = "all"  # everything, in one process
    poller = "poller"  # poll, inbox, ban re-checks: run exactly one
    worker = "worker"  # only work the queue: run as many as the database and GPUs allow


def run_command(
    config: ConfigOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Publish to the outbox folder and write replies there; post nothing.")] = False,
    role: Annotated[Role, typer.Option("--role", help="all: everything in one process; poller: poll, inbox and ban checks (run one); worker: only work the queue (run many, on PostgreSQL).")] = Role.all,
    serve_port: Annotated[Optional[int], typer.Option("--serve-port", min=0, max=65535, help="Also serve this process's /metrics (its own counters), /healthz and the status page on serve.host:PORT.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Run the bot until SIGTERM / Ctrl-C: poll, work the queue, read the inbox, re-check bans, back up SQLite."""
    from bot.scheduler import build_bot, run_forever
    from bot.status_server import server_for

    setup_logging(verbose)
    bot = build_bot(settings_or_exit(config, dry_run))
    server = None if serve_port is None else server_for(bot.settings, bot.queue.engine, bot.metrics.registry, port=serve_port,
                                                        role=role.value, worker=bot.worker).start()
    if server is not None:
        logging.getLogger(__name__).info("run: serving %s/metrics, /healthz and the status page", server.url)
    try:
        run_forever(bot, role=role.value)
    finally:
        if server is not None:
            server.close()
