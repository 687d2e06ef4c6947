"""Non-idempotent writes are sent once: prawcore's automatic retry stays on for every read only.

prawcore re-sends any request after a 5xx, a timeout or a dropped connection. For a read that is
right; for ``POST /api/comment`` it is how a bot answers twice: Reddit made the comment, then
answered 502 (or after the client gave up), and the re-sent request makes a second one. Here a
write that fails ambiguously raises at once; the caller looks at Reddit (the bot's own comments,
``bot.reddit.own_replies``) before it tries again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import prawcore
from prawcore.sessions import RetryStrategy

if TYPE_CHECKING:
    import praw

#: Requests that create or destroy something on Reddit; sent at most once per call.
WRITE_PATHS = frozenset({
    "/api/comment", "/api/submit", "/api/submit_gallery_post", "/api/del", "/api/compose", "/api/editusertext",
})


def is_write(method: str, url: str) -> bool:
    """True for the non-idempotent calls (by path, without the trailing slash or ``.json``)."""
    path = urlsplit(url).path.rstrip("/").removesuffix(".json")
    return method.upper() == "POST" and path in WRITE_PATHS


class SendOnce(RetryStrategy):
    """A retry strategy that never retries and never sleeps first."""

    def _sleep_seconds(self) -> float | None:
        return None

    def consume_available_retry(self) -> SendOnce:
        return self

    def should_retry_on_failure(self) -> bool:
        return False


class WriteOnceSession(prawcore.Session):
    """prawcore's session, with :class:`SendOnce` for the requests in :data:`WRITE_PATHS`."""

    def _request_with_retries(self, *, method: str, url: str, retry_strategy_state: Any = None, **kwargs: Any) -> Any:
        if retry_strategy_state is None and is_write(method, url):
            retry_strategy_state = SendOnce()
        return super()._request_with_retries(method=method, url=url, retry_strategy_state=retry_strategy_state, **kwargs)


def send_writes_once(reddit: praw.Reddit) -> None:
    """Make every prawcore session of ``reddit`` a :class:`WriteOnceSession` (no network)."""
    for core in (reddit._authorized_core, reddit._read_only_core):
        if core is not None and not isinstance(core, WriteOnceSession):
            core.__class__ = WriteOnceSession
