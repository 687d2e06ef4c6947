"""Colorize one video file end to end: stream, colorize in batches, encode in segments, resume, assemble.

Memory stays flat in the film's length: at most one batch of decoded frames is held, segments go
to disk as they finish, and the final file is a packet copy. An interrupted run (Ctrl-C, a crash)
continues at the last finished segment when started again with the same settings.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

import av

from colorizer.fingerprint import weights_digest as model_weights_digest
from colorizer.inference import Colorizer
from colorizer.inputs import safe_output_path
from colorizer.video.assemble import assemble
from colorizer.video.decode import batches, decode_frames
from colorizer.video.formats import OutputPlan, plan_output
from colorizer.video.frames import FrameColorizer
from colorizer.video.probe import SourceVideo, VideoError, probe_video
from colorizer.video.progress import Progress, source_identity
from colorizer.video.segments import SegmentSink
from colorizer.video.temporal import TemporalFilter, TemporalSettings

DEFAULT_SEGMENT_SECONDS = 10.0

ProgressCallback = Callable[[int, "int | None"], None]


@dataclass
class VideoResult:
    """What happened to one video."""

    source: Path
    output: Path | None = None
    frames: int = 0
    resumed_frames: int = 0
    seconds: float = 0.0
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def weights_digest(colorizer: Colorizer) -> str:
    """A fingerprint of all the weights, so a resumed run never mixes two models in one film."""
    return model_weights_digest(colorizer.model)


class VideoColorizer:
    """Runs a :class:`Colorizer` over video files, one after the other."""

    def __init__(self, colorizer: Colorizer, *, temporal: TemporalSettings | None = TemporalSettings(), batch_size: int = 8,
                 segment_seconds: float = DEFAULT_SEGMENT_SECONDS, quality: int | None = None, restart: bool = False) -> None:
        self.colorizer = colorizer
        self.temporal = temporal
        self.batch_size = max(1, batch_size)
        self.segment_seconds = segment_seconds
        self.quality = quality
        self.restart = restart

    @cached_property
    def _model_digest(self) -> str:  # hashed on the first film, not when a photo-only batch builds the runner
        return weights_digest(self.colorizer)

    def plan(self, source: SourceVideo) -> OutputPlan:
        return plan_output(source.path.suffix, source.codec, source.layout, source.width, source.height, self.quality)

    def _key(self, source: SourceVideo, plan: OutputPlan) -> dict[str, object]:
        return {"source": source_identity(source.path), "model": self._model_digest, "saturation": self.colorizer.saturation,
                "render_size": self.colorizer.render_size, "temporal": asdict(self.temporal) if self.temporal else None,
                "encoder": plan.encoder.codec, "quality": plan.quality, "layout": plan.layout.name}

    def run(self, path: Path, output_stem: Path, on_progress: ProgressCallback | None = None, *,
            sources: frozenset[Path] = frozenset()) -> VideoResult:
        """Colorize ``path`` into ``output_stem`` + the planned extension; errors become ``result.error``."""
        started = time.perf_counter()
        result = VideoResult(path)
        try:
            source = probe_video(path)
            plan = self.plan(source)
            result.notes = source.notes + plan.notes
            target = safe_output_path(output_stem, plan.extension, set(sources | {path.resolve()}))
            progress = Progress(target, self._key(source, plan), restart=self.restart)
            result.resumed_frames = progress.manifest.frames
            result.frames = self._colorize(source, plan, progress, on_progress or (lambda done, total: None))
            if source.frames_estimate and result.frames < 0.9 * source.frames_estimate:
                result.notes.append(f"the video ends early (truncated or damaged?): {result.frames} of the {source.frames_estimate} frames its header announces")
            result.notes += assemble(source, progress.segment_files(), plan, target)
            progress.remove()
            result.output = target
        except VideoError as exc:
            result.error = str(exc)
        except av.FFmpegError as exc:
            result.error = f"{path}: FFmpeg: {' '.join(str(exc).split())[:300]}"
        except OSError as exc:  # the output folder: full, read-only, gone
            result.error = f"{path}: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
        except Exception as exc:  # noqa: BLE001 - one bad film never stops the batch
            result.error = f"{path}: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        result.seconds = time.perf_counter() - started
        return result

    def _colorize(self, source: SourceVideo, plan: OutputPlan, progress: Progress, on_progress: ProgressCallback) -> int:
        temporal = TemporalFilter(self.temporal) if self.temporal else None
        if temporal is not None:
            temporal.restore(progress.temporal_state())
        frames = FrameColorizer(self.colorizer, source, plan.layout, temporal)
        segment_frames = max(1, round(self.segment_seconds * float(source.rate or 25)))
        done = progress.manifest.frames
        on_progress(done, source.frames_estimate)
        resume_after = progress.manifest.segments[-1].last_pts if progress.manifest.segments else None
        sink = SegmentSink(progress, plan, source, segment_frames, temporal.state if temporal else dict)
        try:
            for batch in batches(decode_frames(source, resume_after), self.batch_size):
                for frame in frames.colorize(batch):
                    sink.put(frame)
                    done += 1
                sink.end_batch()
                on_progress(done, source.frames_estimate)
            sink.finish()
        except BaseException:
            sink.abort()
            raise
        if not progress.manifest.segments:
            raise VideoError(source.path, "no frame could be decoded")
        return done
