"""A running worker follows the promoted model between batches and names it on every job it answers."""

from __future__ import annotations

import dataclasses
import logging
import re
from pathlib import Path

import pytest

from bot.commands.model import promote
from bot.config import WorkerSettings
from bot.metrics import exposition
from bot.sandbox import SandboxServer
from bot.sandbox.generated import bw_posts
from bot.sandbox.seed import load_into
from colorizer.store import ModelStore, file_sha256, short_id
from sqlalchemy import select

from db import Job, JobState, transaction
from tests.bot_helpers import bot_settings, make_bot
from tests.model_helpers import vivid_checkpoint_file


def answered_models(bot) -> dict[str, str | None]:  # noqa: ANN001
    """Model hash of each answered post's lead job."""
    return {job.post_id: job.model_sha256 for job in _answered_jobs(bot.queue.engine)}


def answer_one_more(bot) -> None:  # noqa: ANN001
    """Run batches (skipped posts included) until one more post is answered."""
    before = len(answered_models(bot))
    for _ in range(20):
        assert bot.worker.run_batch() is not None, "the queue ran dry"
        if len(answered_models(bot)) > before:
            return
    raise AssertionError("no post answered in 20 batches")


def test_a_running_worker_switches_to_a_promoted_model_and_refuses_a_corrupt_one(
        tmp_path: Path, sandbox: SandboxServer, database_url: str, test_photos: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = vivid_checkpoint_file(tmp_path / "first.pt", seed=0)
    second = vivid_checkpoint_file(tmp_path / "second.pt", seed=1)
    third = vivid_checkpoint_file(tmp_path / "third.pt", seed=2)
    settings = bot_settings(tmp_path, sandbox, first, database_url=database_url, subreddits=("OldSchoolCool",),
                            model_store=tmp_path / "store", worker=WorkerSettings(batch_size=1))
    bot = make_bot(settings, sandbox)
    bot.poller.poll()
    answer_one_more(bot)
    assert set(answered_models(bot).values()) == {file_sha256(first)}  # before any promote: the configured model

    promoted = promote(settings, second, data=test_photos, force=True, echo=lambda line: None)
    assert promoted.sha256 != file_sha256(second)  # a training checkpoint is exported (fp16) on its way into the store
    before = set(answered_models(bot))
    answer_one_more(bot)  # the same worker, no restart
    if "sepia1" in answered_models(bot):  # the same photo as gal001, answered with gal001's comparison (and its model)
        assert answered_models(bot)["sepia1"] == file_sha256(first)
        before.add("sepia1")
        answer_one_more(bot)
    after = answered_models(bot)
    assert {after[p] for p in set(after) - before} == {promoted.sha256}
    metrics = exposition(bot.metrics.registry).decode()
    assert f'colorbot_model_loaded_info{{model="{promoted.id}"}} 1.0' in metrics
    assert re.search(rf'colorbot_current_model_info{{action="(promote|force)",model="{promoted.id}"}} 1.0', metrics)
    assert f'colorbot_replies_by_model{{model="{promoted.id}"}} 1.0' in metrics
    assert f'colorbot_replies_by_model{{model="{short_id(file_sha256(first))}"}}' in metrics
    assert "colorbot_model_switches_total 1.0" in metrics

    broken = promote(settings, third, data=test_photos, force=True, echo=lambda line: None)
    data = bytearray(broken.path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # the store's copy is damaged after promote (disk, a bad sync)
    broken.path.write_bytes(bytes(data))
    load_into(sandbox.world, {"posts": bw_posts(1, seed=5, prefix="late")})
    bot.poller.poll()
    with caplog.at_level(logging.ERROR, logger="bot.model_source"):
        while bot.worker.run_batch() is not None:
            pass
    assert "does not match its hash" in caplog.text and broken.id in caplog.text
    late = answered_models(bot)
    assert late["late0000"] == promoted.sha256  # the old model kept answering
    assert bot.worker.models.loaded.sha256 == promoted.sha256
    assert ModelStore(settings.model_store).get(broken.id).sha256 == broken.sha256  # still listed, never loaded


def test_without_a_store_the_configured_model_answers_and_is_named(tmp_path: Path, sandbox: SandboxServer,
                                                                   vivid_checkpoint: Path) -> None:
    settings = bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=("OldSchoolCool",))
    assert settings.model_store is None
    bot = make_bot(dataclasses.replace(settings, worker=WorkerSettings(batch_size=2)), sandbox)
    bot.poller.poll()
    bot.worker.work_until_empty()
    assert set(answered_models(bot).values()) == {file_sha256(vivid_checkpoint)}


def test_colorbot_run_answers_with_the_model_colorbot_train_promote_produced(
        tmp_path: Path, test_photos: Path, vivid_checkpoint: Path) -> None:
    """Three real processes: `colorbot run` keeps running while `colorbot train --promote` trains, scores and promotes."""
    import shutil
    import signal
    import subprocess
    import sys

    from bot.demo import bot_environment, write_sandbox_config
    from db import make_engine, upgrade
    from tests.bot_processes import SUBREDDIT, bw_sandbox, start_bot, wait_for
    from training.synthetic import make_color_image

    database_url = f"sqlite:///{tmp_path / 'colorbot.db'}"
    upgrade(database_url)
    # the default test split (a list relative to the working folder, as fetch_photos writes it)
    pool = tmp_path / "data" / "photos"
    shutil.copytree(test_photos, pool / "test-photos")
    (pool / "test.txt").write_text("".join(f"test-photos/{p.name}\n" for p in sorted(test_photos.iterdir())))
    sandbox = bw_sandbox(1, seed=21)
    with sandbox:
        config = write_sandbox_config(tmp_path, sandbox.url, database_url=database_url, model_path=vivid_checkpoint,
                                      subreddits=(SUBREDDIT,), top={"poll_interval_seconds": 2.0, "model_store": str(tmp_path / "store")},
                                      worker={"interval_seconds": 0.5})
        log = (tmp_path / "run.log").open("w+")
        bot = start_bot(config, "run", log=log)
        engine = make_engine(database_url)
        answered = lambda: {j.post_id: j.model_sha256 for j in _answered_jobs(engine)}  # noqa: E731
        try:
            wait_for(lambda: len(answered()) == 1, 90, "the first reply")
            assert set(answered().values()) == {file_sha256(vivid_checkpoint)}
            images = tmp_path / "train-photos"
            for seed in range(4):
                make_color_image(images / f"{seed}.jpg", seed, size=(64, 48))
            env = {**bot_environment(tmp_path), "COLORBOT_CONFIG": str(config)}
            trained = subprocess.run(
                [sys.executable, "-m", "bot.cli", "train", "--data", str(images), "--out", str(tmp_path / "run"), "--backbone", "resnet18",
                 "--weights", "none", "--size", "32", "--batch-size", "2", "--steps", "2", "--workers", "0", "--val-every", "0",
                 "--no-progress", "--render-size", "64", "--promote"],
                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
            assert trained.returncode == 0, trained.stdout[-2000:] + trained.stderr[-2000:]
            assert "promoted" in trained.stdout
            (current,) = [m for m in ModelStore(tmp_path / "store").list() if m.source == str(tmp_path / "run" / "final.pt")]
            load_into(sandbox.world, {"posts": bw_posts(1, seed=22, prefix="late")})
            wait_for(lambda: "late0000" in answered(), 90, "the reply after the promote")
            assert answered()["late0000"] == current.sha256
        finally:
            bot.send_signal(signal.SIGTERM)
            code = bot.wait(60)
            engine.dispose()
            log.seek(0)
            output = log.read()
            log.close()
    assert code == 0, output[-3000:]
    assert f"model: switched from {short_id(file_sha256(vivid_checkpoint))}" in output and current.id in output


def _answered_jobs(engine) -> list[Job]:  # noqa: ANN001
    with transaction(engine, write=False) as session:
        return list(session.scalars(select(Job).where(Job.state == JobState.DONE.value, Job.reply_id.is_not(None))))

