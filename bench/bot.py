"""The bot end to end on CPU: Reddit requests per answered post, post-to-reply latency, images/s.

A sandbox Reddit is seeded with N distinct black-and-white photo posts (``bot.sandbox.generated``),
all appearing at the same moment; then one ``run-once`` pass (one poll, the worker until the
queue is empty) runs in this process with the shipped default model, a SQLite file queue and the
Reddit image host (the comparison is an image post on the bot's profile). Printed, from the
sandbox's own request log and comment times:

1. Reddit requests per replied post — all requests the sandbox received, and the OAuth API ones
   (what Reddit's rate limit counts), with a breakdown by endpoint;
2. seconds from a post appearing to the bot's reply: median and max;
3. images/s through the worker (replied posts ÷ worker wall time), and the share of that time
   the bot's own request budget (``MAX_REQUESTS_PER_MINUTE``) spent sleeping;
4. reading the replies' scores back (``bench/score_reading.py``): API requests a day per tracked
   reply and per new reply, at ``--scores-per-day`` replies a day (the hourly reader over two
   simulated weeks; goal ≤ 0.05 per reply per day);
5. with ``--budget-seconds``: the most requests in any 60 s from 3 processes × 3 threads on one
   OAuth client (``bench/request_budget.py``).

With ``--video`` it measures a black-and-white video post answered beside photo posts instead
(``bench/video_bot.py``: wall time per second of clip, post -> reply, photos answered meanwhile).

Usage: python bench/bot.py [--posts 20] [--model CKPT] [--batch-size 4] [--render-size PX] [--host reddit|local]
                           [--scores-per-day 50 480] [--budget-seconds 75]
       python bench/bot.py --video [--heights 360 720] [--clip-seconds 30] [--photos 8]
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

# Run as a script, this file's folder is sys.path[0] and "bot" would be this file, not the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from bot.config import DownloadSettings, HostSettings, Settings, WorkerSettings
from bot.reddit.budget import MAX_REQUESTS_PER_MINUTE, BudgetRateLimiter
from bot.reddit.client import make_reddit
from bot.sandbox import SandboxServer
from bot.sandbox.generated import bw_posts
from bot.sandbox.praw_site import praw_settings
from bot.sandbox.seed import load_into
from bot.scheduler import build_bot, run_once



def _sibling(name: str):  # noqa: ANN202 - a module object
    """A module of bench/ (no package) by file name."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


score_reading = _sibling("score_reading")

SUBREDDIT = "OldSchoolCool"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--model", type=Path, default=None, help="checkpoint; default: the shipped colorizer/weights/default.pt")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--render-size", type=int, default=None)
    parser.add_argument("--budget-seconds", type=float, default=0.0,
                        help="then also run bench/request_budget.py for this long: 3 processes x 3 threads on one client")
    parser.add_argument("--host", choices=("reddit", "local"), default="reddit",
                        help="reddit: comparisons are profile posts; local: files in a folder behind a web server")
    parser.add_argument("--scores-per-day", type=int, nargs="*", default=[50, 480],
                        help="reply rates at which to measure score reading (480 = the default cap of 20 an hour)")
    parser.add_argument("--video", action="store_true", help="measure a B&W video post answered beside photo posts instead")
    parser.add_argument("--heights", type=int, nargs="+", default=[360, 720], help="--video: clip heights")
    parser.add_argument("--clip-seconds", type=float, default=30.0, help="--video: clip length")
    parser.add_argument("--photos", type=int, default=8, help="--video: photo posts arriving with the clip")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    if args.video:
        _sibling("video_bot").main_args(args)
        return

    with tempfile.TemporaryDirectory(prefix="bench-bot-") as tmp, SandboxServer({"subreddits": [{"name": SUBREDDIT}]}) as sandbox:
        settings = Settings(subreddits=(SUBREDDIT,), database_url=f"sqlite:///{Path(tmp) / 'bench.db'}", model_path=args.model,
                            render_size=args.render_size, device="cpu", max_replies_per_hour=10_000,
                            download=DownloadSettings(sandbox_image_base_url=sandbox.url),
                            host=HostSettings(kind=args.host, local_dir=Path(tmp) / "hosted",
                                              local_base_url="https://img.example.org/colorbot"),
                            worker=WorkerSettings(batch_size=args.batch_size))
        bot = build_bot(settings, make_reddit(settings, **praw_settings(sandbox.url)))
        model = bot.worker.colorizer  # load the model first: its one-off cost is not per post
        slept = _count_budget_sleeps(bot.reddit)
        world = sandbox.world
        first_request = len(world.log)

        appeared = time.time()
        load_into(world, {"posts": [{**post, "age_s": 0.0} for post in bw_posts(args.posts, seed=3, subreddit=SUBREDDIT)]})
        started = time.perf_counter()
        result = run_once(bot)
        worker_s = time.perf_counter() - started

        with world.lock:
            requests = world.log[first_request:]
            replies = {world.comments[i].link_id: world.comments[i].created_utc for i in world.made["comments"]}
    answered = len(replies)
    if not answered:
        raise SystemExit("no post was answered: " + "; ".join(result.lines()))
    api = [r for r in requests if r["api"]]
    latency = sorted(t - appeared for t in replies.values())
    by_route = Counter(r["route"] for r in requests)

    print(f"bot bench: {args.posts} B&W posts, model {settings.model_file().name} (render {model.render_size} px, cpu), "
          f"batch {args.batch_size}, host {args.host}, SQLite")
    print("  " + " | ".join(result.lines()))
    print(f"1. requests per replied post: {len(requests) / answered:.2f} in all ({len(requests)} for {answered} replies), "
          f"{len(api) / answered:.2f} OAuth API calls (what Reddit rate-limits)")
    for route, count in by_route.most_common():
        print(f"     {count / answered:5.2f}/post  {count:4d}  {route}")
    print(f"2. post appeared -> reply: median {statistics.median(latency):.1f} s, max {latency[-1]:.1f} s "
          f"(first {latency[0]:.1f} s)")
    print(f"3. worker: {answered / worker_s:.2f} images/s ({answered} replied posts in {worker_s:.1f} s wall); "
          f"the {MAX_REQUESTS_PER_MINUTE}-requests-a-minute budget slept {slept['seconds']:.1f} s of it "
          f"({slept['seconds'] / worker_s:.0%})")
    for rate in args.scores_per_day:
        with tempfile.TemporaryDirectory(prefix="bench-scores-") as tmp:
            cost = score_reading.measure(rate, Path(tmp))
        print(f"4. score reading at {rate} replies/day: {cost.requests_per_day:.1f} /api/info requests/day = "
              f"{cost.per_tracked_reply_per_day:.4f} per tracked reply per day ({cost.tracked_replies} younger than 7 days), "
              f"{cost.per_new_reply:.3f} per new reply", flush=True)
    if args.budget_seconds > 0:
        print("5. the shared request budget:", flush=True)
        subprocess.run([sys.executable, str(Path(__file__).with_name("request_budget.py")), "--seconds", str(args.budget_seconds)],
                       check=True)


def _count_budget_sleeps(reddit: object) -> dict[str, float]:
    """Wrap the bot's rate limiter's sleep so the bench can say how long the request budget waited."""
    totals = {"seconds": 0.0}
    for core in (getattr(reddit, "_authorized_core", None), getattr(reddit, "_read_only_core", None)):
        limiter = getattr(core, "_rate_limiter", None)
        if isinstance(limiter, BudgetRateLimiter) and not getattr(limiter, "_bench_wrapped", False):
            original = limiter._sleep

            def sleep(seconds: float, original=original) -> None:  # noqa: ANN001
                totals["seconds"] += seconds
                original(seconds)

            limiter._sleep, limiter._bench_wrapped = sleep, True
    return totals


if __name__ == "__main__":
    main()
