"""An original over the pixel limit is answered from Reddit's largest rendition under it, end to end."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.sandbox import SandboxServer
from bot.scheduler import run_once
from colorizer.inference import Colorizer
from tests.bot_helpers import bot_settings, comments_by_post, make_bot


def test_a_photo_over_the_pixel_limit_is_answered_from_a_preview_rendition(tmp_path: Path, sandbox: SandboxServer,
                                                                          vivid_checkpoint: Path, colorizer: Colorizer) -> None:
    settings = bot_settings(tmp_path, sandbox, vivid_checkpoint)
    small_limit = dataclasses.replace(settings.download, max_megapixels=0.06)  # the seed's 384-px photos are 0.15 MP
    bot = make_bot(dataclasses.replace(settings, download=small_limit), sandbox, colorizer)
    run_once(bot, ["gray01"])
    assert list(comments_by_post(sandbox)) == ["gray01"]
    (job,) = bot.queue.jobs_for_post("gray01")
    assert job.state == "done" and "/preview.redd.it/" in job.image_url and "width=216" in job.image_url
    fetched = [r["path"] for r in sandbox.state()["requests"] if r["route"].startswith("GET /{host")]
    assert any(path.startswith("/preview.redd.it/") for path in fetched)
    original = "/i.redd.it/" + sandbox.world.posts["gray01"].url.rsplit("/", 1)[-1]
    assert original not in fetched  # the original was never downloaded
