"""Status page: how fast it answers, and the screenshot in docs/status-page.png.

The bot first runs once, for real, against a sandbox with the default seed (the shipped
model on CPU), so the page shows real comparisons, a failure, skips and a ban; the sandbox
stays up while Chromium takes the screenshot, so the thumbnails load. Then the three routes
are timed on that database and on one padded to ``--jobs`` rows, to show how the page's
queries scale with a queue that has run for months.

    .venv/bin/python bench/status_page.py                 # timings + docs/status-page.png
    .venv/bin/python bench/status_page.py --no-screenshot
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import DownloadSettings, HostSettings, Settings  # noqa: E402
from bot.reddit.client import make_reddit  # noqa: E402
from bot.sandbox import SandboxServer  # noqa: E402
from bot.sandbox.praw_site import praw_settings  # noqa: E402
from bot.scheduler import build_bot, run_once  # noqa: E402
from bot.status_server import server_for  # noqa: E402
from db import Job, JobQueue, transaction  # noqa: E402
from db.types import utcnow  # noqa: E402
from tests.browser import find_chromium, screenshot  # noqa: E402

ROUTES = ("/", "/metrics", "/healthz")
SUBREDDITS = ("Colorization", "OldSchoolCool", "ColorizationRequests", "BannedHere")


def timed(url: str, repeats: int) -> tuple[float, float]:
    """Median and max milliseconds of ``repeats`` GETs (after one warm-up)."""
    requests.get(url, timeout=30)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        requests.get(url, timeout=30).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def pad(queue: JobQueue, total: int) -> None:
    """Add old skipped jobs until the queue holds ``total`` rows (what months of colour photos leave behind).

    One bulk insert: the bench measures reading a big queue, not filling it.
    """
    have = sum(queue.counts_by_state().values())
    old = utcnow() - timedelta(days=90)
    rows = [{"post_id": f"pad{i:07d}", "subreddit": "OldSchoolCool", "permalink": f"/r/OldSchoolCool/comments/pad{i}/x/",
             "image_url": f"https://i.redd.it/{i}.jpg", "image_index": 0, "role": "bw", "state": "skipped",
             "skip_reason": "colour photo, nothing to colorize", "attempts": 1, "next_attempt_at": old,
             "created_at": old, "updated_at": old} for i in range(have, total)]
    with transaction(queue.engine, write=True) as session:
        session.execute(insert(Job), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--screenshot", type=Path, default=Path("docs/status-page.png"))
    parser.add_argument("--no-screenshot", action="store_true")
    parser.add_argument("--height", type=int, default=1500, help="screenshot height in pixels (width 1280)")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=20_000, help="rows in the padded database")
    args = parser.parse_args()
    args.screenshot = args.screenshot.resolve()

    with tempfile.TemporaryDirectory(prefix="colorbot-bench-") as scratch, SandboxServer() as sandbox:
        os.chdir(scratch)  # a relative database URL, so the page (and the screenshot) shows no temporary path
        settings = Settings(subreddits=SUBREDDITS, database_url="sqlite:///colorbot.db", device="cpu",
                            download=DownloadSettings(sandbox_image_base_url=sandbox.url),
                            host=HostSettings(kind="reddit", outbox_dir=Path(scratch) / "outbox"))
        bot = build_bot(settings, make_reddit(settings, **praw_settings(sandbox.url)))
        started = time.perf_counter()
        result = run_once(bot)
        print(f"bot: one pass over the default seed in {time.perf_counter() - started:.1f}s; " + result.lines()[-1])

        with server_for(settings, bot.queue.engine, bot.metrics.registry, port=0).start() as server:
            browser = find_chromium()
            if not args.no_screenshot:
                if browser is None:
                    sys.exit("chromium is not installed (apt-get install -y --no-install-recommends chromium)")
                started = time.perf_counter()
                screenshot(browser, server.url + "/", args.screenshot, 1280, args.height)
                print(f"screenshot: {args.screenshot} ({args.screenshot.stat().st_size / 1024:.0f} KiB, "
                      f"1280x{args.height}, {time.perf_counter() - started:.1f}s in headless Chromium)")
            rows = {"seed": {route: timed(server.url + route, args.repeats) for route in ROUTES}}
            pad(bot.queue, args.jobs)
            rows[f"{args.jobs} jobs"] = {route: timed(server.url + route, args.repeats) for route in ROUTES}
            page_bytes = len(requests.get(server.url + "/", timeout=30).content)

    print(f"\nlatency over HTTP on loopback, ms (median / max of {args.repeats}); page size {page_bytes / 1024:.1f} KiB")
    print(f"{'database':<12}" + "".join(f"{route:>18}" for route in ROUTES))
    for name, timings in rows.items():
        print(f"{name:<12}" + "".join(f"{m:>10.1f} / {x:<5.1f}" for m, x in timings.values()))
    seed, padded = rows["seed"], rows[f"{args.jobs} jobs"]
    print("ratio       " + "".join(f"{padded[r][0] / seed[r][0]:>17.2f}x" for r in ROUTES) + "  (padded / seed, medians)")


if __name__ == "__main__":
    main()
