"""Four worker processes share one SQLite file: every job is claimed exactly once."""

from __future__ import annotations

import multiprocessing
import os
import random
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from db.engine import make_engine
from db.migrate import upgrade
from db.queue import JobQueue, NewJob

JOBS = 200
WORKERS = 4


def drain(url: str, worker_id: str, start: Any, results: Any) -> None:
    """A worker process: migrate (as every worker does on start), wait for the others, claim until empty."""
    upgrade(url)  # concurrent start-up migrations must be harmless
    engine = make_engine(url)
    queue = JobQueue(engine)
    rng = random.Random(worker_id)
    claimed: list[int] = []
    try:
        start.wait(timeout=60)  # all four hammer the file at the same moment
        while jobs := queue.claim(worker_id, limit=rng.randint(1, 4), lease_seconds=600):
            for job in jobs:
                claimed.append(job.id)
                queue.complete(job, metrics={"worker": worker_id})
    finally:
        engine.dispose()
        results.put((worker_id, claimed))


def test_four_processes_claim_every_job_exactly_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    upgrade(url)
    engine = make_engine(url)
    queue = JobQueue(engine)
    ids = queue.enqueue(
        NewJob(post_id=f"p{n}", subreddit="s", permalink=f"/p{n}", image_url=f"https://i/{n}.jpg") for n in range(JOBS)
    )
    assert len(ids) == JOBS

    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(WORKERS), context.Queue()
    workers = [context.Process(target=drain, args=(url, f"w{n}", start, results)) for n in range(WORKERS)]
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


def claim_and_crash(url: str) -> None:
    """A worker that takes jobs and dies hard (no release, no cleanup) while holding their leases."""
    queue = JobQueue(make_engine(url))
    assert len(queue.claim("doomed", limit=3, lease_seconds=60)) == 3
    os._exit(1)


def test_jobs_of_a_killed_process_are_reclaimed_after_their_lease(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    upgrade(url)
    engine = make_engine(url)
    queue = JobQueue(engine)
    queue.enqueue(NewJob(post_id=f"p{n}", subreddit="s", permalink="/", image_url="https://i/x.jpg") for n in range(3))
    crasher = multiprocessing.get_context("spawn").Process(target=claim_and_crash, args=(url,))
    crasher.start()
    crasher.join(timeout=60)
    assert crasher.exitcode == 1
    (held,) = {job.lease_expires_at for job in queue.jobs_for_post("p0")}
    assert queue.claim("survivor", limit=5, now=held - timedelta(seconds=1)) == []  # lease still live
    reclaimed = queue.claim("survivor", limit=5, now=held)
    summary = [(job.post_id, job.attempts, job.lease_owner) for job in reclaimed]
    assert summary == [(f"p{n}", 2, "survivor") for n in range(3)]
    engine.dispose()
