"""Helpers for the bot tests: settings for a sandbox, a bot over real PRAW, reading back its replies."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import requests
from PIL import Image

from bot.config import DownloadSettings, HostSettings, Settings
from bot.reddit.client import make_reddit
from bot.sandbox import SandboxServer
from bot.sandbox.praw_site import praw_settings
from bot.scheduler import Bot, build_bot
from colorizer.inference import Colorizer

SUBREDDITS = ("Colorization", "OldSchoolCool", "ColorizationRequests", "BannedHere")
LINK = re.compile(r"\[side-by-side comparison\]\(([^)\s]+)\)")


def bot_settings(tmp_path: Path, sandbox: SandboxServer, checkpoint: Path, **changes: Any) -> Settings:
    settings = Settings(
        subreddits=SUBREDDITS,
        database_url=f"sqlite:///{tmp_path / 'colorbot.db'}",
        model_path=checkpoint,
        device="cpu",
        download=DownloadSettings(sandbox_image_base_url=sandbox.url),
        host=HostSettings(kind="reddit", outbox_dir=tmp_path / "outbox"),
    )
    return dataclasses.replace(settings, **changes)


def make_bot(settings: Settings, sandbox: SandboxServer, colorizer: Colorizer | None = None) -> Bot:
    reddit = make_reddit(settings, **praw_settings(sandbox.url))
    return build_bot(settings, reddit, colorizer=colorizer)


def comments_by_post(sandbox: SandboxServer) -> dict[str, list[dict[str, Any]]]:
    """The comments the bot made in this sandbox, by post id."""
    result: dict[str, list[dict[str, Any]]] = {}
    for comment in sandbox.state()["comments"]:
        result.setdefault(comment["link_id"].removeprefix("t3_"), []).append(comment)
    return result


def panel_count(image: Image.Image) -> int:
    """How many pictures a comparison holds: runs of columns that are not the white gap between panels."""
    rgb = np.asarray(image.convert("L"), dtype=np.int16)
    body = rgb[rgb.shape[0] // 5:]  # below the label strip
    gap = body.min(axis=0) >= 235
    runs, inside = 0, False
    for is_gap in gap:
        if not is_gap and not inside:
            runs += 1
        inside = not is_gap
    return runs


def open_link(body: str) -> Image.Image:
    match = LINK.search(body)
    assert match, body
    response = requests.get(match.group(1), timeout=10)
    response.raise_for_status()
    assert response.headers["content-type"].startswith("image/")
    return Image.open(io.BytesIO(response.content))


def make_due(bot: Bot) -> None:
    """Move every waiting job's next attempt to now: the retry delay has passed, without sleeping through it."""
    from sqlalchemy import update

    from db import Job, JobState, transaction
    from db.types import utcnow

    with transaction(bot.queue.engine, write=True) as session:
        session.execute(update(Job).where(Job.state == JobState.PENDING.value).values(next_attempt_at=utcnow()))
