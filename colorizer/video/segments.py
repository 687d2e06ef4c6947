"""Frames → finished segments, encoded on a background thread while the next frames are colorized.

The main thread decides where a segment ends (and snapshots the temporal filter's state there);
one encoder thread writes frames and closes segments strictly in order, and records each
finished segment in the resumable progress. Errors on the encoder thread surface on the next
``put`` or at ``finish``; at most ``MAX_QUEUED`` frames wait, so memory stays bounded.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import av
import numpy as np

from colorizer.video.encode import SegmentWriter
from colorizer.video.formats import OutputPlan
from colorizer.video.probe import SourceVideo
from colorizer.video.progress import Progress

MAX_QUEUED = 24


class SegmentSink:
    """Writes a film's colorized frames as segments of at least ``segment_frames`` frames, ended between batches."""

    def __init__(self, progress: Progress, plan: OutputPlan, source: SourceVideo, segment_frames: int,
                 state: Callable[[], dict[str, np.ndarray]]) -> None:
        self.progress, self.plan, self.source = progress, plan, source
        self.segment_frames = max(1, segment_frames)
        self.state = state
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="colorbot-encode")
        self._pending: deque[Future[None]] = deque()
        self._writer: SegmentWriter | None = None  # touched only on the encoder thread
        self._count = 0  # frames in the open segment, counted on the main thread
        self._first_pts = self._last_pts = 0

    def put(self, frame: av.VideoFrame) -> None:
        if self._count == 0:
            self._first_pts = frame.pts
        self._last_pts = frame.pts
        self._count += 1
        self._submit(self._write, frame)

    def end_batch(self) -> None:
        """Close the segment once it is long enough. Only here, between batches: the temporal
        filter's state then belongs to the segment's last frame, so a resumed run continues exactly."""
        if self._count >= self.segment_frames:
            self._end_segment()

    def finish(self) -> None:
        """Close the last segment and wait for every frame to be on disk."""
        if self._count:
            self._end_segment()
        while self._pending:
            self._pending.popleft().result()
        self._pool.shutdown()

    def abort(self) -> None:
        """Stop without recording the open segment (its file is removed). Frames and segment
        closes already queued still run: a segment the main thread has closed is kept whatever
        the encoder thread had reached, so what survives an interrupt never depends on timing."""
        self._pool.shutdown(wait=True)
        if self._writer is not None:
            self._writer.abort()
            self._writer = None

    def _end_segment(self) -> None:
        self._submit(self._close, self._count, self._first_pts, self._last_pts, self.state())
        self._count = 0

    def _submit(self, job: Callable[..., None], *args: object) -> None:
        self._pending.append(self._pool.submit(job, *args))
        while self._pending and (len(self._pending) > MAX_QUEUED or self._pending[0].done()):
            self._pending.popleft().result()  # re-raises what failed on the encoder thread

    def _write(self, frame: av.VideoFrame) -> None:
        if self._writer is None:
            self._writer = SegmentWriter(self.progress.next_segment_path(), self.plan, self.source)
        self._writer.write(frame)

    def _close(self, frames: int, first_pts: int, last_pts: int, state: dict[str, np.ndarray]) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        writer.close()
        self.progress.finish_segment(writer.path, frames, first_pts, last_pts, state)
