"""Work the queue's clips: one black-and-white video post at a time, from download to reply.

A clip holds a worker for minutes on a CPU, so clips are a job kind of their own (``video``),
claimed one at a time by this worker while the photo worker (:mod:`bot.worker`, whose checks,
publishing bookkeeping and reply protocol this reuses) keeps answering photos. Stages:

1. the photo worker's cheap checks (opt-out, ban, already answered, already published);
2. fetch the clip as Reddit serves it (:mod:`bot.video.fetch`) into the job's own work folder,
   then judge it from sampled frames (:mod:`bot.video.detect`): a colour clip is skipped;
3. colorize it with the temporal pipeline (``colorbot colorize``'s, resumable by segments);
4. draw the gray | auto clip (:mod:`bot.video.comparison`) and publish it;
5. reply once (:mod:`bot.reply`), counted against the same hourly budget as photos.

The lease is renewed while the clip is worked on (:class:`bot.lease_keeper.LeaseKeeper`). The work
folder (``video.work_dir/job-<id>``) outlives a crash: a kill -9 leaves the fetched clip and the
finished segments, the lease runs out, and the next claim resumes there instead of starting over.
The folder is removed once the job has ended (answered, skipped or failed for good).
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.batch import PostWork, Summary
from bot.download import DownloadError
from bot.hosting import HostError
from bot.lease_keeper import LeaseKeeper
from bot.video.comparison import comparison_clip
from bot.video.detect import detect_clip
from bot.video.fetch import fetch_clip
from bot.video.posts import VideoLimits, VideoRef
from bot.worker import Worker
from colorizer.video.probe import VideoError
from db import Job
from db.models import TERMINAL_STATES

log = logging.getLogger(__name__)

VIDEO_KINDS = ("video",)


class LeaseGone(Exception):
    """Another worker owns the clip now (our lease ran out): stop without touching it."""


@dataclass
class ClipWork:
    """A clip's files in its job's work folder."""

    folder: Path
    ref: VideoRef
    source: Path | None = None  # the fetched clip (picture + sound)
    rate: float = 25.0  # its frame rate
    auto: Path | None = None  # its colorized twin
    seconds: float = 0.0


class ClipWorker(Worker):
    """Claims one clip job at a time and carries it to a reply (see the module notes)."""

    keeper: LeaseKeeper | None = None

    def _claim(self) -> list[Job]:
        return self.queue.claim(self.worker_id, limit=1, lease_seconds=self.settings.video.lease_seconds, kinds=VIDEO_KINDS)

    def _stages(self) -> tuple[Callable[[list[PostWork], Path, Summary], None], ...]:
        return (self._precheck, self._fetch, self._colorize_clip, self._publish_clip, self._reply_all)

    def _work(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        self.clips: dict[str, ClipWork] = {}
        (item,) = items  # one clip per claim
        with LeaseKeeper(self.queue, item.lead, self.settings.video.lease_seconds) as keeper:
            self.keeper = keeper
            try:
                super()._work(items, scratch, summary)
            except LeaseGone:
                item.open.clear()
                summary.decisions["lease lost"] += 1
                log.warning("post t3_%s: the clip's lease was taken over; leaving it to the new holder", item.post_id)
            finally:
                self.keeper = None
        self._tidy(item)

    def _check_lease(self) -> None:
        if self.keeper is not None and self.keeper.lost.is_set():
            raise LeaseGone

    def _folder(self, item: PostWork) -> Path:
        return Path(self.settings.video.work_dir) / f"job-{item.lead.id}"

    def _tidy(self, item: PostWork) -> None:
        """Remove the work folder once the job has ended; keep it while a retry may resume there."""
        current = self.queue.get(item.lead.id)
        if current is None or current.state in {state.value for state in TERMINAL_STATES}:
            shutil.rmtree(self._folder(item), ignore_errors=True)

    # -- stage 2: fetch and judge -----------------------------------------------------------------
    def _fetch(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        for item in items:
            if item.hosted is not None:
                continue
            self._check_lease()
            clip = ClipWork(self._folder(item), VideoRef(**(item.lead.media or {})))
            joined = clip.folder / "fetch" / "clip.mp4"
            try:
                if not joined.is_file():  # written atomically: present means complete (a resumed clip)
                    fetched = fetch_clip(clip.ref, clip.folder / "fetch", self.policy, VideoLimits.from_settings(self.settings))
                    for note in fetched.notes:
                        log.info("post t3_%s: %s", item.post_id, note)
                clip.source = joined
                verdict = detect_clip(joined)
            except DownloadError as exc:
                self.metrics.error("download", exc.kind)
                self.settler.fail(item, summary, f"clip download failed ({exc.kind}): {exc}", permanent=not exc.retryable)
                continue
            except VideoError as exc:
                self.settler.fail(item, summary, f"unusable clip: {exc.reason}", permanent=True)
                continue
            item.metrics.update(kind="video", clip_kind=clip.ref.kind, bw=verdict.kind,
                                residual_p95=max(f.metrics.get("residual_p95", 0.0) for f in verdict.frames))
            if not verdict.is_bw:
                self.settler.skip(item, summary, verdict.reason())
                continue
            clip.rate = verdict.rate or clip.rate
            self.clips[item.post_id] = clip

    # -- stage 3: colorize ------------------------------------------------------------------------
    def _colorize_clip(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        from colorizer.video.pipeline import VideoColorizer

        for item in items:
            clip = self.clips.get(item.post_id)
            if item.hosted is not None or clip is None:
                continue
            loaded = self.models.for_post(item.post_id)

            def checkpoint(done: int, total: int | None) -> None:
                if self.stop.is_set() or (self.keeper is not None and self.keeper.lost.is_set()):
                    raise InterruptedError("stopping: the clip resumes from its last segment")

            started = time.monotonic()
            pipeline = VideoColorizer(loaded.colorizer, segment_seconds=self.settings.video.segment_seconds)
            result = pipeline.run(clip.source, clip.folder / "auto", checkpoint)
            self._check_lease()
            if result.error:
                if self.stop.is_set():
                    self.settler.release(item, summary, "shutting down (the clip resumes from its last segment)")
                else:
                    self.metrics.error("colorizer", "video")
                    self.settler.fail(item, summary, f"colorizing the clip failed: {result.error}")
                continue
            clip.auto, clip.seconds = result.output, result.frames / clip.rate
            item.model_sha256 = loaded.sha256
            wall = time.monotonic() - started
            self.metrics.clips_colorized.inc()
            self.metrics.clip_seconds.inc(clip.seconds)
            self.metrics.clip_wall_seconds.inc(wall)
            item.metrics.update(clip_seconds=round(clip.seconds, 2), colorize_wall_seconds=round(wall, 2),
                                frames=result.frames, resumed_frames=result.resumed_frames)
            log.info("post t3_%s: colorized %d frames (%.1f s of clip, %d resumed) in %.1f s with %s", item.post_id,
                     result.frames, clip.seconds, result.resumed_frames, wall, loaded.describe())

    # -- stage 4: the side-by-side clip, published -----------------------------------------------
    def _publish_clip(self, items: list[PostWork], scratch: Path, summary: Summary) -> None:
        for item in items:
            clip = self.clips.get(item.post_id)
            if item.hosted is not None or clip is None or clip.auto is None:
                continue
            self._check_lease()
            try:
                made = comparison_clip(clip.source, clip.auto, clip.folder / "comparison.mp4", loop=clip.ref.is_gif)
                upload = getattr(self.host, "upload_video", None)
                title = f"Automatic colorization of t3_{item.post_id} (gray | auto, video)"
                if upload is not None:  # Reddit: a video post, its poster frame uploaded with it
                    hosted = upload(made.path, made.poster, title, loop=clip.ref.is_gif)
                else:  # file hosts publish any file: the clip, and its poster frame for the status page
                    hosted = self.host.upload(made.path, title)
                    poster = self.host.upload(made.poster, f"{title}, poster frame")
                    item.metrics.update(poster_url=poster.url, poster_delete_handle=poster.delete_handle)
            except HostError as exc:
                self.metrics.error("host", exc.host)
                self.settler.fail(item, summary, f"publishing the clip failed: {exc}", permanent=not exc.retryable)
                continue
            except (VideoError, OSError) as exc:
                self.settler.fail(item, summary, f"drawing the side-by-side clip failed: {exc}")
                continue
            item.hosted = hosted
            item.uploaded_here = True
            item.metrics.update(comparison_frames=made.frames, comparison_size=f"{made.width}x{made.height}", panels=2)
            self._record_hosted(item)
            log.info("post t3_%s: published the side-by-side clip at %s (%s)", item.post_id, hosted.url, self.host.name)

