"""One rule for "may the bot answer this post now?", and the re-reads made right before replying."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.ingest import field

if TYPE_CHECKING:
    import praw

INFO_BATCH = 100  # /api/info takes at most 100 fullnames
DELETED = "[deleted]"


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
    created = field(data, "created_utc")
    return PostState(str(field(data, "id")), str(field(data, "title") or ""), None if author == DELETED else author,
                     str(field(data, "permalink") or ""), why, float(created) if created is not None else None)


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
