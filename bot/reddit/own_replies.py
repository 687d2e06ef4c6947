"""The exactly-once protocol's look at Reddit: has the bot already answered this post?

Read from the bot's own newest comments (``GET /user/{me}/comments?sort=new``), matched by
``link_id``: one request covers its 100 latest replies, however busy the thread is (a post's
comment page holds at most 500 comments sorted by confidence, and a 1-point bot reply sits behind
"load more comments"). Older pages are read only while they are newer than the post itself — a
reply cannot predate its post — so an answer made before a database restore is found too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import praw

log = logging.getLogger(__name__)

PAGE = 100  # Reddit's largest listing page
MAX_PAGES = 10  # Reddit lists at most 1,000 items of any listing


def find_own_reply(reddit: praw.Reddit, username: str, post_id: str, *, post_created_utc: float | None = None) -> str | None:
    """The id of ``username``'s comment on ``t3_{post_id}``, or None (Reddit errors propagate).

    Without ``post_created_utc`` only the newest page is read (crash recovery: the reply, if any,
    was made moments ago).
    """
    link = f"t3_{post_id}"
    limit = PAGE if post_created_utc is None else PAGE * MAX_PAGES
    read = 0
    for comment in reddit.redditor(username).comments.new(limit=limit):
        read += 1
        if comment.link_id == link:
            log.debug("post %s: own reply t1_%s found among the %d newest comments of u/%s", link, comment.id, read, username)
            return str(comment.id)
        if post_created_utc is not None and float(comment.created_utc) < post_created_utc:
            break  # older than the post: no reply to it can come after this
    return None
