"""Seeds: fill a :class:`World` from a JSON-able dict; the default seed covers every case the bot meets.

Schema (every key optional)::

    {"users": {"name": "password"}, "apps": {"client_id": "secret"},
     "subreddits": [{"name": "Colorization", "over18": false, "forbidden": false, ...}],
     "posts": [{"id": "abc1", "subreddit": "OldSchoolCool", "title": "...", "author": "...",
                "age_s": 300,                       # created this long before load
                "image": {"photo": "camera", "tone": "gray|L|sepia|color", "format": "jpeg|png",
                          "host": "i.redd.it", "beside": {...another image: before/after...}}
                         | {"file": "path"} | {"base64": "...", "content_type": "image/jpeg"},
                "gallery": [{"image": {...}, "caption": "", "status": "valid|unprocessed"}],
                "video": {"photo": "camera", "tone": "gray|sepia|color", "seconds": 2, "heights": [360, 240],
                          "audio": true, "is_gif": false} | {"file": "data/clips/…", "seconds": 10, ...},
                         # plus what the post declares: "duration" (default: the clip's), "transcode_s" (media null that long)
                "crosspost_of": "abc0", ...any other Post field (locked, over_18, url, selftext...)}],
     "comments": [{"id": "c1", "post": "abc1", "parent": "t1_c0", "author": "...", "body": "...", "read": false}],
     "messages": [{"id": "m1", "author": "...", "dest": "colorbot", "subject": "...", "body": "...", "read": false}]}
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.sandbox import images, videos
from bot.sandbox.world import Comment, GalleryItem, MediaFile, Message, Post, Subreddit, VideoInfo, World

POST_FIELDS = {f.name for f in fields(Post)} - {"gallery", "crosspost_parent", "created_utc", "video"}
SUB_FIELDS = {f.name for f in fields(Subreddit)}
BOT = "colorbot"


@lru_cache(maxsize=64)
def _rendered(spec_json: str) -> tuple[bytes, str, int, int]:
    """Encoded bytes for an image spec (cached: every server in a test run reuses them)."""
    spec = json.loads(spec_json)
    if "base64" in spec:
        data = base64.b64decode(spec["base64"])
        return (data, spec.get("content_type", "image/jpeg"), *images.size_of(data))
    if "file" in spec:
        data = Path(spec["file"]).read_bytes()
        kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        return (data, spec.get("content_type", kind), *images.size_of(data))
    picture = images.tone(images.skimage_photo(spec["photo"]), spec.get("tone", "color"))
    if "beside" in spec:
        other = images.tone(images.skimage_photo(spec["beside"]["photo"]), spec["beside"].get("tone", "color"))
        picture = images.side_by_side(picture, other)
    data, kind = images.encode(picture, spec.get("format", "jpeg"))
    return data, kind, picture.width, picture.height


def _store_image(world: World, spec: dict[str, Any], name: str) -> tuple[str, str]:
    """Store an image spec at ``https://{host}/{name}.{ext}``; returns (url, mime)."""
    data, kind, width, height = _rendered(json.dumps(spec, sort_keys=True))
    ext = {"image/jpeg": "jpg", "image/png": "png"}.get(kind, kind.split("/")[-1])
    url = f"https://{spec.get('host', 'i.redd.it')}/{name}.{ext}"
    world.add_media(url, MediaFile(kind, data, width, height))
    return url, kind


def _store_video(world: World, post: Post, spec: dict[str, Any], now: float) -> None:
    """Store a clip's playlist, renditions and sound at ``https://v.redd.it/<name>/…`` and make ``post`` a video post."""
    declared = {key: spec[key] for key in ("duration", "transcode_s") if key in spec}
    clip = videos.build_clip({k: v for k, v in spec.items() if k not in declared})
    base = f"https://v.redd.it/{_media_name(post.id, 'video')}"
    for name, (content_type, data) in clip.files.items():
        world.add_media(f"{base}/{name}", MediaFile(content_type, data))
    post.url, post.is_video, post.post_hint = base, True, post.post_hint or "hosted:video"
    post.video = VideoInfo(clip.width, clip.height, float(declared.get("duration", clip.seconds)), clip.has_audio,
                           bool(spec.get("is_gif", False)), now + float(declared.get("transcode_s", 0)))


def _media_name(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:13]  # noqa: S324 - a name, not security


def load_into(world: World, seed: dict[str, Any]) -> dict[str, list[str]]:
    """Add everything in ``seed`` to ``world``; returns the ids created per kind."""
    now, added = time.time(), {"posts": [], "comments": [], "messages": []}
    with world.lock:
        world.apps.update(seed.get("apps", {}))
        for name, password in seed.get("users", {}).items():
            world.add_user(name, password)
        for spec in seed.get("subreddits", []):
            world.add_subreddit(Subreddit(**{k: v for k, v in spec.items() if k in SUB_FIELDS}))
        for spec in seed.get("posts", []):
            unknown = set(spec) - POST_FIELDS - {"age_s", "image", "gallery", "crosspost_of", "video"}
            if unknown:
                raise ValueError(f"unknown post fields {sorted(unknown)}")
            post = Post(**{k: v for k, v in spec.items() if k in POST_FIELDS}, created_utc=now - float(spec.get("age_s", 0)) or now)
            post.id = post.id or world.new_id()
            if "image" in spec:
                post.url, _ = _store_image(world, spec["image"], _media_name(post.id))
                post.post_hint = post.post_hint or "image"
            if "video" in spec:
                _store_video(world, post, spec["video"], now)
            if "gallery" in spec:
                post.gallery = []
                for index, item in enumerate(spec["gallery"]):
                    media_id = _media_name(post.id, str(index))
                    mime = "image/jpeg"
                    if item.get("status", "valid") == "valid":
                        _, mime = _store_image(world, item["image"], media_id)
                    post.gallery.append(GalleryItem(media_id, item.get("caption", ""), item.get("status", "valid"), mime))
            post.crosspost_parent = spec.get("crosspost_of")
            if post.crosspost_parent and post.crosspost_parent in world.posts:
                parent = world.posts[post.crosspost_parent]
                post.url, post.post_hint = post.url or parent.url, post.post_hint or parent.post_hint
            added["posts"].append(world.add_post(post).id)
        for spec in seed.get("comments", []):
            parent = spec.get("parent") or f"t3_{spec['post']}"
            comment = Comment(spec.get("id", ""), spec["post"], parent, spec.get("author", "sandbox_user"), spec["body"],
                              created_utc=now - float(spec.get("age_s", 0)) or now)
            added["comments"].append(world.add_comment(comment).id)
            if spec.get("read"):
                world.read.add(comment.fullname)
        for spec in seed.get("messages", []):
            message = Message(spec.get("id", ""), spec.get("author", "sandbox_user"), spec.get("dest", BOT), spec["subject"],
                              spec["body"], created_utc=now - float(spec.get("age_s", 0)) or now)
            added["messages"].append(world.add_message(message).id)
            if spec.get("read"):
                world.read.add(message.fullname)
    return added


#: The demo's world: the default one plus a black-and-white home movie the bot answers with a clip.
def demo_seed() -> dict[str, Any]:
    seed = json.loads(json.dumps(DEFAULT_SEED))
    seed["posts"].append({"id": "film01", "subreddit": "OldSchoolCool", "title": "Home movie, 1958", "age_s": _minutes(3),
                          "video": {"photo": "camera", "tone": "gray", "seconds": 2}})
    return seed


def _minutes(n: float) -> float:
    return n * 60.0


#: The default world: one post per situation the bot must handle (ids are stable, for tests).
DEFAULT_SEED: dict[str, Any] = {
    "users": {BOT: "sandbox-password", "sandbox_user": "sandbox-password", "grandkid_1987": "sandbox-password"},
    "subreddits": [
        {"name": "Colorization", "title": "Colorized historical photos"},
        {"name": "OldSchoolCool", "title": "History's cool kids, looking fantastic"},
        {"name": "ColorizationRequests", "title": "Ask for a photo to be colorized"},
        {"name": "BannedHere", "title": "A subreddit that has banned the bot (readable, as on Reddit)", "user_is_banned": True},
    ],
    "posts": [
        {"id": "gray01", "subreddit": "OldSchoolCool", "title": "My grandfather with his camera in the park, 1952", "age_s": _minutes(5),
         "author": "grandkid_1987", "image": {"photo": "camera", "tone": "L"}},
        {"id": "moon01", "subreddit": "Colorization", "title": "The moon through great-grandpa's telescope (1960s)", "age_s": _minutes(10),
         "image": {"photo": "moon", "tone": "L", "format": "png"}},
        {"id": "sepia1", "subreddit": "OldSchoolCool", "title": "Test pilot portrait, sepia print (1960s)", "age_s": _minutes(15),
         "image": {"photo": "astronaut", "tone": "sepia"}},
        {"id": "gray02", "subreddit": "ColorizationRequests", "title": "Please colorize our family cat, 1940s", "age_s": _minutes(20),
         "image": {"photo": "chelsea", "tone": "gray"}},
        {"id": "sepia2", "subreddit": "Colorization", "title": "Grandma's coffee cup, sepia (imgur)", "age_s": _minutes(25),
         "image": {"photo": "coffee", "tone": "sepia", "host": "i.imgur.com"}},
        {"id": "gal001", "subreddit": "OldSchoolCool", "title": "Then and now: a B&W photo and a colour one", "age_s": _minutes(30),
         "gallery": [{"image": {"photo": "astronaut", "tone": "gray"}, "caption": "1960s"},
                     {"image": {"photo": "coffee", "tone": "color"}, "caption": "today"}]},
        {"id": "gal002", "subreddit": "ColorizationRequests", "title": "Gallery still processing", "age_s": _minutes(35),
         "gallery": [{"image": {"photo": "camera", "tone": "gray"}}, {"status": "unprocessed"}]},
        {"id": "ba0001", "subreddit": "Colorization", "title": "[Before/After] I colorized my grandma's cat", "age_s": _minutes(40),
         "image": {"photo": "chelsea", "tone": "gray", "beside": {"photo": "chelsea", "tone": "color"}}},
        {"id": "color1", "subreddit": "OldSchoolCool", "title": "Colour portrait, 1990s", "age_s": _minutes(45),
         "image": {"photo": "astronaut", "tone": "color"}},
        {"id": "color2", "subreddit": "ColorizationRequests", "title": "Is this already in colour?", "age_s": _minutes(50),
         "image": {"photo": "coffee", "tone": "color"}},
        {"id": "nsfw01", "subreddit": "OldSchoolCool", "title": "NSFW: old medical photograph", "age_s": _minutes(55), "over_18": True,
         "image": {"photo": "moon", "tone": "gray"}},
        {"id": "lock01", "subreddit": "OldSchoolCool", "title": "Locked thread: street photographer, 1950", "age_s": _minutes(60),
         "locked": True, "image": {"photo": "camera", "tone": "sepia"}},
        {"id": "del001", "subreddit": "Colorization", "title": "Deleted post", "age_s": _minutes(65), "author": "[deleted]",
         "removed_by_category": "deleted", "image": {"photo": "camera", "tone": "gray"}},
        {"id": "self01", "subreddit": "ColorizationRequests", "title": "Can someone colorize my grandmother's wedding photo?",
         "age_s": _minutes(70), "is_self": True, "selftext": "I'll post the scan in the comments. Thanks!"},
        {"id": "xpost1", "subreddit": "Colorization", "title": "Crosspost: grandfather with his camera", "age_s": _minutes(75),
         "crosspost_of": "gray01"},
        {"id": "video1", "subreddit": "OldSchoolCool", "title": "Newsreel, 1936 (10 minutes)", "age_s": _minutes(80),
         "video": {"photo": "camera", "tone": "gray", "seconds": 2, "duration": 600}},
        {"id": "done01", "subreddit": "Colorization", "title": "Astronaut, B&W (already answered by the bot)", "age_s": _minutes(85),
         "image": {"photo": "astronaut", "tone": "gray"}},
        {"id": "miss01", "subreddit": "OldSchoolCool", "title": "Image gone from i.redd.it", "age_s": _minutes(90),
         "url": "https://i.redd.it/missingimage1.jpg", "post_hint": "image"},
        {"id": "link01", "subreddit": "OldSchoolCool", "title": "Album on an external site", "age_s": _minutes(95),
         "url": "https://www.flickr.com/photos/sandbox/123", "post_hint": "link"},
        {"id": "arch01", "subreddit": "OldSchoolCool", "title": "Archived: cat in 1931", "age_s": 200 * 86400.0, "archived": True,
         "image": {"photo": "chelsea", "tone": "sepia"}},
        {"id": "ban001", "subreddit": "BannedHere", "title": "Photo in a subreddit that banned the bot", "age_s": _minutes(7),
         "image": {"photo": "camera", "tone": "gray"}},
    ],
    "comments": [
        {"id": "cmt001", "post": "gray01", "author": "sandbox_user", "body": "Great photo!", "age_s": _minutes(4)},
        {"id": "cbot01", "post": "done01", "author": BOT, "body": "Here is a colorized version: https://i.redd.it/example.jpg", "age_s": _minutes(80)},
        {"id": "thx001", "post": "done01", "parent": "t1_cbot01", "author": "sandbox_user", "body": "Thank you, bot!", "age_s": _minutes(70)},
    ],
    "messages": [
        {"id": "msg001", "author": "grandkid_1987", "subject": "Colorize request", "body": "Could you colorize https://i.redd.it/abc.jpg ?", "age_s": _minutes(3)},
        {"id": "msg002", "author": "sandbox_user", "subject": "old note", "body": "Thanks for the last one.", "age_s": 86400.0, "read": True},
    ],
}


def default_world() -> World:
    """A fresh world from :data:`DEFAULT_SEED`."""
    world = World()
    load_into(world, DEFAULT_SEED)
    return world


def world_from(seed: World | dict[str, Any] | str | Path | None) -> World:
    """Accept a ready world, a seed dict, a JSON file path, or ``None`` for the default seed."""
    if seed is None:
        return default_world()
    if isinstance(seed, World):
        return seed
    world = World()
    load_into(world, seed if isinstance(seed, dict) else json.loads(Path(seed).read_text()))
    return world
