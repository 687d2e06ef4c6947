"""What Reddit's answers mean for the bot, decided in one place.

Why: PRAW and prawcore raise a dozen exception types and Reddit hides more inside
``RedditAPIException`` items. Callers should not each guess; they ask :func:`action_for` and
log ``action.reason`` (one line, never a secret).

===================================  ==============================================
Reddit says                          Action
===================================  ==============================================
RATELIMIT "... in 9m3s"              reschedule this job after the wait (+ margin)
THREAD_LOCKED, TOO_OLD, DELETED_*…   skip the post for good
403 on a write, SUBREDDIT_NOTALLOWED ban_subreddit (check again after a day)
403 on a read                        retry (private or quarantined: banned accounts can still read)
429 Too Many Requests                backoff: pause all Reddit calls (retry-after)
x-ratelimit-remaining 0, long reset  backoff until the reset (prawcore sleeps through short ones)
401 on a write                       sent once more with a new token (bot.reddit.writes)
401 on a fresh token, OAuth/scope    backoff: credentials or app setup are wrong
5xx, timeouts, network errors        retry with exponential backoff
404 NotFound                         skip (the post or comment is gone)
===================================  ==============================================

Request pacing (the 100-a-minute budget) is in ``bot.reddit.budget``.

PRAW sleeps through short RATELIMIT waits itself (``ratelimit_seconds``, default 5); with
``praw.Reddit(..., ratelimit_seconds=0)`` every RATELIMIT reaches :func:`action_for`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Literal

import prawcore
import requests
from praw.exceptions import ClientException, RedditAPIException, TooLargeMediaException, WebSocketException

from bot.reddit.budget import RateLimitHeaders, RateWindowSpent
from bot.reddit.writes import CredentialsRejected
from db.backoff import Backoff

ActionKind = Literal["reschedule", "skip", "ban_subreddit", "backoff", "retry"]

RATELIMIT_MARGIN_SECONDS = 5  # Reddit's wait is rounded; arrive a little late rather than early
DEFAULT_RATELIMIT_SECONDS = 600.0  # a RATELIMIT whose message we cannot read
DEFAULT_429_SECONDS = 60.0
AUTH_BACKOFF_SECONDS = 900.0  # credentials wrong: wait long, an operator has to act
BAN_RECHECK_SECONDS = 86_400.0
RETRY_BACKOFF = Backoff()

#: Reddit error types that make a post unanswerable for good, with the reason we log.
SKIP_ERRORS: Mapping[str, str] = {
    "THREAD_LOCKED": "the thread is locked",
    "TOO_OLD": "the post is archived (too old to reply)",
    "DELETED_COMMENT": "the comment was deleted",
    "DELETED_LINK": "the post was deleted",
    "COMMENTS_DISABLED": "comments are disabled on the post",
    "TOO_LONG": "our reply is too long for Reddit",
    "NO_TEXT": "our reply is empty",
}
#: Reddit error types that mean we may not post in the subreddit at all.
BAN_ERRORS: Mapping[str, str] = {
    "SUBREDDIT_NOTALLOWED": "we are not allowed to post in the subreddit",
    "SUBREDDIT_NOEXIST": "the subreddit does not exist",
    "BANNED_FROM_SUBREDDIT": "the bot is banned from the subreddit",
}
_PRIORITY: tuple[ActionKind, ...] = ("ban_subreddit", "skip", "backoff", "reschedule", "retry")


@dataclass(frozen=True)
class Action:
    """What to do after a failed Reddit call.

    ``delay_seconds``: reschedule/retry — when to try this job again; backoff — how long *all*
    Reddit calls pause; ban_subreddit — when to check the ban again; skip — 0.
    """

    kind: ActionKind
    reason: str  # one log line
    delay_seconds: float = 0.0
    error_type: str | None = None  # Reddit's error type or "HTTP 403", for metrics


def action_for(exc: BaseException, *, attempt: int = 1, write: bool = False) -> Action:
    """The action for an exception from PRAW/prawcore; ``attempt`` (1-based) scales retry delays.

    ``write``: the call wrote in a subreddit (a comment); only then does a 403 mean a ban. A banned
    account can read public subreddits, so a read's 403 says the subreddit is private or
    quarantined, not that the bot is banned.
    """
    retry_delay = RETRY_BACKOFF.nominal(attempt).total_seconds()
    if isinstance(exc, RedditAPIException):
        return _api_action(exc, retry_delay)
    if isinstance(exc, prawcore.TooManyRequests):
        wait = retry_after_seconds(exc.response.headers) or DEFAULT_429_SECONDS
        return Action("backoff", f"Reddit says too many requests (429); pausing {wait:.0f}s", wait, "HTTP 429")
    if isinstance(exc, RateWindowSpent):
        return Action("backoff", f"Reddit's request budget is spent until its window resets; pausing {exc.seconds:.0f}s",
                      exc.seconds, "x-ratelimit-remaining 0")
    if isinstance(exc, CredentialsRejected):
        return Action("backoff", f"Reddit refused the bot's credentials even with a fresh token (HTTP 401); "
                                 f"check the praw.ini site [{exc.site}]", AUTH_BACKOFF_SECONDS, "HTTP 401")
    if isinstance(exc, (prawcore.InsufficientScope, prawcore.OAuthException, prawcore.InvalidToken)):
        return Action("backoff", f"Reddit rejected the bot's credentials or scopes ({type(exc).__name__}); check the praw.ini site",
                      AUTH_BACKOFF_SECONDS, type(exc).__name__)
    if isinstance(exc, prawcore.Forbidden) and write:
        return Action("ban_subreddit", "Reddit refused the write with 403 Forbidden (the bot is banned there)",
                      BAN_RECHECK_SECONDS, "HTTP 403")
    if isinstance(exc, prawcore.Forbidden):
        return Action("retry", "Reddit refused a read with 403 Forbidden (private or quarantined; not a ban)", retry_delay, "HTTP 403")
    if isinstance(exc, (prawcore.NotFound, prawcore.Redirect)):
        return Action("skip", "the post or comment no longer exists (404)", 0.0, "HTTP 404")
    if isinstance(exc, prawcore.UnavailableForLegalReasons):
        return Action("skip", "the post is unavailable for legal reasons (451)", 0.0, "HTTP 451")
    if isinstance(exc, TooLargeMediaException):
        return Action("skip", "the image is too large for Reddit's media upload", 0.0, type(exc).__name__)
    if isinstance(exc, prawcore.ServerError):
        code = exc.response.status_code
        return Action("retry", f"Reddit server error (HTTP {code})", retry_delay, f"HTTP {code}")
    if isinstance(exc, prawcore.RequestException):
        name = type(exc.original_exception).__name__  # never its text: it may echo request data
        return Action("retry", f"network error talking to Reddit ({name})", retry_delay, name)
    if isinstance(exc, (requests.Timeout, requests.ConnectionError, TimeoutError, ConnectionError)):
        return Action("retry", f"network error talking to Reddit ({type(exc).__name__})", retry_delay, type(exc).__name__)
    if isinstance(exc, prawcore.ResponseException):
        code = exc.response.status_code
        return Action("retry", f"unexpected Reddit answer (HTTP {code})", retry_delay, f"HTTP {code}")
    if isinstance(exc, (WebSocketException, ClientException)):
        return Action("retry", f"PRAW could not finish the call ({type(exc).__name__})", retry_delay, type(exc).__name__)
    return Action("retry", f"unexpected error {type(exc).__name__}", retry_delay, type(exc).__name__)


def _api_action(exc: RedditAPIException, retry_delay: float) -> Action:
    """The most decisive action among the items (a locked thread beats a rate limit)."""
    actions = []
    for item in exc.items:
        kind, message = item.error_type, item.message or ""
        if kind == "RATELIMIT":
            seconds = parse_ratelimit_seconds(message)
            wait = DEFAULT_RATELIMIT_SECONDS if seconds is None else math.ceil(seconds) + RATELIMIT_MARGIN_SECONDS
            actions.append(Action("reschedule", f"Reddit rate limit: {message or 'no wait given'}", float(wait), kind))
        elif kind in SKIP_ERRORS:
            actions.append(Action("skip", SKIP_ERRORS[kind], 0.0, kind))
        elif kind in BAN_ERRORS:
            actions.append(Action("ban_subreddit", BAN_ERRORS[kind], BAN_RECHECK_SECONDS, kind))
        elif kind == "USER_REQUIRED" or kind == "INVALID_USER":
            actions.append(Action("backoff", f"Reddit wants a logged-in user ({kind}); check the praw.ini site", AUTH_BACKOFF_SECONDS, kind))
        else:
            actions.append(Action("retry", f"Reddit error {kind}: {message}".rstrip(": "), retry_delay, kind))
    if not actions:
        return Action("retry", "Reddit error without details", retry_delay)
    return min(actions, key=lambda a: _PRIORITY.index(a.kind))


_DURATION = re.compile(
    r"(\d+(?:\.\d+)?)\s*(milliseconds?|ms|minutes?|mins?|m|seconds?|secs?|s|hours?|hrs?|h)(?![a-z])", re.IGNORECASE
)
_UNIT_SECONDS = {"m": 60.0, "s": 1.0, "h": 3600.0}


def parse_ratelimit_seconds(message: str) -> float | None:
    """Seconds in a RATELIMIT message ("in 9m3s", "for 5 minutes", "in 2 milliseconds"); None if none."""
    tail = re.split(r"\b(?:in|for)\b", message, flags=re.IGNORECASE)
    found = _DURATION.findall(tail[-1]) if len(tail) > 1 else _DURATION.findall(message)
    if not found:
        return None
    return sum(float(number) * _unit_seconds(unit) for number, unit in found)


def _unit_seconds(unit: str) -> float:
    unit = unit.lower()
    if unit.startswith("mil") or unit == "ms":
        return 0.001
    return _UNIT_SECONDS[unit[0]]


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``retry-after`` (seconds or HTTP date), else ``x-ratelimit-reset``."""
    value = headers.get("retry-after")
    if value:
        try:
            return max(float(value), 1.0)
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
                return max((when - datetime.now(timezone.utc)).total_seconds(), 1.0)
    limits = RateLimitHeaders.parse(headers)
    return float(max(limits.reset_seconds, 1)) if limits else None
