"""Work the queue: download, check, colorize, publish and answer — one post at a time, in batches.

A batch is the jobs one claim hands out, grouped by post (a gallery is several jobs, one reply).
Stages run over the whole batch so the colorizer sees one batch and Reddit one ``/api/info``:

1. pre-checks: author opted out, subreddit banned, post already answered → skip
2. prepare: download every image of the post (``bot.download``), detect B&W (metrics stored),
   find the reference (gallery colour item, before/after half, or on r/Colorization the colour
   post itself, whose gray is its desaturation); colour photos elsewhere are skipped
3. a repost of a photo already answered (pHash) reuses that job's hosted comparison
4. colorize all remaining posts in one ``Colorizer.predict`` call, compose the panels
5. publish (skipped when a hosted URL is already recorded) → ``record_hosted_url`` with the model's hash
6. reply: hourly budget, one ``/api/info`` re-check, ``reserve_reply``, the bot's existing
   comment on Reddit, the comment, ``record_reply`` — or, in a dry run, the reply text into the outbox

Every failure maps to the queue through ``bot.reddit.errors.action_for`` / ``DownloadError`` /
``HostError``; every decision is one log line ``post t3_…: <decision>: <reason>``.

Before each claim the worker follows the database's current model (``bot.model_source``), so a
promoted model answers from the next batch on without a restart.

Stage 2 lives in ``bot.prepare``, stage 6 in ``bot.reply``; the posts of a batch and how their
jobs are settled (skip / fail / reschedule / release / complete) in ``bot.batch``.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.batch import PostWork, Settler, Summary, group_by_post, refusal
from bot.download import DownloadError, DownloadPolicy
from bot.hosting import HostedImage, HostError, ImageHost, make_host, upload_all
from bot.hosting.base import COMPANION_KEYS
from bot.metrics import BotMetrics
from bot.model_source import LoadedModel, ModelSource
from bot.prepare import HUMAN_COLORIZATION_SUBREDDITS, prepare_post
from bot.reddit.identity import identity_of
from bot.reply import Replier
from db import Facts, Job, JobQueue
from db.model_switches import ModelSwitches
from db.types import utcnow

if TYPE_CHECKING:
    import praw

    from bot.config import Settings
    from colorizer.inference import Colorizer

__all__ = ["HUMAN_COLORIZATION_SUBREDDITS", "PANEL_HEIGHT", "PostWork", "Summary", "Worker", "default_worker_id"]

log = logging.getLogger(__name__)

PANEL_HEIGHT = 640
#: What this worker claims: clips (kind "video") hold a worker for minutes and have their own.
PHOTO_KINDS = ("photo",)


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
        metrics: BotMetrics | None = None,
    ) -> None:
        self.reddit, self.queue, self.facts, self.settings = reddit, queue, facts, settings
        self.dry_run = settings.dry_run
        self.host = host or make_host(settings.host.kind, settings.host, reddit, dry_run=settings.dry_run)
        self.models = ModelSource(settings, ModelSwitches(queue.engine), fixed=colorizer)
        self.worker_id = worker_id or default_worker_id()
        self.stop = stop or threading.Event()
        self.policy = DownloadPolicy.from_settings(settings)
        self.identity = identity_of(reddit)  # the bot's own name, from /api/v1/me (never reddit.owner: the operator)
        self.paused_until: datetime | None = None  # Reddit asked all calls to wait (429, auth)
        self.busy = threading.Lock()  # held while a batch runs: shutdown waits on it
        self.started_at = time.monotonic()
        self.last_loop_at: float | None = None  # when this worker last finished a look at the queue (its /healthz)
        self.metrics = (metrics or BotMetrics()).watch_model(self.models)
        self.settler = Settler(queue, self.host, self.metrics)
        self.replier = Replier(reddit, queue, facts, settings, self.settler, identity=self.identity, stop=self.stop,
                               pause=self._pause)

    # -- the loop ---------------------------------------------------------------------------------
    @property
    def colorizer(self) -> Colorizer:
        """The model, loaded on first use and shared by every batch of this process."""
        return self.models.get().colorizer

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
        try:
            return self._run_batch()
        finally:
            self.last_loop_at = time.monotonic()

    def _run_batch(self) -> Summary | None:
        if self.stop.is_set():
            return None
        now = utcnow()
        if self.paused_until is not None and now < self.paused_until:
            log.info("worker: waiting until %s (Reddit asked to pause)", self.paused_until.isoformat(timespec="seconds"))
            return None
        if not self.dry_run and self.reply_budget_left(now) <= 0:
            log.info("worker: hourly reply budget (%d) used up; jobs wait", self.settings.max_replies_per_hour)
            return None
        if self.models.refresh():  # a promoted model answers from this batch on
            self.metrics.model_switches.inc()
        self.models.refresh_canary()
        with self.busy:
            jobs = self._claim()
            if not jobs:
                return None
            summary = Summary()
            with tempfile.TemporaryDirectory(prefix="colorbot-") as scratch:
                self._work(group_by_post(jobs), Path(scratch), summary)
            return summary

    def _claim(self) -> list[Job]:
        return self.queue.claim(self.worker_id, limit=self.settings.worker.batch_size,
                                lease_seconds=self.settings.worker.lease_seconds, kinds=PHOTO_KINDS)

    def _stages(self) -> tuple[Callable[[list[PostWork], Path, Summary], None], ...]:
        return (self._precheck, self._prepare, self._reuse, self._colorize, self._publish, self._reply_all)

    def _work(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        for stage in self._stages():
            todo = [item for item in items if not item.settled]
            if not todo:
                return
            if self.stop.is_set():
                for item in todo:
                    self.settler.release(item, summary, "shutting down")
                summary.stopped_because = "stop requested"
                return
            try:
                stage(todo, scratch, summary)
            except Exception as exc:  # noqa: BLE001 - e.g. the database went away: retry the rest later
                log.exception("worker: stage %s failed", stage.__name__)
                self.metrics.error("worker", type(exc).__name__)
                for item in todo:
                    if not item.settled:
                        self.settler.fail_quietly(item, summary, f"unexpected error in {stage.__name__.strip('_')}: {type(exc).__name__}: {exc}")

    # -- stage 1: cheap checks ---------------------------------------------------------------------
    def _precheck(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        for item in items:
            if (why_not := refusal(self.facts, item.author, item.subreddit)) is not None:
                self.settler.discard_earlier_upload(item)
                self.settler.skip(item, summary, why_not)
            elif (ledger := self.queue.reply_for(item.post_id)) is not None and ledger.reply_id:
                self.settler.skip(item, summary, f"post already answered (t1_{ledger.reply_id})")
            elif item.lead.hosted_url:
                item.hosted = HostedImage(item.lead.hosted_url, item.lead.hosted_delete_handle)
                item.metrics = dict(item.lead.metrics or {})
                log.info("post t3_%s: reuse: comparison already published at %s (earlier attempt)", item.post_id, item.hosted.url)

    # -- stage 2: download, detect, find the reference (bot.prepare) -------------------------------
    def _prepare(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        for item in items:
            if item.hosted is not None:
                continue
            try:
                why_not = prepare_post(item, self.queue.jobs_for_post(item.post_id), scratch, self.policy)
                if why_not is not None:
                    self.settler.skip(item, summary, why_not)
            except DownloadError as exc:
                self.metrics.error("download", exc.kind)
                self.settler.fail(item, summary, f"download failed ({exc.kind}): {exc}", permanent=not exc.retryable)
            except Exception as exc:  # noqa: BLE001 - one bad post must not stop the batch
                log.exception("post t3_%s: unexpected error while preparing", item.post_id)
                self.metrics.error("worker", type(exc).__name__)
                self.settler.fail(item, summary, f"unexpected error {type(exc).__name__}: {exc}")

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
                    item.model_sha256 = done.model_sha256
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
        groups: dict[int, tuple[LoadedModel, list[PostWork]]] = {}
        for item in todo:  # a running canary answers its share of posts (by post id)
            loaded = self.models.for_post(item.post_id)
            groups.setdefault(id(loaded), (loaded, []))[1].append(item)
        for loaded, group in groups.values():
            try:
                model = loaded.colorizer
                uvs = model.predict([model.prepare(item.gray) for item in group])  # type: ignore[arg-type]
                for item, uv in zip(group, uvs):
                    item.auto = model.finish(item.gray, uv)  # type: ignore[arg-type]
                    item.model_sha256 = loaded.sha256
            except Exception as exc:  # noqa: BLE001 - the model failed for the batch: retry later
                log.exception("worker: colorizer failed on a batch of %d", len(group))
                self.metrics.error("colorizer", type(exc).__name__)
                for item in group:
                    self.settler.fail(item, summary, f"colorizer failed: {type(exc).__name__}: {exc}")
                failed = {id(item) for item in group}
                todo = [item for item in todo if id(item) not in failed]
        if not todo:
            return
        seconds = time.monotonic() - started
        self.metrics.colorize_seconds.observe(seconds)
        self.metrics.images_colorized.inc(len(todo))
        log.info("worker: colorized %d photos in one batch in %.2fs with %s", len(todo), seconds,
                 " + ".join(loaded.describe() for loaded, _ in groups.values()))
        if time.monotonic() - started > self.settings.worker.lease_seconds / 3:
            for item in todo:
                for job in item.jobs:
                    if job.id in item.open:
                        self.queue.heartbeat(job, self.settings.worker.lease_seconds)

    # -- stage 5: publish --------------------------------------------------------------------------
    def _publish(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        from colorizer.imageio import save_image
        from colorizer.panel import compose_panel

        ready: list[tuple[PostWork, Path, str]] = []
        for item in items:
            if item.hosted is not None or item.auto is None or item.gray is None:
                continue
            panels = [("gray", item.gray), ("auto", item.auto)]
            if item.reference is not None:
                panels.append(("reference", item.reference))
            path = scratch / f"{item.post_id}-comparison.jpg"
            try:
                save_image(compose_panel(panels, height=PANEL_HEIGHT), path, "JPEG")
            except Exception as exc:  # noqa: BLE001
                log.exception("post t3_%s: cannot draw the comparison", item.post_id)
                self.settler.fail(item, summary, f"publishing failed: {type(exc).__name__}: {exc}")
                continue
            ready.append((item, path, f"Automatic colorization of t3_{item.post_id} (gray | auto"
                          + (" | reference)" if item.reference is not None else ")")))
        results = upload_all(self.host, [(path, title) for _, path, title in ready])  # Reddit: one read-back for all
        for (item, _, _), result in zip(ready, results):
            if isinstance(result, HostError):
                self.metrics.error("host", result.host)
                if result.pause_seconds > 0:  # Reddit asked every call to wait: not the job's fault
                    until = utcnow() + timedelta(seconds=result.pause_seconds)
                    self._pause(until)
                    self.settler.wait_for_reddit(item, summary, f"publishing: {result}", until)
                    continue
                self.settler.fail(item, summary, f"publishing failed: {result}", permanent=not result.retryable)
                continue
            item.hosted = result
            item.uploaded_here = True
            self._record_hosted(item)
            log.info("post t3_%s: published %d-panel comparison at %s (%s)", item.post_id, item.panels, item.hosted.url, self.host.name)

    def _record_hosted(self, item: PostWork) -> None:
        """Commit the URL before replying; if an earlier attempt recorded one, use that and drop ours."""
        assert item.hosted is not None
        try:
            recorded = self.queue.record_hosted_url(item.lead.id, item.hosted.url, item.hosted.delete_handle,
                                                    model_sha256=item.model_sha256, metrics=item.metrics or None)
        except LookupError:
            return
        if recorded.hosted_url != item.hosted.url:
            log.info("post t3_%s: an earlier attempt already published %s; using it", item.post_id, recorded.hosted_url)
            self.settler.discard_upload(item)
            item.hosted = HostedImage(str(recorded.hosted_url), recorded.hosted_delete_handle)
            earlier = recorded.metrics or {}
            for key in COMPANION_KEYS:  # the earlier attempt's poster frame goes with its clip
                item.metrics.pop(key, None)
                if key in earlier:
                    item.metrics[key] = earlier[key]

    # -- stage 6: reply (bot.reply) ----------------------------------------------------------------
    def reply_budget_left(self, now: datetime | None = None) -> int:
        """Replies still allowed in the sliding hour (reservations count: each may become a comment)."""
        return self.replier.budget_left(now)

    def _reply_all(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        self.replier.reply_all(items, summary)

    def _pause(self, until: datetime) -> None:
        self.paused_until = until
