"""`colorbot model compare`: how Reddit's readers judged each model's replies, side by side.

The difference of mean scores between the canary and the current model comes with a bootstrap
interval (resampling each model's replies with replacement, a fixed seed so the same scores
always print the same interval): an interval that straddles 0 says the readers cannot tell the
two apart yet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from colorizer.store import short_id
from db.reply_scores import ModelVerdict

BOOTSTRAP_ROUNDS = 10_000
BOOTSTRAP_SEED = 20261202


@dataclass(frozen=True)
class Difference:
    """Mean score of ``a`` minus that of ``b``, with a 95 % bootstrap interval."""

    mean: float
    low: float
    high: float

    def line(self, a: str, b: str) -> str:
        verdict = "readers prefer " + (a if self.low > 0 else b) if self.low > 0 or self.high < 0 else "no clear preference yet"
        return f"mean score {a} - {b}: {self.mean:+.2f} (95% bootstrap interval {self.low:+.2f} .. {self.high:+.2f}): {verdict}"


def bootstrap_mean_difference(a: tuple[int, ...] | list[int], b: tuple[int, ...] | list[int], *,
                              rounds: int = BOOTSTRAP_ROUNDS, seed: int = BOOTSTRAP_SEED) -> Difference:
    """mean(a) - mean(b) and the 2.5th / 97.5th percentiles of the resampled differences."""
    if not a or not b:
        raise ValueError("both models need at least one scored reply")
    rng = np.random.default_rng(seed)
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    means_a = xa[rng.integers(0, len(xa), size=(rounds, len(xa)))].mean(axis=1)
    means_b = xb[rng.integers(0, len(xb), size=(rounds, len(xb)))].mean(axis=1)
    low, high = np.percentile(means_a - means_b, [2.5, 97.5])
    return Difference(float(xa.mean() - xb.mean()), float(low), float(high))


def table(verdicts: dict[str | None, ModelVerdict], *, current: str | None, canary: str | None) -> list[str]:
    """One line per model (current and canary first), then the canary-vs-current difference when both have scores."""
    def name(sha: str | None) -> str:
        label = short_id(sha) if sha else "unrecorded"
        return label + (" (current)" if sha == current else " (canary)" if sha == canary else "")

    order = sorted(verdicts, key=lambda sha: (sha != current, sha != canary, sha or ""))
    lines = [f"{'model':<26}{'replies':>8}{'median':>8}{'mean':>8}{'<= 0':>7}{'removed':>9}{'deleted for score':>19}"]
    for sha in order:
        v = verdicts[sha]
        lines.append(f"{name(sha):<26}{v.replies:>8}{v.median_score:>8.1f}{v.mean_score:>8.2f}{v.share_at_or_below_zero:>7.0%}"
                     f"{v.share_removed:>9.0%}{v.deleted_for_score:>19}")
    if current in verdicts and canary in verdicts:
        difference = bootstrap_mean_difference(verdicts[canary].scores, verdicts[current].scores)
        lines.append(difference.line(f"canary {short_id(canary)}", f"current {short_id(current)}"))
    elif canary is not None:
        lines.append("the canary and the current model need scored replies each before they can be compared")
    return lines
