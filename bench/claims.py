"""Queue throughput: jobs claimed and completed per second by 1, 2 and 4 worker processes,
on a SQLite file and on PostgreSQL, with each count's ratio to one worker, measured in one run.

Each worker loops ``claim(limit=1)`` → ``complete`` (two write transactions per job: the queue's
own cost per job, no colorizing) until the queue is empty. Every (backend, workers) cell gets a
fresh database (a new SQLite file; a new PostgreSQL schema) holding ``--jobs`` pending jobs;
the clock runs from the moment all workers are released until the last one finds nothing left.
Numbers depend on the cores: with fewer cores than workers the processes share CPUs.

Usage: python bench/claims.py [--postgres URL] [--jobs 2000] [--workers 1,2,4]
       (URL default: $COLORBOT_BENCH_POSTGRES_URL, else $COLORBOT_TEST_POSTGRES_URL; none: SQLite only)
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import make_url, text

from db.engine import make_engine, mask_url
from db.migrate import upgrade
from db.queue import JobQueue, NewJob

SPAWN = multiprocessing.get_context("spawn")


def work(url: str, worker_id: str, ready: Any, go: Any, results: Any) -> None:
    """One worker process: connect, signal ready, wait for the start, claim+complete until empty."""
    engine = make_engine(url)
    queue = JobQueue(engine)
    queue.counts_by_state()  # open the connection before the clock starts
    ready.put(worker_id)
    go.wait()
    start, done = time.perf_counter(), 0
    while jobs := queue.claim(worker_id, limit=1, lease_seconds=600):
        for job in jobs:
            queue.complete(job)
            done += 1
    results.put((worker_id, start, time.perf_counter(), done))
    engine.dispose()


def measure(url: str, jobs: int, workers: int) -> float:
    """Jobs per second for `workers` processes draining `jobs` jobs from the empty database at `url`."""
    upgrade(url)
    engine = make_engine(url)
    queue = JobQueue(engine)
    queue.enqueue(NewJob(f"p{n}", "s", f"/p{n}", f"https://i.redd.it/{n}.jpg") for n in range(jobs))
    ready, results, go = SPAWN.Queue(), SPAWN.Queue(), SPAWN.Event()
    processes = [SPAWN.Process(target=work, args=(url, f"w{n}", ready, go, results)) for n in range(workers)]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=120)
    go.set()
    rows = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    counts = queue.counts_by_state()
    engine.dispose()
    if sum(r[3] for r in rows) != jobs or counts["done"] != jobs:
        raise RuntimeError(f"claimed {sum(r[3] for r in rows)} of {jobs} jobs, {counts['done']} done: not exactly once")
    elapsed = max(r[2] for r in rows) - min(r[1] for r in rows)
    return jobs / elapsed


@contextmanager
def sqlite_database(folder: Path) -> Iterator[str]:
    yield f"sqlite:///{folder / f'claims-{uuid.uuid4().hex[:8]}.db'}"


@contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    """A fresh schema on the server at `base`, used through the URL's search_path, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def postgres_settings(base: str) -> str:
    engine = make_engine(base)
    try:
        with engine.connect() as connection:
            names = ("server_version", "fsync", "synchronous_commit")
            return ", ".join(f"{n}={connection.execute(text(f'SHOW {n}')).scalar()}" for n in names)
    finally:
        engine.dispose()


def sqlite_settings() -> str:
    with tempfile.TemporaryDirectory() as tmp, sqlite_database(Path(tmp)) as url:
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                pragmas = ("journal_mode", "synchronous")
                return ", ".join(f"{p}={connection.exec_driver_sql(f'PRAGMA {p}').scalar()}" for p in pragmas)
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_pg = os.environ.get("COLORBOT_BENCH_POSTGRES_URL") or os.environ.get("COLORBOT_TEST_POSTGRES_URL")
    parser.add_argument("--postgres", default=default_pg, help="PostgreSQL URL (a schema is created per run)")
    parser.add_argument("--jobs", type=int, default=2000, help="jobs per measurement")
    parser.add_argument("--workers", default="1,2,4", help="worker process counts, comma-separated")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs (load average {load} at start), {args.jobs} jobs per cell, claim(limit=1) + complete per job")
    print(f"sqlite: {sqlite_settings()}, BEGIN IMMEDIATE claims")
    backends: list[tuple[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        backends.append(("sqlite", lambda: sqlite_database(Path(tmp))))
        if args.postgres:
            print(f"postgresql: {mask_url(args.postgres)} ({postgres_settings(args.postgres)}), FOR UPDATE SKIP LOCKED")
            backends.append(("postgresql", lambda: postgres_schema(args.postgres)))
        else:
            print("postgresql: skipped (no --postgres URL)")
        print(f"\n{'backend':<11} {'workers':>7} {'jobs/s':>9} {'vs 1 worker':>12}")
        for name, database in backends:
            first = None
            for workers in counts:
                with database() as url:
                    rate = measure(url, args.jobs, workers)
                first = first or rate
                print(f"{name:<11} {workers:>7} {rate:>9.0f} {rate / first:>11.2f}x", flush=True)


if __name__ == "__main__":
    main()
