"""``colorbot sandbox``: a local Reddit-compatible API server for running and testing the bot.

Reddit's API needs per-app approval, so the bot is developed and tested against this server
through real PRAW over HTTP. See ``server.py`` (the server), ``endpoints.py`` (every URL),
``faults.py`` (injected failures), ``seed.py`` (the default world), ``praw_site.py`` (PRAW config)
and ``hosts.py`` (how Reddit's image hosts are mirrored).
"""

from bot.sandbox.faults import Fault, Faults
from bot.sandbox.hosts import MEDIA_HOSTS, mirror_url, unmirror_url
from bot.sandbox.praw_site import praw_ini_section, reddit_kwargs, sandbox_session, write_praw_ini
from bot.sandbox.server import SandboxServer, serve_forever
from bot.sandbox.world import World

__all__ = [
    "MEDIA_HOSTS", "Fault", "Faults", "SandboxServer", "World", "mirror_url", "praw_ini_section",
    "reddit_kwargs", "sandbox_session", "serve_forever", "unmirror_url", "write_praw_ini",
]
