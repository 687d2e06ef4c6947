"""`colorbot sandbox`: a local Reddit-compatible API to run the bot against without credentials."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer


def sandbox_command(
    port: Annotated[int, typer.Option(help="Port to listen on (127.0.0.1 by default).")] = 8765,
    host: Annotated[str, typer.Option(help="Address to bind; keep it on loopback.")] = "127.0.0.1",
    seed: Annotated[Optional[Path], typer.Option(help="JSON seed of subreddits and posts; default: sample posts made from offline photos.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every request.")] = False,
) -> None:
    """Serve a local Reddit-compatible API (OAuth, listings, comments, media upload, inbox) until Ctrl-C."""
    from bot.sandbox.server import serve_forever

    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(message)s")
    serve_forever(port, host, seed)
