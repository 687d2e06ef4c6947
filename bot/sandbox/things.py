"""Render world objects in the JSON shapes Reddit (and therefore PRAW) uses.

Why separate: the world stores facts once; these functions add the derived fields (fullnames,
permalinks, ``is_gallery``, ``media_metadata``, ``crosspost_parent_list``…) and mirror media
URLs onto the sandbox, so seeds stay short and real-looking.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from bot.sandbox.hosts import media_key, mirror_url
from bot.sandbox.world import DELETED, Comment, Message, Post, Subreddit, World

Json = dict[str, Any]


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:50] or "_"


def permalink(post: Post) -> str:
    return f"/r/{post.subreddit}/comments/{post.id}/{slug(post.title)}/"


def mirror_all(value: Any, base: str) -> Any:
    """Rewrite every Reddit URL inside ``value`` to the sandbox at ``base``."""
    if isinstance(value, str) and value.startswith("https://"):
        return mirror_url(value, base)
    if isinstance(value, dict):
        return {k: mirror_all(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [mirror_all(v, base) for v in value]
    return value


def listing(children: list[Json], *, after: str | None = None, before: str | None = None) -> Json:
    return {"kind": "Listing", "data": {"after": after, "before": before, "dist": len(children), "modhash": None, "geo_filter": "", "children": children}}


def subreddit_json(sub: Subreddit) -> Json:
    return {"kind": "t5", "data": {
        "display_name": sub.name, "display_name_prefixed": f"r/{sub.name}", "id": sub.id, "name": f"t5_{sub.id}",
        "title": sub.title or sub.name, "over18": sub.over18, "subreddit_type": sub.subreddit_type,
        "user_is_banned": sub.user_is_banned, "subscribers": sub.subscribers, "created_utc": sub.created_utc,
        "url": f"/r/{sub.name}/", "public_description": "", "quarantine": False, "restrict_commenting": False,
    }}


def media_entry(world: World, item_id: str, status: str, mime: str) -> Json:
    if status != "valid":
        return {"status": status, "id": item_id}
    ext = mime.split("/")[-1].replace("jpeg", "jpg")
    stored = world.media.get(f"i.redd.it/{item_id}.{ext}")
    width, height = (stored.width, stored.height) if stored else (0, 0)
    source = f"https://preview.redd.it/{item_id}.{ext}?width={width}&format=p{ext}&auto=webp&s=sandbox"
    return {"status": "valid", "e": "Image", "m": mime, "id": item_id, "p": [], "s": {"y": height, "x": width, "u": source}}


def _preview(world: World, post: Post) -> Json | None:
    key = media_key(post.url)
    stored = world.media.get(key) if key else None
    if post.post_hint != "image" or stored is None:
        return None
    name = urlsplit(post.url).path.rsplit("/", 1)[-1]
    source = {"url": f"https://preview.redd.it/{name}?auto=webp&s=sandbox", "width": stored.width, "height": stored.height}
    return {"enabled": True, "images": [{"id": post.id, "source": source, "resolutions": [], "variants": {}}]}


def post_data(world: World, post: Post) -> Json:
    """The ``data`` of a ``t3`` thing, with real-looking URLs (see :func:`mirror_all`)."""
    sub = world.subreddit(post.subreddit)
    link = permalink(post)
    url = post.url or f"https://www.reddit.com{link}"
    data: Json = {
        "id": post.id, "name": post.fullname, "subreddit": post.subreddit, "subreddit_name_prefixed": f"r/{post.subreddit}",
        "subreddit_id": f"t5_{sub.id if sub else ''}", "subreddit_type": sub.subreddit_type if sub else "public",
        "author": post.author, "author_fullname": None if post.author == DELETED else f"t2_{post.author.lower()}",
        "title": post.title, "selftext": post.selftext, "url": url, "url_overridden_by_dest": None if post.is_self else url,
        "permalink": link, "domain": f"self.{post.subreddit}" if post.is_self else (urlsplit(url).hostname or ""),
        "is_self": post.is_self, "is_video": post.is_video, "is_gallery": bool(post.gallery), "over_18": post.over_18,
        "spoiler": post.spoiler, "locked": post.locked, "archived": post.archived, "stickied": False,
        "removed_by_category": post.removed_by_category, "created_utc": post.created_utc, "created": post.created_utc,
        "score": post.score, "ups": post.score, "num_comments": len(world.comments_on(post.id)),
        "thumbnail": "self" if post.is_self else "default", "media": None, "secure_media": None,
        "is_original_content": False, "distinguished": None, "edited": False, "hidden": False, "saved": False,
    }
    if post.post_hint:
        data["post_hint"] = post.post_hint
    if (preview := _preview(world, post)) is not None:
        data["preview"] = preview
    metadata = dict(post.media_metadata or {})
    if post.gallery:
        data["url"] = data["url_overridden_by_dest"] = f"https://www.reddit.com/gallery/{post.id}"
        data["domain"] = "reddit.com"
        data["gallery_data"] = {"items": [{"media_id": g.media_id, "id": i + 1, "caption": g.caption} for i, g in enumerate(post.gallery)]}
        metadata.update({g.media_id: media_entry(world, g.media_id, g.status, g.mime) for g in post.gallery})
    if metadata:
        data["media_metadata"] = metadata
    if post.is_video:
        data["media"] = data["secure_media"] = {"reddit_video": {"fallback_url": f"{url}/DASH_720.mp4", "is_gif": False}}
    if post.crosspost_parent and (parent := world.posts.get(post.crosspost_parent)):
        data["crosspost_parent"] = parent.fullname
        data["crosspost_parent_list"] = [post_data(world, parent)]
    return data


def post_json(world: World, post: Post, base: str) -> Json:
    data = post_data(world, post)
    return {"kind": "t3", "data": mirror_all(data, base) if world.mirror_media else data}


def comment_json(world: World, comment: Comment, base: str, *, replies: bool = True, depth: int = 0) -> Json:
    post = world.posts.get(comment.link_id)
    children = [c for c in world.comments_on(comment.link_id) if c.parent == comment.fullname] if replies else []
    link = f"{permalink(post)}{comment.id}/" if post else ""
    data: Json = {
        "id": comment.id, "name": comment.fullname, "parent_id": comment.parent, "link_id": f"t3_{comment.link_id}",
        "author": comment.author, "body": comment.body, "body_html": f"<div class=\"md\"><p>{comment.body}</p></div>",
        "created_utc": comment.created_utc, "created": comment.created_utc, "subreddit": post.subreddit if post else "",
        "subreddit_id": f"t5_{world.subreddit(post.subreddit).id}" if post else "", "permalink": link, "score": comment.score,
        "is_submitter": bool(post and post.author == comment.author), "distinguished": None, "stickied": False,
        "locked": False, "archived": bool(post and post.archived), "depth": depth, "edited": False, "collapsed": False,
        "replies": listing([comment_json(world, c, base, depth=depth + 1) for c in children]) if children else "",
    }
    return {"kind": "t1", "data": data}


def more_json(post_fullname: str, hidden: list[Comment]) -> Json:
    """The "load more comments" stub for the top-level comments a thread page leaves out."""
    return {"kind": "more", "data": {"count": len(hidden), "name": f"t1_{hidden[0].id}", "id": hidden[0].id,
                                     "parent_id": post_fullname, "depth": 0, "children": [c.id for c in hidden]}}


def inbox_json(world: World, item: Message | Comment, base: str) -> Json:
    """An inbox entry: a ``t4`` message, or a ``t1`` comment reply with inbox-only fields."""
    new = item.fullname not in world.read
    if isinstance(item, Message):
        return {"kind": "t4", "data": {
            "id": item.id, "name": item.fullname, "author": item.author, "dest": item.dest, "subject": item.subject,
            "body": item.body, "body_html": item.body, "created_utc": item.created_utc, "created": item.created_utc,
            "new": new, "was_comment": False, "parent_id": None, "first_message_name": None, "context": "",
            "subreddit": None, "replies": "", "distinguished": None, "type": "unknown",
        }}
    thing = comment_json(world, item, base, replies=False)
    post = world.posts.get(item.link_id)
    parent = world.find(item.parent)
    thing["data"].update({
        "new": new, "was_comment": True, "subject": "comment reply" if isinstance(parent, Comment) else "post reply",
        "type": "comment_reply" if isinstance(parent, Comment) else "post_reply", "dest": getattr(parent, "author", ""),
        "context": f"{thing['data']['permalink']}?context=3", "link_title": post.title if post else "",
    })
    thing["data"].pop("replies")
    return thing


def me_json(world: World, user: str) -> Json:
    return {"name": user, "id": user.lower(), "created_utc": world.started_at - 86400 * 400, "link_karma": 1,
            "comment_karma": 1, "is_suspended": False, "has_verified_email": True, "is_mod": False, "over_18": True,
            "inbox_count": sum(1 for i in world.inbox(user) if i.fullname not in world.read)}
