"""One request budget per OAuth client, shared through the database by every process and thread."""

from __future__ import annotations

import multiprocessing
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.reddit.budget import BudgetRateLimiter
from db import make_engine, upgrade
from db.request_budget import RequestWindow

CAP = 10


def take_for(url: str, seconds: float, threads: int, start: Any, results: Any) -> None:
    """One process: ``threads`` threads taking slots from the shared window as fast as they can."""
    engine = make_engine(url)
    window = RequestWindow(engine, "client-a", CAP)
    taken = [0] * threads

    def work(index: int) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if window.take() == 0:
                taken[index] += 1

    start.wait(timeout=60)
    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put(sum(taken))
    engine.dispose()


def test_three_processes_of_three_threads_never_exceed_the_shared_minute(database_url: str) -> None:
    upgrade(database_url)
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(3), context.Queue()
    processes = [context.Process(target=take_for, args=(database_url, 1.5, 3, start, results)) for _ in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0, 0]
    counts = [results.get(timeout=5) for _ in processes]
    assert sum(counts) == CAP  # 9 threads in 3 processes raced for 1.5 s: exactly the cap, never more
    engine = make_engine(database_url)
    try:
        other = RequestWindow(engine, "client-b", CAP)  # another OAuth client has its own budget
        assert other.take() == 0 and RequestWindow(engine, "client-a", CAP).sent_in_window() == CAP
    finally:
        engine.dispose()


def test_the_window_slides_and_says_how_long_to_wait(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    now = [datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)]
    window = RequestWindow(engine, "client", 3, clock=lambda: now[0])
    try:
        for _ in range(3):
            assert window.take() == 0
            now[0] += timedelta(seconds=1)
        assert window.take() == 57.0 and window.wait() == 57.0  # the first slot (t = 0) frees at t = 60
        now[0] += timedelta(seconds=57)
        assert window.take() == 0 and window.sent_in_window() == 3  # the oldest row slid out (and was deleted)
    finally:
        engine.dispose()


def test_the_limiter_sleeps_until_the_shared_window_has_room(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    now = [datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += timedelta(seconds=seconds)

    try:
        limiter = BudgetRateLimiter(max_per_minute=2, sleep=sleep, window=RequestWindow(engine, "c", 2, clock=lambda: now[0]))
        limiter.delay()
        limiter.delay()
        assert slept == []
        limiter.delay()
        assert slept == [60.0]
    finally:
        engine.dispose()
