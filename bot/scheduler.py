"""Wire the bot's parts together and run them: once (``run-once``) or on a schedule (``run``).

One scheduler loop (APScheduler's ``BlockingScheduler``) with six jobs: poll every
``poll_interval_seconds``, work the queue every ``worker.interval_seconds``, read the inbox every minute,
re-check each ban a day after it was seen (``/r/{sub}/about``; due bans are looked for hourly), read
the replies' scores back every ``scores.interval_seconds`` (``bot.reply_scores``) and back up a
SQLite database every ``backup.interval_hours`` (``db.backup``).
Each job runs one at a time (``max_instances=1``). A process may take one *role*: ``poller``
(poll, inbox, ban re-checks: talks to Reddit, never loads the model) or ``worker`` (only works the
queue), so one poller and many workers, on several machines, share one PostgreSQL queue;
``all`` (the default) does everything in one process. SIGTERM / Ctrl-C set the stop event: the
worker hands back the jobs it holds (``JobQueue.release``), the scheduler stops, and the
process exits cleanly.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta, timezone
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.hosting import make_host
from bot.inbox import Inbox
from bot.metrics import BotMetrics
from bot.poller import Poller
from bot.reply_scores import ScoreReader
from bot.reddit.budget import MAX_REQUESTS_PER_MINUTE, WINDOW_SECONDS, client_key, share_budget
from bot.reddit.client import make_reddit
from bot.run_once import RunOnceResult, run_once
from bot.video.worker import ClipWorker
from bot.worker import Worker
from db import Facts, JobQueue, make_engine, mask_url, upgrade
from db.backup import backup_database, next_backup_at, sqlite_file
from db.request_budget import RequestWindow

if TYPE_CHECKING:
    import praw

    from bot.config import Settings
    from colorizer.inference import Colorizer

__all__ = ["Bot", "RunOnceResult", "build_bot", "make_scheduler", "run_forever", "run_once"]

log = logging.getLogger(__name__)

INBOX_INTERVAL_SECONDS = 60.0
#: The scheduler jobs each role runs; exactly one process should run the poller's (duplicate polls
#: are harmless, the queue ignores known posts, but they spend Reddit's rate limit twice).
ROLE_JOBS: dict[str, tuple[str, ...]] = {
    "all": ("poll", "work", "clips", "inbox", "bans", "scores", "backup"),
    "poller": ("poll", "inbox", "bans", "scores", "backup"),
    "worker": ("work", "clips"),
}
ROLES = tuple(ROLE_JOBS)
BAN_CHECK_INTERVAL_SECONDS = 3600.0  # looks for bans whose daily re-check (next_check_at) is due


@dataclass
class Bot:
    """Every long-lived part, built once per process."""

    settings: Settings
    reddit: Any
    queue: JobQueue
    facts: Facts
    poller: Poller
    worker: Worker
    inbox: Inbox
    stop: threading.Event
    metrics: BotMetrics = field(default_factory=BotMetrics)  # this process's counters (+ queue gauges)
    scores: ScoreReader | None = None  # reads the replies' scores back (scheduled: scores.interval_seconds)
    clips: ClipWorker | None = None  # black-and-white video posts, one clip at a time beside the photo worker


def build_bot(settings: Settings, reddit: praw.Reddit | None = None, *, colorizer: Colorizer | None = None,
              stop: threading.Event | None = None, max_request_wait: float | None = None) -> Bot:
    """Migrate the database, then build the client, queue, poller, worker and inbox from ``settings``.

    ``max_request_wait``: see :func:`bot.reddit.client.make_reddit` (``run-once --max-wait``)."""
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    queue = JobQueue(engine, max_attempts=settings.worker.max_attempts)
    facts = Facts(engine)
    reddit = reddit if reddit is not None else make_reddit(settings, max_request_wait=max_request_wait)
    share_budget(reddit, RequestWindow(engine, client_key(reddit), MAX_REQUESTS_PER_MINUTE, window_seconds=WINDOW_SECONDS))
    stop = stop or threading.Event()
    host = make_host(settings.host.kind, settings.host, reddit, dry_run=settings.dry_run)
    log.info("bot: database %s, host %s%s", mask_url(settings.database_url), host.name, ", DRY RUN (nothing is posted)" if settings.dry_run else "")
    metrics = BotMetrics().watch_database(engine).watch_reddit(reddit)
    clips = ClipWorker(reddit, queue, facts, settings, host=host, colorizer=colorizer, stop=stop, metrics=metrics) \
        if settings.video.enabled else None
    return Bot(settings, reddit, queue, facts, Poller(reddit, queue, facts, settings, metrics=metrics),
               Worker(reddit, queue, facts, settings, host=host, colorizer=colorizer, stop=stop, metrics=metrics),
               Inbox(reddit, queue, facts, host, metrics=metrics), stop, metrics,
               ScoreReader(reddit, queue, host, settings.scores, metrics), clips)


def _guarded(name: str, fn: Any) -> Any:
    """A scheduler job that logs its failure in one line instead of killing the loop."""

    def job() -> None:
        try:
            fn()
        except Exception:  # noqa: BLE001
            log.exception("scheduler: %s failed; it runs again at its next time", name)

    job.__name__ = name
    return job


def make_scheduler(bot: Bot, role: str = "all") -> Any:
    """The ``BlockingScheduler`` with the jobs of `role` (see ``ROLE_JOBS``; started by :func:`run_forever`)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    if role not in ROLE_JOBS:
        raise ValueError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")

    scheduler = BlockingScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
    s = bot.settings

    def paused(name: str) -> bool:
        """Reddit asked every call to wait (429, credentials): the Reddit-facing jobs sit it out."""
        until = bot.worker.paused_until
        if until is not None and _now() < until:
            log.info("scheduler: %s skipped; Reddit asked to pause until %s", name, until.isoformat(timespec="seconds"))
            return True
        return False

    def poll() -> None:
        if not paused("poll"):
            result = bot.poller.poll()
            if result.pause_seconds:
                bot.worker.paused_until = _now() + timedelta(seconds=result.pause_seconds)

    def work() -> None:
        if not bot.stop.is_set():
            bot.worker.work_until_empty(max_batches=10)

    def clips() -> None:  # its own thread: a clip never holds up the photo batches
        if bot.clips is not None and not bot.stop.is_set() and not paused("clips"):
            bot.clips.work_until_empty(max_batches=1)

    def inbox() -> None:
        if not paused("inbox"):
            bot.inbox.process()

    def bans() -> None:
        if not paused("ban re-check"):
            bot.poller.recheck_bans()

    def scores() -> None:
        if not paused("score reading") and bot.scores is not None:
            bot.scores.run()

    def backup() -> None:
        backup_database(s.database_url, s.backup.dir, s.backup.keep)

    jobs = {
        "poll": (poll, s.poll_interval_seconds, _now()),
        "work": (work, s.worker.interval_seconds, None),
        "clips": (clips, s.worker.interval_seconds, None),
        "inbox": (inbox, INBOX_INTERVAL_SECONDS, _now()),
        "bans": (bans, BAN_CHECK_INTERVAL_SECONDS, _now()),
        "scores": (scores, s.scores.interval_seconds, None),
        "backup": (backup, s.backup.interval_hours * 3600, None),  # first run: _backup_due
    }
    for name in ROLE_JOBS[role]:
        fn, seconds, first = jobs[name]
        if name == "backup" and (first := _backup_due(s)) is None:
            continue
        options = {"next_run_time": first} if first is not None else {}
        scheduler.add_job(_guarded(name, fn), "interval", seconds=seconds, id=name, **options)
    return scheduler


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _backup_due(settings: Settings) -> datetime | None:
    """When the first scheduled backup runs (one interval after the newest backup, so restarts do not
    multiply them); None, with one log line, when backups are off or the database is not SQLite."""
    if settings.backup.interval_hours <= 0:
        log.info("backup: scheduled backups off (backup.interval_hours = 0)")
        return None
    source = sqlite_file(settings.database_url)
    if source is None:
        log.info("backup: %s is not SQLite; no scheduled backups (use pg_dump)", mask_url(settings.database_url))
        return None
    due = next_backup_at(settings.backup.dir, source.stem, timedelta(hours=settings.backup.interval_hours), _now())
    log.info("backup: every %gh into %s keeping %d; next at %s", settings.backup.interval_hours, settings.backup.dir,
             settings.backup.keep, due.isoformat(timespec="seconds"))
    return due


def run_forever(bot: Bot, *, role: str = "all", install_signals: bool = True) -> None:
    """Run the scheduler with the jobs of `role` until SIGTERM / SIGINT (or ``bot.stop`` is set), then stop cleanly."""
    scheduler = make_scheduler(bot, role)

    def request_stop(signum: int | None = None, _frame: Any = None) -> None:
        if not bot.stop.is_set():
            log.info("scheduler: stopping (%s); the worker hands back the jobs it holds",
                     signal.Signals(signum).name if signum else "asked")
        bot.stop.set()
        threading.Thread(target=shutdown, daemon=True).start()

    def shutdown() -> None:
        try:
            scheduler.shutdown(wait=False)
        except Exception:  # noqa: BLE001 - not running (yet / any more)
            pass

    if install_signals:
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    scheduler.add_job(lambda: bot.stop.is_set() and request_stop(), "interval", seconds=1, id="stop-watch")
    if "poll" in ROLE_JOBS[role]:
        log.info("scheduler: polling r/%s every %.0fs (role %s)", "+".join(bot.settings.subreddits),
                 bot.settings.poll_interval_seconds, role)
    else:
        log.info("scheduler: working the queue every %.1fs (role %s: no polling, inbox or ban checks here)",
                 bot.settings.worker.interval_seconds, role)
    try:
        scheduler.start()
    finally:
        bot.stop.set()
        with bot.worker.busy:  # the running batch releases its jobs and ends
            pass
        if bot.clips is not None:
            with bot.clips.busy:  # a clip in progress keeps its finished segments for the next claim
                pass
        log.info("scheduler: stopped")
