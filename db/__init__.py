"""colorbot's durable state: a job queue several worker processes share, and the bot's other facts.

Start-up (every process)::

    engine = make_engine(url)        # sqlite:///colorbot.db or postgresql+psycopg://…
    upgrade(engine)                  # safe when several processes start at once
    queue, facts = JobQueue(engine), Facts(engine)

A worker's loop, each step committed before the next side effect so a retry can skip it::

    for job in queue.claim(worker_id, limit=1, lease_seconds=600):
        ...colorize (queue.heartbeat(job) if it may outlive the lease)...
        job = queue.record_hosted_url(job.id, url, delete_handle)   # before replying
        if queue.reserve_reply(job.post_id, job.id):                 # False: never reply
            comment_id = ...post the reply...
            queue.record_reply(job.post_id, comment_id, job.id)
        queue.complete(job, metrics=..., phash=...)                 # or skip/fail/release

Imports nothing of the rest of the project.
"""

from db.backoff import Backoff
from db.engine import DEFAULT_URL, make_engine, make_session_factory, mask_url, transaction
from db.facts import Facts
from db.migrate import upgrade
from db.models import Job, JobState
from db.phash import hamming, normalize_hash
from db.queue import JobQueue, LeaseLost, NewJob

__all__ = [
    "DEFAULT_URL",
    "Backoff",
    "Facts",
    "Job",
    "JobQueue",
    "JobState",
    "LeaseLost",
    "NewJob",
    "hamming",
    "make_engine",
    "make_session_factory",
    "mask_url",
    "normalize_hash",
    "transaction",
    "upgrade",
]
