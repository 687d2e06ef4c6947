"""Queue state machine: claim → complete/skip/fail/release, leases, backoff, replies and repost lookup.

Every test taking `queue` runs on SQLite and on PostgreSQL (see tests/db_backends.py).
"""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import Engine, event, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.dialects import postgresql

from db.backoff import Backoff
from db.engine import make_engine
from db.migrate import upgrade
from db.phash import hamming, normalize_hash
from db.queue import JobQueue, LeaseLost, NewJob, claimable

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
BACKOFF = Backoff(base=timedelta(seconds=60), factor=2.0, cap=timedelta(hours=6), jitter=0.25)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def queue(engine: Engine) -> JobQueue:
    return JobQueue(engine, clock=lambda: T0, max_attempts=3, backoff=BACKOFF, rng=random.Random(7))


def new_job(post: str = "p1", index: int = 0) -> NewJob:
    image_url = f"https://i.redd.it/{post}_{index}.jpg"
    return NewJob(post, "OldSchoolCool", f"/r/x/{post}", image_url, author="someone", image_index=index)


def test_enqueue_is_idempotent_per_post_and_image(queue: JobQueue) -> None:
    first = queue.enqueue([new_job("p1", 0), new_job("p1", 1)], now=T0)
    again = queue.enqueue([new_job("p1", 0), new_job("p2", 0)], now=T0)
    assert len(first) == 2 and len(again) == 1
    assert queue.counts_by_state() == {"pending": 3, "running": 0, "done": 0, "skipped": 0, "failed": 0}


def test_claim_then_complete_and_skip(queue: JobQueue) -> None:
    queue.enqueue([new_job("p1"), new_job("p2")], now=T0)
    first, second = queue.claim("w1", limit=5, lease_seconds=60, now=T0)
    assert (first.post_id, first.state, first.attempts, first.lease_owner) == ("p1", "running", 1, "w1")
    assert first.lease_expires_at == T0 + timedelta(seconds=60)
    assert queue.claim("w2", limit=5, now=T0) == []  # nothing left to take
    done = queue.complete(first, metrics={"colorfulness": 0.01}, phash=0xABC, hosted_url="https://x/1.png", now=T0)
    assert (done.state, done.metrics, done.lease_owner) == ("done", {"colorfulness": 0.01}, None)
    assert done.phash == "0000000000000abc"
    skipped = queue.skip(second, "already in colour", metrics={"colorfulness": 0.4})
    assert (skipped.state, skipped.skip_reason) == ("skipped", "already in colour")
    assert queue.counts_by_state()["done"] == 1 and queue.counts_by_state()["skipped"] == 1


def test_workers_claim_only_their_kinds_and_a_clip_keeps_its_media(queue: JobQueue) -> None:
    clip = {"playlist_url": "https://v.redd.it/abc/DASHPlaylist.mpd", "duration": 31.5, "has_audio": True}
    queue.enqueue([NewJob("v1", "OldSchoolCool", "/r/x/v1", "https://v.redd.it/abc/CMAF_720.mp4", kind="video", media=clip),
                   new_job("p1")], now=T0)
    (photo,) = queue.claim("photos", limit=5, now=T0, kinds=("photo",))
    assert (photo.post_id, photo.kind, photo.media) == ("p1", "photo", None)
    assert queue.claim("photos", limit=5, now=T0, kinds=("photo",)) == [], "the clip is not a photo worker's"
    (video,) = queue.claim("clips", limit=5, now=T0, kinds=("video",))
    assert (video.post_id, video.kind, video.media) == ("v1", "video", clip)


def test_fail_backs_off_exponentially_then_fails_for_good(queue: JobQueue) -> None:
    (job_id,) = queue.enqueue([new_job()], now=T0)
    now = T0
    delays = []
    for attempt in (1, 2):
        (job,) = queue.claim("w1", now=now)
        assert job.attempts == attempt
        retried = queue.fail(job, "imgur 503", now=now)
        assert retried.state == "pending" and retried.last_error == "imgur 503"
        delay = retried.next_attempt_at - now
        low, high = BACKOFF.bounds(attempt)
        assert low <= delay <= high
        delays.append(delay)
        assert queue.claim("w1", now=now + delay - timedelta(seconds=1)) == []  # not due yet
        now += delay
    assert delays[1] > delays[0]
    (job,) = queue.claim("w1", now=now)
    final = queue.fail(job, "imgur 503 again", now=now)
    assert (final.state, final.attempts) == ("failed", 3)
    assert queue.claim("w1", now=now + timedelta(days=30)) == []
    assert queue.get(job_id).state == "failed"


def test_fail_honours_retry_at_and_permanent(queue: JobQueue) -> None:
    queue.enqueue([new_job("p1"), new_job("p2")], now=T0)
    a, b = queue.claim("w1", limit=2, now=T0)
    assert queue.fail(a, "ratelimit", retry_at=T0 + timedelta(minutes=9)).next_attempt_at == T0 + timedelta(minutes=9)
    assert queue.fail(b, "404 image gone", permanent=True).state == "failed"


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    rng = random.Random(1)
    for attempt in range(1, 12):
        low, high = BACKOFF.bounds(attempt)
        samples = [BACKOFF.delay(attempt, rng) for _ in range(200)]
        assert all(low <= s <= high for s in samples)
        assert len(set(samples)) > 100  # jittered, not constant
        nominal = min(60 * 2 ** (attempt - 1), 6 * 3600)
        assert BACKOFF.nominal(attempt) == timedelta(seconds=nominal)
    assert BACKOFF.bounds(4)[0] > BACKOFF.bounds(3)[1]  # jitter never reorders consecutive attempts
    assert BACKOFF.nominal(500) == timedelta(hours=6)  # capped, no overflow


def test_release_returns_job_without_counting_an_attempt(queue: JobQueue) -> None:
    queue.enqueue([new_job()], now=T0)
    (job,) = queue.claim("w1", now=T0)
    released = queue.release(job, now=T0)
    assert (released.state, released.attempts, released.lease_owner) == ("pending", 0, None)
    (again,) = queue.claim("w2", now=T0)
    assert (again.attempts, again.lease_owner) == (1, "w2")


def test_reschedule_waits_until_the_given_time_without_using_an_attempt(queue: JobQueue) -> None:
    queue.enqueue([new_job()], now=T0)
    wait_until = T0 + timedelta(minutes=9)
    for _ in range(5):  # more waits than max_attempts=3 allows failures: a rate limit never exhausts a job
        (job,) = queue.claim("w1", now=T0)
        later = queue.reschedule(job, wait_until, "RATELIMIT: 9m3s", now=T0)
        assert (later.state, later.attempts, later.last_error) == ("pending", 0, "RATELIMIT: 9m3s")
        assert queue.claim("w1", now=wait_until - timedelta(seconds=1)) == []
        (job,) = queue.claim("w1", now=wait_until)
        queue.reschedule(job, T0, "RATELIMIT: 9m3s", now=wait_until)  # due again at T0 for the next round


def test_expired_lease_is_reclaimed_live_one_is_not(queue: JobQueue) -> None:
    queue.enqueue([new_job()], now=T0)
    (job,) = queue.claim("crashed", lease_seconds=60, now=T0)
    assert queue.claim("w2", now=T0 + timedelta(seconds=59)) == []  # lease still live
    alive = queue.heartbeat(job, lease_seconds=120, now=T0 + timedelta(seconds=50))
    assert queue.claim("w2", now=T0 + timedelta(seconds=100)) == []  # heartbeat kept it
    (taken,) = queue.claim("w2", now=T0 + timedelta(seconds=171))
    assert (taken.id, taken.lease_owner, taken.attempts) == (job.id, "w2", 2)
    with pytest.raises(LeaseLost):  # the old holder can no longer touch it
        queue.complete(alive, now=T0 + timedelta(seconds=172))
    assert queue.complete(taken, now=T0 + timedelta(seconds=172)).state == "done"


def test_job_whose_worker_keeps_dying_ends_failed(queue: JobQueue) -> None:
    queue.enqueue([new_job()], now=T0)
    now = T0
    for _ in range(3):  # max_attempts=3: each claim's worker vanishes
        assert len(queue.claim("doomed", lease_seconds=10, now=now)) == 1
        now += timedelta(seconds=11)
    assert queue.claim("w", now=now) == []
    assert queue.counts_by_state()["failed"] == 1


def test_hosted_url_and_reply_are_recorded_once(queue: JobQueue) -> None:
    queue.enqueue([new_job("p1", 0), new_job("p1", 1)], now=T0)
    first, second = queue.claim("w1", limit=2, now=T0)
    recorded = queue.record_hosted_url(first.id, "https://i.imgur.com/a.png", "delhash", metrics={"poster_url": "p-a"})
    assert recorded.hosted_url == "https://i.imgur.com/a.png" and recorded.metrics == {"poster_url": "p-a"}
    kept = queue.record_hosted_url(first.id, "https://i.imgur.com/b.png", "other", metrics={"poster_url": "p-b"})  # a retry uploaded again
    assert (kept.hosted_url, kept.hosted_delete_handle) == ("https://i.imgur.com/a.png", "delhash")
    assert kept.metrics == {"poster_url": "p-a"}, "what was published beside the first URL stays with it"
    replaced = queue.record_hosted_url(first.id, "https://i.imgur.com/b.png", "other", replace=True)
    assert replaced.hosted_url == "https://i.imgur.com/b.png"

    assert queue.reserve_reply("p1", first.id) is True
    assert queue.reserve_reply("p1", second.id) is False  # the second image may not reply too
    assert queue.reply_for("p1").reply_id is None
    assert queue.record_reply("p1", "c_first", first.id) == "c_first"
    assert queue.record_reply("p1", "c_second", second.id) == "c_first"  # refused: returns the existing one
    assert queue.reply_for("p1").reply_id == "c_first"
    assert {job.reply_id for job in queue.jobs_for_post("p1")} == {"c_first"}
    assert queue.cancel_reply("p1") is False
    assert queue.record_reply("p9", "c9") == "c9"  # recording without a reservation works too


def test_cancelled_reservation_can_be_taken_again(queue: JobQueue) -> None:
    assert queue.reserve_reply("p1") is True
    assert queue.cancel_reply("p1") is True
    assert queue.reserve_reply("p1") is True


def test_find_done_by_hash_finds_reposts(queue: JobQueue) -> None:
    base = 0xF0F0_1234_5678_9ABC
    queue.enqueue([new_job("orig"), new_job("other"), new_job("pending")], now=T0)
    orig, other, _ = queue.claim("w1", limit=3, now=T0)
    queue.complete(orig, phash=base, hosted_url="https://x/orig.png")
    queue.complete(other, phash=base ^ 0xFFFF_FFFF)  # 32 bits away
    assert [j.post_id for j in queue.find_done_by_hash(base)] == ["orig"]
    assert [j.post_id for j in queue.find_done_by_hash(f"{base:x}")] == ["orig"]  # hex string works too
    near = base ^ 0b101  # a recompressed repost: 2 bits differ
    assert queue.find_done_by_hash(near) == []
    assert [j.hosted_url for j in queue.find_done_by_hash(near, max_distance=4)] == ["https://x/orig.png"]
    assert [j.post_id for j in queue.find_done_by_hash(near, max_distance=40)] == ["orig", "other"]
    assert hamming(base, near) == 2 and normalize_hash(1) == "0000000000000001"
    with pytest.raises(ValueError):
        normalize_hash(1 << 64)


def test_naive_datetimes_are_refused(queue: JobQueue) -> None:
    with pytest.raises(ValueError, match="naive"):
        queue.enqueue([new_job()], now=datetime(2026, 1, 1))


def test_postgresql_claim_uses_skip_locked() -> None:
    sql = str(claimable(T0, 5).compile(dialect=postgresql.dialect()))
    assert "FOR UPDATE SKIP LOCKED" in sql


def test_postgresql_claim_skips_rows_another_claimer_holds(postgres_url: str) -> None:
    url = make_url(postgres_url)
    options = f"{url.query['options']} -clock_timeout=2s"  # a claim that waited for the lock would fail
    engine = make_engine(url.update_query_dict({"options": options}))
    upgrade(engine)
    queue = JobQueue(engine, clock=lambda: T0)
    queue.enqueue([new_job("p1"), new_job("p2")])
    try:
        with engine.connect() as blocker, blocker.begin():  # another worker, mid-claim on p1
            blocker.execute(text("SELECT id FROM jobs WHERE post_id = 'p1' FOR UPDATE")).one()
            (taken,) = queue.claim("w1", limit=2)  # does not wait for p1: takes what is free
            assert taken.post_id == "p2"
        (rest,) = queue.claim("w2", limit=2)  # the blocker let go without claiming
        assert (rest.post_id, rest.lease_owner) == ("p1", "w2")
    finally:
        engine.dispose()


def test_claim_takes_the_write_lock_at_begin_while_reads_go_on(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    upgrade(url)
    engine = make_engine(url, busy_timeout_ms=100)
    queue = JobQueue(engine, clock=lambda: T0)
    queue.enqueue([new_job()])
    blocker = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another process is mid-claim
        assert queue.counts_by_state()["pending"] == 1  # WAL: readers are not blocked
        with pytest.raises(OperationalError, match="locked"):
            queue.claim("w1")  # BEGIN IMMEDIATE waits busy_timeout, then gives up cleanly
        blocker.execute("ROLLBACK")
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda conn, cur, sql, *rest: statements.append(sql))
        assert len(queue.claim("w1")) == 1
        queue.counts_by_state()
        assert statements[0] == "BEGIN IMMEDIATE" and "BEGIN DEFERRED" in statements[1:]
    finally:
        blocker.close()
        engine.dispose()
