"""One poll: read the newest posts of every watched subreddit in one request and queue the photos.

Why one request: ``/r/A+B+C/new`` serves every subreddit at once, so a poll costs one call of
the rate budget however many subreddits are watched. Ids are de-duplicated and cut at the
stored cursor (``bot.ingest.posts_since``); the listing is read without ``before=`` because
Reddit answers ``before=`` a vanished (deleted) post with an empty page forever.

Order matters: jobs are enqueued, then galleries still processing are stored for a retry,
and only then the cursor moves (a crash in between re-reads a few posts, which enqueue ignores).

Galleries whose items Reddit is still processing are kept in the ``poller.retry_later`` state
entry and re-read by id (``/api/info``) on the next polls until they are ready or
``RETRY_LATER_SECONDS`` have passed, so the cursor never has to wait for them.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import prawcore

from bot.download import DownloadPolicy
from bot.ingest import IngestOptions, PostPlan, plan_jobs, plan_post, posts_since
from bot.metrics import BotMetrics
from bot.reddit.errors import BAN_RECHECK_SECONDS, action_for
from bot.reddit.identity import identity_of
from bot.reddit.posts import fetch_posts
from bot.video.posts import VideoLimits
from db import Facts, JobQueue
from db.types import utcnow

if TYPE_CHECKING:
    import praw

    from bot.config import Settings

log = logging.getLogger(__name__)

LISTING_LIMIT = 100  # one page: a first poll (no cursor) reads only the newest posts
CATCH_UP_LIMIT = 1000  # Reddit lists at most 1,000 posts of any listing
RETRY_STATE_KEY = "poller.retry_later"
ABOUT_CHECKED_KEY = "poller.about_checked"  # subreddit → when its about (user_is_banned) was last read
RETRY_LATER_SECONDS = 3600.0
_POST_ID = re.compile(r"^(?:t3_)?([a-z0-9]{1,12})$", re.IGNORECASE)
_POST_URL = re.compile(r"/comments/([a-z0-9]{1,12})(?:/|$)", re.IGNORECASE)


@dataclass
class PollResult:
    """What one poll did (for the run summary)."""

    listed: int = 0
    new_posts: int = 0
    queued_posts: int = 0
    queued_jobs: int = 0
    skipped: int = 0
    retry_later: int = 0
    banned: list[str] = field(default_factory=list)
    error: str | None = None
    pause_seconds: float = 0.0  # Reddit asked every call to wait (429, credentials): how long


def listing_key(subreddits: list[str] | tuple[str, ...]) -> str:
    """The cursor's name for a set of subreddits (order and case do not matter)."""
    return "r/" + "+".join(sorted(s.lower() for s in subreddits)) + "/new"


def ingest_options(settings: Settings, reddit: praw.Reddit) -> IngestOptions:
    """What ingest accepts, from the settings (extra image hosts, sandbox mirror) and our own name (one
    ``/api/v1/me`` request the first time)."""
    policy = DownloadPolicy.from_settings(settings)  # the downloader's allow-list and pixel limit, one for both
    return IngestOptions(image_hosts=policy.allowed_hosts, max_pixels=policy.max_pixels, bot_username=identity_of(reddit).name,
                         sandbox_base_url=settings.download.sandbox_image_base_url,
                         video=VideoLimits.from_settings(settings) if settings.video.enabled else None)


def parse_post_ref(ref: str) -> str:
    """A post id from ``abc123``, ``t3_abc123`` or a Reddit URL; ValueError otherwise."""
    text = ref.strip()
    match = _POST_URL.search(text) if "/" in text else _POST_ID.match(text)
    if not match:
        raise ValueError(f"not a Reddit post id or URL: {ref!r}")
    return match.group(1).lower()


class Poller:
    """Turns Reddit listings into queued jobs, resuming from the cursor stored in the database."""

    def __init__(self, reddit: praw.Reddit, queue: JobQueue, facts: Facts, settings: Settings,
                 options: IngestOptions | None = None, metrics: BotMetrics | None = None) -> None:
        self.reddit, self.queue, self.facts, self.settings = reddit, queue, facts, settings
        self.metrics = metrics or BotMetrics()
        self._options = options

    @property
    def options(self) -> IngestOptions:
        """Built at the first poll (it asks Reddit who the bot is)."""
        if self._options is None:
            self._options = ingest_options(self.settings, self.reddit)
        return self._options

    # -- the watched listing ------------------------------------------------------------------
    def poll(self) -> PollResult:
        """One poll of all watched subreddits (banned ones left out), then the stored retries."""
        result = PollResult()
        self._check_unchecked_subreddits()
        active = [s for s in self.settings.subreddits if not self.facts.is_banned(s)]
        for name in self.settings.subreddits:
            if name not in active:
                log.info("poll: leaving out r/%s (the bot is banned there)", name)
        if not active:
            log.warning("poll: every watched subreddit bans the bot; nothing to read")
            return result
        try:
            options = self.options
            listing, active = self._listing(active, result)
        except Exception as exc:  # noqa: BLE001 - one log line, the next poll tries again
            action = action_for(exc)
            result.error = action.reason
            result.pause_seconds = action.delay_seconds if action.kind == "backoff" else 0.0
            self.metrics.polls.labels("error").inc()
            self.metrics.error("poll", action.error_type or action.kind)
            log.warning("poll: listing failed, cursor kept: %s", action.reason)
            return result
        if listing is None:
            return result
        key = listing_key(active)
        cursor = self.facts.cursor(key)
        posts, new_cursor = posts_since(listing, cursor.newest_fullname if cursor else None)
        result.listed, result.new_posts = len(listing), len(posts)
        plans = [plan_post(post, options) for post in posts]
        retry = self._retries_due(result)
        self._queue(plans + retry, result)
        self.facts.record_poll(key, new_cursor)
        self.metrics.polls.labels("ok").inc()
        self.metrics.posts_seen.inc(len(posts))
        return result

    def _listing(self, active: list[str], result: PollResult) -> tuple[list[Any] | None, list[str]]:
        """The newest posts of ``active`` (one request) and the subreddits they cover; a 403 finds
        and bans the subreddit responsible, then the others are read."""
        try:
            return self._read_new(active), active
        except (prawcore.Forbidden, prawcore.Redirect, prawcore.NotFound) as exc:
            log.warning("poll: listing of %d subreddits refused (%s); checking each", len(active), type(exc).__name__)
        unusable = {name: why for name in active if (why := self.check_subreddit(name)) is not None}
        result.banned = [name for name in unusable if self.facts.is_banned(name)]
        rest = [name for name in active if name not in unusable]
        if not unusable or not rest:
            return None, rest
        return self._read_new(rest), rest

    def _read_new(self, subreddits: list[str]) -> list[Any]:
        """The newest posts, paging back (``after=``) to the cursor's post, so none is lost after downtime.

        PRAW fetches the next page of 100 only when the one before held no cursor; the paging stops
        at posts older than ``catch_up_hours`` (and at Reddit's 1,000). Without a cursor: one page.
        """
        cursor = self.facts.cursor(listing_key(subreddits))
        if cursor is None or cursor.newest_fullname is None:
            return list(self.reddit.subreddit("+".join(subreddits)).new(limit=LISTING_LIMIT))
        oldest = time.time() - self.settings.catch_up_hours * 3600
        posts: list[Any] = []
        for post in self.reddit.subreddit("+".join(subreddits)).new(limit=CATCH_UP_LIMIT):
            if float(getattr(post, "created_utc", 0.0) or 0.0) < oldest:
                log.info("poll: caught up to the %.0f h limit (catch_up_hours) without finding %s", self.settings.catch_up_hours,
                         cursor.newest_fullname)
                break
            posts.append(post)
            if post.fullname == cursor.newest_fullname:
                break
        if len(posts) > LISTING_LIMIT:
            log.info("poll: paged back through %d posts to catch up after a pause", len(posts))
        return posts

    def _check_unchecked_subreddits(self) -> None:
        """Read ``about`` of each watched subreddit not checked for a day: a ban shows as ``user_is_banned``
        (banned accounts still read listings), so it is found before any work is spent there."""
        checked: dict[str, str] = self.facts.get_state(ABOUT_CHECKED_KEY, {}) or {}
        now = utcnow()
        due = [name for name in self.settings.subreddits if not self.facts.is_banned(name)
               and (name.lower() not in checked or (now - datetime.fromisoformat(checked[name.lower()])).total_seconds() > BAN_RECHECK_SECONDS)]
        for name in due:
            try:
                self.check_subreddit(name)
            except Exception as exc:  # noqa: BLE001 - the listing will tell; check again next poll
                log.warning("poll: cannot read r/%s/about now: %s", name, action_for(exc).reason)
                continue
            checked[name.lower()] = now.isoformat()
        if due:
            self.facts.set_state(ABOUT_CHECKED_KEY, checked)

    def check_subreddit(self, name: str) -> str | None:
        """Read ``/r/{name}/about``; why the bot cannot work there now, or None.

        ``user_is_banned: true`` records a ban, ``false`` lifts one. A 403 or 404 on the read is no
        ban (banned accounts read public subreddits; a 403 means private or quarantined): the
        subreddit is only left out of this poll.
        """
        try:
            about = self.reddit.get(f"/r/{name}/about")
        except (prawcore.Forbidden, prawcore.NotFound, prawcore.Redirect) as exc:
            why = "private or quarantined (403 reading it)" if isinstance(exc, prawcore.Forbidden) else "the subreddit does not exist"
            log.warning("poll: r/%s unreadable: %s; left out of this poll (not a ban)", name, why)
            return why
        if getattr(about, "user_is_banned", False):
            recheck = utcnow() + timedelta(seconds=BAN_RECHECK_SECONDS)
            reason = f"the bot is banned (r/{name}/about says user_is_banned)"
            self.facts.ban_subreddit(name, reason, recheck)
            log.warning("ban: r/%s marked banned (%s); checking again at %s", name, reason, recheck.isoformat(timespec="minutes"))
            return reason
        if self.facts.unban_subreddit(name):
            log.info("ban: r/%s says user_is_banned: false; ban lifted", name)
        return None

    def recheck_bans(self) -> list[str]:
        """Check every ban whose time has come (the scheduler runs this daily); returns lifted names."""
        lifted = []
        for ban in self.facts.bans_due_for_check():
            try:
                self.check_subreddit(ban.name)
            except Exception as exc:  # noqa: BLE001 - a network error: try at the next check
                log.warning("ban: cannot check r/%s now: %s", ban.name, action_for(exc).reason)
                continue
            if self.facts.is_banned(ban.name):  # still banned, or unreadable: the ban stands until about says otherwise
                self.facts.ban_subreddit(ban.name, ban.reason, utcnow() + timedelta(seconds=BAN_RECHECK_SECONDS))
            else:
                lifted.append(ban.name)
        return lifted

    # -- explicit posts (run-once --post) -------------------------------------------------------
    def queue_posts(self, refs: list[str]) -> PollResult:
        """Plan and queue the named posts (ids or URLs), whatever the cursor says."""
        result = PollResult()
        ids = [parse_post_ref(ref) for ref in refs]
        posts = fetch_posts(self.reddit, ids)
        found = {str(vars(p).get("id")) for p in posts}
        for post_id in ids:
            if post_id not in found:
                log.info("post t3_%s: not found on Reddit; nothing to do", post_id)
        result.listed = result.new_posts = len(posts)
        self._queue([plan_post(p, self.options) for p in posts], result)
        return result

    # -- shared --------------------------------------------------------------------------------
    def _queue(self, plans: list[PostPlan], result: PollResult) -> None:
        """Enqueue the plans to queue (opted-out authors skipped), then store those to retry."""
        jobs = []
        later: list[PostPlan] = []
        for plan in plans:
            if plan.decision == "queue" and self.facts.is_opted_out(plan.author):
                log.info("poll skip t3_%s: u/%s opted out", plan.post_id, plan.author)
                result.skipped += 1
            elif plan.decision == "queue":
                jobs += plan_jobs(plan)
                result.queued_posts += 1
            elif plan.decision == "retry_later":
                later.append(plan)
            else:
                result.skipped += 1
        result.queued_jobs = len(self.queue.enqueue(jobs)) if jobs else 0
        self.metrics.jobs_queued.inc(result.queued_jobs)
        result.retry_later = len(later)
        self._store_retries(later, {p.post_id for p in plans})

    def _retries_due(self, result: PollResult) -> list[PostPlan]:
        """Re-read the stored still-processing posts by id; returns their fresh plans."""
        stored: dict[str, Any] = self.facts.get_state(RETRY_STATE_KEY, {}) or {}
        if not stored:
            return []
        try:
            posts = fetch_posts(self.reddit, list(stored))
        except Exception as exc:  # noqa: BLE001 - keep them stored; the next poll tries again
            log.warning("poll: cannot re-read %d posts waiting for Reddit: %s", len(stored), action_for(exc).reason)
            return []
        plans = [plan_post(p, self.options) for p in posts]
        gone = set(stored) - {p.post_id for p in plans}
        for post_id in gone:
            log.info("poll skip t3_%s: gone while waiting for its gallery to be processed", post_id)
        if gone:
            self.facts.set_state(RETRY_STATE_KEY, {k: v for k, v in stored.items() if k not in gone})
        return plans

    def _store_retries(self, later: list[PostPlan], planned: set[str]) -> None:
        """Keep posts Reddit is still processing for the next polls, up to RETRY_LATER_SECONDS."""
        stored: dict[str, Any] = self.facts.get_state(RETRY_STATE_KEY, {}) or {}
        now = utcnow()
        keep = {k: v for k, v in stored.items() if k not in planned}  # planned now: settled below or re-added
        for plan in later:
            first = stored.get(plan.post_id, {}).get("first_seen") or now.isoformat()
            if (now - datetime.fromisoformat(first)).total_seconds() > RETRY_LATER_SECONDS:
                log.info("poll skip t3_%s: still not ready after %.0f min (%s); giving up", plan.post_id,
                         RETRY_LATER_SECONDS / 60, plan.reason)
                continue
            keep[plan.post_id] = {"first_seen": first, "reason": plan.reason}
            log.info("poll retry-later t3_%s: %s; will re-read it next poll", plan.post_id, plan.reason)
        if keep != stored:
            self.facts.set_state(RETRY_STATE_KEY, keep)
