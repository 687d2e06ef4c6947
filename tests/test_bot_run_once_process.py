"""`colorbot run-once`, the real command as a process, on a sandbox that revokes the token once and answers one 429.

A manual batch must answer every answerable post in one run: the revoked token is refreshed and
the comment sent once more, the 429's ``retry-after`` is waited out, and each post gets one reply.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.sandbox import SandboxServer
from tests.bot_processes import bot_config, bw_sandbox, open_queue, replies_by_post, start_bot

POSTS = 8


def comment_statuses(sandbox: SandboxServer) -> list[int]:
    return [r["status"] for r in sandbox.state()["requests"] if r["route"] == "POST /api/comment"]


def test_run_once_answers_every_post_through_a_revoked_token_and_a_429(tmp_path: Path, vivid_checkpoint: Path) -> None:
    sandbox = bw_sandbox(POSTS, seed=5)
    config = bot_config(tmp_path, sandbox, vivid_checkpoint, batch_size=3)
    sandbox.add_fault("expire_tokens", path="/api/comment", skip=2)  # the token is revoked before the 3rd comment
    sandbox.faults.add("status", path="/api/comment", status=429, headers={"retry-after": "2"}, skip=5)  # one pause, later
    with sandbox, (tmp_path / "run-once.log").open("w+") as log:
        code = start_bot(config, "run-once", "--max-wait", "30", log=log).wait(240)
        log.seek(0)
        output = log.read()
        statuses = comment_statuses(sandbox)

    assert code == 0, output[-3000:]
    replies = replies_by_post(sandbox)
    assert len(replies) == POSTS and all(len(c) == 1 for c in replies.values()), output[-3000:]
    assert statuses.count(401) == 1 and statuses.count(429) == 1 and statuses.count(200) == POSTS
    assert re.search(rf"^work: .*replied {POSTS}\b.*waited \d+s for Reddit", output, re.M), output[-2000:]
    assert "come back later" not in output
    jobs = [job for post_id in replies for job in open_queue(config).jobs_for_post(post_id)]
    assert {job.state for job in jobs} == {"done"}
