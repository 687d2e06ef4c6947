"""One rule for "may the bot answer this post now?", and the re-reads made right before replying."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import praw

INFO_BATCH = 100  # /api/info takes at most 100 fullnames
DELETED = "[deleted]"


def field(submission: Any, name: str, default: Any = None) -> Any:
    """A listing field of ``submission`` (Submission or plain dict) without triggering PRAW's fetch."""
    data = submission if isinstance(submission, Mapping) else vars(submission)
    value = data.get(name, default)
    return default if value is None and default is not None else value


def unanswerable(data: Any, bot: str | None = None) -> str | None:
    """Why the bot must not answer this post (None: it may) — at ingest and again right before replying."""
    author = field(data, "author")
    author = str(author) if author is not None else None
    if field(data, "over_18"):
        return "NSFW (over_18)"
    if field(data, "removed_by_category") is not None:
        return f"removed ({field(data, 'removed_by_category')})"
    if author in (None, DELETED) or field(data, "selftext") == DELETED:
        return "deleted (no author)" if field(data, "selftext") != DELETED else "deleted (selftext [deleted])"
    if field(data, "locked"):
        return "locked: replies are not possible"
    if field(data, "spoiler"):
        return "marked as a spoiler (a comparison would show the photo unblurred)"
    if field(data, "archived"):
        return "archived: replies are not possible"
    if bot and author.lower() == bot.lower():
        return "the bot's own post"
    return None


@dataclass(frozen=True)
class PostState:
    """A post as Reddit shows it now; ``unanswerable`` is why we must not reply (None: we may)."""

    post_id: str
    title: str
    author: str | None
    permalink: str
    unanswerable: str | None
    created_utc: float | None = None


def post_state(data: Any) -> PostState:
    """Judge a listing/info item (Submission or dict) without fetching more."""
    author = field(data, "author")
    author = str(author) if author is not None else None
    created = field(data, "created_utc")
    return PostState(str(field(data, "id")), str(field(data, "title") or ""), None if author == DELETED else author,
                     str(field(data, "permalink") or ""), unanswerable(data), float(created) if created is not None else None)


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
