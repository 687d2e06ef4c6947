"""`colorbot run` killed with SIGKILL in the middle of colorizing a clip, then restarted: the new
process takes the clip back when the dead one's lease runs out, resumes from the last finished
segment, and the post is answered exactly once."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from bot.sandbox import SandboxServer
from tests.bot_processes import SUBREDDIT, bot_config, open_queue, replies_by_post, start_bot, wait_for

CLIP = {"photo": "camera", "tone": "gray", "seconds": 8.0, "heights": [240]}


def finished_segments(work_dir: Path) -> int:
    """Segments the colorizer has recorded as finished (its resumable progress manifest)."""
    count = 0
    for manifest in work_dir.rglob("*.json"):
        try:
            count = max(count, len(json.loads(manifest.read_text()).get("segments", [])))
        except (ValueError, OSError, AttributeError):
            continue
    return count


def test_kill_9_mid_clip_then_the_clip_resumes_and_is_answered_once(tmp_path: Path, vivid_checkpoint: Path) -> None:
    seed = {"subreddits": [{"name": SUBREDDIT}],
            "posts": [{"id": "film01", "subreddit": SUBREDDIT, "title": "Home movie, 1958", "age_s": 30, "video": CLIP}]}
    work_dir = tmp_path / "clips"
    with SandboxServer(seed) as sandbox:
        config = bot_config(tmp_path, sandbox, vivid_checkpoint, lease_seconds=3, interval_seconds=0.3,
                            video={"lease_seconds": 3, "segment_seconds": 0.5, "work_dir": str(work_dir)})
        queue = open_queue(config)
        with (tmp_path / "bot-killed.log").open("w") as log:
            bot = start_bot(config, "run", log=log)
            try:
                wait_for(lambda: finished_segments(work_dir) >= 2, 120, "two finished segments of the clip", interval_s=0.05)
                bot.send_signal(signal.SIGKILL)
                assert bot.wait(10) == -signal.SIGKILL
            finally:
                if bot.poll() is None:
                    bot.kill()
                    bot.wait()
        (job,) = queue.jobs_for_post("film01")
        assert job.state == "running" and not replies_by_post(sandbox), "killed mid-clip: nothing answered yet"
        with (tmp_path / "bot-final.log").open("w") as log:
            bot = start_bot(config, "run", log=log)
            try:
                wait_for(lambda: queue.jobs_for_post("film01")[0].state == "done", 120, "the clip answered", interval_s=0.2)
            finally:
                bot.send_signal(signal.SIGTERM)
                assert bot.wait(30) == 0, (tmp_path / "bot-final.log").read_text()[-3000:]
        replies = replies_by_post(sandbox)
    (job,) = queue.jobs_for_post("film01")
    assert len(replies["film01"]) == 1 and job.attempts == 2
    assert job.metrics["resumed_frames"] >= 24, "the second process went on from the first one's segments"
    assert job.metrics["frames"] == 192
    assert not list(work_dir.glob("job-*")), "the finished clip's work folder is gone"
