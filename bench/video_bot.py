"""The bot answering a black-and-white video post while photo posts keep arriving (``bench/bot.py --video``).

For each clip height (360p and 720p by default) a sandbox gets one B&W film post of ``--clip-seconds``
(a pan across a scikit-image photo, served as v.redd.it serves it: playlist, video-only file,
separate sound) and ``--photos`` B&W photo posts, all appearing at once. After one poll the two
workers run as ``colorbot run`` runs them — the clip worker and the photo worker in their own
threads — with the shipped default model on this CPU. Printed, from the sandbox's comment times
and the clip job's own metrics:

1. wall seconds of work per second of clip (fetch + judge + colorize + the side-by-side clip + publish);
2. post appeared -> reply for the clip (goal: a 30-s 360p clip within 60 s);
3. photo posts answered while the clip was being worked on, and their post -> reply latency
   against the same photos with no clip in the queue (goal: no more than one batch later).
"""

from __future__ import annotations

import dataclasses
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bot.config import DownloadSettings, HostSettings, Settings, VideoSettings, WorkerSettings
from bot.reddit.client import make_reddit
from bot.sandbox import SandboxServer
from bot.sandbox.generated import bw_posts
from bot.sandbox.praw_site import praw_settings
from bot.sandbox.seed import load_into
from bot.scheduler import build_bot

SUBREDDIT = "OldSchoolCool"


@dataclasses.dataclass
class VideoRun:
    clip_seconds: float
    clip_wall_s: float  # appeared -> reply for the clip
    clip_work_s: float  # the clip worker's time on it (claim -> reply)
    photo_latency: list[float]  # appeared -> reply, each photo
    photos_during_clip: int
    batches: int


def _settings(tmp: Path, sandbox: SandboxServer, model: Path | None, batch_size: int, with_video: bool) -> Settings:
    return Settings(subreddits=(SUBREDDIT,), database_url=f"sqlite:///{tmp / 'bench.db'}", model_path=model, device="cpu",
                    max_replies_per_hour=10_000, download=DownloadSettings(sandbox_image_base_url=sandbox.url),
                    host=HostSettings(kind="reddit"), worker=WorkerSettings(batch_size=batch_size, interval_seconds=0.2),
                    video=VideoSettings(enabled=with_video, work_dir=tmp / "clips", max_seconds=600))


def run(height: int, clip_seconds: float, photos: int, model: Path | None, batch_size: int, with_clip: bool = True) -> VideoRun:
    """One sandbox, one poll, both workers until every post is answered."""
    film = {"id": "film01", "subreddit": SUBREDDIT, "title": "Home movie, 1958",
            "video": {"photo": "astronaut", "tone": "gray", "seconds": clip_seconds, "heights": [height],
                      "height": height, "width": height * 16 // 9}}
    with tempfile.TemporaryDirectory(prefix="bench-video-") as folder, SandboxServer({"subreddits": [{"name": SUBREDDIT}]}) as sandbox:
        tmp = Path(folder)
        settings = _settings(tmp, sandbox, model, batch_size, with_clip)
        bot = build_bot(settings, make_reddit(settings, **praw_settings(sandbox.url)))
        _ = bot.worker.colorizer  # the model's one-off load is not part of any post's latency
        if bot.clips is not None:
            _ = bot.clips.colorizer
        posts = [{**p, "age_s": 0.0} for p in bw_posts(photos, seed=5, subreddit=SUBREDDIT)] + ([{**film, "age_s": 0.0}] if with_clip else [])
        load_into(sandbox.world, {"posts": posts})  # the clip's files are encoded here, before it "appears"
        appeared = time.time()
        bot.poller.poll()
        spans: dict[str, float] = {}
        batches = [0]

        def clips() -> None:
            spans["start"] = time.time()
            bot.clips.work_until_empty()
            spans["end"] = time.time()

        def photos_loop() -> None:
            while bot.queue.counts_by_state().get("pending", 0) or bot.queue.counts_by_state().get("running", 0):
                summary = bot.worker.run_batch()
                if summary is None:
                    time.sleep(0.1)
                    if "end" in spans or not with_clip:
                        break
                else:
                    batches[0] += 1

        threads = [threading.Thread(target=photos_loop)] + ([threading.Thread(target=clips)] if with_clip else [])
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with sandbox.world.lock:
            replied = {sandbox.world.comments[i].link_id: sandbox.world.comments[i].created_utc for i in sandbox.world.made["comments"]}
    photo_times = [t for post, t in replied.items() if post != "film01"]
    during = sum(1 for t in photo_times if spans.get("start", 0) <= t <= spans.get("end", 0))
    clip_reply = replied.get("film01")
    if with_clip and clip_reply is None:
        raise SystemExit("the clip was not answered")
    return VideoRun(clip_seconds, (clip_reply - appeared) if clip_reply else 0.0, spans.get("end", 0) - spans.get("start", 0),
                    sorted(t - appeared for t in photo_times), during, batches[0])


def report(heights: tuple[int, ...], clip_seconds: float, photos: int, model: Path | None, batch_size: int) -> list[str]:
    lines = []
    baseline = run(heights[0], clip_seconds, photos, model, batch_size, with_clip=False)
    base_median = statistics.median(baseline.photo_latency)
    per_batch = baseline.photo_latency[-1] / max(1, baseline.batches)
    lines.append(f"video bench: {clip_seconds:g}-s B&W clip + {photos} B&W photos appearing together, batch {batch_size}, "
                 f"shipped model, Reddit hosting (sandbox); photos alone: median reply {base_median:.1f} s, "
                 f"last {baseline.photo_latency[-1]:.1f} s in {baseline.batches} batches (~{per_batch:.1f} s a batch)")
    for height in heights:
        result = run(height, clip_seconds, photos, model, batch_size)
        delay = statistics.median(result.photo_latency) - base_median
        lines += [
            f"{height}p: 1. {result.clip_work_s / clip_seconds:.2f} s of work per second of clip "
            f"({result.clip_work_s:.1f} s for {clip_seconds:g} s)",
            f"{height}p: 2. clip post -> reply {result.clip_wall_s:.1f} s (goal for 360p: <= 60 s)",
            f"{height}p: 3. {result.photos_during_clip} of {photos} photos answered while the clip was worked on; photo median reply "
            f"{statistics.median(result.photo_latency):.1f} s vs {base_median:.1f} s without a clip "
            f"({delay:+.1f} s = {delay / max(per_batch, 1e-9):+.1f} batches; goal <= +1)",
        ]
    return lines


def main_args(args: Any) -> None:
    for line in report(tuple(args.heights), args.clip_seconds, args.photos, args.model, args.batch_size):
        print(line, flush=True)
