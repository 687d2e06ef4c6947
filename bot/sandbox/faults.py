"""Fault injection: rules that make the next matching requests fail the way Reddit fails.

Why rules rather than flags: a test says "the next 2 ``GET /r/*/new`` answer 503" and then
checks the bot recovered; each rule counts itself down. The same rule dicts come from Python
(``server.faults.add(...)``) or HTTP (``POST /_sandbox/faults``).

Kinds (JSON field ``kind``):

- ``status``: answer ``status`` (500, 503, 403…) with Reddit's JSON body; ``headers`` are added.
  A 429 is Reddit's HTML "whoa there, pardner!" page with ``retry-after`` (default 4 s, as
  recorded) and no ``x-ratelimit-*`` headers, exactly as oauth.reddit.com sends it.
- ``exhaust``: answer normally, but with ``x-ratelimit-remaining: 0.0`` and a reset ``reset``
  seconds away; until then every API request answers 429 (a client that ignores the headers pays).
- ``api_error``: answer 200 with ``{"json": {"errors": [[error, message, field]]}}`` — how Reddit
  reports RATELIMIT, THREAD_LOCKED, TOO_OLD, DELETED_COMMENT…; PRAW raises RedditAPIException.
- ``slow``: sleep ``delay`` seconds before answering (client timeouts).
- ``drop``: close the connection without an answer (prawcore: ConnectionError, retried).
- ``image``: for media paths, ``image`` is one of ``404``, ``html``, ``truncated``, ``oversized``, ``huge``.
- ``delete_post``: delete post ``post`` just before handling the matching request.
- ``expire_tokens``: invalidate all access tokens first (PRAW gets 401 and re-authenticates): a
  token revoked or rotated mid-run. With ``times`` null on a path it happens before every such
  request, so even a fresh token is refused there: credentials revoked for good.

Every rule may let ``skip`` matching requests through before it acts ("the 3rd comment").
- ``ws_failed``: the image-post websocket reports ``{"type": "failed"}`` (PRAW: MediaPostFailed).
- ``ban``: mark subreddit ``subreddit`` forbidden (every request about it answers 403); immediate.
- ``commit_then_status``: run the request (the comment *is* made), then answer ``status`` (502…)
  instead of the result — Reddit's ambiguous write: the client cannot tell it worked.
- ``commit_then_slow``: run the request, then wait ``delay`` seconds before answering (past the
  client's timeout: the write happened, the client saw a timeout).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import Any

KINDS = {"status", "api_error", "slow", "drop", "image", "delete_post", "expire_tokens", "ws_failed", "ban",
         "commit_then_status", "commit_then_slow", "exhaust"}
STATUS_NAMES = {429: "Too Many Requests", 403: "Forbidden", 500: "Internal Server Error", 502: "Bad Gateway",
                503: "Service Unavailable", 504: "Gateway Timeout", 404: "Not Found", 401: "Unauthorized"}
RATELIMIT_MINUTES = "you are doing that too much. try again in 5 minutes."
RATELIMIT_MIN_SEC = "Looks like you've been doing that a lot. Take a break for 9m3s before trying again."
#: Reddit's own wording for the API errors the bot must handle; ``api_error`` rules default to these.
API_ERRORS = {
    "RATELIMIT": (RATELIMIT_MINUTES, "ratelimit"),
    "THREAD_LOCKED": ("Comments are locked.", "parent"),
    "TOO_OLD": ("that's a piece of history now; it's too late to reply to it", "parent"),
    "DELETED_COMMENT": ("that comment has been deleted", "parent"),
    "DELETED_LINK": ("the link you are commenting on has been deleted", "parent"),
    "SUBREDDIT_NOTALLOWED": ("you aren't allowed to post there.", "sr"),
    "USER_REQUIRED": ("Please log in to do that.", None),
}


@dataclass
class Fault:
    """One rule. ``path`` is a glob on the request path without trailing slash ("/api/comment", "/r/*/new")."""

    kind: str
    path: str = "*"
    method: str | None = None
    times: int | None = 1
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    error: str = "RATELIMIT"
    message: str | None = None
    field: str | None = None
    delay: float = 0.0
    image: str = "404"
    post: str | None = None
    subreddit: str | None = None
    skip: int = 0  # matching requests let through before the rule acts
    reset: int = 3  # ``exhaust``: seconds until Reddit's window resets

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(KINDS)}")
        if self.kind == "api_error":
            default_message, default_field = API_ERRORS.get(self.error, ("", None))
            self.message = default_message if self.message is None else self.message
            self.field = default_field if self.field is None else self.field

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and fnmatchcase(path, self.path.rstrip("/") or "/")

    def error_item(self) -> list[str | None]:
        return [self.error, self.message, self.field]


class Faults:
    """The active rules, consumed first-match-first."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: str | Fault | dict[str, Any], **options: Any) -> Fault:
        """``faults.add("status", path="/r/*/new", status=503, times=2)`` or ``faults.add({...})``."""
        if isinstance(kind, dict):
            rule = Fault(**kind)
        elif isinstance(kind, Fault):
            rule = kind
        else:
            rule = Fault(kind, **options)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, method: str, path: str, kinds: set[str]) -> Fault | None:
        """Consume and return the first live rule of one of ``kinds`` matching this request."""
        with self._lock:
            for rule in self._rules:
                if rule.kind in kinds and rule.matches(method, path):
                    if rule.skip > 0:
                        rule.skip -= 1
                        continue
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times <= 0:
                            self._rules.remove(rule)
                    return rule
        return None

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(rule) for rule in self._rules]

    # shorthands that read well in tests
    def status(self, path: str, status: int, *, times: int | None = 1, method: str | None = None, headers: dict[str, str] | None = None) -> Fault:
        return self.add("status", path=path, status=status, times=times, method=method, headers=headers or {})

    def api_error(self, path: str, error: str, message: str | None = None, *, field: str | None = None, times: int | None = 1) -> Fault:
        return self.add("api_error", path=path, error=error, message=message, field=field, times=times, method="POST")

    def too_many_requests(self, path: str, retry_after: int = 4, *, times: int | None = 1, method: str | None = None) -> Fault:
        """Reddit's 429 page with ``retry-after``."""
        return self.status(path, 429, times=times, method=method, headers={"retry-after": str(retry_after)})

    def slow(self, path: str, delay: float, *, times: int | None = 1) -> Fault:
        return self.add("slow", path=path, delay=delay, times=times)

    def image(self, path: str, image: str, *, times: int | None = None) -> Fault:
        return self.add("image", path=path, image=image, times=times)


#: oauth.reddit.com's 429 body: an HTML page, whose wait matches ``retry-after`` (recorded 2021).
RATELIMIT_PAGE = """
<!doctype html>
<html>
  <head>
    <title>Too Many Requests</title>
  </head>
  <body>
    <h1>whoa there, pardner!</h1>

<p>we're sorry, but you appear to be a bot and we've seen too many requests
from you lately. we enforce a hard speed limit on requests that appear to come
from bots to prevent abuse.</p>

<p>please wait {seconds} second(s) and try again.</p>
  </body>
</html>
"""


def ratelimit_page(seconds: int) -> tuple[bytes, dict[str, str]]:
    """The body and headers of Reddit's 429: HTML, ``retry-after``, no ``x-ratelimit-*``."""
    return RATELIMIT_PAGE.format(seconds=seconds).encode(), {"retry-after": str(seconds)}
