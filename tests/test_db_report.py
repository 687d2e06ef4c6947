"""db.report, the queries behind `colorbot status`, the status page and /metrics, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from bot.metrics import database_registry
from bot.status_server import StatusServer
from db import make_engine
from db.report import read_gauges, read_report
from db.types import utcnow
from tests.status_seed import COUNTS, REASON_404, seed


def test_the_report_of_a_seeded_queue(database_url: str) -> None:
    seed(database_url)
    engine = make_engine(database_url)
    report = read_report(engine, recent=5)
    gauges = report.gauges
    assert gauges.counts == COUNTS and gauges == read_gauges(engine)
    now = utcnow()
    assert gauges.last_poll_at is not None and timedelta(0) <= now - gauges.last_poll_at < timedelta(minutes=1)
    assert gauges.oldest_pending_created_at is not None and 0 <= gauges.oldest_pending_age_seconds(now) < 60
    assert (gauges.replies_recorded, gauges.banned_subreddits) == (2, 2)
    assert gauges.current_model is not None and gauges.current_model.action == "promote" and len(gauges.replies_by_model) == 2
    assert len(report.recent_jobs) == 5  # the limit
    assert {j.post_id for j in report.comparisons} == {"done01", "done02", "done03"}
    assert {j.post_id: j.state for j in report.failures} == {"fail01": "failed", "xss001": "failed", "retry1": "pending"}
    assert REASON_404 in {j.last_error for j in report.failures}
    assert [b.name for b in report.banned] == ["bannedhere", "evilsub"] and len(report.polls) == 1
    stamps = [j.updated_at for j in report.recent_jobs]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    with StatusServer(engine, database_registry(engine), database_label="db", max_poll_age_seconds=60) as server:
        code, html = server.page()
        assert code == 200 and "r/bannedhere" in html and server.health().ok
    engine.dispose()


def test_an_empty_queue(database_url: str) -> None:
    from db import upgrade

    upgrade(database_url)
    gauges = read_gauges(make_engine(database_url))
    assert set(gauges.counts.values()) == {0} and gauges.last_poll_at is None
    assert gauges.oldest_pending_created_at is None and gauges.oldest_pending_age_seconds(utcnow()) == 0


def test_clips_answered_and_their_seconds_are_summed_by_the_database(database_url: str) -> None:
    from db import JobQueue, NewJob, upgrade

    upgrade(database_url)
    engine = make_engine(database_url)
    queue = JobQueue(engine)
    clip = {"clip_seconds": 12.5}
    queue.enqueue([NewJob(f"v{n}", "OldSchoolCool", f"/r/x/v{n}", f"https://v.redd.it/v{n}/CMAF_720.mp4", kind="video")
                   for n in range(4)] + [NewJob("p1", "OldSchoolCool", "/r/x/p1", "https://i.redd.it/p1.jpg")])
    jobs = {job.post_id: job for job in queue.claim("w1", limit=5, kinds=("video", "photo"))}
    queue.complete(jobs["v0"], metrics=clip)
    queue.complete(jobs["v1"], metrics={"clip_seconds": 3.25, "frames": 78})
    queue.complete(jobs["v2"], metrics={"frames": 1})  # an answer without the figure counts, adds no seconds
    queue.skip(jobs["v3"], "color clip", metrics=clip)  # not answered
    queue.complete(jobs["p1"], metrics=clip)  # a photo, whatever its metrics say
    gauges = read_gauges(engine)
    assert (gauges.clips_answered, gauges.clip_seconds) == (3, 15.75)
    engine.dispose()
