"""Work the queue: download, check, colorize, publish and answer — one post at a time, in batches.

A batch is the jobs one claim hands out, grouped by post (a gallery is several jobs, one reply).
Stages run over the whole batch so the colorizer sees one batch and Reddit one ``/api/info``:

1. pre-checks: author opted out, subreddit banned, post already answered → skip
2. prepare: download every image of the post (``bot.download``), detect B&W (metrics stored),
   find the reference (gallery colour item, before/after half, or on r/Colorization the colour
   post itself, whose gray is its desaturation); colour photos elsewhere are skipped
3. a repost of a photo already answered (pHash) reuses that job's hosted comparison
4. colorize all remaining posts in one ``Colorizer.predict`` call, compose the panels
5. publish (skipped when a hosted URL is already recorded) → ``record_hosted_url``
6. reply: hourly budget, one ``/api/info`` re-check, ``reserve_reply``, the bot's existing
   comment on Reddit, the comment, ``record_reply`` — or, in a dry run, the reply text into the outbox

Every failure maps to the queue through ``bot.reddit_errors.action_for`` / ``DownloadError`` /
``HostError``; every decision is one log line ``post t3_…: <decision>: <reason>``.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image
from sqlalchemy import func, select

from bot.download import DownloadError, DownloadPolicy, download_image
from bot.hosting import HostedImage, HostError, ImageHost, OutboxHost, make_host
from bot.reddit_client import PostState, bot_username, existing_bot_reply, recheck_posts
from bot.reddit_errors import action_for
from bot.reply_text import ReplyContext, render_reply
from db import Facts, Job, JobQueue, LeaseLost, transaction
from db.models import JobState, RepliedPost
from db.types import utcnow

if TYPE_CHECKING:
    import praw

    from bot.config import Settings
    from colorizer.inference import Colorizer

log = logging.getLogger(__name__)

#: Subreddits where a colour post is itself a human colorization worth comparing against.
HUMAN_COLORIZATION_SUBREDDITS = frozenset({"colorization"})
PANEL_HEIGHT = 640


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
    hosted: HostedImage | None = None
    uploaded_here: bool = False  # this attempt published ``hosted`` (take it down if unused)
    notes: list[str] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        return not self.open

    @property
    def panels(self) -> int:
        return 3 if self.reference is not None else 2


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


class Worker:
    """Claims jobs in batches and carries each post through to a reply (see the module notes)."""

    def __init__(
        self,
        reddit: praw.Reddit,
        queue: JobQueue,
        facts: Facts,
        settings: Settings,
        *,
        host: ImageHost | None = None,
        colorizer: Colorizer | None = None,
        worker_id: str | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.reddit, self.queue, self.facts, self.settings = reddit, queue, facts, settings
        self.dry_run = settings.dry_run
        self.host = host or make_host(settings.host.kind, settings.host, reddit, dry_run=settings.dry_run)
        self._colorizer = colorizer
        self.worker_id = worker_id or default_worker_id()
        self.stop = stop or threading.Event()
        self.policy = DownloadPolicy.from_settings(settings)
        self.username = bot_username(reddit) or settings.reddit.owner
        self.paused_until: datetime | None = None  # Reddit asked all calls to wait (429, auth)
        self.busy = threading.Lock()  # held while a batch runs: shutdown waits on it

    # -- the loop ---------------------------------------------------------------------------------
    @property
    def colorizer(self) -> Colorizer:
        """The model, loaded on first use and shared by every batch of this process."""
        if self._colorizer is None:
            from colorizer.inference import Colorizer

            path = self.settings.model_file()
            self._colorizer = Colorizer.from_checkpoint(path, render_size=self.settings.render_size, device=self.settings.device)
            log.info("worker: model %s loaded (render size %d, %s)", path, self._colorizer.render_size, self._colorizer.device)
        return self._colorizer

    def work_until_empty(self, max_batches: int | None = None) -> Summary:
        """Run batches until nothing is due (jobs rescheduled into the future do not count)."""
        total = Summary()
        batches = 0
        while max_batches is None or batches < max_batches:
            batch = self.run_batch()
            if batch is None:
                break
            total.add(batch)
            batches += 1
            if batch.stopped_because:
                break
        return total

    def run_batch(self) -> Summary | None:
        """Claim and work one batch; None when nothing was claimable (or the worker must wait)."""
        if self.stop.is_set():
            return None
        now = utcnow()
        if self.paused_until is not None and now < self.paused_until:
            log.info("worker: waiting until %s (Reddit asked to pause)", self.paused_until.isoformat(timespec="seconds"))
            return None
        if not self.dry_run and self.reply_budget_left(now) <= 0:
            log.info("worker: hourly reply budget (%d) used up; jobs wait", self.settings.max_replies_per_hour)
            return None
        with self.busy:
            jobs = self.queue.claim(self.worker_id, limit=self.settings.worker.batch_size,
                                    lease_seconds=self.settings.worker.lease_seconds)
            if not jobs:
                return None
            summary = Summary()
            with tempfile.TemporaryDirectory(prefix="colorbot-") as scratch:
                self._work(self._group(jobs), Path(scratch), summary)
            return summary

    def _group(self, jobs: list[Job]) -> list[PostWork]:
        by_post: dict[str, list[Job]] = {}
        for job in jobs:
            by_post.setdefault(job.post_id, []).append(job)
        items = []
        for post_id, group in by_post.items():
            hosted = [j for j in group if j.hosted_url]
            lead = hosted[0] if hosted else group[0]
            first = group[0]
            items.append(PostWork(post_id, first.subreddit, first.author, first.permalink, group, lead, {j.id for j in group}))
        return items

    def _work(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        stages = (self._precheck, self._prepare, self._reuse, self._colorize, self._publish, self._reply_all)
        for stage in stages:
            todo = [item for item in items if not item.settled]
            if not todo:
                return
            if self.stop.is_set():
                for item in todo:
                    self._release(item, summary, "shutting down")
                summary.stopped_because = "stop requested"
                return
            try:
                stage(todo, scratch, summary)
            except Exception as exc:  # noqa: BLE001 - e.g. the database went away: retry the rest later
                log.exception("worker: stage %s failed", stage.__name__)
                for item in todo:
                    if not item.settled:
                        self._fail_quietly(item, summary, f"unexpected error in {stage.__name__.strip('_')}: {type(exc).__name__}: {exc}")

    # -- stage 1: cheap checks ---------------------------------------------------------------------
    def _precheck(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        for item in items:
            if self.facts.is_opted_out(item.author):
                self._skip(item, summary, f"u/{item.author} opted out")
            elif self.facts.is_banned(item.subreddit):
                self._skip(item, summary, f"the bot is banned from r/{item.subreddit}")
            elif (ledger := self.queue.reply_for(item.post_id)) is not None and ledger.reply_id:
                self._skip(item, summary, f"post already answered (t1_{ledger.reply_id})")
            elif item.lead.hosted_url:
                item.hosted = HostedImage(item.lead.hosted_url, item.lead.hosted_delete_handle)
                item.metrics = dict(item.lead.metrics or {})
                log.info("post t3_%s: reuse: comparison already published at %s (earlier attempt)", item.post_id, item.hosted.url)

    # -- stage 2: download, detect, find the reference -----------------------------------------------
    def _prepare(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        for item in items:
            if item.hosted is not None:
                continue
            try:
                self._prepare_one(item, scratch, summary)
            except DownloadError as exc:
                self._fail(item, summary, f"download failed ({exc.kind}): {exc}", permanent=not exc.retryable)
            except Exception as exc:  # noqa: BLE001 - one bad post must not stop the batch
                log.exception("post t3_%s: unexpected error while preparing", item.post_id)
                self._fail(item, summary, f"unexpected error {type(exc).__name__}: {exc}")

    def _prepare_one(self, item: PostWork, scratch: Path, summary: Summary) -> None:
        from bot.detect import detect_bw
        from bot.phash import phash
        from bot.reference import pick_reference, split_before_after

        jobs = self.queue.jobs_for_post(item.post_id)  # every image of the post, claimed or not
        pictures: dict[int, Image.Image] = {}
        for job in jobs:
            dest = scratch / f"{item.post_id}-{job.image_index}.img"
            downloaded = download_image(job.image_url, dest, self.policy)
            pictures[job.image_index] = downloaded.image.luma_source
        if len(pictures) > 1:
            order = sorted(pictures)
            picked = pick_reference([pictures[i] for i in order])
            if picked is None:
                self._skip(item, summary, f"gallery of {len(order)} images holds no black-and-white photo")
                return
            bw, color = order[picked[0]], (order[picked[1]] if picked[1] is not None else None)
            lead = next((j for j in item.jobs if j.image_index == bw), None)
            if lead is None:  # the B&W item is another worker's job: it answers the post
                self._skip(item, summary, f"gallery: item {bw + 1} is the photo to answer, held by another job")
                return
            item.lead = lead
            verdict = detect_bw(pictures[bw])
            item.gray = pictures[bw].convert("L")
            how = f"gallery item {bw + 1} is B&W ({verdict.reason()})"
            if color is not None:
                item.reference, item.reference_kind = pictures[color], "gallery"
                how += f", item {color + 1} is its colour version"
            else:
                colours = [i for i in order if i != bw and not detect_bw(pictures[i]).is_bw]
                if colours:  # "then and now" galleries: the post's own colour photo, though not the same scene
                    item.reference, item.reference_kind = pictures[colours[0]], "gallery_other"
                    how += f", item {colours[0] + 1} is a colour photo of another scene, shown beside it"
                else:
                    how += ", no colour item"
        else:
            picture = pictures[item.lead.image_index] if item.lead.image_index in pictures else next(iter(pictures.values()))
            verdict = detect_bw(picture)
            if verdict.is_bw:
                item.gray = picture.convert("L")
                how = f"black-and-white ({verdict.reason()})"
            elif (halves := split_before_after(picture)) is not None:
                item.gray, item.reference, item.reference_kind = halves[0].convert("L"), halves[1], "before_after"
                how = f"before/after composite: B&W half beside a colour half ({verdict.reason()})"
            elif item.subreddit.lower() in HUMAN_COLORIZATION_SUBREDDITS:
                item.gray, item.reference, item.reference_kind = picture.convert("L"), picture, "post"
                how = f"colour post on r/{item.subreddit}: a human colorization, compared with its desaturation ({verdict.reason()})"
            else:
                item.metrics = _metrics(verdict.metrics, kind=verdict.kind)
                self._skip(item, summary, f"colour photo, nothing to colorize ({verdict.reason()})")
                return
        item.phash = phash(item.gray)
        item.metrics = _metrics(verdict.metrics, kind=verdict.kind, panels=item.panels, reference=item.reference_kind)
        log.info("post t3_%s: colorize: %s", item.post_id, how)

    # -- stage 3: reposts -----------------------------------------------------------------------------
    def _reuse(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        from bot.phash import SAME_PHOTO_DISTANCE

        for item in items:
            if item.hosted is not None or item.phash is None or item.reference is not None:
                continue  # a post with its own reference gets its own comparison
            for done in self.queue.find_done_by_hash(item.phash, max_distance=SAME_PHOTO_DISTANCE):
                metrics = done.metrics or {}
                if done.post_id != item.post_id and done.hosted_url and metrics.get("panels") == 2:
                    item.hosted = HostedImage(done.hosted_url, None)
                    item.metrics["reused_from_job"] = done.id
                    self._record_hosted(item)
                    log.info("post t3_%s: reuse: same photo as t3_%s (pHash within %d bits); its comparison %s",
                             item.post_id, done.post_id, SAME_PHOTO_DISTANCE, done.hosted_url)
                    break

    # -- stage 4: the model, once for the batch -----------------------------------------------------
    def _colorize(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        todo = [item for item in items if item.hosted is None and item.gray is not None]
        if not todo:
            return
        started = time.monotonic()
        try:
            model = self.colorizer
            uvs = model.predict([model.prepare(item.gray) for item in todo])  # type: ignore[arg-type]
            for item, uv in zip(todo, uvs):
                item.auto = model.finish(item.gray, uv)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - the model failed for the batch: retry later
            log.exception("worker: colorizer failed on a batch of %d", len(todo))
            for item in todo:
                self._fail(item, summary, f"colorizer failed: {type(exc).__name__}: {exc}")
            return
        log.info("worker: colorized %d photos in one batch in %.2fs", len(todo), time.monotonic() - started)
        if time.monotonic() - started > self.settings.worker.lease_seconds / 3:
            for item in todo:
                for job in item.jobs:
                    if job.id in item.open:
                        self.queue.heartbeat(job, self.settings.worker.lease_seconds)

    # -- stage 5: publish --------------------------------------------------------------------------
    def _publish(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        from colorizer.imageio import save_image
        from colorizer.panel import compose_panel

        for item in items:
            if item.hosted is not None or item.auto is None or item.gray is None:
                continue
            panels = [("gray", item.gray), ("auto", item.auto)]
            if item.reference is not None:
                panels.append(("reference", item.reference))
            path = scratch / f"{item.post_id}-comparison.jpg"
            try:
                save_image(compose_panel(panels, height=PANEL_HEIGHT), path, "JPEG")
                item.hosted = self.host.upload(path, f"Automatic colorization of t3_{item.post_id} (gray | auto"
                                               + (" | reference)" if item.reference is not None else ")"))
            except HostError as exc:
                self._fail(item, summary, f"publishing failed: {exc}", permanent=not exc.retryable)
                continue
            except Exception as exc:  # noqa: BLE001
                log.exception("post t3_%s: unexpected error while publishing", item.post_id)
                self._fail(item, summary, f"publishing failed: {type(exc).__name__}: {exc}")
                continue
            item.uploaded_here = True
            self._record_hosted(item)
            log.info("post t3_%s: published %d-panel comparison at %s (%s)", item.post_id, item.panels, item.hosted.url, self.host.name)

    def _record_hosted(self, item: PostWork) -> None:
        """Commit the URL before replying; if an earlier attempt recorded one, use that and drop ours."""
        assert item.hosted is not None
        try:
            recorded = self.queue.record_hosted_url(item.lead.id, item.hosted.url, item.hosted.delete_handle)
        except LookupError:
            return
        if recorded.hosted_url != item.hosted.url:
            log.info("post t3_%s: an earlier attempt already published %s; using it", item.post_id, recorded.hosted_url)
            self._discard_upload(item)
            item.hosted = HostedImage(str(recorded.hosted_url), recorded.hosted_delete_handle)

    # -- stage 6: reply ------------------------------------------------------------------------------
    def reply_budget_left(self, now: datetime | None = None) -> int:
        """Replies still allowed in the sliding hour (reservations count: each may become a comment)."""
        now = now or utcnow()
        with transaction(self.queue.engine, write=False) as session:
            used = session.scalar(select(func.count()).select_from(RepliedPost).where(RepliedPost.reserved_at >= now - timedelta(hours=1)))
        return self.settings.max_replies_per_hour - int(used or 0)

    def _reply_all(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        ready = [item for item in items if item.hosted is not None]
        if not ready:
            return
        try:
            states = recheck_posts(self.reddit, [item.post_id for item in ready])
        except Exception as exc:  # noqa: BLE001 - every Reddit failure is mapped, none escapes
            for item in ready:
                self._reddit_failure(item, summary, exc, reserved=False, what="re-check")
            return
        for item in ready:
            if self.stop.is_set():
                self._release(item, summary, "shutting down")
                continue
            if not self.dry_run and self.reply_budget_left() <= 0:
                self._release(item, summary, f"hourly reply budget ({self.settings.max_replies_per_hour}) used up")
                summary.stopped_because = "reply budget used up"
                continue
            try:
                self._reply(item, states[item.post_id], summary)
            except LeaseLost as exc:
                log.warning("post t3_%s: lease lost (%s); another worker has it", item.post_id, exc)
                item.open.clear()

    def _reply(self, item: PostWork, state: PostState, summary: Summary) -> None:
        assert item.hosted is not None
        if state.unanswerable:
            self._discard_upload(item)
            self._skip(item, summary, f"post {state.unanswerable}")
            return
        context = ReplyContext(bot_name=self.username, comparison_url=item.hosted.url, post_id=item.post_id,
                               author=state.author or item.author, title=state.title, subreddit=item.subreddit,
                               permalink=state.permalink or item.permalink)
        try:
            text = render_reply(context, self.settings.reply_template)
        except ValueError as exc:
            self._fail(item, summary, f"cannot write the reply: {exc}", permanent=True)
            return
        if self.dry_run:
            where = self._outbox().write_reply(item.post_id, text, permalink=context.permalink, hosted=item.hosted)
            self._skip(item, summary, f"dry run: reply written to {where}, nothing posted", decision="dry_run")
            return
        if not self.queue.reserve_reply(item.post_id, item.lead.id):
            ledger = self.queue.reply_for(item.post_id)
            if ledger is not None and ledger.reply_id:
                self._skip(item, summary, f"post already answered (t1_{ledger.reply_id})")
                return
            if ledger is not None and ledger.job_id != item.lead.id:
                self._skip(item, summary, f"job {ledger.job_id} holds the right to reply to this post")
                return
            log.info("post t3_%s: an earlier attempt reserved the reply without recording it; checking Reddit", item.post_id)
        try:
            existing = existing_bot_reply(self.reddit, item.post_id, self.username)
        except Exception as exc:  # noqa: BLE001
            # the reservation may be an earlier attempt's whose comment went out: keep it
            self._reddit_failure(item, summary, exc, reserved=False, what="reading the comments")
            return
        if existing:
            self.queue.record_reply(item.post_id, existing, item.lead.id)
            self._discard_upload(item)
            self._skip(item, summary, f"u/{self.username} already replied on Reddit (t1_{existing}); recorded it")
            return
        try:
            comment = self.reddit.submission(id=item.post_id).reply(text)
        except Exception as exc:  # noqa: BLE001
            self._reddit_failure(item, summary, exc, reserved=True, what="replying")
            return
        if comment is None:
            self._fail(item, summary, "Reddit did not return the new comment; will check before replying again")
            return
        recorded = self.queue.record_reply(item.post_id, comment.id, item.lead.id)
        if recorded != comment.id:
            log.warning("post t3_%s: duplicate reply t1_%s removed (t1_%s was recorded first)", item.post_id, comment.id, recorded)
            comment.delete()
        panels = item.metrics.get("panels")
        self._complete(item, summary, f"replied t1_{recorded} with the {f'{panels}-panel ' if panels else ''}comparison {item.hosted.url}")
        summary.replies.append(item.post_id)

    def _outbox(self) -> OutboxHost:
        if isinstance(self.host, OutboxHost):
            return self.host
        return OutboxHost(self.settings.host.outbox_dir)

    def _reddit_failure(self, item: PostWork, summary: Summary, exc: BaseException, *, reserved: bool, what: str) -> None:
        """Map a Reddit error to the queue. A reservation is given up only when no comment can exist."""
        action = action_for(exc, attempt=max(item.lead.attempts, 1))
        reason = f"{what}: {action.reason}"
        now = utcnow()
        if reserved and action.kind != "retry":  # Reddit answered with a refusal: no comment exists
            self.queue.cancel_reply(item.post_id)
        if action.kind == "reschedule":
            self._reschedule(item, summary, reason, now + timedelta(seconds=action.delay_seconds))
        elif action.kind == "skip":
            self._discard_upload(item)
            self._skip(item, summary, reason)
        elif action.kind == "ban_subreddit":
            self.facts.ban_subreddit(item.subreddit, action.reason, now + timedelta(seconds=action.delay_seconds))
            log.warning("ban: r/%s marked banned (%s)", item.subreddit, action.reason)
            self._skip(item, summary, f"{reason}; r/{item.subreddit} marked banned")
        elif action.kind == "backoff":
            self.paused_until = now + timedelta(seconds=action.delay_seconds)
            summary.stopped_because = f"Reddit asked to pause: {action.reason}"
            self._reschedule(item, summary, reason, self.paused_until)
        else:
            self._fail(item, summary, reason, retry_at=now + timedelta(seconds=action.delay_seconds))

    # -- settling jobs -------------------------------------------------------------------------------
    def _settle(self, item: PostWork, summary: Summary, decision: str, reason: str, change: Any) -> None:
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
        log.info("post t3_%s r/%s: %s: %s", item.post_id, item.subreddit, decision, reason)

    def _skip(self, item: PostWork, summary: Summary, reason: str, decision: str = "skipped") -> None:
        phash = item.phash

        def change(job: Job) -> Job:
            extra = "" if job.id == item.lead.id else f" (answered with image {item.lead.image_index + 1})"
            return self.queue.skip(job, reason + extra, metrics=item.metrics or None, phash=phash if job.id == item.lead.id else None)

        self._settle(item, summary, decision, reason, change)

    def _fail(self, item: PostWork, summary: Summary, reason: str, *, retry_at: datetime | None = None,
              permanent: bool = False, decision: str = "retrying") -> None:
        self._settle(item, summary, decision, reason + ("" if not permanent else " (permanent)"),
                     lambda job: self.queue.fail(job, reason, retry_at, permanent=permanent))

    def _reschedule(self, item: PostWork, summary: Summary, reason: str, at: datetime) -> None:
        """Reddit asked to wait: the jobs come back at ``at`` with this attempt not counted."""
        self._settle(item, summary, "rescheduled", f"{reason}; again at {at.isoformat(timespec='seconds')}",
                     lambda job: self.queue.reschedule(job, at, reason))

    def _fail_quietly(self, item: PostWork, summary: Summary, reason: str) -> None:
        """Fail for a retry if the queue is reachable; otherwise the lease runs out and another claim retries."""
        try:
            self._fail(item, summary, reason)
        except Exception:  # noqa: BLE001
            log.warning("post t3_%s: could not record the failure; its lease will expire and it is retried", item.post_id)
            item.open.clear()

    def _release(self, item: PostWork, summary: Summary, reason: str) -> None:
        self._settle(item, summary, "released", reason, lambda job: self.queue.release(job))

    def _complete(self, item: PostWork, summary: Summary, reason: str) -> None:
        assert item.hosted is not None

        def change(job: Job) -> Job:
            if job.id == item.lead.id:
                return self.queue.complete(job, metrics=item.metrics or None, phash=item.phash,
                                           hosted_url=item.hosted.url, hosted_delete_handle=item.hosted.delete_handle)
            return self.queue.skip(job, f"gallery item {job.image_index + 1}: the post was answered with image {item.lead.image_index + 1}")

        self._settle(item, summary, "replied", reason, change)

    def _discard_upload(self, item: PostWork) -> None:
        """Take down a comparison this attempt published and nobody will link to."""
        if not item.uploaded_here or item.hosted is None:
            return
        try:
            self.host.delete(item.hosted)
            log.info("post t3_%s: took down unused comparison %s", item.post_id, item.hosted.url)
        except Exception as exc:  # noqa: BLE001 - leaving an orphan image is harmless
            log.warning("post t3_%s: could not take down %s: %s", item.post_id, item.hosted.url, exc)
        item.uploaded_here = False


def _metrics(values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Detector metrics as plain JSON numbers, plus what the worker decided."""
    clean = {k: round(float(v), 4) for k, v in values.items() if isinstance(v, (int, float)) or hasattr(v, "__float__")}
    return {**clean, **extra}
