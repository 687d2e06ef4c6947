"""The request budget: at most 100 Reddit requests in any minute, on top of prawcore's own pacing.

prawcore's :class:`~prawcore.rate_limit.RateLimiter` reads ``x-ratelimit-remaining/-used/-reset``
only after Reddit has answered; :class:`BudgetRateLimiter` adds a hard sliding-minute cap, and
:func:`install_rate_budget` puts it into a ``praw.Reddit``.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prawcore.rate_limit import RateLimiter

if TYPE_CHECKING:
    import praw

MAX_REQUESTS_PER_MINUTE = 100  # Reddit's documented limit for OAuth clients


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


class BudgetRateLimiter(RateLimiter):
    """prawcore's limiter (spreads requests over Reddit's header window) plus a sliding-minute cap.

    prawcore paces by ``x-ratelimit-*`` only after Reddit has answered; the cap also holds at
    start-up and across the read-only and authorized sessions (one instance serves both).
    ``clock`` (seconds, monotonic) drives the minute window; prawcore's part uses its own clock.
    """

    def __init__(
        self,
        *,
        window_size: int = 600,
        max_per_minute: int = MAX_REQUESTS_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 1 <= max_per_minute <= MAX_REQUESTS_PER_MINUTE:
            raise ValueError(f"max_per_minute must be 1..{MAX_REQUESTS_PER_MINUTE}, got {max_per_minute}")
        super().__init__(window_size=window_size)
        self.max_per_minute = max_per_minute
        self._clock, self._sleep = clock, sleep
        self._sent: deque[float] = deque()

    @classmethod
    def taking_over(cls, old: RateLimiter, **kwargs: object) -> BudgetRateLimiter:
        """A budget limiter that keeps what ``old`` already learned from Reddit's headers."""
        new = cls(window_size=old.window_size, **kwargs)  # type: ignore[arg-type]
        new.remaining, new.used, new.next_request_timestamp_ns = old.remaining, old.used, old.next_request_timestamp_ns
        return new

    def seconds_to_wait(self) -> float:
        """How long the next request must wait: the longer of prawcore's pacing and the minute cap."""
        header_wait = 0.0
        if self.next_request_timestamp_ns is not None:
            header_wait = (self.next_request_timestamp_ns - time.monotonic_ns()) / 1e9
        now = self._clock()
        while self._sent and self._sent[0] <= now - 60.0:
            self._sent.popleft()
        cap_wait = self._sent[0] + 60.0 - now if len(self._sent) >= self.max_per_minute else 0.0
        return max(header_wait, cap_wait, 0.0)

    def delay(self) -> None:
        """Sleep as needed, then count the request that is about to be sent."""
        wait = self.seconds_to_wait()
        if wait > 0:
            self._sleep(wait)
        self._sent.append(self._clock())


def install_rate_budget(reddit: praw.Reddit, *, max_per_minute: int = MAX_REQUESTS_PER_MINUTE) -> BudgetRateLimiter:
    """Put one :class:`BudgetRateLimiter` into every prawcore session of ``reddit`` (no network)."""
    cores = [core for core in (reddit._authorized_core, reddit._read_only_core) if core is not None]
    if not cores:
        raise ValueError("this praw.Reddit has no prawcore session yet")
    limiter = BudgetRateLimiter.taking_over(cores[0].rate_limiter, max_per_minute=max_per_minute)
    for core in cores:
        core._rate_limiter = limiter
    return limiter
