"""Readers judge the model: the bot reads its replies' scores back, takes down voted-down ones, and a canary model
answers a share of posts (the same share on every worker)."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from typer.testing import CliRunner

from bot.canary import in_canary
from bot.cli import app
from bot.config import ScoresSettings
from bot.model_compare import bootstrap_mean_difference
from bot.sandbox import SandboxServer
from bot.scheduler import run_once
from colorizer.inference import Colorizer
from colorizer.store import ModelStore
from db.model_switches import ModelSwitches
from db.models import ReplyScore
from db.reply_scores import DELETED_FOR_SCORE, LIVE, POST_DELETED, REMOVED, ReplyScores
from db.engine import transaction
from tests.bot_helpers import bot_settings, comments_by_post, make_bot
from tests.model_helpers import neutral_checkpoint, vivid_checkpoint_file

FEED = ("OldSchoolCool",)
ANSWERED = {"gray01", "sepia1", "gal001"}


def info_requests(sandbox: SandboxServer) -> int:
    return sum(1 for r in sandbox.state()["requests"] if r["route"] == "GET /api/info")


def answered_bot(tmp_path: Path, sandbox: SandboxServer, checkpoint: Path, colorizer: Colorizer, **scores: object):
    settings = bot_settings(tmp_path, sandbox, checkpoint, subreddits=FEED)
    settings = dataclasses.replace(settings, scores=dataclasses.replace(settings.scores, **scores))
    bot = make_bot(settings, sandbox, colorizer)
    run_once(bot)
    assert set(comments_by_post(sandbox)) == ANSWERED
    return bot


def budget_rows(bot) -> int:
    from sqlalchemy import func, select

    from db.models import RedditRequest

    with transaction(bot.queue.engine, write=False) as session:
        return int(session.scalar(select(func.count()).select_from(RedditRequest)))


def reply_of(bot, post_id: str) -> str:
    return bot.queue.reply_for(post_id).reply_id


def test_scores_are_read_back_in_one_request_per_50_replies_on_a_doubling_schedule(
        tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    bot = answered_bot(tmp_path, sandbox, vivid_checkpoint, colorizer)
    start = datetime.now(timezone.utc)
    sandbox.world.judge_comment(reply_of(bot, "gray01"), score=7)
    before = info_requests(sandbox)
    early = bot.scores.run(start + timedelta(minutes=30))
    assert (early.tracked, early.read, early.requests) == (3, 0, 0) and info_requests(sandbox) == before  # nothing due yet
    assert bot.scores.run(start + timedelta(hours=2, minutes=30)).requests == 0  # due at 1 h, may wait 2 h for company
    counted = budget_rows(bot)
    first = bot.scores.run(start + timedelta(hours=3, minutes=1))  # overdue: read, all three in one request
    assert (first.tracked, first.read, first.requests) == (0, 3, 1) and info_requests(sandbox) == before + 1
    assert budget_rows(bot) == counted + 1  # counted in the shared 100-a-minute budget like every other request
    assert ReplyScores(bot.queue.engine).get(reply_of(bot, "gray01")).score == 7
    assert bot.scores.run(start + timedelta(hours=5)).requests == 0  # the next look waits until the age doubles (~6 h)
    assert bot.scores.run(start + timedelta(hours=7, minutes=30)).requests == 0  # due, may wait another 2 h
    assert bot.scores.run(start + timedelta(hours=8, minutes=10)).read == 3
    assert bot.scores.run(start + timedelta(days=8)).requests == 0  # older than max_age_days: no longer read


def test_a_voted_down_reply_is_taken_down_with_its_comparison_and_the_post_stays_answered(
        tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    bot = answered_bot(tmp_path, sandbox, vivid_checkpoint, colorizer)
    down, zero = reply_of(bot, "gray01"), reply_of(bot, "sepia1")
    sandbox.world.judge_comment(down, score=-2)
    sandbox.world.judge_comment(zero, score=0)
    start = datetime.now(timezone.utc)
    assert bot.scores.run(start + timedelta(minutes=59)).removed_for_score == []  # -2, but not up an hour yet
    result = bot.scores.run(start + timedelta(hours=3, minutes=1))
    assert result.removed_for_score == [down]
    state = sandbox.state()
    assert f"t1_{down}" in state["deleted"] and f"t1_{zero}" not in state["deleted"]
    (job,) = bot.queue.jobs_for_post("gray01")
    assert job.hosted_url is None  # the comparison is gone and forgotten
    scores = ReplyScores(bot.queue.engine)
    assert scores.get(down).state == DELETED_FOR_SCORE and "score -2" in scores.get(down).reason
    assert scores.get(zero).state == LIVE
    assert bot.queue.reply_for("gray01").reply_id == down  # still answered: never answered again
    again = run_once(bot, ["gray01"])
    assert not again.work.replies and len(comments_by_post(sandbox)["gray01"]) == 1


def test_self_removal_can_be_turned_off(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    bot = answered_bot(tmp_path, sandbox, vivid_checkpoint, colorizer, self_remove=False)
    sandbox.world.judge_comment(reply_of(bot, "gray01"), score=-9)
    assert bot.scores.run(datetime.now(timezone.utc) + timedelta(hours=3, minutes=1)).removed_for_score == []
    assert ReplyScores(bot.queue.engine).get(reply_of(bot, "gray01")).score == -9


def test_moderator_removals_and_deleted_posts_are_recorded(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                                           colorizer: Colorizer) -> None:
    bot = answered_bot(tmp_path, sandbox, vivid_checkpoint, colorizer)
    sandbox.world.judge_comment(reply_of(bot, "gray01"), removed=True)
    sandbox.world.delete_post("sepia1")
    bot.scores.run(datetime.now(timezone.utc) + timedelta(hours=3, minutes=1))
    scores = ReplyScores(bot.queue.engine)
    assert scores.get(reply_of(bot, "gray01")).state == REMOVED
    assert scores.get(reply_of(bot, "sepia1")).state == POST_DELETED
    assert scores.get(reply_of(bot, "gal001")).state == LIVE
    assert sandbox.state()["deleted"] == []  # neither is the bot's to take down
    (verdict,) = scores.verdicts().values()
    assert verdict.replies == 3 and abs(verdict.share_removed - 1 / 3) < 1e-9


def test_the_canary_share_is_the_same_on_every_worker(tmp_path: Path, sandbox: SandboxServer) -> None:
    ids = [f"p{n:05d}" for n in range(4000)]
    share = sum(in_canary(i, 0.1) for i in ids) / len(ids)
    assert 0.085 < share < 0.115
    assert [in_canary(i, 0.1) for i in ids] == [in_canary(f"t3_{i}", 0.1) for i in ids]  # id or fullname: the same

    store = ModelStore(tmp_path / "store")
    current = store.add(neutral_checkpoint(tmp_path / "neutral.pt"))
    candidate = store.add(vivid_checkpoint_file(tmp_path / "vivid.pt"))
    settings = dataclasses.replace(bot_settings(tmp_path, sandbox, tmp_path / "neutral.pt"), model_store=tmp_path / "store")
    one, two = make_bot(settings, sandbox), make_bot(settings, sandbox)  # two workers on one database
    switches = ModelSwitches(one.queue.engine)
    switches.promote(current.id, current.sha256)
    switches.start_canary(candidate.id, candidate.sha256, 0.5)
    for worker in (one.worker, two.worker):
        worker.models.refresh_canary()
    picks = [(one.worker.models.for_post(i).sha256, two.worker.models.for_post(i).sha256) for i in ids[:200]]
    assert all(a == b for a, b in picks)
    assert {a for a, _ in picks} == {current.sha256, candidate.sha256}
    assert all((a == candidate.sha256) == in_canary(i, 0.5) for i, (a, _) in zip(ids, picks))
    switches.end_canary("rollback")
    one.worker.models.refresh_canary()
    assert one.worker.models.canary is None and one.worker.models.for_post(ids[0]).sha256 == current.sha256


def test_the_canary_answers_its_share_end_to_end(tmp_path: Path, sandbox: SandboxServer) -> None:
    store = ModelStore(tmp_path / "store")
    current = store.add(neutral_checkpoint(tmp_path / "neutral.pt"))
    candidate = store.add(vivid_checkpoint_file(tmp_path / "vivid.pt"))
    settings = dataclasses.replace(bot_settings(tmp_path, sandbox, tmp_path / "neutral.pt",
                                                subreddits=("OldSchoolCool", "Colorization")), model_store=tmp_path / "store")
    bot = make_bot(settings, sandbox)
    switches = ModelSwitches(bot.queue.engine)
    switches.promote(current.id, current.sha256)
    switches.start_canary(candidate.id, candidate.sha256, 0.5)
    run_once(bot)
    replied = [job for post in comments_by_post(sandbox) for job in bot.queue.jobs_for_post(post)
               if job.state == "done" and not (job.metrics or {}).get("reused_from_job")]  # a repost keeps its original's model
    assert len(replied) >= 4
    for job in replied:
        assert job.model_sha256 == (candidate.sha256 if in_canary(job.post_id, 0.5) else current.sha256), job.post_id
    assert {job.model_sha256 for job in replied} == {current.sha256, candidate.sha256}


def scripted(engine, model: str, scores: list[int], states: list[str] | None = None) -> None:
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    with transaction(engine, write=True) as session:
        for n, score in enumerate(scores):
            session.add(ReplyScore(reply_id=f"{model[:4]}{n}", post_id=f"p{model[:4]}{n}", model_sha256=model, replied_at=now,
                                   score=score, state=(states or [LIVE] * len(scores))[n], checks=1, checked_at=now,
                                   next_check_at=now + timedelta(hours=1)))


def test_model_compare_on_scripted_scores(tmp_path: Path) -> None:
    from db import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'colorbot.db'}"
    config = tmp_path / "colorbot.toml"
    config.write_text(f'database_url = "{url}"\n')
    upgrade(url)
    engine = make_engine(url)
    current, canary = "a" * 64, "b" * 64
    scripted(engine, current, [1, 2, 1, 3, 1, 0, 2, 1, 1, 2], [LIVE] * 9 + [REMOVED])
    scripted(engine, canary, [4, 5, 3, 6, 4, -1, 5, 4])
    switches = ModelSwitches(engine)
    switches.promote("a" * 12, current)
    switches.start_canary("b" * 12, canary, 0.1)
    result = CliRunner().invoke(app, ["model", "compare", "--config", str(config)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    row = next(line for line in lines if line.startswith("aaaaaaaaaaaa (current)"))
    assert re.search(r"\b10\s+1\.0\s+1\.40\s+10%\s+10%\s+0$", row), row
    row = next(line for line in lines if line.startswith("bbbbbbbbbbbb (canary)"))
    assert re.search(r"\b8\s+4\.0\s+3\.75\s+12%\s+0%\s+0$", row), row
    expected = bootstrap_mean_difference([4, 5, 3, 6, 4, -1, 5, 4], [1, 2, 1, 3, 1, 0, 2, 1, 1, 2])
    assert f"{expected.mean:+.2f} (95% bootstrap interval {expected.low:+.2f} .. {expected.high:+.2f})" in result.output
    assert expected.low > 0 and "readers prefer canary" in result.output
    same = bootstrap_mean_difference([1, 2, 3] * 5, [2, 1, 3] * 5)
    assert same.low < 0 < same.high  # equal scores: no preference


def test_scores_settings_defaults() -> None:
    settings = ScoresSettings()
    assert (settings.interval_seconds, settings.max_age_days, settings.self_remove, settings.remove_at_or_below,
            settings.remove_min_age_hours) == (3600.0, 7.0, True, -1, 1.0)


def test_metrics_and_status_page_show_the_readers_verdict(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                                           colorizer: Colorizer) -> None:
    from bot.health import Health
    from bot.metrics import exposition
    from bot.status_page import render_page
    from db.report import read_report

    bot = answered_bot(tmp_path, sandbox, vivid_checkpoint, colorizer)
    down = reply_of(bot, "gray01")
    sandbox.world.judge_comment(down, score=-4)
    sandbox.world.judge_comment(reply_of(bot, "sepia1"), removed=True)
    now = datetime.now(timezone.utc) + timedelta(hours=3, minutes=1)
    bot.scores.run(now)
    ModelSwitches(bot.queue.engine).start_canary("c" * 12, "c" * 64, 0.1)
    metrics = exposition(bot.metrics.registry).decode()
    assert 'colorbot_reply_score_bucket{le="-1.0",model="unrecorded"} 1.0' in metrics
    assert 'colorbot_reply_score_bucket{le="+Inf",model="unrecorded"} 3.0' in metrics
    assert 'colorbot_replies_removed{how="deleted_for_score",model="unrecorded"} 1.0' in metrics
    assert 'colorbot_replies_removed{how="removed",model="unrecorded"} 1.0' in metrics
    assert "colorbot_replies_removed_for_score_total 1.0" in metrics
    assert 'colorbot_canary_share{model="cccccccccccc"} 0.1' in metrics
    page = render_page(read_report(bot.queue.engine), Health(True, "ok", None, None, 180.0), database="sqlite", now=now)
    assert "Lowest-scored replies" in page and f"/{down}/" in page and "deleted for score" in page
    assert 'id="canary"' in page and "10% of new posts" in page
    lowest = page.index("Lowest-scored replies")
    assert page.index("<td>-4</td>", lowest) < page.index(f"t1_{reply_of(bot, 'gal001')}", lowest)  # lowest first


def test_reading_a_reply_as_praw_hands_it_over() -> None:
    from bot.reply_scores import reading_of
    from db.reply_scores import Reading

    live_post = {"author": "someone", "removed_by_category": None}
    assert reading_of("c1", {"score": 3, "body": "colorized"}, live_post) == Reading("c1", 3, LIVE)
    assert reading_of("c1", {"score": 3, "body": "[removed]"}, live_post).state == REMOVED
    assert reading_of("c1", None, live_post).state == REMOVED  # Reddit no longer lists it
    # PRAW turns a deleted author into None; some deleted posts have removed_by_category null (README fact 6)
    assert reading_of("c1", {"score": -1, "body": "x"}, {"author": None, "removed_by_category": None}).state == POST_DELETED
    assert reading_of("c1", {"score": 2, "body": "x"}, None).state == POST_DELETED
