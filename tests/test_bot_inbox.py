"""bot.inbox against the sandbox: opt-outs and delete requests, read through real PRAW."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox import SandboxServer
from bot.sandbox.seed import load_into
from bot.scheduler import run_once
from colorizer.inference import Colorizer
from tests.bot_helpers import bot_settings, comments_by_post, make_bot


def _message(sandbox: SandboxServer, author: str, subject: str, body: str) -> str:
    (message_id,) = load_into(sandbox.world, {"messages": [{"author": author, "subject": subject, "body": body}]})["messages"]
    return f"t4_{message_id}"


def test_opt_out_is_recorded_and_pending_posts_are_skipped(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                                           colorizer: Colorizer) -> None:
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    bot.poller.queue_posts(["gray01"])  # queued before the user opts out
    fullname = _message(sandbox, "grandkid_1987", "opt out", "Please stop replying to my posts. (Just send this message.)")

    result = bot.inbox.process()

    assert result.opted_out == ["grandkid_1987"] and result.ignored == 2  # msg001 and thx001 are not commands
    assert bot.facts.is_opted_out("grandkid_1987")
    assert {fullname, "t4_msg001"} <= set(sandbox.state()["read"])
    bot.worker.work_until_empty()
    (job,) = bot.queue.jobs_for_post("gray01")
    assert job.state == "skipped" and "opted out" in (job.skip_reason or "")
    assert comments_by_post(sandbox) == {}
    assert bot.inbox.process().opted_out == []  # read messages are not handled twice


def test_delete_by_the_author_removes_reply_and_image_others_are_refused(tmp_path: Path, sandbox: SandboxServer,
                                                                         vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    run_once(bot, ["gray01"])
    (comment,) = comments_by_post(sandbox)["gray01"]
    (job,) = bot.queue.jobs_for_post("gray01")

    _message(sandbox, "sandbox_user", "delete", "delete t3_gray01")  # not the post's author
    assert bot.inbox.process().refused == 1
    assert sandbox.state()["deleted"] == []

    _message(sandbox, "grandkid_1987", "delete", "delete t3_gray01")
    result = bot.inbox.process()
    assert result.deleted == ["gray01"]
    deleted = sandbox.state()["deleted"]
    assert f"t1_{comment['id']}" in deleted and job.hosted_delete_handle in deleted


def test_delete_as_a_comment_reply_to_the_bot(tmp_path: Path, sandbox: SandboxServer, vivid_checkpoint: Path,
                                              colorizer: Colorizer) -> None:
    bot = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint), sandbox, colorizer)
    run_once(bot, ["gray01"])
    (comment,) = comments_by_post(sandbox)["gray01"]
    bot.inbox.process()  # clear the seeded messages
    load_into(sandbox.world, {"comments": [{"post": "gray01", "parent": f"t1_{comment['id']}", "author": "grandkid_1987",
                                            "body": "delete"}]})
    assert bot.inbox.process().deleted == ["gray01"]
    assert f"t1_{comment['id']}" in sandbox.state()["deleted"]
