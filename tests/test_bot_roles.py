"""`colorbot run --role`: one poller and a separate worker share one queue (SQLite file and PostgreSQL).

The poller queues posts and reads the inbox but never colorizes; the worker only works the queue.
Both run the real scheduler loop over real PRAW against the sandbox, in threads of this process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.commands.run import Role
from bot.config import WorkerSettings
from bot.sandbox import SandboxServer
from bot.scheduler import ROLES, Bot, make_scheduler, run_forever
from colorizer.inference import Colorizer
from tests.bot_helpers import bot_settings, comments_by_post, make_bot
from tests.bot_processes import wait_for


@contextmanager
def running(bot: Bot, role: str) -> Iterator[threading.Thread]:
    """`run_forever` with `role` in a thread; stopped (and joined) on exit."""
    thread = threading.Thread(target=run_forever, args=(bot,), kwargs={"role": role, "install_signals": False})
    thread.start()
    try:
        yield thread
    finally:
        bot.stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()


def test_each_role_schedules_only_its_jobs(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path) -> None:
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox)
    jobs = {role: {job.id for job in make_scheduler(bot, role).get_jobs()} for role in ROLES}
    assert jobs == {"all": {"poll", "work", "clips", "inbox", "bans", "scores", "backup"}, "poller": {"poll", "inbox", "bans", "scores", "backup"},
                    "worker": {"work", "clips"}}
    assert {role.value for role in Role} == set(ROLES)  # the CLI offers exactly the scheduler's roles
    with pytest.raises(ValueError, match="unknown role"):
        make_scheduler(bot, "janitor")
    result = CliRunner().invoke(app, ["run", "--role", "janitor"])
    assert result.exit_code == 2 and "janitor" in result.output


def test_poller_queues_and_a_separate_worker_answers(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                                     colorizer: Colorizer, database_url: str) -> None:
    settings = bot_settings(tmp_path, sandbox, vivid_checkpoint, database_url=database_url, subreddits=("OldSchoolCool",),
                            poll_interval_seconds=600.0, worker=WorkerSettings(interval_seconds=0.2))
    poller, worker = make_bot(settings, sandbox), make_bot(settings, sandbox, colorizer)

    with running(poller, "poller"):
        wait_for(lambda: poller.queue.counts_by_state()["pending"] >= 3 and "t4_msg001" in sandbox.state()["read"],
                 30, "the poller to queue 3 posts and read the inbox")
        time.sleep(0.5)  # a few work intervals: nothing may answer while only the poller runs
        assert comments_by_post(sandbox) == {}
        assert poller.queue.counts_by_state()["done"] == 0 and poller.worker.models.loaded is None  # model never loaded
        with running(worker, "worker"):
            wait_for(lambda: len(comments_by_post(sandbox)) >= 3, 30, "replies on 3 posts")
    assert set(comments_by_post(sandbox)) == {"gray01", "sepia1", "gal001"}
    assert worker.queue.counts_by_state()["running"] == 0


def test_a_workers_healthz_reports_its_own_progress_not_the_pollers(tmp_path: Path, sandbox: SandboxServer,
                                                                   vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    import requests

    from bot.status_server import server_for

    settings = bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=("OldSchoolCool",),
                            worker=WorkerSettings(interval_seconds=0.2, lease_seconds=1))
    poller, worker = make_bot(settings, sandbox), make_bot(settings, sandbox, colorizer)
    poller.poller.poll()  # the poll heartbeat is fresh: a poller's /healthz is happy
    with server_for(settings, worker.queue.engine, worker.metrics.registry, port=0, role="worker", worker=worker.worker) as server, \
            server_for(settings, poller.queue.engine, poller.metrics.registry, port=0, role="poller") as polls:
        assert requests.get(polls.url + "/healthz", timeout=10).status_code == 200
        with running(worker, "worker"):
            wait_for(lambda: worker.worker.last_loop_at is not None, 30, "the worker's first look at the queue")
            healthy = requests.get(server.url + "/healthz", timeout=10)
            assert healthy.status_code == 200 and "worker last looked at the queue" in healthy.json()["reason"]
            with worker.worker.busy:  # the worker is stuck: its loop cannot finish a look at the queue
                time.sleep(2.0)  # past lease (1 s) + 3 intervals (0.6 s)
                stuck = requests.get(server.url + "/healthz", timeout=10)
                assert requests.get(polls.url + "/healthz", timeout=10).status_code == 200  # the poller's polls still fine
        assert stuck.status_code == 503 and "stuck" in stuck.json()["reason"]
