"""Worker processes sharing one queue, on a SQLite file and on PostgreSQL (see tests/db_backends.py).

Four processes claim every job exactly once; a worker SIGKILLed while holding leases loses its jobs
to another worker once the leases run out; one killed in the middle of a claim blocks nobody.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from db.engine import make_engine, writer
from db.migrate import upgrade
from db.queue import JobQueue, NewJob, claimable
from db.types import utcnow

JOBS = 200
WORKERS = 4
SPAWN = multiprocessing.get_context("spawn")


def drain(url: str, worker_id: str, start: Any, results: Any) -> None:
    """A worker process: migrate (as every worker does on start), wait for the others, claim until empty."""
    upgrade(url)  # concurrent start-up migrations must be harmless
    engine = make_engine(url)
    queue = JobQueue(engine)
    rng = random.Random(worker_id)
    claimed: list[int] = []
    try:
        start.wait(timeout=60)  # all four hammer the database at the same moment
        while jobs := queue.claim(worker_id, limit=rng.randint(1, 4), lease_seconds=600):
            for job in jobs:
                claimed.append(job.id)
                queue.complete(job, metrics={"worker": worker_id})
    finally:
        engine.dispose()
        results.put((worker_id, claimed))


def seeded_queue(url: str, jobs: int) -> tuple[Engine, JobQueue, list[int]]:
    upgrade(url)
    engine = make_engine(url)
    queue = JobQueue(engine)
    ids = queue.enqueue(
        NewJob(post_id=f"p{n}", subreddit="s", permalink=f"/p{n}", image_url=f"https://i/{n}.jpg") for n in range(jobs)
    )
    assert len(ids) == jobs
    return engine, queue, ids


def test_four_processes_claim_every_job_exactly_once(database_url: str) -> None:
    engine, queue, ids = seeded_queue(database_url, JOBS)
    start, results = SPAWN.Barrier(WORKERS), SPAWN.Queue()
    workers = [SPAWN.Process(target=drain, args=(database_url, f"w{n}", start, results)) for n in range(WORKERS)]
    for worker in workers:
        worker.start()
    claimed_by = dict(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    claims = Counter(job_id for claimed in claimed_by.values() for job_id in claimed)
    assert [job_id for job_id, n in claims.items() if n > 1] == []  # no duplicates
    assert set(claims) == set(ids)  # none missing
    assert queue.counts_by_state()["done"] == JOBS
    assert {job.attempts for job_id in ids if (job := queue.get(job_id))} == {1}
    print("jobs per worker:", {worker_id: len(claimed) for worker_id, claimed in sorted(claimed_by.items())})
    engine.dispose()


def claim_and_hang(url: str, holding: Any) -> None:
    """A worker that takes three jobs, then hangs until it is killed (no release, no cleanup)."""
    queue = JobQueue(make_engine(url))
    assert len(queue.claim("doomed", limit=3, lease_seconds=60)) == 3
    holding.set()
    time.sleep(600)


def hang_inside_a_claim(url: str, holding: Any) -> None:
    """A worker killed halfway through a claim: rows locked (PostgreSQL) / write lock held (SQLite)."""
    with writer(make_engine(url)).connect() as connection, connection.begin():
        assert len(connection.execute(claimable(utcnow(), 3)).all()) == 3
        holding.set()
        time.sleep(600)


def run_then_sigkill(target: Any, url: str) -> None:
    holding = SPAWN.Event()
    process = SPAWN.Process(target=target, args=(url, holding))
    process.start()
    try:
        assert holding.wait(timeout=60), "the worker never got its jobs"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.join(timeout=30)
    assert process.exitcode == -signal.SIGKILL


def test_jobs_of_a_sigkilled_worker_are_reclaimed_after_their_lease(database_url: str) -> None:
    engine, queue, _ = seeded_queue(database_url, 3)
    run_then_sigkill(claim_and_hang, database_url)
    (held,) = {job.lease_expires_at for n in range(3) for job in queue.jobs_for_post(f"p{n}")}
    assert queue.claim("survivor", limit=5, now=held - timedelta(seconds=1)) == []  # lease still live
    reclaimed = queue.claim("survivor", limit=5, now=held)
    summary = [(job.post_id, job.attempts, job.lease_owner) for job in reclaimed]
    assert summary == [(f"p{n}", 2, "survivor") for n in range(3)]
    engine.dispose()


def test_a_worker_killed_mid_claim_blocks_nobody(database_url: str) -> None:
    engine, queue, _ = seeded_queue(database_url, 3)
    run_then_sigkill(hang_inside_a_claim, database_url)
    taken: list[Any] = []
    deadline = time.monotonic() + 10  # PostgreSQL notices the closed connection within moments
    while len(taken) < 3 and time.monotonic() < deadline:
        taken += queue.claim("survivor", limit=3)
        time.sleep(0.05)
    assert sorted((job.post_id, job.attempts) for job in taken) == [(f"p{n}", 1) for n in range(3)]  # nothing was spent
    engine.dispose()
