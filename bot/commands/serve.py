"""`colorbot serve`: the read-only status page, /metrics and /healthz for one database.

Runs beside the bot (another process, or another machine with the same database URL) and
only reads: it never migrates, posts or changes a job. Its /metrics carries the queue's
gauges; each bot's own counters come from ``colorbot run --serve-port``.
"""

from __future__ import annotations

import logging
import signal
from typing import Annotated, Any, Optional

import typer

from bot.commands.common import ConfigOption, settings_or_exit, setup_logging

log = logging.getLogger(__name__)


def serve_command(
    config: ConfigOption = None,
    host: Annotated[Optional[str], typer.Option(help="Address to listen on (default: serve.host, 127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option(min=0, max=65535, help="Port (default: serve.port, 8080; 0: any free port).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every request.")] = False,
) -> None:
    """Serve the status page (queue, recent comparisons, failures, bans), /metrics and /healthz."""
    from bot.metrics import database_registry
    from bot.status_server import server_for
    from db import make_engine

    setup_logging(verbose)
    settings = settings_or_exit(config)
    engine = make_engine(settings.database_url)
    server = server_for(settings, engine, database_registry(engine), host=host, port=port)

    def stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt  # leaves serve_forever in the main thread

    signal.signal(signal.SIGTERM, stop)
    typer.echo(f"serving {server.url}/ (status page), {server.url}/metrics, {server.url}/healthz — Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        engine.dispose()
        log.info("serve: stopped")
