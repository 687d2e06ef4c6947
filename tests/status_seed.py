"""A database with a job in every state, two bans (one with hostile text) and a poll, seeded through the real API."""

from __future__ import annotations

from datetime import timedelta

from db import Facts, JobQueue, NewJob, make_engine, upgrade
from db.model_switches import ModelSwitches
from db.types import utcnow

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'
COUNTS = {"pending": 2, "running": 1, "done": 3, "skipped": 1, "failed": 2}
REASON_404 = "download failed (not_found): HTTP 404 from i.redd.it"
OLD_MODEL, NEW_MODEL = "01d0" * 16, "feed" * 16  # two model hashes: one answered done01, the promoted one done02


def _job(post_id: str, subreddit: str = "OldSchoolCool", permalink: str | None = None) -> NewJob:
    return NewJob(post_id, subreddit, permalink or f"/r/{subreddit}/comments/{post_id}/a_title/",
                  f"https://i.redd.it/{post_id}.jpg", author="someone")


def seed(url: str) -> None:
    """A job in every state, hostile text in a reason, a ban, a poll and a promoted model, all through the real API."""
    upgrade(url)
    engine = make_engine(url)
    queue, facts = JobQueue(engine, max_attempts=3), Facts(engine)
    queue.enqueue([_job("done01"), _job("done02", "Colorization"), _job("done03", permalink="javascript:alert(3)"),
                   _job("skip01"), _job("fail01"), _job("xss001", "Colorization"), _job("retry1"), _job("run001")])
    jobs = {job.post_id: job for job in queue.claim("seed", limit=10)}
    for post_id, model in (("done01", OLD_MODEL), ("done02", NEW_MODEL)):
        hosted = f"https://i.example.net/{post_id}-comparison.jpg"
        queue.record_hosted_url(jobs[post_id].id, hosted, model_sha256=model)
        queue.reserve_reply(post_id, jobs[post_id].id)
        queue.record_reply(post_id, f"c{post_id}", jobs[post_id].id)
        queue.complete(jobs[post_id], hosted_url=hosted, metrics={"panels": 2})
    ModelSwitches(engine).promote(NEW_MODEL[:12], NEW_MODEL, baseline=(OLD_MODEL[:12], OLD_MODEL))
    queue.complete(jobs["done03"], hosted_url="javascript:alert(4)")
    queue.skip(jobs["skip01"], "colour photo, nothing to colorize (chroma 23.1)")
    queue.fail(jobs["fail01"], REASON_404, permanent=True)
    queue.fail(jobs["xss001"], XSS, permanent=True)
    queue.fail(jobs["retry1"], "publishing failed: reddit: HTTP 503")  # back to pending, to retry
    queue.enqueue([_job("pend01")])
    next_check = utcnow() + timedelta(days=1)
    facts.ban_subreddit("BannedHere", "403 Forbidden (banned or private)", next_check)
    facts.ban_subreddit("evilsub", "<b>bold</b> " + XSS, next_check)
    facts.record_poll("r/colorization+oldschoolcool/new", "t3_pend01")
    engine.dispose()
