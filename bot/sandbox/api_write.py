"""Handlers for everything the bot writes: comments, deletions, submissions, messages.

Each checks what Reddit checks (locked, archived, deleted, forbidden) and answers with the same
error items, so the bot's error mapping is exercised without fault rules.
"""

from __future__ import annotations

import json
import re
import tempfile
from typing import Any
from urllib.parse import urlsplit

from bot.sandbox import things
from bot.sandbox.calls import ApiError, Call, HttpError, Reply, json_reply
from bot.sandbox.faults import API_ERRORS
from bot.sandbox.hosts import UPLOAD_BUCKET, media_key, unmirror_url
from bot.sandbox.world import Comment, GalleryItem, MediaFile, Message, Post, Upload, VideoInfo, World

MAX_COMMENT = 10_000


def _error(name: str) -> ApiError:
    message, field = API_ERRORS[name]
    return ApiError(name, message, field)


def comment(call: Call) -> Reply:
    """``POST /api/comment`` (``thing_id``, ``text``): returns the new comment in ``json.data.things``."""
    world, user = call.world, call.require_user()
    form = call.form
    text, thing_id = form.get("text", ""), form.get("thing_id", "")
    with world.lock:
        parent = world.find(thing_id)
        post = parent if isinstance(parent, Post) else world.posts.get(parent.link_id) if isinstance(parent, Comment) else None
        if post is None:
            raise ApiError("INVALID_ID", "that thing doesn't exist", "parent")
        sub = world.subreddit_of(post)
        if sub is not None and (sub.forbidden or sub.user_is_banned):
            raise HttpError(403, "Forbidden")
        if not text.strip():
            raise ApiError("NO_TEXT", "we need something here", "text")
        if len(text) > MAX_COMMENT:
            raise ApiError("TOO_LONG", f"this is too long (max: {MAX_COMMENT})", "text")
        if post.deleted:
            raise _error("DELETED_LINK")
        if isinstance(parent, Comment) and parent.deleted:
            raise _error("DELETED_COMMENT")
        if post.locked:
            raise _error("THREAD_LOCKED")
        if post.archived:
            raise _error("TOO_OLD")
        made = world.add_comment(Comment("", post.id, thing_id, user, text))
        world.made["comments"].append(made.id)
        thing = things.comment_json(world, made, call.base, replies=False)
        thing["data"]["likes"] = True  # the author's own upvote, as Reddit answers a new comment
    return json_reply({"json": {"errors": [], "data": {"things": [thing]}}})


def delete(call: Call) -> Reply:
    """``POST /api/del`` (``id``): only the author's own things; Reddit answers ``{}`` regardless."""
    world, user = call.world, call.require_user()
    fullname = call.form.get("id", "")
    with world.lock:
        thing = world.find(fullname)
        if isinstance(thing, Comment) and thing.author == user:
            world.delete_comment(thing.id)
            world.made["deleted"].append(fullname)
        elif isinstance(thing, Post) and thing.author == user:
            world.delete_post(thing.id)
            world.made["deleted"].append(fullname)
    return json_reply({})


def submit(call: Call) -> Reply:
    """``POST /api/submit``: ``self``/``link`` answer ``{id, name, url}``; ``image``, ``video`` and
    ``videogif`` answer a websocket (and no post id: README fact 15)."""
    world, user = call.world, call.require_user()
    form = call.form
    with world.lock:
        sub = world.subreddit(form.get("sr", ""))
        if sub is None:
            raise ApiError("SUBREDDIT_NOEXIST", "that subreddit doesn't exist", "sr")
        if sub.forbidden or sub.user_is_banned or (sub.subreddit_type == "user" and sub.name.lower() != f"u_{user.lower()}"):
            raise _error("SUBREDDIT_NOTALLOWED")
        if not form.get("title", "").strip():
            raise ApiError("NO_TEXT", "we need something here", "title")
        kind = form.get("kind", "self")
        post = Post("", sub.name, form["title"], author=user, over_18=form.get("nsfw") in {"True", "true", "1"},
                    spoiler=form.get("spoiler") in {"True", "true", "1"})
        if kind == "self":
            post.is_self, post.selftext = True, form.get("text", "")
            if "richtext_json" in form:
                post.selftext, post.media_metadata = _from_richtext(world, json.loads(form["richtext_json"]))
        elif kind == "link":
            post.url = unmirror_url(form.get("url", ""), call.base) or form.get("url", "")
            post.post_hint = "image" if media_key(post.url) and post.url.lower().endswith((".jpg", ".jpeg", ".png", ".gif", ".webp")) else "link"
        elif kind == "image":
            upload = _upload_for(world, form.get("url", ""))
            post.url, post.post_hint = _publish_upload(world, upload), "image"
        elif kind in ("video", "videogif"):
            upload = _upload_for(world, form.get("url", ""))
            if not upload.mimetype.startswith("video/"):
                raise ApiError("MEDIA_UPLOAD_FAILED", "the video was not uploaded", "url")
            _upload_for(world, form.get("video_poster_url", ""))  # Reddit requires the poster frame
            _publish_video(world, post, upload, gif=kind == "videogif")
        else:
            raise ApiError("INVALID_OPTION", f"kind {kind!r} is not supported by the sandbox", "kind")
        world.add_post(post)
        world.made["submissions"].append(post.id)
        if kind in ("image", "video", "videogif"):
            upload.post_id = post.id
            ws = f"{call.base.replace('http', 'ws', 1)}/_ws/{upload.asset_id}"
            return json_reply({"json": {"errors": [], "data": {"user_submitted_page": f"{call.base}/user/{user}/submitted/", "websocket_url": ws}}})
        url = f"{call.base}{things.permalink(post)}"
    return json_reply({"json": {"errors": [], "data": {"url": url, "drafts_count": 0, "id": post.id, "name": post.fullname}}})


def submit_gallery(call: Call) -> Reply:
    """``POST /api/submit_gallery_post.json`` (JSON body with ``items[].media_id`` = asset ids)."""
    world, user = call.world, call.require_user()
    data: dict[str, Any] = json.loads(call.body or b"{}")
    with world.lock:
        sub = world.subreddit(str(data.get("sr", "")))
        if sub is None or sub.forbidden:
            return json_reply({"json": {"errors": [["SUBREDDIT_NOTALLOWED", *API_ERRORS["SUBREDDIT_NOTALLOWED"]]]}})
        items = []
        for item in data.get("items", []):
            asset = next((u for u in world.uploads.values() if u.asset_id == item["media_id"]), None)
            if asset is None or asset.data is None:
                return json_reply({"json": {"errors": [["MEDIA_UPLOAD_FAILED", "media not uploaded", "items"]]}})
            _publish_upload(world, asset)
            items.append(GalleryItem(asset.asset_id, item.get("caption", ""), mime=asset.mimetype))
        post = world.add_post(Post("", sub.name, str(data.get("title", "")), author=user, gallery=items))
        world.made["submissions"].append(post.id)
    return json_reply({"json": {"errors": [], "data": {"id": post.fullname, "url": f"{call.base}/gallery/{post.id}"}}})


def _upload_for(world: World, url: str) -> Upload:
    """The finished upload behind an upload URL (``https://{sandbox}/{bucket}/{key}``)."""
    key = urlsplit(url).path.split(f"/{UPLOAD_BUCKET}/", 1)[-1].lstrip("/")
    upload = world.uploads.get(key)
    if upload is None or upload.data is None:
        raise ApiError("MEDIA_UPLOAD_FAILED", "the image was not uploaded", "url")
    return upload


def _publish_upload(world: World, upload: Upload) -> str:
    """Copy uploaded bytes to ``https://i.redd.it/{id}.{ext}`` (as Reddit does) and return that URL."""
    ext = upload.mimetype.split("/")[-1].replace("jpeg", "jpg")
    from bot.sandbox.images import size_of  # noqa: PLC0415 - PIL only when media is published

    width, height = size_of(upload.data or b"")
    url = f"https://i.redd.it/{upload.asset_id}.{ext}"
    return world.add_media(url, MediaFile(upload.mimetype, upload.data or b"", width, height))


def _publish_video(world: World, post: Post, upload: Upload, *, gif: bool) -> None:
    """Make ``post`` a v.redd.it post of the uploaded MP4, "transcoded" at once: its one rendition
    and a playlist naming it (and its sound, which stays inside that file here)."""
    import av  # noqa: PLC0415 - only when a video is posted

    from bot.sandbox.videos import playlist  # noqa: PLC0415

    with tempfile.NamedTemporaryFile(suffix=".mp4") as tmp:
        tmp.write(upload.data or b"")
        tmp.flush()
        with av.open(tmp.name) as container:
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            seconds = float(container.duration / 1e6) if container.duration else 0.0
            has_audio = bool(container.streams.audio) and not gif
    base = f"https://v.redd.it/{upload.asset_id}"
    name = f"CMAF_{height}.mp4"
    world.add_media(f"{base}/{name}", MediaFile("video/mp4", upload.data or b"", width, height))
    world.add_media(f"{base}/DASHPlaylist.mpd", MediaFile("application/dash+xml", playlist([(name, width, height)], False, seconds).encode()))
    post.url, post.is_video, post.post_hint = base, True, "hosted:video"
    post.video = VideoInfo(width, height, seconds, has_audio, gif)


def _from_richtext(world: World, document: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """Turn the sandbox's own ``richtext_json`` back into markdown + ``media_metadata``."""
    lines, metadata = [], {}
    for block in document.get("document", []):
        if block.get("e") == "img":
            upload = next((u for u in world.uploads.values() if u.asset_id == block["id"]), None)
            if upload is not None and upload.data is not None:
                _publish_upload(world, upload)
                metadata[upload.asset_id] = entry = things.media_entry(world, upload.asset_id, "valid", upload.mimetype)
                lines.append(entry["s"]["u"])  # Reddit's selftext shows inline images as preview links
        else:
            lines.append("".join(c.get("t", "") for c in block.get("c", [])))
    return "\n\n".join(lines), metadata or None


def convert_rte_body(call: Call) -> Reply:
    """``POST /api/convert_rte_body_format``: markdown to a minimal rtjson PRAW forwards back."""
    text = call.form.get("markdown_text", "")
    blocks: list[dict[str, Any]] = []
    for chunk in re.split(r"\n\s*\n", text):
        image = re.fullmatch(r'\s*!\[(?:img|gif|video)\]\(([^ )]+)(?: "([^"]*)")?\)\s*', chunk)
        if image:
            blocks.append({"e": "img", "id": image.group(1), "c": image.group(2) or ""})
        elif chunk.strip():
            blocks.append({"e": "par", "c": [{"e": "text", "t": chunk.strip()}]})
    return json_reply({"output": {"document": blocks}})


def read_message(call: Call) -> Reply:
    """``POST /api/read_message`` and ``/api/unread_message`` (``id`` = comma-separated fullnames)."""
    world = call.world
    names = {n for n in call.form.get("id", "").split(",") if n}
    with world.lock:
        if call.path.startswith("/api/unread"):
            world.read -= names
        else:
            world.read |= names
    return json_reply({})


def compose(call: Call) -> Reply:
    """``POST /api/compose`` (``to``, ``subject``, ``text``)."""
    world, user = call.world, call.require_user()
    form = call.form
    to = form.get("to", "")
    if to.lower() not in {u.lower() for u in world.users}:
        raise ApiError("USER_DOESNT_EXIST", "that user doesn't exist", "to")
    if not form.get("subject", "").strip():
        raise ApiError("NO_SUBJECT", "please enter a subject", "subject")
    message = world.add_message(Message("", user, to, form["subject"], form.get("text", "")))
    world.made["messages"].append(message.id)
    return json_reply({"json": {"errors": []}})
