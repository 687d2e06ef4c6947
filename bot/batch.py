"""The posts of one worker batch, what the batch did, and how each post's jobs are settled.

Why apart from the worker: every stage (prepare, publish, reply) ends a post the same way —
skip, fail, reschedule, release or complete all its claimed jobs, count the decision, log one
line ``post t3_…: <decision>: <reason>`` — so that bookkeeping lives in one small place.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from PIL import Image

from bot.hosting import HostedImage, ImageHost, companion_files
from bot.metrics import BotMetrics
from db import Facts, Job, JobQueue, LeaseLost
from db.models import JobState

log = logging.getLogger(__name__)


@dataclass
class Summary:
    """What a run of the worker did, counted per post decision and per job end state."""

    decisions: Counter[str] = field(default_factory=Counter)
    failed_for_good: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    stopped_because: str | None = None

    def add(self, other: Summary) -> None:
        self.decisions.update(other.decisions)
        self.failed_for_good += other.failed_for_good
        self.replies += other.replies
        self.stopped_because = other.stopped_because or self.stopped_because


@dataclass
class PostWork:
    """One post of a batch and everything learned about it so far."""

    post_id: str
    subreddit: str
    author: str | None
    permalink: str
    jobs: list[Job]  # the claimed jobs of this post
    lead: Job  # the job that carries the hosted URL and the reply
    open: set[int] = field(default_factory=set)  # ids of claimed jobs not yet settled
    gray: Image.Image | None = None  # mode L
    reference: Image.Image | None = None
    reference_kind: str = "none"
    metrics: dict[str, Any] = field(default_factory=dict)
    phash: int | None = None
    auto: Image.Image | None = None
    model_sha256: str | None = None  # the model that drew ``auto`` (or the reused comparison)
    hosted: HostedImage | None = None
    uploaded_here: bool = False  # this attempt published ``hosted`` (take it down if unused)
    notes: list[str] = field(default_factory=list)
    kind: str = "photo"  # "video": a clip post (one job), answered with a side-by-side clip

    @property
    def settled(self) -> bool:
        return not self.open

    @property
    def panels(self) -> int:
        return 3 if self.reference is not None else 2


def group_by_post(jobs: list[Job]) -> list[PostWork]:
    """The claimed jobs as posts; the lead is a job that already has a hosted URL, else the first."""
    by_post: dict[str, list[Job]] = {}
    for job in jobs:
        by_post.setdefault(job.post_id, []).append(job)
    items = []
    for post_id, group in by_post.items():
        hosted = [j for j in group if j.hosted_url]
        lead = hosted[0] if hosted else group[0]
        first = group[0]
        items.append(PostWork(post_id, first.subreddit, first.author, first.permalink, group, lead, {j.id for j in group},
                              kind=first.kind or "photo"))
    return items


def refusal(facts: Facts, author: str | None, subreddit: str) -> str | None:
    """Why the bot may not answer this author in this subreddit now (an opt-out, a ban), or None.

    Asked at the start of a batch and again right before each comment: the inbox, the poller and
    other workers record opt-outs and bans meanwhile.
    """
    if facts.is_opted_out(author):
        return f"u/{author} opted out"
    if facts.is_banned(subreddit):
        return f"the bot is banned from r/{subreddit}"
    return None


class Settler:
    """Ends a post's open jobs in the queue and counts the decision in the batch's :class:`Summary` and metrics."""

    def __init__(self, queue: JobQueue, host: ImageHost, metrics: BotMetrics | None = None) -> None:
        self.queue, self.host = queue, host
        self.metrics = metrics or BotMetrics()

    def settle(self, item: PostWork, summary: Summary, decision: str, reason: str, change: Any) -> None:
        """Apply ``change(job)`` to every open job of the post; one log line for the post."""
        for job in item.jobs:
            if job.id not in item.open:
                continue
            try:
                changed = change(job)
                if changed is not None and changed.state == JobState.FAILED.value:
                    summary.failed_for_good.append(f"t3_{item.post_id}#{job.image_index}: {changed.last_error}")
                    decision = "failed"
            except LeaseLost as exc:
                log.warning("post t3_%s: lease lost (%s)", item.post_id, exc)
            item.open.discard(job.id)
        summary.decisions[decision] += 1
        self.metrics.decisions.labels(decision).inc()
        if decision == "replied":
            self.metrics.replies.inc()
        log.info("post t3_%s r/%s: %s: %s", item.post_id, item.subreddit, decision, reason)

    def skip(self, item: PostWork, summary: Summary, reason: str, decision: str = "skipped") -> None:
        phash = item.phash

        def change(job: Job) -> Job:
            extra = "" if job.id == item.lead.id else f" (answered with image {item.lead.image_index + 1})"
            return self.queue.skip(job, reason + extra, metrics=item.metrics or None, phash=phash if job.id == item.lead.id else None)

        self.settle(item, summary, decision, reason, change)

    def fail(self, item: PostWork, summary: Summary, reason: str, *, retry_at: datetime | None = None,
             permanent: bool = False, decision: str = "retrying") -> None:
        self.settle(item, summary, decision, reason + ("" if not permanent else " (permanent)"),
                    lambda job: self.queue.fail(job, reason, retry_at, permanent=permanent))

    def reschedule(self, item: PostWork, summary: Summary, reason: str, at: datetime) -> None:
        """Reddit asked to wait: the jobs come back at ``at`` with this attempt not counted."""
        self.settle(item, summary, "rescheduled", f"{reason}; again at {at.isoformat(timespec='seconds')}",
                    lambda job: self.queue.reschedule(job, at, reason))

    def wait_for_reddit(self, item: PostWork, summary: Summary, reason: str, until: datetime) -> None:
        """Reddit asked every call to wait (429, spent window, credentials): the post comes back at ``until``
        and the batch stops calling Reddit."""
        summary.stopped_because = f"Reddit asked to pause: {reason}"
        self.reschedule(item, summary, reason, until)

    def fail_quietly(self, item: PostWork, summary: Summary, reason: str) -> None:
        """Fail for a retry if the queue is reachable; otherwise the lease runs out and another claim retries."""
        try:
            self.fail(item, summary, reason)
        except Exception:  # noqa: BLE001
            log.warning("post t3_%s: could not record the failure; its lease will expire and it is retried", item.post_id)
            item.open.clear()

    def release(self, item: PostWork, summary: Summary, reason: str) -> None:
        self.settle(item, summary, "released", reason, lambda job: self.queue.release(job))

    def complete(self, item: PostWork, summary: Summary, reason: str) -> None:
        assert item.hosted is not None

        def change(job: Job) -> Job:
            if job.id == item.lead.id:
                return self.queue.complete(job, metrics=item.metrics or None, phash=item.phash,
                                           hosted_url=item.hosted.url, hosted_delete_handle=item.hosted.delete_handle)
            return self.queue.skip(job, f"gallery item {job.image_index + 1}: the post was answered with image {item.lead.image_index + 1}")

        self.settle(item, summary, "replied", reason, change)

    def discard_earlier_upload(self, item: PostWork) -> None:
        """A post that will not be answered: take down the comparison an earlier attempt published for it
        (never one reused from another post, which that post's reply links)."""
        lead = item.lead
        if item.hosted is None and lead.hosted_url and lead.hosted_delete_handle and not (lead.metrics or {}).get("reused_from_job"):
            item.hosted, item.uploaded_here = HostedImage(lead.hosted_url, lead.hosted_delete_handle), True
            item.metrics = dict(lead.metrics or {})  # what was published beside it (a clip's poster frame)
            self.discard_upload(item)

    def discard_upload(self, item: PostWork) -> None:
        """Take down a comparison this attempt published and nobody will link to."""
        if not item.uploaded_here or item.hosted is None:
            return
        for hosted in [item.hosted, *companion_files(item.metrics)]:
            try:
                self.host.delete(hosted)
                log.info("post t3_%s: took down unused %s", item.post_id, hosted.url)
            except Exception as exc:  # noqa: BLE001 - leaving an orphan image is harmless
                log.warning("post t3_%s: could not take down %s: %s", item.post_id, hosted.url, exc)
        item.uploaded_here = False
