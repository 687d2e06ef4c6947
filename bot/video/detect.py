"""Is a clip black-and-white?  The photo detector (:mod:`bot.detect`) on frames sampled across it.

Why several frames: one frame can mislead — a fade to black, a plain title card. Sepia and toned
film count as black-and-white, as toned prints do. A clip is colour when more than a quarter of
its sampled frames are colour (one colourful frame in eight — a modern logo at the end — does not
make a film colour); toned when any sampled frame is toned; neutral otherwise. Frames are decoded
in order and only the sampled ones are converted, so a 60-s 720p clip costs about one decode pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.detect import BWVerdict, DetectionThresholds, Kind, detect_bw
from colorizer.video.probe import VideoError, open_input, probe_video

SAMPLES = 8
#: More colour frames than this share of the samples make the clip colour.
MAX_COLOUR_SHARE = 0.25


@dataclass(frozen=True)
class ClipVerdict:
    kind: Kind
    is_bw: bool
    frames: tuple[BWVerdict, ...]
    rate: float | None = None  # the clip's frame rate, as probed for the sampling

    def reason(self) -> str:
        """One log line: the clip's kind, how the samples split, and the most colourful one's numbers."""
        counts = {k: sum(f.kind == k for f in self.frames) for k in ("neutral", "toned", "color")}
        split = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        strongest = max(self.frames, key=lambda f: f.metrics.get("residual_p95", 0.0))
        return f"{self.kind} clip ({len(self.frames)} frames sampled: {split}); most colourful frame {strongest.reason()}"


def sample_times(duration: float | None, count: int = SAMPLES) -> list[float]:
    """``count`` instants spread over the clip, away from its first and last moments (fades)."""
    if not duration or duration <= 0:
        return [0.0]
    return [duration * (i + 0.5) / count for i in range(count)]


def detect_clip(path: str | Path, thresholds: DetectionThresholds = DetectionThresholds(), samples: int = SAMPLES) -> ClipVerdict:
    """Classify the clip at ``path``; raises :class:`VideoError` for a file that has no decodable picture."""
    path = Path(path)
    source = probe_video(path)
    wanted = sample_times(source.duration_seconds, samples)
    verdicts: list[BWVerdict] = []
    with open_input(path) as container:
        stream = container.streams[source.stream_index]
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            if float((frame.pts - (stream.start_time or 0)) * stream.time_base) >= wanted[len(verdicts)]:
                verdicts.append(detect_bw(frame.to_image(), thresholds))
                if len(verdicts) == len(wanted):
                    break
    if not verdicts:
        raise VideoError(path, "no decodable picture to judge")
    colour = sum(v.kind == "color" for v in verdicts)
    kind: Kind = "color" if colour > MAX_COLOUR_SHARE * len(verdicts) else "toned" if any(v.kind == "toned" for v in verdicts) else "neutral"
    return ClipVerdict(kind, kind != "color", tuple(verdicts), float(source.rate) if source.rate else None)
