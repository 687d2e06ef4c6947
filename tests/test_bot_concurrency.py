"""Four `colorbot run-once` processes share one SQLite queue and one sandbox: each job is claimed and answered once."""

from __future__ import annotations

import re
from pathlib import Path

from tests.bot_helpers import bot_settings, make_bot
from tests.bot_processes import SUBREDDIT, bot_config, bw_sandbox, open_queue, replies_by_post, start_bot

POSTS = 12  # the processes share one OAuth client's 100 requests a minute: ~6 a reply keeps this under it
WORKERS = 4


def test_four_run_once_processes_answer_every_post_exactly_once(tmp_path: Path, vivid_checkpoint: Path) -> None:
    sandbox = bw_sandbox(POSTS, seed=11)
    config = bot_config(tmp_path, sandbox, vivid_checkpoint, batch_size=2)
    with sandbox:
        poller = make_bot(bot_settings(tmp_path, sandbox, vivid_checkpoint, subreddits=(SUBREDDIT,)), sandbox)
        assert poller.poller.poll().queued_posts == POSTS  # the same colorbot.db the processes use
        logs = [(tmp_path / f"worker-{n}.log").open("w+") for n in range(WORKERS)]
        workers = [start_bot(config, "run-once", log=log) for log in logs]
        codes = [worker.wait(180) for worker in workers]
        outputs = []
        for log in logs:
            log.seek(0)
            outputs.append(log.read())
            log.close()

    assert codes == [0] * WORKERS, outputs[codes.index(next(c for c in codes if c))][-3000:] if any(codes) else ""
    replied = [int(m.group(1)) if (m := re.search(r"^work: .*replied (\d+)", out, re.M)) else 0 for out in outputs]
    assert sum(replied) == POSTS and sum(1 for n in replied if n) >= 2, replied  # the work was shared
    assert not any("lease lost" in out for out in outputs)
    replies = replies_by_post(sandbox)
    assert len(replies) == POSTS and all(len(c) == 1 for c in replies.values())
    queue = open_queue(config)
    jobs = [job for post_id in replies for job in queue.jobs_for_post(post_id)]
    assert len(jobs) == POSTS
    assert {(j.state, j.attempts) for j in jobs} == {("done", 1)}, "a job was claimed twice or not completed"
    assert len({j.hosted_url for j in jobs}) == POSTS
    for post_id, (comment,) in replies.items():
        assert queue.reply_for(post_id).reply_id == comment.id
