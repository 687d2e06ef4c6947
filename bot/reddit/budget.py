"""The request budget: at most 100 Reddit requests in any minute, on top of prawcore's own pacing.

prawcore's :class:`~prawcore.rate_limit.RateLimiter` reads ``x-ratelimit-remaining/-used/-reset``
only after Reddit has answered; :class:`BudgetRateLimiter` adds a hard sliding-minute cap, and
:func:`install_rate_budget` puts it into a ``praw.Reddit``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import prawcore
from prawcore.rate_limit import RateLimiter

if TYPE_CHECKING:
    import praw

log = logging.getLogger(__name__)

MAX_REQUESTS_PER_MINUTE = 100  # Reddit's documented limit for OAuth clients
#: A slot stays taken for Reddit's minute plus 2 s: prawcore takes the slot before it may still fetch
#: a token and send, so Reddit can receive a request up to that much later than it was counted
#: (measured: 103 in Reddit's 60 s with a 60 s window, 3 threads starting together; bench/request_budget.py).
WINDOW_SECONDS = 62.0


@dataclass(frozen=True)
class RateLimitHeaders:
    """Reddit's ``x-ratelimit-*`` headers: requests left and used in the window, seconds until it resets."""

    remaining: float
    used: int
    reset_seconds: int

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> RateLimitHeaders | None:
        """None when the headers are missing or malformed (not every response carries them)."""
        try:
            return cls(float(headers["x-ratelimit-remaining"]), int(float(headers["x-ratelimit-used"])),
                       int(float(headers["x-ratelimit-reset"])))
        except (KeyError, ValueError, TypeError):
            return None


class RateWindowSpent(prawcore.PrawcoreException):
    """Reddit's headers said no request is left until the window resets, further away than the caller may wait.

    Raised before anything is sent; ``bot.reddit.errors`` maps it to a pause of ``seconds``.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(f"Reddit's request budget is spent for {seconds:.0f}s (x-ratelimit-remaining 0)")
        self.seconds = seconds


class MinuteWindow(Protocol):
    """Requests sent in the last 60 s by everyone sharing one OAuth client."""

    def wait(self) -> float:
        """Seconds until a request may be sent (0: now); reserves nothing."""

    def take(self) -> float:
        """Reserve a slot and return 0 if one is free now; else the seconds until one frees up."""


class LocalMinuteWindow:
    """The window of one process: thread-safe (APScheduler's threads share one ``praw.Reddit``)."""

    def __init__(self, max_per_minute: int = MAX_REQUESTS_PER_MINUTE, clock: Callable[[], float] = time.monotonic,
                 window_seconds: float = WINDOW_SECONDS) -> None:
        self.max_per_minute, self._clock, self.window_seconds = max_per_minute, clock, window_seconds
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def _wait(self, now: float) -> float:
        while self._sent and self._sent[0] <= now - self.window_seconds:
            self._sent.popleft()
        return self._sent[0] + self.window_seconds - now if len(self._sent) >= self.max_per_minute else 0.0

    def wait(self) -> float:
        with self._lock:
            return self._wait(self._clock())

    def take(self) -> float:
        with self._lock:
            now = self._clock()
            wait = self._wait(now)
            if wait <= 0:
                self._sent.append(now)
            return wait


class BudgetRateLimiter(RateLimiter):
    """prawcore's limiter (spreads requests over Reddit's header window) plus a sliding-minute cap.

    prawcore paces by ``x-ratelimit-*`` only after Reddit has answered; the cap also holds at
    start-up and across the read-only and authorized sessions (one instance serves both). The
    cap's window is this process's (:class:`LocalMinuteWindow`) unless a shared one is given
    (``db.request_budget.RequestWindow``: every process and machine on one OAuth client).
    ``clock`` (seconds, monotonic) drives the local window; prawcore's part uses its own clock.

    When ``x-ratelimit-remaining`` reaches 0 prawcore holds the next request until
    ``x-ratelimit-reset`` instead of spending it on a 429; a wait longer than ``max_sleep`` (when
    set: ``run-once --max-wait``) raises :class:`RateWindowSpent` instead of sleeping through it.
    """

    max_sleep: float | None = None

    def __init__(
        self,
        *,
        window_size: int = 600,
        max_per_minute: int = MAX_REQUESTS_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        window: MinuteWindow | None = None,
    ) -> None:
        if not 1 <= max_per_minute <= MAX_REQUESTS_PER_MINUTE:
            raise ValueError(f"max_per_minute must be 1..{MAX_REQUESTS_PER_MINUTE}, got {max_per_minute}")
        super().__init__(window_size=window_size)
        self.max_per_minute = max_per_minute
        self._sleep = sleep
        self.window: MinuteWindow = window or LocalMinuteWindow(max_per_minute, clock)

    @classmethod
    def taking_over(cls, old: RateLimiter, **kwargs: object) -> BudgetRateLimiter:
        """A budget limiter that keeps what ``old`` already learned from Reddit's headers."""
        new = cls(window_size=old.window_size, **kwargs)  # type: ignore[arg-type]
        new.remaining, new.used, new.next_request_timestamp_ns = old.remaining, old.used, old.next_request_timestamp_ns
        return new

    def _header_wait(self) -> float:
        if self.next_request_timestamp_ns is None:
            return 0.0
        return max((self.next_request_timestamp_ns - time.monotonic_ns()) / 1e9, 0.0)

    def seconds_to_wait(self) -> float:
        """How long the next request must wait: the longer of prawcore's pacing and the minute cap."""
        return max(self._header_wait(), self.window.wait(), 0.0)

    def delay(self) -> None:
        """Sleep as needed, then count the request that is about to be sent (in the shared window)."""
        if (header := self._header_wait()) > 0:
            if self.remaining is not None and self.remaining <= 0:
                if self.max_sleep is not None and header > self.max_sleep:
                    raise RateWindowSpent(header)
                log.info("reddit: no request left in Reddit's window (x-ratelimit-remaining 0); waiting %.1fs for its reset", header)
            self._sleep(header)
        while (wait := self.window.take()) > 0:
            self._sleep(wait)


def install_rate_budget(reddit: praw.Reddit, *, max_per_minute: int = MAX_REQUESTS_PER_MINUTE,
                        window: MinuteWindow | None = None, max_sleep: float | None = None) -> BudgetRateLimiter:
    """Put one :class:`BudgetRateLimiter` into every prawcore session of ``reddit`` (no network)."""
    cores = [core for core in (reddit._authorized_core, reddit._read_only_core) if core is not None]
    if not cores:
        raise ValueError("this praw.Reddit has no prawcore session yet")
    limiter = BudgetRateLimiter.taking_over(cores[0].rate_limiter, max_per_minute=max_per_minute, window=window)
    limiter.max_sleep = max_sleep
    for core in cores:
        core._rate_limiter = limiter
    return limiter


def share_budget(reddit: praw.Reddit, window: MinuteWindow) -> None:
    """Count this client's requests in ``window`` (shared by every process on the same OAuth client)."""
    for core in (reddit._authorized_core, reddit._read_only_core):
        limiter = getattr(core, "_rate_limiter", None)
        if isinstance(limiter, BudgetRateLimiter):
            limiter.window = window


def client_key(reddit: praw.Reddit) -> str:
    """Which OAuth client a budget belongs to, without storing its id: a short hash of it."""
    client_id = str(getattr(reddit.config, "client_id", "") or "")
    return hashlib.sha256(f"colorbot-budget:{client_id}".encode()).hexdigest()[:16]
