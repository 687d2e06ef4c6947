"""Speed and memory of `colorbot colorize` on films, as ratios measured in one run.

1. frames/s at 360p, 720p and 1080p on a real clip (Debian python3-imageio's cockatoo.mp4, made
   black and white and scaled) with each CPU engine (PyTorch, ONNX Runtime) side by side, against
   PyAV's own decode + encode of the same clip with the same encoder settings (the floor of any
   pipeline that re-encodes) and against real time; with the default engine also frame by frame
   (the flow filter's cost) and with the net on every 2nd / 4th frame.
2. Memory of a fresh process on 360p and 1080p clips of growing length: its RSS once the model
   is loaded, and its peak while colorizing (sampled); the difference is what the film costs, and
   flat in the film's length means the whole film is never held.
3. With a GPU: frames/s at 1080p with larger frame batches.

Needs the clips: python -m training.fetch_clips data/clips
Usage: python bench/video.py [--clips data/clips] [--seconds 6] [--quick] [--engine torch|onnx]
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch

from colorizer.inference import Colorizer
from colorizer.video import TemporalSettings, VideoColorizer
from colorizer.video.encode import SegmentWriter
from colorizer.video.formats import plan_output
from colorizer.video.probe import probe_video

SOURCE = "color/cockatoo.mp4"


def gray_frames(source: Path, size: tuple[int, int], frames: int) -> Iterator[av.VideoFrame]:
    """The source's frames scaled to ``size``, chroma neutral, looped to ``frames``."""
    with av.open(str(source)) as container:
        decoded = [f.reformat(width=size[0], height=size[1], format="yuv420p") for f in itertools.islice(container.decode(video=0), 280)]
    for index in range(frames):
        frame = decoded[index % len(decoded)]
        out = av.VideoFrame(size[0], size[1], "yuv420p")
        out.planes[0].update(bytes(frame.planes[0]))
        for plane in out.planes[1:]:
            np.frombuffer(plane, np.uint8)[...] = 128
        out.pts = index
        yield out


def write_gray_clip(source: Path, target: Path, size: tuple[int, int], seconds: float, rate: Fraction = Fraction(20)) -> Path:
    with av.open(str(target), "w") as out:
        stream = out.add_stream("libx264", rate=rate, options={"crf": "18", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.codec_context.time_base = 1 / rate
        for frame in gray_frames(source, size, int(seconds * rate)):
            frame.time_base = 1 / rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return target


def floor_seconds(clip: Path, workdir: Path) -> float:
    """PyAV decoding the clip and encoding every frame again with colorbot's encoder settings."""
    source = probe_video(clip)
    plan = plan_output(clip.suffix, source.codec, source.layout, source.width, source.height)
    start = time.perf_counter()
    writer = SegmentWriter(workdir / "floor.nut", plan, source)
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            writer.write(frame)
    writer.close()
    return time.perf_counter() - start


def colorize_seconds(colorizer: Colorizer, clip: Path, out: Path, *, temporal: bool, batch_size: int = 8,
                     keyframe_interval: int = 1) -> tuple[float, int]:
    settings = TemporalSettings(keyframe_interval=keyframe_interval) if temporal else None
    runner = VideoColorizer(colorizer, temporal=settings, batch_size=batch_size, restart=True)
    start = time.perf_counter()
    result = runner.run(clip, out)
    assert result.error is None, result.error
    return time.perf_counter() - start, result.frames


_RSS_PROBE = """
import json, sys, threading, time
from pathlib import Path
from colorizer.inference import Colorizer
from colorizer.video import VideoColorizer

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

colorizer = Colorizer.from_checkpoint(device="cpu")
colorizer.predict([colorizer.prepare(__import__("PIL.Image").Image.new("L", (64, 64)))])
baseline, peak, done = rss_mb(), [0.0], threading.Event()

def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss_mb())
        time.sleep(0.02)

thread = threading.Thread(target=sample)
thread.start()
result = VideoColorizer(colorizer).run(Path(sys.argv[1]), Path(sys.argv[2]))
done.set()
thread.join()
assert result.error is None, result.error
print(json.dumps({"loaded_mb": baseline, "peak_mb": peak[0], "frames": result.frames}))
"""


def film_rss_mb(clip: Path, out: Path) -> dict[str, float]:
    """RSS of a fresh process once the model is loaded, and its peak while colorizing ``clip`` (sampled every 20 ms)."""
    done = subprocess.run([sys.executable, "-c", _RSS_PROBE, str(clip), str(out)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=Path, default=Path("data/clips"))
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--quick", action="store_true", help="shorter clips and RSS lengths")
    parser.add_argument("--engine", choices=("torch", "onnx"), action="append", help="time only this engine (repeatable; default: both)")
    args = parser.parse_args()
    source = args.clips / SOURCE
    if not source.exists():
        sys.exit(f"{source} is missing: python -m training.fetch_clips {args.clips}")
    seconds = 2.0 if args.quick else args.seconds
    engines = {name: Colorizer.from_checkpoint(device="cpu", engine=name) for name in (args.engine or ("torch", "onnx"))}
    colorizer = Colorizer.from_checkpoint(device="cpu")  # what `colorbot colorize` runs by default
    report: dict[str, object] = {"cpu_threads": torch.get_num_threads(), "default_engine": colorizer.engine}
    with tempfile.TemporaryDirectory(prefix="colorbot-bench-video-") as tmp:
        work = Path(tmp)
        warm = write_gray_clip(source, work / "warm-up.mp4", (640, 360), 1)  # the first run pays oneDNN's and DIS's set-up
        for runner in engines.values():
            colorize_seconds(runner, warm, work / "warm-up", temporal=True)
        for name, size in (("360p", (640, 360)), ("720p", (1280, 720)), ("1080p", (1920, 1080))):
            clip = write_gray_clip(source, work / f"{name}.mp4", size, seconds)
            floor = floor_seconds(clip, work)
            timed = {engine: colorize_seconds(runner, clip, work / f"{name}-{engine}", temporal=True) for engine, runner in engines.items()}
            frames = next(iter(timed.values()))[1]
            row: dict[str, object] = {"frames": frames, "floor_fps": round(frames / floor, 1)}
            for engine, (elapsed, _) in timed.items():
                row[engine] = {"colorize_fps": round(frames / elapsed, 1), "colorize_over_floor": round(elapsed / floor, 2),
                               "x_real_time_20fps": round(frames / elapsed / 20, 2), "x_real_time_29.97fps": round(frames / elapsed / 29.97, 2)}
            if len(timed) == 2:
                row["onnx_over_torch_fps"] = round(timed["torch"][0] / timed["onnx"][0], 2)
            temporal = timed.get(colorizer.engine, (None,))[0] or colorize_seconds(colorizer, clip, work / f"{name}-default", temporal=True)[0]
            per_frame, _ = colorize_seconds(colorizer, clip, work / f"{name}-per-frame", temporal=False)
            keyframes = {k: colorize_seconds(colorizer, clip, work / f"{name}-k{k}", temporal=True, keyframe_interval=k)[0] for k in (2, 4)}
            row[f"{colorizer.engine} (default)"] = {"per_frame_fps": round(frames / per_frame, 1), "temporal_cost": round(temporal / per_frame, 2),
                                                    **{f"keyframe_{k}_fps": round(frames / t, 1) for k, t in keyframes.items()}}
            report[name] = row
            print(name, json.dumps(row), flush=True)
        rss_lengths = {"360p": ((640, 360), (2, 8, 24) if args.quick else (5, 20, 60)),
                       "1080p": ((1920, 1080), (2, 6) if args.quick else (10, 40))}
        for name, (size, lengths) in rss_lengths.items():
            rss: dict[str, object] = {}
            for length in lengths:
                clip = write_gray_clip(source, work / f"rss-{name}-{length}.mp4", size, length)
                measured = film_rss_mb(clip, work / f"rss-out-{name}-{length}")
                rss[f"{length}s"] = {"loaded": round(measured["loaded_mb"]), "peak": round(measured["peak_mb"]),
                                     "film": round(measured["peak_mb"] - measured["loaded_mb"])}
            first, last = rss[f"{lengths[0]}s"], rss[f"{lengths[-1]}s"]
            rss["film_growth_longest_over_shortest"] = round(last["film"] / max(1, first["film"]), 2)
            report[f"memory_mb_{name}"] = rss
            print(f"memory {name}", json.dumps(rss), flush=True)
        if torch.cuda.is_available():
            gpu = Colorizer.from_checkpoint(device="cuda")
            clip = work / "1080p.mp4"
            gpu_seconds, frames = colorize_seconds(gpu, clip, work / "1080p-gpu", temporal=True, batch_size=32)
            report["gpu_1080p_fps"] = round(frames / gpu_seconds, 1)
            print("gpu 1080p fps", report["gpu_1080p_fps"])
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
