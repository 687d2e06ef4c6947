"""Prometheus metrics: counters move when the real bot works the sandbox; gauges come from the database."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.demo import bot_environment, write_sandbox_config
from bot.metrics import BotMetrics, database_registry, exposition
from bot.sandbox import SandboxServer
from bot.scheduler import run_once
from bot.status_server import StatusServer
from colorizer.inference import Colorizer
from db import make_engine, upgrade
from tests.bot_helpers import bot_settings, comments_by_post, make_bot


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, keyed by (name, labels)."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(scrape: dict, name: str, **labels: str) -> float:
    return scrape.get((name, frozenset(labels.items())), 0.0)


def test_counters_and_gauges_follow_a_real_run(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                               colorizer: Colorizer) -> None:
    sandbox.faults.api_error("/api/comment", "THREAD_LOCKED", times=1)  # one post cannot be answered
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=("OldSchoolCool",)), sandbox, colorizer)
    with StatusServer(bot.queue.engine, bot.metrics.registry, database_label="test", max_poll_age_seconds=60) as server:
        before = samples(requests.get(f"{server.url}/metrics", timeout=10).text)
        run_once(bot)
        after = samples(requests.get(f"{server.url}/metrics", timeout=10).text)

    replied = sum(len(c) for c in comments_by_post(sandbox).values())
    assert replied >= 2
    assert value(before, "colorbot_replies_total") == 0 and value(before, "colorbot_posts_seen_total") == 0
    assert value(after, "colorbot_replies_total") == replied
    assert value(after, "colorbot_post_decisions_total", decision="replied") == replied
    assert value(after, "colorbot_polls_total", outcome="ok") == 1
    assert value(after, "colorbot_posts_seen_total") >= replied
    assert value(after, "colorbot_jobs_queued_total") >= replied
    assert value(after, "colorbot_errors_total", source="reddit", kind="THREAD_LOCKED") == 1
    assert value(after, "colorbot_post_decisions_total", decision="skipped") >= 1
    assert value(after, "colorbot_colorize_seconds_count") >= 1 and value(after, "colorbot_colorize_seconds_sum") > 0
    assert value(after, "colorbot_images_colorized_total") >= replied
    # the queue's state, read from the database at scrape time
    counts = bot.queue.counts_by_state()
    assert value(after, "colorbot_jobs", state="done") == counts["done"] >= replied
    assert value(after, "colorbot_replies_recorded") == replied
    assert value(after, "colorbot_last_successful_poll_timestamp_seconds") > 0
    assert value(before, "colorbot_last_successful_poll_timestamp_seconds") == 0
    assert value(after, "colorbot_database_up") == 1
    # Reddit's budget as PRAW saw it in the sandbox's x-ratelimit-* headers
    assert 0 < value(after, "colorbot_reddit_ratelimit_remaining") < 100_000
    assert value(after, "colorbot_reddit_ratelimit_used") >= 1


def test_a_failed_poll_is_counted_by_kind(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path) -> None:
    sandbox.faults.status("/r/*/new", 429, headers={"retry-after": "42"})
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox)
    assert bot.poller.poll().error
    scrape = samples(exposition(bot.metrics.registry).decode())
    assert value(scrape, "colorbot_polls_total", outcome="error") == 1
    assert value(scrape, "colorbot_polls_total", outcome="ok") == 0
    assert value(scrape, "colorbot_errors_total", source="poll", kind="HTTP 429") == 1
    assert value(scrape, "colorbot_last_successful_poll_timestamp_seconds") == 0  # the heartbeat did not move


def test_each_bot_has_its_own_registry() -> None:
    first, second = BotMetrics(), BotMetrics()
    first.replies.inc()
    assert value(samples(exposition(first.registry).decode()), "colorbot_replies_total") == 1
    assert value(samples(exposition(second.registry).decode()), "colorbot_replies_total") == 0


def test_an_unreadable_database_says_so_instead_of_failing_the_scrape(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated: no tables
    scrape = samples(exposition(database_registry(engine)).decode())
    assert value(scrape, "colorbot_database_up") == 0
    assert ("colorbot_jobs", frozenset({("state", "done")})) not in scrape
    upgrade(f"sqlite:///{tmp_path / 'empty.db'}")
    scrape = samples(exposition(database_registry(engine)).decode())
    assert value(scrape, "colorbot_database_up") == 1 and value(scrape, "colorbot_jobs", state="pending") == 0


def test_colorbot_run_serves_its_own_counters(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path) -> None:
    """`colorbot run --serve-port 0` as a real process: its /metrics shows what it did, /healthz its polls."""
    config = write_sandbox_config(tmp_path, sandbox.url, database_url=f"sqlite:///{tmp_path / 'colorbot.db'}",
                                  model_path=vivid_checkpoint, subreddits=("OldSchoolCool",),
                                  top={"poll_interval_seconds": 60.0}, worker={"interval_seconds": 0.2})
    log = tmp_path / "bot.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--config", str(config), "--serve-port", "0"],
                                   cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, env=bot_environment(tmp_path))
    try:
        deadline, url, scrape = time.monotonic() + 120, None, {}
        while time.monotonic() < deadline and value(scrape, "colorbot_replies_total") < 3:
            assert process.poll() is None, log.read_text()
            url = url or next(iter(re.findall(r"serving (http://[\d.]+:\d+)/metrics", log.read_text())), None)
            if url:
                scrape = samples(requests.get(f"{url}/metrics", timeout=10).text)
            time.sleep(0.2)
        assert value(scrape, "colorbot_replies_total") == 3, log.read_text()  # gray01, sepia1, gal001
        assert value(scrape, "colorbot_polls_total", outcome="ok") >= 1 and value(scrape, "colorbot_posts_seen_total") >= 3
        assert value(scrape, "colorbot_reddit_ratelimit_remaining") > 0
        health = requests.get(f"{url}/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["max_poll_age_seconds"] == 180
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text()
