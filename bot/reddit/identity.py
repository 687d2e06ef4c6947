"""Who the bot is on Reddit: read once from ``/api/v1/me``, whatever the auth (password or refresh token).

With refresh-token auth PRAW's config has no username, and ``reddit.owner`` is the *operator*
(named in the User-Agent only), so neither may stand in for the bot's own name: opt-out and delete
links, the own-reply look-up and the profile host all ask this instead.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import praw

log = logging.getLogger(__name__)

_IDENTITIES: weakref.WeakKeyDictionary[object, Identity] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


class Identity:
    """The account behind a ``praw.Reddit``; ``name`` makes one request the first time (thread-safe)."""

    def __init__(self, reddit: praw.Reddit) -> None:
        self._reddit = reddit
        self._name: str | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The bot's username; Reddit errors propagate (the caller maps them, the next call asks again)."""
        if self._name is None:
            with self._lock:
                if self._name is None:
                    me = self._reddit.user.me()
                    if me is None or not getattr(me, "name", None):
                        raise RuntimeError("/api/v1/me named no user: the praw site's credentials are app-only")
                    self._name = str(me.name)
                    log.info("reddit: signed in as u/%s (from /api/v1/me)", self._name)
        return self._name


def identity_of(reddit: praw.Reddit) -> Identity:
    """The one `Identity` of this client, shared by the poller, worker, inbox and host."""
    with _REGISTRY_LOCK:
        found = _IDENTITIES.get(reddit)
        if found is None:
            found = _IDENTITIES[reddit] = Identity(reddit)
        return found
