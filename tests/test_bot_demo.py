"""`colorbot demo`: a sandbox, real config files, a real `colorbot run-once` process, and what it posted saved to disk."""

from __future__ import annotations

from pathlib import Path

import av
import typer
from PIL import Image
from typer.testing import CliRunner

from bot.commands.demo import demo_command
from bot.config import load_settings
from db import JobQueue, make_engine, upgrade
from tests.bot_helpers import LINK, panel_count
from tests.test_bot_e2e import EXPECTED_PANELS


def test_demo_answers_the_sample_posts_and_saves_what_it_posted(tmp_path: Path, vivid_checkpoint: Path) -> None:
    app = typer.Typer()
    app.command()(demo_command)
    out = tmp_path / "demo-out"
    _leftovers_of_an_earlier_run(out)

    result = CliRunner().invoke(app, ["--out", str(out), "--model", str(vivid_checkpoint)])

    assert result.exit_code == 0, result.output
    assert f"{len(EXPECTED_PANELS) + 1} posts answered" in result.output, result.output
    assert "queue: pending 0, running 0, done 9" in result.output
    assert sorted(p.stem for p in (out / "comparisons").iterdir()) == sorted([*EXPECTED_PANELS, "film01"])
    with av.open(str(out / "comparisons" / "film01.mp4")) as clip:  # the home movie's answer: gray | auto, every frame
        assert sum(1 for _ in clip.decode(video=0)) == 48 and clip.streams.video[0].codec_context.width > 2 * clip.streams.video[0].codec_context.height
    assert "film clip" in (out / "replies" / "film01.md").read_text()
    for post_id, panels in EXPECTED_PANELS.items():
        assert panel_count(Image.open(out / "comparisons" / f"{post_id}.jpg")) == panels, post_id
        assert LINK.search((out / "replies" / f"{post_id}.md").read_text())
        assert f"t3_{post_id} " in result.output
    assert "skip: NSFW" in result.output and "not read: the bot is banned from r/BannedHere" in result.output

    settings = load_settings(out / "colorbot.toml", environ={})  # the files an operator would write
    assert settings.reddit.praw_site == "colorbot_sandbox" and settings.model_path == vivid_checkpoint.resolve()
    assert "[colorbot_sandbox]" in (out / "praw.ini").read_text()
    assert "replied t1_" in (out / "bot.log").read_text()


def _leftovers_of_an_earlier_run(out: Path) -> None:
    """What a previous demo leaves: saved files, and a database that says gray01 is answered (in a sandbox now gone)."""
    (out / "comparisons").mkdir(parents=True)
    (out / "comparisons" / "stale.jpg").write_bytes(b"from an older run")
    url = f"sqlite:///{out / 'colorbot.db'}"
    upgrade(url)
    engine = make_engine(url)
    JobQueue(engine).record_reply("gray01", "oldrun")
    engine.dispose()
