"""Render world objects in the JSON shapes Reddit (and therefore PRAW) uses.

Why separate: the world stores facts once; these functions add the derived fields (fullnames,
permalinks, ``is_gallery``, ``media_metadata``, ``crosspost_parent_list``…) and mirror media
URLs onto the sandbox, so seeds stay short and real-looking.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

from bot.sandbox import reddit_fields
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


#: Widths of the downscaled renditions Reddit lists (``preview.images[].resolutions``, ``media_metadata[].p``).
RENDITION_WIDTHS = (108, 216, 320, 640, 960, 1080)
#: Author fields Reddit leaves out (absent, not null) once an author deleted the thing or Reddit removed it.
GONE_AUTHOR_KEYS = ("author_fullname", "author_flair_richtext", "author_flair_type", "author_patreon_flair", "author_premium")


def listing(children: list[Json], *, after: str | None = None, before: str | None = None, modhash: str | None = None,
            geo_filter: str | None = None, top_level: bool = True) -> Json:
    """Reddit's ``Listing`` envelope. Subreddit pages (2026): ``modhash``/``geo_filter`` null; user listings
    ``""``/``""``; inbox and thread pages null/``""``; ``dist`` is null below the top level (thread, replies)."""
    return {"kind": "Listing", "data": {"after": after, "dist": len(children) if top_level else None, "modhash": modhash,
                                        "geo_filter": geo_filter, "children": children, "before": before}}


def subreddit_json(sub: Subreddit) -> Json:
    data = {**reddit_fields.T5,
            "display_name": sub.name, "display_name_prefixed": f"r/{sub.name}", "id": sub.id, "name": f"t5_{sub.id}",
            "title": sub.title or sub.name, "over18": sub.over18, "subreddit_type": sub.subreddit_type,
            "user_is_banned": sub.user_is_banned, "subscribers": sub.subscribers, "created_utc": sub.created_utc,
            "created": sub.created_utc, "url": f"/r/{sub.name}/", "submission_type": "any", "allow_images": True,
            "allow_galleries": True, "allow_videos": True, "user_is_subscriber": False, "user_is_moderator": False}
    return {"kind": "t5", "data": data}


def renditions(url: str, width: int, height: int) -> list[Json]:
    """The downscaled copies Reddit lists for an image of ``width`` × ``height`` (only those narrower than it)."""
    joiner = "&" if "?" in url else "?"
    return [{"url": f"{url}{joiner}width={w}&crop=smart&auto=webp&s=sandbox", "width": w, "height": max(1, round(height * w / width))}
            for w in RENDITION_WIDTHS if w < width]


def media_entry(world: World, item_id: str, status: str, mime: str) -> Json:
    if status != "valid":
        return {"status": status}
    ext = mime.split("/")[-1].replace("jpeg", "jpg")
    stored = world.media.get(f"i.redd.it/{item_id}.{ext}")
    width, height = (stored.width, stored.height) if stored else (0, 0)
    source = f"https://preview.redd.it/{item_id}.{ext}?width={width}&format=p{ext}&auto=webp&s=sandbox"
    smaller = [{"y": r["height"], "x": r["width"], "u": r["url"]} for r in renditions(f"https://preview.redd.it/{item_id}.{ext}", width, height)]
    return {"status": "valid", "e": "Image", "m": mime, "p": smaller, "s": {"y": height, "x": width, "u": source}, "id": item_id}


#: Size of a preview whose image the sandbox does not hold (a link's page, a video's poster, a gone image).
UNKNOWN_PREVIEW_SIZE = (1200, 900)


def _preview(world: World, post: Post) -> Json | None:
    """``preview``: every post but self posts and galleries has one (image posts on ``preview.redd.it``)."""
    if post.is_self or post.gallery:
        return None
    key = media_key(post.url) if post.url else None
    stored = world.media.get(key) if key else None
    width, height = (stored.width, stored.height) if stored else UNKNOWN_PREVIEW_SIZE
    name = urlsplit(post.url).path.rstrip("/").rsplit("/", 1)[-1] or post.id
    host = "preview.redd.it" if post.post_hint == "image" else "external-preview.redd.it"
    base = f"https://{host}/{name}" if host == "preview.redd.it" else f"https://{host}/{post.id}.jpg"
    source = {"url": f"{base}?auto=webp&s=sandbox", "width": width, "height": height}
    image = {"source": source, "resolutions": renditions(base, width, height), "variants": _variants(post, base, width, height),
             "id": post.id}
    return {"images": [image], "enabled": post.post_hint == "image"}


def _variants(post: Post, base: str, width: int, height: int) -> Json:
    """Blurred copies: ``obfuscated`` for NSFW and spoiler posts, ``nsfw`` too for NSFW ones (README fact 8)."""
    blurred = {"source": {"url": f"{base}?blur=40&format=pjpg&auto=webp&s=sandbox", "width": width, "height": height},
               "resolutions": renditions(f"{base}?blur=10&format=pjpg", width, height)}
    variants: Json = {}
    if post.over_18 or post.spoiler:
        variants["obfuscated"] = blurred
    if post.over_18:
        variants["nsfw"] = blurred
    return variants


def _video(post: Post) -> Json | None:
    """``media.reddit_video`` of a v.redd.it post (2026 shape), or ``None`` while Reddit is still
    transcoding it (README fact 10: ``is_video`` is already true then)."""
    base = post.url.rstrip("/")
    info = post.video
    if info is not None and time.time() < info.ready_at:
        return None
    width, height = (info.width, info.height) if info else (960, 720)
    return {"reddit_video": {"bitrate_kbps": info.bitrate_kbps if info else 1200,
                             "fallback_url": f"{base}/CMAF_{height}.mp4?source=fallback",
                             "has_audio": info.has_audio if info else True, "height": height, "width": width,
                             "scrubber_media_url": f"{base}/CMAF_96.mp4",
                             "dash_url": f"{base}/DASHPlaylist.mpd?a=sandbox&v=1&f=sd", "duration": round(info.duration) if info else 12,
                             "hls_url": f"{base}/HLSPlaylist.m3u8?a=sandbox&v=1&f=sd", "is_gif": info.is_gif if info else False,
                             "transcoding_status": "completed"}}


def post_data(world: World, post: Post) -> Json:
    """The ``data`` of a ``t3`` thing, with real-looking URLs (see :func:`mirror_all`)."""
    sub = world.subreddit(post.subreddit)
    link = permalink(post)
    url = post.url or f"https://www.reddit.com{link}"
    domain = f"self.{post.subreddit}" if post.is_self else (urlsplit(url).hostname or "")
    data: Json = {**reddit_fields.T3,
        "id": post.id, "name": post.fullname, "subreddit": post.subreddit, "subreddit_name_prefixed": f"r/{post.subreddit}",
        "subreddit_id": f"t5_{sub.id if sub else ''}", "subreddit_type": sub.subreddit_type if sub else "public",
        "subreddit_subscribers": sub.subscribers if sub else 0,
        "author": post.author, "author_fullname": f"t2_{post.author.lower()}", "title": post.title, "selftext": post.selftext,
        "selftext_html": f"<!-- SC_OFF --><div class=\"md\"><p>{post.selftext}</p></div><!-- SC_ON -->" if post.selftext else None,
        "url": url, "permalink": link, "domain": domain, "is_self": post.is_self, "is_video": post.is_video,
        "is_reddit_media_domain": domain in {"i.redd.it", "v.redd.it"}, "over_18": post.over_18, "spoiler": post.spoiler,
        "locked": post.locked, "archived": post.archived, "removed_by_category": post.removed_by_category,
        "is_robot_indexable": post.removed_by_category is None, "created_utc": post.created_utc, "created": post.created_utc,
        "score": post.score, "ups": post.score, "upvote_ratio": 1.0, "num_comments": len(world.comments_on(post.id)),
        "thumbnail": "self" if post.is_self else ("nsfw" if post.over_18 else "spoiler" if post.spoiler else "default"),
        "thumbnail_height": None if post.is_self else 140, "thumbnail_width": None if post.is_self else 140,
    }
    if not post.is_self:
        data["url_overridden_by_dest"] = url
    if post.author == DELETED:
        for key in GONE_AUTHOR_KEYS:
            data.pop(key, None)
    if post.post_hint:
        data["post_hint"] = post.post_hint
    if (preview := _preview(world, post)) is not None:
        data["preview"] = preview
    metadata = dict(post.media_metadata or {})
    if post.gallery:
        data["url"] = data["url_overridden_by_dest"] = f"https://www.reddit.com/gallery/{post.id}"
        data["domain"], data["is_gallery"] = "reddit.com", True
        data["gallery_data"] = {"items": [{"caption": g.caption, "media_id": g.media_id, "is_deleted": False, "id": 900000 + i}
                                          for i, g in enumerate(post.gallery)]}
        data.pop("post_hint", None)
        metadata.update({g.media_id: media_entry(world, g.media_id, g.status, g.mime) for g in post.gallery})
        if any(g.status != "valid" for g in post.gallery):
            data["thumbnail"] = "default"
    if metadata:
        data["media_metadata"] = metadata
    if post.is_video:
        data["media"] = data["secure_media"] = _video(post)
    if post.crosspost_parent and (parent := world.posts.get(post.crosspost_parent)):
        data["crosspost_parent"] = parent.fullname
        data["crosspost_parent_list"] = [post_data(world, parent)]
    return data


def post_json(world: World, post: Post, base: str) -> Json:
    data = post_data(world, post)
    return {"kind": "t3", "data": mirror_all(data, base) if world.mirror_media else data}


def comment_json(world: World, comment: Comment, base: str, *, replies: bool = True, depth: int = 0,
                 in_listing: bool = False) -> Json:
    """A ``t1``: on a thread page (``depth``, ``replies`` a Listing or ``""``), or in a user listing
    (``in_listing``: no depth, its post in brief)."""
    post = world.posts.get(comment.link_id)
    children = [c for c in world.comments_on(comment.link_id) if c.parent == comment.fullname] if replies else []
    link = f"{permalink(post)}{comment.id}/" if post else ""
    sub = world.subreddit(post.subreddit) if post else None
    data: Json = {**reddit_fields.T1,
        "id": comment.id, "name": comment.fullname, "parent_id": comment.parent, "link_id": f"t3_{comment.link_id}",
        "author": comment.author, "author_fullname": f"t2_{comment.author.lower()}", "body": comment.body,
        "body_html": f"<div class=\"md\"><p>{comment.body}</p>\n</div>",
        "created_utc": comment.created_utc, "created": comment.created_utc, "subreddit": post.subreddit if post else "",
        "subreddit_name_prefixed": f"r/{post.subreddit}" if post else "", "subreddit_id": f"t5_{sub.id}" if sub else "",
        "permalink": link, "score": comment.score, "ups": comment.score,
        "is_submitter": bool(post and post.author == comment.author), "archived": bool(post and post.archived),
        "replies": listing([comment_json(world, c, base, depth=depth + 1) for c in children], top_level=False) if children else "",
    }
    if comment.author == DELETED:
        for key in GONE_AUTHOR_KEYS:
            data.pop(key, None)
    if in_listing and post is not None:
        data.update({**reddit_fields.T1_LISTING, "link_title": post.title, "link_author": post.author,
                     "link_permalink": f"https://www.reddit.com{permalink(post)}", "link_url": post.url or f"https://www.reddit.com{permalink(post)}",
                     "num_comments": len(world.comments_on(post.id)), "over_18": post.over_18})
    else:
        data["depth"] = depth
    return {"kind": "t1", "data": data}


def more_json(post_fullname: str, hidden: list[Comment]) -> Json:
    """The "load more comments" stub for the top-level comments a thread page leaves out."""
    return {"kind": "more", "data": {"count": len(hidden), "name": f"t1_{hidden[0].id}", "id": hidden[0].id,
                                     "parent_id": post_fullname, "depth": 0, "children": [c.id for c in hidden]}}


def inbox_json(world: World, item: Message | Comment, base: str) -> Json:
    """An inbox entry: a ``t4`` message, or a ``t1`` comment reply with inbox-only fields."""
    new = item.fullname not in world.read
    if isinstance(item, Message):
        return {"kind": "t4", "data": {**reddit_fields.T4,
            "id": item.id, "name": item.fullname, "author": item.author, "author_fullname": f"t2_{item.author.lower()}",
            "dest": item.dest, "subject": item.subject, "body": item.body, "body_html": f"<!-- SC_OFF --><div class=\"md\"><p>{item.body}</p>\n</div><!-- SC_ON -->",
            "created_utc": item.created_utc, "created": item.created_utc, "new": new,
        }}
    post = world.posts.get(item.link_id)
    parent = world.find(item.parent)
    by_comment = isinstance(parent, Comment)
    data = {**reddit_fields.INBOX_T1,
        "id": item.id, "name": item.fullname, "author": item.author, "author_fullname": f"t2_{item.author.lower()}",
        "body": item.body, "body_html": f"<!-- SC_OFF --><div class=\"md\"><p>{item.body}</p>\n</div><!-- SC_ON -->",
        "created_utc": item.created_utc, "created": item.created_utc, "new": new, "parent_id": item.parent,
        "subject": "comment reply" if by_comment else "post reply", "type": "comment_reply" if by_comment else "post_reply",
        "dest": getattr(parent, "author", ""), "subreddit": post.subreddit if post else "",
        "subreddit_name_prefixed": f"r/{post.subreddit}" if post else "", "link_title": post.title if post else "",
        "num_comments": len(world.comments_on(item.link_id)),
        "context": f"{permalink(post)}{item.id}/?context=3" if post else "", "score": item.score,
    }
    return {"kind": "t1", "data": data}


def me_json(world: World, user: str) -> Json:
    """``/api/v1/me`` for the signed-in ``user`` (a bare object, no ``kind``)."""
    return {**reddit_fields.ME, "name": user, "id": user.lower(), "created_utc": world.started_at - 86400 * 400,
            "created": world.started_at - 86400 * 400, "link_karma": 1, "comment_karma": 1, "total_karma": 2,
            "is_mod": False, "has_mail": False, "has_mod_mail": False, "new_modmail_exists": False,
            "inbox_count": sum(1 for i in world.inbox(user) if i.fullname not in world.read)}


def user_json(world: World, user: str) -> Json:
    """``/user/{name}/about``: ``kind`` t2."""
    return {"kind": "t2", "data": {**reddit_fields.T2, "name": user, "id": user.lower(), "is_mod": False,
                                   "created_utc": world.started_at - 86400 * 400, "created": world.started_at - 86400 * 400}}
