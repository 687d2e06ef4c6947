"""The sandbox's in-memory Reddit: subreddits, posts, comments, messages, media and accounts.

Why one object: every handler reads and changes the same small world under one lock, and a
test can inspect it directly (``server.world``) or over HTTP (``GET /_sandbox/state``).
Rendering to Reddit's JSON shapes lives in :mod:`bot.sandbox.things`, not here.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
DELETED = "[deleted]"


def base36(number: int) -> str:
    """Reddit ids are base-36 counters."""
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = DIGITS[rest] + out
    return out or "0"


@dataclass
class Subreddit:
    """A community; ``forbidden`` makes every request about it answer 403 (private, or bot banned)."""

    name: str
    title: str = ""
    over18: bool = False
    subreddit_type: str = "public"
    user_is_banned: bool = False
    forbidden: bool = False
    subscribers: int = 1000
    created_utc: float = 1_200_000_000.0
    id: str = ""


@dataclass
class GalleryItem:
    """One gallery image; ``status="unprocessed"`` mimics Reddit still transcoding it."""

    media_id: str
    caption: str = ""
    status: str = "valid"
    mime: str = "image/jpeg"


@dataclass
class VideoInfo:
    """What a v.redd.it post declares about its clip (``media.reddit_video``); its files are in ``World.media``."""

    width: int
    height: int
    duration: float
    has_audio: bool
    is_gif: bool = False
    ready_at: float = 0.0  # until then Reddit is "transcoding": ``media`` is null
    bitrate_kbps: int = 1200


@dataclass
class Post:
    """A submission. ``url`` is real-looking (``https://i.redd.it/…``); rendering mirrors it."""

    id: str
    subreddit: str
    title: str
    author: str = "sandbox_user"
    url: str = ""
    selftext: str = ""
    is_self: bool = False
    post_hint: str | None = None
    is_video: bool = False
    over_18: bool = False
    spoiler: bool = False
    locked: bool = False
    archived: bool = False
    removed_by_category: str | None = None
    gallery: list[GalleryItem] | None = None
    media_metadata: dict[str, Any] | None = None
    crosspost_parent: str | None = None
    created_utc: float = 0.0
    score: int = 1
    video: VideoInfo | None = None

    @property
    def fullname(self) -> str:
        return f"t3_{self.id}"

    @property
    def deleted(self) -> bool:
        return self.removed_by_category is not None


@dataclass
class Comment:
    """A comment; ``parent`` is a fullname (``t3_…`` for top level, ``t1_…`` for a reply)."""

    id: str
    link_id: str
    parent: str
    author: str
    body: str
    created_utc: float = 0.0
    deleted: bool = False
    score: int = 1  # a thread page sorts by it (Reddit's "confidence"); the bot's new replies have 1

    @property
    def fullname(self) -> str:
        return f"t1_{self.id}"


@dataclass
class Message:
    """A private message (``t4``)."""

    id: str
    author: str
    dest: str
    subject: str
    body: str
    created_utc: float = 0.0

    @property
    def fullname(self) -> str:
        return f"t4_{self.id}"


@dataclass
class MediaFile:
    """Bytes served at a mirrored media URL."""

    content_type: str
    data: bytes
    width: int = 0
    height: int = 0


@dataclass
class Upload:
    """A media lease (``/api/media/asset.json``) and, once POSTed, its bytes."""

    asset_id: str
    key: str
    filename: str
    mimetype: str
    data: bytes | None = None
    post_id: str | None = None


@dataclass
class Token:
    """An OAuth access token; ``user`` is ``None`` for application-only tokens."""

    user: str | None
    expires_at: float
    scope: str = "*"


@dataclass
class World:
    """Everything the sandbox knows. Mutate through the methods so the lock and ids stay right."""

    subreddits: dict[str, Subreddit] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    media: dict[str, MediaFile] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=lambda: {"colorbot": "sandbox-password"})
    apps: dict[str, str] = field(default_factory=lambda: {"sandbox-client": "sandbox-secret"})
    refresh_tokens: dict[str, str] = field(default_factory=lambda: {"sandbox-refresh-token": "colorbot"})
    tokens: dict[str, Token] = field(default_factory=dict)
    read: set[str] = field(default_factory=set)
    token_lifetime_s: int = 86400
    ratelimit_per_window: int = 100_000
    ratelimit_window_s: int = 600
    max_upload_bytes: int = 20 * 1024 * 1024
    mirror_media: bool = True
    exhausted_until: float = 0.0  # an ``exhaust`` fault said remaining 0.0: 429 until this time (epoch s)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    # what happened, for tests and the operator
    log: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    made: dict[str, list[str]] = field(default_factory=lambda: {"comments": [], "submissions": [], "deleted": [], "messages": []})
    started_at: float = field(default_factory=time.time)
    _next_id: int = 36**5

    def __post_init__(self) -> None:
        for name in list(self.users):
            self.add_subreddit(Subreddit(f"u_{name}", title=name, subreddit_type="user"))

    # ids and accounts
    def new_id(self) -> str:
        with self.lock:
            self._next_id += 1
            return base36(self._next_id)

    def add_user(self, name: str, password: str = "sandbox-password") -> None:
        """Add an account and its profile subreddit ``u_{name}`` (where the bot may host images)."""
        with self.lock:
            self.users[name] = password
            self.add_subreddit(Subreddit(f"u_{name}", title=name, subreddit_type="user"))

    def add_subreddit(self, subreddit: Subreddit) -> Subreddit:
        with self.lock:
            subreddit.id = subreddit.id or self.new_id()
            self.subreddits[subreddit.name.lower()] = subreddit
            return subreddit

    def subreddit(self, name: str) -> Subreddit | None:
        return self.subreddits.get(name.lower())

    # content
    def add_post(self, post: Post) -> Post:
        with self.lock:
            post.id = post.id or self.new_id()
            post.created_utc = post.created_utc or time.time()
            if self.subreddit(post.subreddit) is None:
                self.add_subreddit(Subreddit(post.subreddit))
            post.subreddit = self.subreddit(post.subreddit).name  # canonical case
            self.posts[post.id] = post
            return post

    def add_comment(self, comment: Comment) -> Comment:
        with self.lock:
            comment.id = comment.id or self.new_id()
            comment.created_utc = comment.created_utc or time.time()
            self.comments[comment.id] = comment
            return comment

    def add_message(self, message: Message) -> Message:
        with self.lock:
            message.id = message.id or self.new_id()
            message.created_utc = message.created_utc or time.time()
            self.messages[message.id] = message
            return message

    def add_media(self, url: str, media: MediaFile) -> str:
        """Store bytes for a real-looking media URL (``https://i.redd.it/x.jpg``); returns the URL."""
        from bot.sandbox.hosts import media_key  # noqa: PLC0415 - tiny helper, avoids a cycle

        key = media_key(url)
        if key is None:
            raise ValueError(f"not a mirrored media host: {url}")
        with self.lock:
            self.media[key] = media
        return url

    def delete_post(self, post_id: str) -> None:
        """Delete as its author would: Reddit keeps the post, blanks author and text."""
        with self.lock:
            post = self.posts[post_id]
            post.author, post.removed_by_category = DELETED, "deleted"
            post.selftext = DELETED if post.is_self else post.selftext

    def delete_comment(self, comment_id: str) -> None:
        with self.lock:
            comment = self.comments[comment_id]
            comment.author, comment.body, comment.deleted = DELETED, DELETED, True

    def judge_comment(self, comment_id: str, *, score: int | None = None, removed: bool = False) -> None:
        """What readers and moderators did to a comment: its new ``score``; ``removed`` by a moderator
        (Reddit then shows author "[deleted]", body "[removed]")."""
        with self.lock:
            comment = self.comments[comment_id]
            if score is not None:
                comment.score = score
            if removed:
                comment.author, comment.body = DELETED, "[removed]"

    def find(self, fullname: str) -> Post | Comment | Message | Subreddit | None:
        """Resolve a fullname (``t3_abc``) to a thing."""
        kind, _, ident = fullname.partition("_")
        if kind == "t3":
            return self.posts.get(ident)
        if kind == "t1":
            return self.comments.get(ident)
        if kind == "t4":
            return self.messages.get(ident)
        if kind == "t5":
            return next((s for s in self.subreddits.values() if s.id == ident), None)
        return None

    def subreddit_of(self, thing: Post | Comment | Message | Subreddit | None) -> Subreddit | None:
        if isinstance(thing, Comment):
            thing = self.posts.get(thing.link_id)
        if isinstance(thing, Post):
            return self.subreddit(thing.subreddit)
        return thing if isinstance(thing, Subreddit) else None

    # queries
    def comments_on(self, post_id: str) -> list[Comment]:
        return sorted((c for c in self.comments.values() if c.link_id == post_id), key=lambda c: (c.created_utc, c.id))

    def new_posts(self, subreddits: set[str]) -> list[Post]:
        """Newest first, as ``/r/{a+b}/new`` lists them."""
        names = {s.lower() for s in subreddits}
        chosen = (p for p in self.posts.values() if p.subreddit.lower() in names)
        return sorted(chosen, key=lambda p: (p.created_utc, int(p.id, 36)), reverse=True)

    def posts_by(self, author: str) -> list[Post]:
        chosen = (p for p in self.posts.values() if p.author.lower() == author.lower())
        return sorted(chosen, key=lambda p: (p.created_utc, int(p.id, 36)), reverse=True)

    def comments_by(self, author: str) -> list[Comment]:
        chosen = (c for c in self.comments.values() if c.author.lower() == author.lower())
        return sorted(chosen, key=lambda c: (c.created_utc, int(c.id, 36)), reverse=True)

    def inbox(self, user: str) -> list[Message | Comment]:
        """Messages to ``user`` and replies to their posts and comments, newest first."""
        items: list[Message | Comment] = [m for m in self.messages.values() if m.dest.lower() == user.lower()]
        for comment in self.comments.values():
            parent = self.find(comment.parent)
            if comment.author.lower() != user.lower() and isinstance(parent, (Post, Comment)) and parent.author.lower() == user.lower():
                items.append(comment)
        return sorted(items, key=lambda i: (i.created_utc, int(i.id, 36)), reverse=True)

    # request accounting
    def record(self, method: str, path: str, route: str, status: int, *, api: bool = True) -> None:
        """Log one request; ``api`` ones (OAuth-host calls) count against the rate limit."""
        with self.lock:
            self.counts[route] += 1
            entry = {"t": round(time.time() - self.started_at, 3), "method": method, "path": path, "route": route, "status": status, "api": api}
            self.log.append(entry)
            del self.log[:-5000]

    def ratelimit_headers(self) -> dict[str, str]:
        """Reddit's ``x-ratelimit-*`` headers for a fixed window that starts with the server."""
        now = time.time()
        if now < self.exhausted_until:
            return {"x-ratelimit-remaining": "0.0", "x-ratelimit-used": str(self.ratelimit_per_window),
                    "x-ratelimit-reset": str(math.ceil(self.exhausted_until - now))}
        used, reset = self._window_use(now)
        remaining = max(0, self.ratelimit_per_window - used - 1)
        return {"x-ratelimit-remaining": f"{remaining:.1f}", "x-ratelimit-used": str(used + 1), "x-ratelimit-reset": str(reset)}

    def budget_spent(self) -> int | None:
        """Seconds until the window resets when the client has no request left in it (Reddit answers 429), else None."""
        now = time.time()
        if now < self.exhausted_until:
            return math.ceil(self.exhausted_until - now)
        used, reset = self._window_use(now)
        return max(reset, 1) if used >= self.ratelimit_per_window else None

    def exhaust(self, seconds: float) -> None:
        """The budget is spent for ``seconds``: headers say remaining 0.0, requests get 429 until then."""
        self.exhausted_until = time.time() + seconds

    def _window_use(self, now: float) -> tuple[int, int]:
        """API requests answered in the current fixed window, and whole seconds until it ends."""
        window = self.ratelimit_window_s
        start = self.started_at + ((now - self.started_at) // window) * window
        with self.lock:
            used = sum(1 for e in self.log if e["api"] and e["status"] != 429 and e["t"] + self.started_at >= start)
        return used, max(0, int(start + window - now))
