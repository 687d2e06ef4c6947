"""Non-idempotent writes are sent once: prawcore's automatic retry stays on for every read only.

prawcore re-sends any request after a 5xx, a timeout or a dropped connection. For a read that is
right; for ``POST /api/comment`` it is how a bot answers twice: Reddit made the comment, then
answered 502 (or after the client gave up), and the re-sent request makes a second one. Here a
write that fails ambiguously raises at once; the caller looks at Reddit (the bot's own comments,
``bot.reddit.own_replies``) before it tries again.

One refusal is unambiguous and is sent again: a 401. Reddit applied nothing, and a token that was
revoked or rotated mid-run is the usual cause, so the write goes out once more with a fresh token
(prawcore has already cleared the old one). A 401 on a fresh token means the credentials
themselves are wrong: :class:`CredentialsRejected` names the praw.ini site to check.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import prawcore
from prawcore.sessions import RetryStrategy

if TYPE_CHECKING:
    import praw

log = logging.getLogger(__name__)

#: Requests that create or destroy something on Reddit; sent at most once per call.
WRITE_PATHS = frozenset({
    "/api/comment", "/api/submit", "/api/submit_gallery_post", "/api/del", "/api/compose", "/api/editusertext",
})


def is_write(method: str, url: str) -> bool:
    """True for the non-idempotent calls (by path, without the trailing slash or ``.json``)."""
    path = urlsplit(url).path.rstrip("/").removesuffix(".json")
    return method.upper() == "POST" and path in WRITE_PATHS


class CredentialsRejected(prawcore.InvalidToken):
    """Reddit answered 401 to a freshly issued token: the praw.ini site's credentials or app are wrong."""

    def __init__(self, response: Any, site: str) -> None:
        super().__init__(response)
        self.site = site


class SendOnce(RetryStrategy):
    """A retry strategy that never retries and never sleeps first."""

    def _sleep_seconds(self) -> float | None:
        return None

    def consume_available_retry(self) -> SendOnce:
        return self

    def should_retry_on_failure(self) -> bool:
        return False


class WriteOnceSession(prawcore.Session):
    """prawcore's session, with :class:`SendOnce` for the requests in :data:`WRITE_PATHS`.

    ``site`` (the praw.ini section) is only used to name it in :class:`CredentialsRejected`.
    """

    site: str = "DEFAULT"

    def request(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().request(*args, **kwargs)
        except CredentialsRejected:
            raise
        except prawcore.InvalidToken as exc:  # prawcore (reads) or we (writes) already tried a fresh token
            raise CredentialsRejected(exc.response, self.site) from None

    def _request_with_retries(self, *, method: str, url: str, retry_strategy_state: Any = None, **kwargs: Any) -> Any:
        if retry_strategy_state is not None or not is_write(method, url):
            return super()._request_with_retries(method=method, url=url, retry_strategy_state=retry_strategy_state, **kwargs)
        try:
            return super()._request_with_retries(method=method, url=url, retry_strategy_state=SendOnce(), **kwargs)
        except prawcore.InvalidToken:
            if not hasattr(self._authorizer, "refresh"):
                raise
            log.info("reddit: %s %s refused with 401 (token revoked or expired): sending it once more with a new token",
                     method, urlsplit(url).path)
        return super()._request_with_retries(method=method, url=url, retry_strategy_state=SendOnce(), **kwargs)


def send_writes_once(reddit: praw.Reddit, site: str | None = None) -> None:
    """Make every prawcore session of ``reddit`` a :class:`WriteOnceSession` (no network)."""
    for core in (reddit._authorized_core, reddit._read_only_core):
        if core is not None and not isinstance(core, WriteOnceSession):
            core.__class__ = WriteOnceSession
        if core is not None:
            core.site = site or "DEFAULT"
