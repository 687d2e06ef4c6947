"""Three processes × three threads on one OAuth client: the most Reddit requests in any 60 s.

Each process is a ``praw.Reddit`` with the bot's budget shared through one SQLite database
(``db.request_budget``), as ``colorbot run`` workers on one machine share it (PostgreSQL across
machines: ``--database-url``). Its three threads — APScheduler's, in the bot — read
``/api/v1/me`` from a sandbox Reddit as fast as the budget lets them for ``--seconds``. The
sandbox's own request log is the judge: printed are the requests per process, the most in any
60-second window (Reddit's limit: 100) and the same for one process alone without the shared
budget (what each process would send if every one kept its own count).

Usage: python bench/request_budget.py [--seconds 75] [--database-url URL]
"""

from __future__ import annotations

import argparse
import bisect
import multiprocessing
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# Run as a script, this file's folder is sys.path[0]; keep the packages importable by name.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

PROCESSES, THREADS, LIMIT = 3, 3, 100


def hammer(url: str, database_url: str | None, seconds: float, start: Any, counts: Any) -> None:
    """One bot process: THREADS threads sharing one praw.Reddit, each calling /api/v1/me in a loop."""
    import praw

    from bot.reddit.budget import WINDOW_SECONDS, client_key, install_rate_budget, share_budget
    from bot.sandbox.praw_site import reddit_kwargs
    from db import make_engine
    from db.request_budget import RequestWindow

    reddit = praw.Reddit(**reddit_kwargs(url))
    install_rate_budget(reddit)
    if database_url:
        share_budget(reddit, RequestWindow(make_engine(database_url), client_key(reddit), LIMIT, window_seconds=WINDOW_SECONDS))
    sent = [0] * THREADS

    def loop(index: int) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            reddit.get("/api/v1/me")
            sent[index] += 1

    start.wait(timeout=120)
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts.put(sum(sent))


def most_in_a_minute(times: list[float]) -> int:
    times = sorted(times)
    return max((bisect.bisect_left(times, t + 60.0) - i for i, t in enumerate(times)), default=0)


def run(url: str, database_url: str | None, processes: int, seconds: float) -> list[int]:
    """Requests sent by each of ``processes`` bot processes."""
    context = multiprocessing.get_context("spawn")
    start, counts = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=hammer, args=(url, database_url, seconds, start, counts)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds + 180)
    return sorted(counts.get(timeout=10) for _ in workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=75.0, help="how long the threads send (> 60: a full window and more)")
    parser.add_argument("--database-url", default=None, help="the shared budget's database (default: a fresh SQLite file)")
    args = parser.parse_args()

    from bot.sandbox import SandboxServer
    from db import upgrade

    with tempfile.TemporaryDirectory(prefix="bench-budget-") as scratch:
        database_url = args.database_url or f"sqlite:///{Path(scratch) / 'budget.db'}"
        upgrade(database_url)
        with SandboxServer() as sandbox:
            started = len(sandbox.world.log)
            per_process = run(sandbox.url, database_url, PROCESSES, args.seconds)
            with sandbox.world.lock:
                shared = [e["t"] for e in sandbox.world.log[started:] if e["route"] == "GET /api/v1/me"]
        with SandboxServer() as alone:
            run(alone.url, None, 1, args.seconds)
            with alone.world.lock:
                solo = [e["t"] for e in alone.world.log if e["route"] == "GET /api/v1/me"]
    print(f"{PROCESSES} processes x {THREADS} threads on one OAuth client for {args.seconds:.0f} s, budget in {database_url.split(':')[0]}:")
    print(f"  requests sent per process: {per_process} (total {sum(per_process)})")
    print(f"  most requests in any 60 s: {most_in_a_minute(shared)} (Reddit's limit {LIMIT})")
    print(f"  one process with its own budget only: {most_in_a_minute(solo)} in its first 60 s; {PROCESSES} such processes "
          f"would send up to {PROCESSES * most_in_a_minute(solo)}")


if __name__ == "__main__":
    main()
