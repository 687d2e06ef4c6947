"""The PRAW client every part of the bot shares: PRAW site from the settings, our User-Agent, the budget.

In sandbox mode (``download.sandbox_image_base_url`` set) PRAW gets
the sandbox session, which media uploads need (see ``bot/sandbox/README.md``).

Credentials never pass through here as settings: PRAW reads them from its praw.ini site.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from bot.reddit.budget import install_rate_budget
from bot.reddit.writes import send_writes_once

if TYPE_CHECKING:
    import praw

    from bot.config import Settings

log = logging.getLogger(__name__)

SANDBOX_TIMEOUT_S = 30.0


def make_reddit(settings: Settings, *, max_request_wait: float | None = None, **overrides: Any) -> praw.Reddit:
    """A ``praw.Reddit`` for the configured site, with our User-Agent, request budget and writes sent once.

    ``max_request_wait``: the longest a request may wait for Reddit's rate window to reset (None: as
    long as Reddit says). ``overrides`` are extra PRAW settings (tests pass the sandbox's credentials this way).
    """
    import praw

    kwargs: dict[str, Any] = {"user_agent": settings.user_agent, "check_for_updates": False}
    sandbox = settings.download.sandbox_image_base_url
    if sandbox and "requestor_kwargs" not in overrides:
        from bot.sandbox.praw_site import sandbox_session

        kwargs["requestor_kwargs"] = {"session": sandbox_session(sandbox, SANDBOX_TIMEOUT_S)}
    kwargs.update(overrides)
    site = settings.reddit.praw_site
    reddit = praw.Reddit(site, **kwargs) if site else praw.Reddit(**kwargs)
    install_rate_budget(reddit, max_sleep=max_request_wait)
    send_writes_once(reddit, site or os.getenv("praw_site") or "DEFAULT")
    log.info("reddit: client for praw site %s%s", site or "(PRAW default)", " (sandbox mode)" if sandbox else "")
    return reddit
