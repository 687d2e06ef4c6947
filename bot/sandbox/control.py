"""The ``/_sandbox/*`` control plane: introspection, fault rules, adding content mid-test.

Why over HTTP too: a bot running in another process (``colorbot run`` against
``colorbot sandbox``) is driven and checked the same way a pytest fixture does it in-process.
"""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox import seed, things
from bot.sandbox.calls import Call, HttpError, Reply, json_reply
from bot.sandbox.faults import Fault, Faults
from bot.sandbox.world import World


def state(world: World, faults: Faults, base: str) -> dict[str, Any]:
    """What the bot did and what it asked: comments made, uploads, submissions, request counts."""
    with world.lock:
        comments = [things.comment_json(world, world.comments[i], base, replies=False)["data"] for i in world.made["comments"]]
        return {
            "url": base,
            "comments": comments,
            "submissions": [things.post_json(world, world.posts[i], base)["data"] for i in world.made["submissions"]],
            "deleted": list(world.made["deleted"]),
            "messages_sent": [vars(world.messages[i]) for i in world.made["messages"]],
            "read": sorted(world.read),
            "uploads": [{"asset_id": u.asset_id, "key": u.key, "filename": u.filename, "mimetype": u.mimetype,
                         "size": None if u.data is None else len(u.data), "post_id": u.post_id} for u in world.uploads.values()],
            "counts": dict(world.counts),
            "requests": list(world.log[-500:]),
            "faults": faults.snapshot(),
        }


def add_fault(world: World, faults: Faults, rule: dict[str, Any] | Fault) -> Fault | None:
    """Add one rule; ``ban`` acts at once (marks the subreddit forbidden) and is not kept."""
    fault = rule if isinstance(rule, Fault) else Fault(**rule)
    if fault.kind != "ban":
        return faults.add(fault)
    sub = world.subreddit(fault.subreddit or "")
    if sub is None:
        raise KeyError(f"no subreddit {fault.subreddit!r}")
    sub.forbidden = True
    return None


SETTINGS = ("ratelimit_per_window", "ratelimit_window_s", "token_lifetime_s", "max_upload_bytes", "mirror_media")


def settings(call: Call) -> Reply:
    """GET/POST ``/_sandbox/settings``: rate-limit budget, token lifetime, upload cap, mirroring."""
    world = call.world
    if call.method == "POST":
        changes = json.loads(call.body or b"{}")
        unknown = set(changes) - set(SETTINGS)
        if unknown:
            raise HttpError(400, f"unknown settings {sorted(unknown)}; known: {list(SETTINGS)}")
        with world.lock:
            for name, value in changes.items():
                setattr(world, name, type(getattr(world, name))(value))
    return json_reply({name: getattr(world, name) for name in SETTINGS})


def get_state(call: Call) -> Reply:
    return json_reply(state(call.world, call.faults, call.base))


def faults_endpoint(call: Call) -> Reply:
    """GET lists rules, POST adds one rule or a list of rules, DELETE clears them."""
    if call.method == "DELETE":
        call.faults.clear()
    elif call.method == "POST":
        body = json.loads(call.body or b"[]")
        try:
            for rule in body if isinstance(body, list) else [body]:
                add_fault(call.world, call.faults, rule)
        except (TypeError, ValueError, KeyError) as error:
            raise HttpError(400, str(error)) from None
    return json_reply(call.faults.snapshot())


def add_content(call: Call) -> Reply:
    """``POST /_sandbox/world``: merge a seed fragment (same JSON as a seed file); returns new ids."""
    try:
        added = seed.load_into(call.world, json.loads(call.body or b"{}"))
    except (TypeError, ValueError, KeyError) as error:
        raise HttpError(400, str(error)) from None
    return json_reply(added)


def judge_comment(call: Call) -> Reply:
    """``POST /_sandbox/comments/{id}`` ``{"score": -3, "removed": false}``: readers' votes and a moderator's removal."""
    body = json.loads(call.body or b"{}")
    try:
        call.world.judge_comment(call.params["id"], score=body.get("score"), removed=bool(body.get("removed", False)))
    except KeyError:
        raise HttpError(404, f"no comment {call.params['id']!r}") from None
    return json_reply({"id": call.params["id"]})
