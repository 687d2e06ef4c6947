"""The bot's one door to Reddit: the PRAW client, and the reads made right before replying.

Why here: the worker, poller and inbox need the same client (PRAW site from the settings,
our User-Agent, the request budget) and the same "is this post still answerable?" test, so
both live in one place. In sandbox mode (``download.sandbox_image_base_url`` set) PRAW gets
the sandbox session, which media uploads need (see ``bot/sandbox/README.md``).

Credentials never pass through here as settings: PRAW reads them from its praw.ini site.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.ingest import field
from bot.reddit_errors import install_rate_budget

if TYPE_CHECKING:
    import praw

    from bot.config import Settings

log = logging.getLogger(__name__)

INFO_BATCH = 100  # /api/info takes at most 100 fullnames
SANDBOX_TIMEOUT_S = 30.0
DELETED = "[deleted]"


def make_reddit(settings: Settings, **overrides: Any) -> praw.Reddit:
    """A ``praw.Reddit`` for the configured site, with our User-Agent and request budget.

    ``overrides`` are extra PRAW settings (tests pass the sandbox's credentials this way).
    """
    import praw

    kwargs: dict[str, Any] = {"user_agent": settings.user_agent, "check_for_updates": False}
    sandbox = settings.download.sandbox_image_base_url
    if sandbox and "requestor_kwargs" not in overrides:
        from bot.sandbox.praw_site import sandbox_session

        kwargs["requestor_kwargs"] = {"session": sandbox_session(sandbox, SANDBOX_TIMEOUT_S)}
    kwargs.update(overrides)
    site = settings.reddit.praw_site
    reddit = praw.Reddit(site, **kwargs) if site else praw.Reddit(**kwargs)
    install_rate_budget(reddit)
    log.info("reddit: client for praw site %s as u/%s%s", site or "(PRAW default)", bot_username(reddit) or "?",
             " (sandbox mode)" if sandbox else "")
    return reddit


def bot_username(reddit: praw.Reddit) -> str | None:
    """The bot's account name from PRAW's config (no request)."""
    name = getattr(reddit.config, "username", None)
    return str(name) if name else None


@dataclass(frozen=True)
class PostState:
    """A post as Reddit shows it now; ``unanswerable`` is why we must not reply (None: we may)."""

    post_id: str
    title: str
    author: str | None
    permalink: str
    unanswerable: str | None


def post_state(data: Any) -> PostState:
    """Judge a listing/info item (Submission or dict) without fetching more."""
    author = field(data, "author")
    author = str(author) if author is not None else None
    why = None
    if field(data, "removed_by_category") is not None:
        why = f"removed ({field(data, 'removed_by_category')})"
    elif author in (None, DELETED) or field(data, "selftext") == DELETED:
        why = "deleted by its author"
    elif field(data, "locked"):
        why = "locked meanwhile"
    elif field(data, "archived"):
        why = "archived meanwhile"
    elif field(data, "over_18"):
        why = "marked NSFW meanwhile"
    return PostState(str(field(data, "id")), str(field(data, "title") or ""), None if author == DELETED else author,
                     str(field(data, "permalink") or ""), why)


def recheck_posts(reddit: praw.Reddit, post_ids: Iterable[str]) -> dict[str, PostState]:
    """Re-read posts in batches of 100 (``/api/info``); a post Reddit no longer lists is unanswerable."""
    ids = list(dict.fromkeys(post_ids))
    found: dict[str, PostState] = {}
    for start in range(0, len(ids), INFO_BATCH):
        chunk = ids[start:start + INFO_BATCH]
        for item in reddit.info(fullnames=[f"t3_{i}" for i in chunk]):
            state = post_state(item)
            found[state.post_id] = state
    for post_id in ids:
        if post_id not in found:
            found[post_id] = PostState(post_id, "", None, "", "gone (not returned by /api/info)")
    return found


def fetch_posts(reddit: praw.Reddit, post_ids: Iterable[str]) -> list[Any]:
    """The ``Submission`` objects of ``post_ids`` (those Reddit still has), in one request per 100."""
    ids = list(dict.fromkeys(post_ids))
    result: list[Any] = []
    for start in range(0, len(ids), INFO_BATCH):
        result += list(reddit.info(fullnames=[f"t3_{i}" for i in ids[start:start + INFO_BATCH]]))
    return result


def existing_bot_reply(reddit: praw.Reddit, post_id: str, username: str) -> str | None:
    """The id of a top-level comment by ``username`` on the post (``GET /comments/{id}``), if any."""
    from praw.models import Comment

    submission = reddit.submission(id=post_id)
    for comment in submission.comments:
        if isinstance(comment, Comment) and comment.author is not None and str(comment.author).lower() == username.lower():
            return str(comment.id)
    return None
