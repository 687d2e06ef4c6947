"""Handlers for authentication and everything the bot reads: listings, things, inbox.

Paging follows Reddit (r2's ``paginated_listing``): newest first; ``after=X`` gives the items
older than X, ``before=X`` the ``limit`` items just newer than X (and wins when both are sent);
``limit`` defaults to 25, max 100.
"""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any, TypeVar

from bot.sandbox import things
from bot.sandbox.calls import Call, HttpError, Reply, json_reply
from bot.sandbox.world import Comment, Message, Post, Subreddit, Token

T = TypeVar("T", Post, Comment, Message)
THREAD_PAGE_LIMIT = 500  # Reddit's most top-level comments on one thread page


# --- OAuth ------------------------------------------------------------------------------
def access_token(call: Call) -> Reply:
    """``POST /api/v1/access_token``: password, refresh_token and client_credentials grants."""
    world = call.world
    client_id, secret = _basic_auth(call.headers.get("authorization", ""))
    if client_id not in world.apps or world.apps[client_id] != secret:
        raise HttpError(401, "Unauthorized")
    form = call.form
    grant = form.get("grant_type", "")
    if grant == "password":
        user = form.get("username", "")
        if world.users.get(user) != form.get("password"):
            return json_reply({"error": "invalid_grant"})
    elif grant == "refresh_token":
        user = world.refresh_tokens.get(form.get("refresh_token", ""))
        if user is None:
            return json_reply({"error": "invalid_grant"})
    elif grant in {"client_credentials", "https://oauth.reddit.com/grants/installed_client"}:
        user = None
    else:
        return json_reply({"error": "unsupported_grant_type"})
    token = secrets.token_urlsafe(24)
    with world.lock:
        world.tokens[token] = Token(user, time.time() + world.token_lifetime_s)
    return json_reply({"access_token": token, "token_type": "bearer", "expires_in": world.token_lifetime_s, "scope": "*"})


def revoke_token(call: Call) -> Reply:
    call.world.tokens.pop(call.form.get("token", ""), None)
    return Reply(204)


def _basic_auth(header: str) -> tuple[str, str]:
    if not header.lower().startswith("basic "):
        return "", ""
    user, _, password = base64.b64decode(header[6:]).decode("utf-8", "replace").partition(":")
    return user, password


def me(call: Call) -> Reply:
    return json_reply(things.me_json(call.world, call.user) if call.user else {})


def user_about(call: Call) -> Reply:
    name = call.params["user"]
    if name.lower() not in {u.lower() for u in call.world.users} and not call.world.posts_by(name):
        raise HttpError(404, "Not Found")
    return json_reply(things.user_json(call.world, name))


# --- listings ---------------------------------------------------------------------------
def page(items: list[T], call: Call) -> tuple[list[T], str | None, str | None]:
    """Cut one page out of a newest-first list, Reddit-style; returns (items, after, before)."""
    limit = max(1, min(100, int(call.query.get("limit") or 25)))
    names = [i.fullname for i in items]
    before, after = call.query.get("before"), call.query.get("after")
    if before:
        end = names.index(before) if before in names else 0
        start = max(0, end - limit)
        chosen = items[start:end]
        return chosen, (chosen[-1].fullname if chosen else None), (chosen[0].fullname if chosen and start > 0 else None)
    start = names.index(after) + 1 if after in names else (len(items) if after else 0)
    chosen = items[start : start + limit]
    more_after = start + limit < len(items)
    return chosen, (chosen[-1].fullname if chosen and more_after else None), (chosen[0].fullname if chosen and start > 0 else None)


def _subreddits(call: Call, names: str) -> set[str]:
    wanted = {n for n in names.split("+") if n}
    for name in wanted:
        sub = call.world.subreddit(name)
        if sub is None:
            raise HttpError(302, "Found", headers={"location": f"{call.base}/subreddits/search?q={name}"})
        if sub.forbidden:
            raise HttpError(403, "Forbidden", body={"reason": "private", "message": "Forbidden", "error": 403})
    return wanted


def subreddit_new(call: Call) -> Reply:
    """``GET /r/{a+b}/new``."""
    world = call.world
    with world.lock:
        chosen, after, before = page(world.new_posts(_subreddits(call, call.params["subreddits"])), call)
        return json_reply(things.listing([things.post_json(world, p, call.base) for p in chosen], after=after, before=before))


def user_submitted(call: Call) -> Reply:
    world = call.world
    with world.lock:
        chosen, after, before = page(world.posts_by(call.params["user"]), call)
        return json_reply(things.listing([things.post_json(world, p, call.base) for p in chosen], after=after, before=before,
                                         modhash="", geo_filter=""))


def user_comments(call: Call) -> Reply:
    world = call.world
    with world.lock:
        chosen, after, before = page(world.comments_by(call.params["user"]), call)
        children = [things.comment_json(world, c, call.base, replies=False, in_listing=True) for c in chosen]
        return json_reply(things.listing(children, after=after, before=before, modhash="", geo_filter=""))


def subreddit_about(call: Call) -> Reply:
    """``GET /r/{sub}/about``: 404 if unknown, 403 if forbidden (private / bot banned)."""
    sub = call.world.subreddit(call.params["subreddit"])
    if sub is None:
        raise HttpError(404, "Not Found")
    if sub.forbidden:
        raise HttpError(403, "Forbidden", body={"reason": "private", "message": "Forbidden", "error": 403})
    return json_reply(things.subreddit_json(sub))


def info(call: Call) -> Reply:
    """``GET /api/info?id=t3_a,t1_b`` (also ``sr_name`` and ``url``); unknown ids are skipped."""
    world = call.world
    with world.lock:
        found: list[Any] = []
        if ids := call.query.get("id"):
            found = [world.find(f) for f in ids.split(",")[:100]]
        elif names := call.query.get("sr_name"):
            found = [world.subreddit(n) for n in names.split(",")]
        elif url := call.query.get("url"):
            found = [p for p in world.posts.values() if p.url == url]
        return json_reply(things.listing([_thing_json(call, t) for t in found if t is not None and not isinstance(t, Message)]))


def _thing_json(call: Call, thing: Post | Comment | Subreddit) -> dict[str, Any]:
    if isinstance(thing, Post):
        return things.post_json(call.world, thing, call.base)
    if isinstance(thing, Comment):
        return things.comment_json(call.world, thing, call.base, replies=False)
    return things.subreddit_json(thing)


def submission(call: Call) -> Reply:
    """``GET /comments/{id}``: ``[post listing, comment tree listing]``; like Reddit, at most 500 top-level
    comments, best first, the rest behind a ``more`` stub (``/api/morechildren``)."""
    world = call.world
    with world.lock:
        post = world.posts.get(call.params["id"])
        if post is None:
            raise HttpError(404, "Not Found")
        sub = world.subreddit(post.subreddit)
        if sub is not None and sub.forbidden:
            raise HttpError(403, "Forbidden", body={"reason": "private", "message": "Forbidden", "error": 403})
        top = sorted((c for c in world.comments_on(post.id) if c.parent == post.fullname), key=lambda c: -c.score)
        limit = min(int(call.query.get("limit") or THREAD_PAGE_LIMIT), THREAD_PAGE_LIMIT)
        shown, hidden = top[:limit], top[limit:]
        children = [things.comment_json(world, c, call.base) for c in shown]
        if hidden:
            children.append(things.more_json(post.fullname, hidden))
        return json_reply([
            things.listing([things.post_json(world, post, call.base)], geo_filter=""),
            things.listing(children, geo_filter="", top_level=False),
        ])


def morechildren(call: Call) -> Reply:
    """``/api/morechildren`` (``link_id``, ``children`` ids comma-separated): the comments a thread page left out."""
    world = call.world
    wanted = (call.form or call.query).get("children", "")
    with world.lock:
        found = [world.find(f"t1_{i}") for i in wanted.split(",") if i]
        comments = [things.comment_json(world, c, call.base, replies=False) for c in found if isinstance(c, Comment)]
    return json_reply({"json": {"errors": [], "data": {"things": comments}}})


# --- inbox ------------------------------------------------------------------------------
def inbox(call: Call) -> Reply:
    """``GET /message/inbox`` and ``/message/unread``."""
    world, user = call.world, call.require_user()
    with world.lock:
        items = world.inbox(user)
        if call.params.get("box") == "unread":
            items = [i for i in items if i.fullname not in world.read]
        chosen, after, before = page(items, call)
        return json_reply(things.listing([things.inbox_json(world, i, call.base) for i in chosen], after=after, before=before,
                                         geo_filter=""))
