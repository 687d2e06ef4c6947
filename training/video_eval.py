"""``colorbot eval`` on videos: colour clips, desaturated, colorized frame by frame and with temporal consistency.

Each clip's own Y plane is the black-and-white input, so its colour frames are the truth. Both
modes run the same code as ``colorbot colorize`` (``FrameColorizer``), minus the encoder: what is
scored is the colorization, not the codec. Per clip and mode: PSNR of the RGB frames, their colourfulness
(at the flow's size), the chroma's warping error along the true video's flow (``E_warp``, ×10³, Lai et al.
2018, DIS flow with an occlusion mask) and CDC (Liu et al.). ``gray`` (no chroma) and ``truth``
rows give the scale: the truth's own warping error is what real moving colour costs.
Writes ``video_eval.json`` and ``video_eval.md``.
"""

from __future__ import annotations

import json
import logging
from itertools import islice
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from colorizer.inference import Colorizer
from colorizer.inputs import VIDEO_EXTENSIONS
from colorizer.video.chroma import neutral_plane
from colorizer.video.decode import batches, decode_frames
from colorizer.video.formats import output_layout
from colorizer.video.frames import FrameColorizer
from colorizer.video.planes import build_frame
from colorizer.video.probe import SourceVideo, VideoError, probe_video
from colorizer.video.temporal import TemporalFilter, TemporalSettings
from training.metrics import colorfulness, psnr
from training.video_metrics import color_distribution_consistency, warping_error

log = logging.getLogger(__name__)

MODES = ("per_frame", "temporal", "gray", "truth")
FLOW_SIDE = 320  # flow and E_warp at this long side: the chroma is low-frequency, and DIS is quick there


def list_videos(data: str | Path) -> list[Path]:
    """Video files under ``data`` (a folder, searched recursively) or ``data`` itself."""
    path = Path(data)
    if path.is_file():
        return [path] if path.suffix.lower() in VIDEO_EXTENSIONS else []
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS)


def _small(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    scale = min(1.0, FLOW_SIDE / max(height, width))
    if scale == 1.0:
        return image
    return cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)


def _chroma(rgb: np.ndarray) -> np.ndarray:
    """Normalised (Cb, Cr)-like chroma of 8-bit RGB, channels last, for the warping error."""
    value = rgb.astype(np.float32) / 255.0
    luma = value @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.stack([value[..., 2] - luma, value[..., 0] - luma], -1)


def _gray_rgb(colorizer: FrameColorizer, y: np.ndarray) -> np.ndarray:
    """The frame's own Y with neutral chroma, as RGB: the gray baseline (a new frame: decoded ones are the decoder's)."""
    neutral = neutral_plane(colorizer.colour, colorizer.chroma_shape)
    return build_frame(y, neutral, neutral, colorizer.out_layout).to_ndarray(format="rgb24")


class _Track:
    """Per-mode running scores of one clip."""

    def __init__(self) -> None:
        self.psnr: list[float] = []
        self.cf: list[float] = []
        self.chroma: list[np.ndarray] = []
        self.small_rgb: list[np.ndarray] = []

    def add(self, rgb: np.ndarray, truth: np.ndarray) -> None:
        self.psnr.append(min(psnr(rgb, truth), 100.0))
        small = _small(rgb)
        self.cf.append(colorfulness(small))
        self.small_rgb.append(small)
        self.chroma.append(_chroma(small))

    def summary(self, grays: list[np.ndarray]) -> dict[str, float]:
        return {"psnr": float(np.mean(self.psnr)), "cf": float(np.mean(self.cf)),
                "e_warp": 1e3 * warping_error(self.chroma, grays), "cdc": color_distribution_consistency(self.small_rgb)}


def evaluate_clip(colorizer: Colorizer, source: SourceVideo, *, max_frames: int, temporal: TemporalSettings, batch_size: int = 8) -> dict[str, Any]:
    """Scores of every mode on the first ``max_frames`` frames of one colour clip."""
    layout = output_layout(source.layout, source.width, source.height, odd_subsampling=True)
    temporal_filter = TemporalFilter(temporal)
    colorizers = {"per_frame": FrameColorizer(colorizer, source, layout, None),
                  "temporal": FrameColorizer(colorizer, source, layout, temporal_filter)}
    tracks = {mode: _Track() for mode in MODES}
    grays: list[np.ndarray] = []
    count = 0
    for batch in batches(islice(decode_frames(source), max_frames), batch_size):
        truths = [f.to_ndarray(format="rgb24") for f in batch]
        lumas = colorizers["per_frame"].luma_planes(batch)
        outputs = {mode: fc.colorize(batch, lumas) for mode, fc in colorizers.items()}
        for index, truth in enumerate(truths):
            grays.append(cv2.cvtColor(_small(truth), cv2.COLOR_RGB2GRAY))
            tracks["truth"].add(truth, truth)
            tracks["gray"].add(_gray_rgb(colorizers["per_frame"], lumas[index]), truth)
            for mode, frames in outputs.items():
                tracks[mode].add(frames[index].to_ndarray(format="rgb24"), truth)
        count += len(batch)
    scores = {mode: track.summary(grays) for mode, track in tracks.items()}
    truth_cf = scores["truth"]["cf"]
    for mode_scores in scores.values():
        mode_scores["cf_ratio"] = mode_scores["cf"] / truth_cf if truth_cf else 0.0
    return {"path": str(source.path), "frames": count, "size": [source.width, source.height],
            "rate": str(source.rate), "shots": temporal_filter.shots,
            "scores": scores}


def evaluate_videos(checkpoint: str | Path | None, data: str | Path, out_dir: str | Path, *, render_size: int | None = None,
                    device: str = "auto", max_frames: int = 150, limit: int | None = None, keyframe_interval: int = 1,
                    engine: str = "auto") -> dict[str, Any]:
    """Score ``checkpoint`` on every colour clip in ``data``; writes ``video_eval.json`` and ``video_eval.md``."""
    colorizer = Colorizer.from_checkpoint(checkpoint, render_size=render_size, device=device, engine=engine)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clips, notes = [], []
    for path in list_videos(data)[:limit]:
        try:
            source = probe_video(path)
        except VideoError as exc:
            notes.append(str(exc))
            continue
        log.info("scoring %s (%dx%d, %s fps)", path.name, source.width, source.height, source.rate)
        clips.append(evaluate_clip(colorizer, source, max_frames=max_frames, temporal=TemporalSettings(keyframe_interval=keyframe_interval)))
    if not clips:
        raise ValueError(f"no scorable video in {data}")
    summary = {mode: {key: float(np.mean([c["scores"][mode][key] for c in clips])) for key in clips[0]["scores"][mode]} for mode in MODES}
    report = {"checkpoint": str(checkpoint or "shipped default"), "data": str(data), "clips": clips, "summary": summary,
              "max_frames": max_frames, "keyframe_interval": keyframe_interval, "render_size": colorizer.render_size, "saturation": colorizer.saturation, "notes": notes}
    (out / "video_eval.json").write_text(json.dumps(report, indent=2))
    (out / "video_eval.md").write_text(markdown_video_report(report))
    return report


def markdown_video_report(report: dict[str, Any]) -> str:
    lines = [f"# Video colorization eval: {Path(report['checkpoint']).name}", "",
             f"Data: `{report['data']}`, {len(report['clips'])} clips (first {report['max_frames']} frames each), render size "
             f"{report['render_size']}, saturation {report['saturation']:g}; the temporal mode runs the net on each shot's first "
             f"frame and every {report.get('keyframe_interval', 1)} frame(s) after it. E_warp: chroma warping error ×10³ (DIS flow, "
             "occlusion-masked; comparable within colorbot only). CDC: colour distribution consistency.", "",
             "| clip | mode | PSNR ↑ | CF | CF ratio | E_warp ↓ | CDC ↓ |", "|---|---|---|---|---|---|---|"]
    rows = [(Path(c["path"]).name, c["scores"]) for c in report["clips"]] + [("**mean**", report["summary"])]
    for name, scores in rows:
        for mode in MODES:
            s = scores[mode]
            lines.append(f"| {name} | {mode} | {s['psnr']:.2f} | {s['cf']:.2f} | {s['cf_ratio']:.2f} | {s['e_warp']:.3f} | {s['cdc']:.5f} |")
    if report["notes"]:
        lines += ["", *[f"- {n}" for n in report["notes"]]]
    return "\n".join(lines) + "\n"
