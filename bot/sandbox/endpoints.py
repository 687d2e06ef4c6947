"""Every URL the sandbox answers, in one table (like PRAW's ``endpoints.py``).

Paths are matched without the trailing slash PRAW adds and without ``.json``. ``auth`` says who
may call: ``bearer`` (an OAuth token, as PRAW sends to ``oauth_url``), ``basic`` (client id and
secret, the token endpoint on ``reddit_url``) or ``none`` (media, uploads, the control plane).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.sandbox import api_read, api_write, control, media
from bot.sandbox.calls import Call, Reply
from bot.sandbox.hosts import MEDIA_HOSTS, UPLOAD_BUCKET

Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: Handler | None
    auth: str = "bearer"
    defaults: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """How the request log counts it, e.g. ``"GET /r/{subreddits}/new"``."""
        return f"{self.method} {self.pattern}"


_MEDIA = "|".join(re.escape(h) for h in sorted(MEDIA_HOSTS))

# fmt: off
ROUTES: list[Route] = [
    # OAuth (reddit_url)
    Route("POST",   "/api/v1/access_token",             api_read.access_token, auth="basic"),
    Route("POST",   "/api/v1/revoke_token",             api_read.revoke_token, auth="basic"),
    # reading (oauth_url)
    Route("GET",    "/api/v1/me",                       api_read.me),
    Route("GET",    "/r/{subreddits}/new",              api_read.subreddit_new),
    Route("GET",    "/r/{subreddit}/about",             api_read.subreddit_about),
    Route("GET",    "/api/info",                        api_read.info),
    Route("GET",    "/comments/{id}",                   api_read.submission),
    Route("GET",    "/r/{subreddit}/comments/{id}",     api_read.submission),
    Route("POST",   "/api/morechildren",                api_read.morechildren),  # PRAW posts it; Reddit takes both
    Route("GET",    "/api/morechildren",                api_read.morechildren),
    Route("GET",    "/user/{user}/about",               api_read.user_about),
    Route("GET",    "/user/{user}/submitted",           api_read.user_submitted),
    Route("GET",    "/user/{user}/comments",            api_read.user_comments),
    Route("GET",    "/message/inbox",                   api_read.inbox, defaults={"box": "inbox"}),
    Route("GET",    "/message/unread",                  api_read.inbox, defaults={"box": "unread"}),
    # writing (oauth_url)
    Route("POST",   "/api/comment",                     api_write.comment),
    Route("POST",   "/api/del",                         api_write.delete),
    Route("POST",   "/api/submit",                      api_write.submit),
    Route("POST",   "/api/submit_gallery_post",         api_write.submit_gallery),
    Route("POST",   "/api/convert_rte_body_format",     api_write.convert_rte_body),
    Route("POST",   "/api/read_message",                api_write.read_message),
    Route("POST",   "/api/unread_message",              api_write.read_message),
    Route("POST",   "/api/compose",                     api_write.compose),
    # media: lease (oauth_url), S3-style upload, mirrored hosts, the image-post websocket
    Route("POST",   "/api/media/asset",                 media.media_asset),
    Route("POST",   f"/{UPLOAD_BUCKET}",                media.s3_upload, auth="none"),
    Route("GET",    "/{host:media}/{path:rest}",        media.serve_media, auth="none"),
    Route("GET",    "/_ws/{asset_id}",                  None, auth="none"),  # upgraded in server.py
    # control plane for tests and operators
    Route("GET",    "/_sandbox/state",                  control.get_state, auth="none"),
    Route("GET",    "/_sandbox/faults",                 control.faults_endpoint, auth="none"),
    Route("POST",   "/_sandbox/faults",                 control.faults_endpoint, auth="none"),
    Route("DELETE", "/_sandbox/faults",                 control.faults_endpoint, auth="none"),
    Route("POST",   "/_sandbox/world",                  control.add_content, auth="none"),
    Route("GET",    "/_sandbox/settings",               control.settings, auth="none"),
    Route("POST",   "/_sandbox/comments/{id}",          control.judge_comment, auth="none"),
    Route("POST",   "/_sandbox/settings",               control.settings, auth="none"),
]
# fmt: on


def _compile(pattern: str) -> re.Pattern[str]:
    def group(match: re.Match[str]) -> str:
        name, _, kind = match.group(1).partition(":")
        body = {"media": _MEDIA, "rest": ".+"}.get(kind, "[^/]+")
        return f"(?P<{name}>{body})"

    return re.compile("^" + re.sub(r"\\\{([a-z_:]+)\\\}", group, re.escape(pattern)) + "$")


_COMPILED = [(route, _compile(route.pattern)) for route in ROUTES]


def resolve(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """Find the route for a normalized path; ``None`` if nothing matches (404)."""
    for route, regex in _COMPILED:
        if route.method == method and (match := regex.match(path)):
            return route, {**route.defaults, **match.groupdict()}
    return None


def normalize(path: str) -> str:
    """``/r/a+b/new/`` and ``/api/media/asset.json`` as the table spells them."""
    path = "/" + path.strip("/")
    media_host = path.split("/")[1] in MEDIA_HOSTS
    return path if media_host else path.removesuffix(".json")
