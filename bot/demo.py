"""The bot's main job, end to end, with nothing to set up: one pass against a local sandbox Reddit.

``colorbot demo`` (and ``make demo``) starts a :class:`bot.sandbox.SandboxServer` with the default
seed, writes the two files an operator would write — a praw.ini site and a ``colorbot.toml`` —
into the output folder, runs the equivalent of ``colorbot run-once`` from those files, and leaves
behind what the bot posted: one comparison image and one reply text per answered post.

:func:`write_sandbox_config` is also what the crash and concurrency tests and ``bench/bot.py``
use to point a real ``colorbot run`` process at a sandbox.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.sandbox.praw_site import SITE, write_praw_ini
from bot.toml_literal import toml_literal

log = logging.getLogger(__name__)

DEMO_SUBREDDITS = ("Colorization", "OldSchoolCool", "ColorizationRequests", "BannedHere")
CONFIG_NAME, PRAW_INI_NAME, DB_NAME, LOG_NAME = "colorbot.toml", "praw.ini", "colorbot.db", "bot.log"
_POST_LINE = re.compile(r"^(?:ingest (?P<decision>\S+) |poll (?P<poll>skip|retry-later) )t3_(?P<post>\w+)(?: r/\S+)?: (?P<reason>.*)$")


def write_sandbox_config(folder: Path, sandbox_url: str, *, database_url: str, model_path: Path | None = None,
                         subreddits: tuple[str, ...] = DEMO_SUBREDDITS, top: dict[str, Any] | None = None,
                         worker: dict[str, Any] | None = None, video: dict[str, Any] | None = None) -> Path:
    """Write ``folder/praw.ini`` (site ``colorbot_sandbox``) and ``folder/colorbot.toml`` for a sandbox; returns the TOML.

    PRAW finds the site when ``XDG_CONFIG_HOME`` is ``folder`` (see :func:`bot_environment`).
    ``top``, ``worker`` and ``video`` add top-level, ``[worker]`` and ``[video]`` settings.
    """
    folder.mkdir(parents=True, exist_ok=True)
    write_praw_ini(folder / PRAW_INI_NAME, sandbox_url)
    lines = ["# colorbot settings for a local sandbox Reddit (written by colorbot demo; see `colorbot config`)",
             f"subreddits = {toml_literal(subreddits)}", f"database_url = {toml_literal(database_url)}", 'device = "cpu"']
    lines.append(f"model_path = {toml_literal(model_path)}" if model_path else "# model_path: the shipped colorizer/weights/default.pt")
    lines += [f"{key} = {toml_literal(value)}" for key, value in (top or {}).items()]
    lines += ["", "[reddit]", f"praw_site = {toml_literal(SITE)}  # credentials live in praw.ini, never here",
              "", "[download]", f"sandbox_image_base_url = {toml_literal(sandbox_url)}",
              "", "[host]", 'kind = "reddit"  # comparisons are image posts on the bot\'s profile']
    for section, values in (("worker", worker), ("video", video)):
        if values:
            lines += ["", f"[{section}]", *(f"{key} = {toml_literal(value)}" for key, value in values.items())]
    path = folder / CONFIG_NAME
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class PostOutcome:
    """What the bot did with one post of the sandbox."""

    post_id: str
    subreddit: str
    title: str
    decision: str
    reason: str
    reply_url: str | None = None
    comparison: Path | None = None
    reply_text: Path | None = None


@dataclass
class DemoResult:
    """The run-once summary lines plus one outcome per seeded post."""

    lines: list[str]
    posts: list[PostOutcome] = field(default_factory=list)
    exit_code: int = 0

    @property
    def replied(self) -> list[PostOutcome]:
        return [p for p in self.posts if p.reply_url]


def _logged_decisions(log_text: str) -> dict[str, tuple[str, str]]:
    """The last ingest / poll decision line per post in the bot's log (the worker's are in the database)."""
    found: dict[str, tuple[str, str]] = {}
    for line in log_text.splitlines():
        match = _POST_LINE.match(line.split(": ", 1)[-1]) if " bot." in line else None
        if match:
            found[match["post"]] = (match["decision"] or match["poll"], match["reason"])
    return found


def _reset(out: Path) -> None:
    """A demo run starts from a fresh database and fresh outputs (the sandbox is fresh too)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in (DB_NAME, LOG_NAME):
        (out / name).unlink(missing_ok=True)
    for folder in ("comparisons", "replies"):
        shutil.rmtree(out / folder, ignore_errors=True)


def bot_environment(config_folder: Path) -> dict[str, str]:
    """This process's environment for a bot process that reads ``config_folder``'s praw.ini and no stray COLORBOT_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COLORBOT_", "praw_"))}
    env["XDG_CONFIG_HOME"] = str(config_folder.resolve())  # PRAW looks for $XDG_CONFIG_HOME/praw.ini
    return env


def run_demo(out: Path, model_path: Path | None = None, *, timeout_s: float = 600) -> DemoResult:
    """Serve the default sandbox, write the config files into ``out``, run ``colorbot run-once`` on them, save what was posted."""
    from bot.config import load_settings
    from bot.sandbox import SandboxServer
    from bot.sandbox.seed import demo_seed
    from db import Facts, JobQueue, make_engine

    _reset(out)
    with SandboxServer(demo_seed()) as sandbox:
        config = write_sandbox_config(out, sandbox.url, database_url=f"sqlite:///{(out / DB_NAME).resolve()}",
                                      model_path=model_path.resolve() if model_path else None)
        command = [sys.executable, "-m", "bot.cli", "run-once", "--config", str(config.resolve())]
        with (out / LOG_NAME).open("w", encoding="utf-8") as log_file:
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=log_file, text=True, env=bot_environment(out),
                                  timeout=timeout_s, check=False)
            log_file.write(done.stdout)
        engine = make_engine(load_settings(config, environ={}).database_url)
        try:
            queue, facts = JobQueue(engine), Facts(engine)
            logged = _logged_decisions((out / LOG_NAME).read_text(encoding="utf-8"))
            for post in sandbox.world.posts.values():
                if post.id not in logged and facts.is_banned(post.subreddit):
                    logged[post.id] = ("not read", f"the bot is banned from r/{post.subreddit}")
            watched = {s.lower() for s in DEMO_SUBREDDITS}
            posts = [_outcome(queue, sandbox, post, logged, out) for post in
                     sorted(sandbox.world.posts.values(), key=lambda p: -p.created_utc) if post.subreddit.lower() in watched]
        finally:
            engine.dispose()
    return DemoResult(done.stdout.splitlines(), posts, done.returncode)


def _answer_url(sandbox: Any, lead: Any) -> str:
    """Where the answer's file is: the comparison image, or for a clip the video file of the bot's
    profile post that the reply links to (Reddit's player page is not a file)."""
    if lead.kind != "video":
        return str(lead.hosted_url)
    from bot.sandbox.hosts import mirror_url

    profile_post = sandbox.world.posts[str(lead.hosted_delete_handle).removeprefix("t3_")]
    return mirror_url(f"{profile_post.url}/CMAF_{profile_post.video.height}.mp4", sandbox.url)


def _outcome(queue: Any, sandbox: Any, post: Any, logged: dict[str, tuple[str, str]], out: Path) -> PostOutcome:
    """One post's decision: its jobs' end state and reason, else the ingest's log line; saves what was posted."""
    import requests

    from bot.sandbox.things import permalink

    jobs = queue.jobs_for_post(post.id)
    lead = next((j for j in jobs if j.hosted_url), jobs[0] if jobs else None)
    if lead is not None:
        decision, reason = lead.state, lead.skip_reason or lead.last_error or ""
    else:
        decision, reason = logged.get(post.id, ("not queued", "not in a listing the bot read"))
    outcome = PostOutcome(post.id, post.subreddit, post.title, decision, reason)
    ledger = queue.reply_for(post.id)
    comment = sandbox.world.comments.get(ledger.reply_id) if ledger is not None and ledger.reply_id else None
    if comment is None or lead is None or lead.state != "done" or not lead.hosted_url:
        return outcome  # answered in this run only (done01's reply is the seed's)
    outcome.reply_url = f"{sandbox.url}{permalink(post)}{comment.id}/"
    outcome.reason = outcome.reason or f"replied t1_{comment.id}"
    (out / "replies").mkdir(exist_ok=True)
    outcome.reply_text = out / "replies" / f"{post.id}.md"
    outcome.reply_text.write_text(comment.body + "\n", encoding="utf-8")
    with requests.Session() as session:
        session.trust_env = False  # the sandbox is local: no proxies from the environment
        response = session.get(_answer_url(sandbox, lead), timeout=30)  # what the reply links to, as a reader opens it
    response.raise_for_status()
    kind = response.headers.get("content-type", "")
    suffix = ".mp4" if kind.startswith("video/") else ".png" if kind.endswith("png") else ".jpg"
    (out / "comparisons").mkdir(exist_ok=True)
    outcome.comparison = out / "comparisons" / f"{post.id}{suffix}"
    outcome.comparison.write_bytes(response.content)
    return outcome
