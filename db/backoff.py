"""Retry delays: exponential so a flaky host is not hammered, jittered so workers do not retry in step."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Backoff:
    """Delay before retry n (1-based): ``min(cap, base·factor^(n-1))`` scaled by a factor in [1-jitter, 1+jitter]."""

    base: timedelta = timedelta(minutes=1)
    factor: float = 2.0
    cap: timedelta = timedelta(hours=6)
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if not 0.0 <= self.jitter < 1.0:
            raise ValueError(f"jitter must be in [0, 1), got {self.jitter}")
        if self.factor < 1.0 or self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError("need factor >= 1 and 0 < base <= cap")

    def nominal(self, attempt: int) -> timedelta:
        """The un-jittered delay after the `attempt`-th failed attempt."""
        exponent = max(attempt, 1) - 1
        seconds = self.base.total_seconds() * self.factor**min(exponent, 64)  # 64: no float overflow
        return timedelta(seconds=min(seconds, self.cap.total_seconds()))

    def bounds(self, attempt: int) -> tuple[timedelta, timedelta]:
        """The smallest and largest delay `delay(attempt)` can return."""
        nominal = self.nominal(attempt)
        return nominal * (1 - self.jitter), nominal * (1 + self.jitter)

    def delay(self, attempt: int, rng: random.Random | None = None) -> timedelta:
        """A jittered delay after the `attempt`-th failed attempt."""
        scale = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return self.nominal(attempt) * scale
