"""``colorbot run-once``: one poll (or the named posts), then the queue worked until the batch is done.

A person who runs a manual batch expects it to finish, so short pauses are waited out here
instead of ending the run: a 429's ``retry-after``, a RATELIMIT's "try again in N seconds" (the
jobs come back at that time), a retry due soon, and the request budget's reset (see
``bot.reddit.budget``: prawcore sleeps until ``x-ratelimit-reset`` when ``x-ratelimit-remaining``
reaches 0). Each wait may last up to ``max_wait`` seconds. When Reddit asks for a longer pause the
run ends with what is left and when to run again, and exit status 75 (``EX_TEMPFAIL``), so a cron
job can tell "come back later" (75) from "done" (0) and "done, but something failed for good" (1).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from bot.batch import Summary
from bot.poller import PollResult
from bot.reddit.errors import action_for
from db import Job, transaction
from db.models import JobState
from db.types import as_utc, utcnow

if TYPE_CHECKING:
    from bot.scheduler import Bot

log = logging.getLogger(__name__)

EX_TEMPFAIL = 75  # sysexits.h: "temporary failure; the user is invited to retry"
MAX_POLL_ATTEMPTS = 3


@dataclass
class RunOnceResult:
    """What ``run-once`` did. ``exit_code``: 75 Reddit asked for a pause longer than the run may wait
    (``come_back_at``: work is left, run again then); else 1 a job failed for good or the poll failed; else 0."""

    poll: PollResult
    work: Summary
    counts: dict[str, int] = field(default_factory=dict)
    come_back_at: datetime | None = None
    waited_seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        if self.come_back_at is not None:
            return EX_TEMPFAIL
        return 1 if self.work.failed_for_good or self.poll.error else 0

    def lines(self) -> list[str]:
        p, w = self.poll, self.work
        out = [f"poll: {p.new_posts} new posts, {p.queued_posts} queued ({p.queued_jobs} jobs), {p.skipped} skipped, "
               f"{p.retry_later} waiting for Reddit" + (f", banned: {', '.join(p.banned)}" if p.banned else "")
               + (f", ERROR: {p.error}" if p.error else "")]
        decisions = ", ".join(f"{k} {v}" for k, v in sorted(w.decisions.items())) or "nothing to do"
        waited = f" (waited {self.waited_seconds:.0f}s for Reddit)" if self.waited_seconds >= 1 else ""
        out.append(f"work: {decisions}{waited}" + (f" (stopped: {w.stopped_because})" if w.stopped_because else ""))
        out += [f"failed for good: {line}" for line in w.failed_for_good]
        out.append("queue: " + ", ".join(f"{k} {v}" for k, v in self.counts.items()))
        if self.come_back_at is not None:
            pending = self.counts.get(JobState.PENDING.value, 0)
            out.append(f"come back later: Reddit asked to pause until {self.come_back_at.isoformat(timespec='seconds')}; "
                       f"{pending} jobs wait; run `colorbot run-once` again after that (exit {EX_TEMPFAIL})")
        return out


def run_once(bot: Bot, posts: list[str] | tuple[str, ...] = (), *, max_wait: float = 0.0,
             sleep: Callable[[float], None] = time.sleep) -> RunOnceResult:
    """One poll (or just the named posts), then work the queue, waiting out pauses of up to ``max_wait`` s."""
    waiter = _Waiter(bot, max_wait, sleep)
    poll = _poll(bot, list(posts), waiter)
    total = Summary()
    idle_rounds = 0
    while True:
        work = bot.worker.work_until_empty()
        if bot.clips is not None and not bot.stop.is_set():
            work.add(bot.clips.work_until_empty())
            bot.worker.paused_until = bot.worker.paused_until or bot.clips.paused_until
        total.add(work)
        idle_rounds = 0 if work.decisions else idle_rounds + 1
        if bot.stop.is_set() or (work.stopped_because or "").startswith("reply budget"):
            break
        resume = _resume_at(bot)
        paused = bot.worker.paused_until is not None and resume == bot.worker.paused_until
        if resume is None or idle_rounds >= 2 or not waiter.wait_until(resume, "Reddit's pause" if paused else "the next job due"):
            break
        total.stopped_because = None
    result = RunOnceResult(poll, total, bot.queue.counts_by_state(), waited_seconds=waiter.waited)
    result.come_back_at = _come_back_at(bot, total)
    return result


class _Waiter:
    """Sleeps until a time Reddit named, when it is at most ``max_wait`` seconds away."""

    def __init__(self, bot: Bot, max_wait: float, sleep: Callable[[float], None]) -> None:
        self.bot, self.max_wait, self.sleep = bot, max_wait, sleep
        self.waited = 0.0

    def wait_until(self, when: datetime, what: str) -> bool:
        seconds = (when - utcnow()).total_seconds()
        if seconds > self.max_wait:
            return False
        if seconds > 0:
            log.info("run-once: waiting %.1fs for %s (--max-wait %.0fs)", seconds, what, self.max_wait)
            self.sleep(seconds + 0.05)
            self.waited += seconds
        self.bot.worker.paused_until = None
        return True


def _poll(bot: Bot, posts: list[str], waiter: _Waiter) -> PollResult:
    """The poll, tried again after a pause Reddit asked for when the pause fits ``max_wait``."""
    for _ in range(MAX_POLL_ATTEMPTS):
        poll = _poll_once(bot, posts)
        if not poll.pause_seconds:
            return poll
        until = utcnow() + timedelta(seconds=poll.pause_seconds)
        bot.worker.paused_until = until
        if not waiter.wait_until(until, "the poll"):
            return poll
    return poll


def _poll_once(bot: Bot, posts: list[str]) -> PollResult:
    if not posts:
        return bot.poller.poll()
    try:
        return bot.poller.queue_posts(posts)
    except ValueError:  # a bad --post: the caller says so
        raise
    except Exception as exc:  # noqa: BLE001 - Reddit refused the look-up: one line, mapped like the poll's
        action = action_for(exc)
        log.warning("run-once: could not read the named posts: %s", action.reason)
        return PollResult(error=action.reason, pause_seconds=action.delay_seconds if action.kind == "backoff" else 0.0)


def _resume_at(bot: Bot) -> datetime | None:
    """When work can go on: the end of Reddit's pause, else the earliest pending job's next attempt; None if none."""
    paused = bot.worker.paused_until
    if paused is not None and paused > utcnow():
        return paused
    with transaction(bot.queue.engine, write=False) as session:
        due = session.scalar(select(func.min(Job.next_attempt_at)).where(Job.state == JobState.PENDING.value))
    return as_utc(due) if due is not None else None


def _come_back_at(bot: Bot, work: Summary) -> datetime | None:
    """When to run again, if Reddit's pause (a 429, RATELIMIT, credentials) outlasted the run's ``max_wait``."""
    now = utcnow()
    paused = bot.worker.paused_until
    if paused is not None and paused > now:
        return paused
    if work.decisions.get("rescheduled") and (resume := _resume_at(bot)) is not None and resume > now:
        return resume
    return None
