"""What a handler receives (:class:`Call`) and returns (:class:`Reply`), and how errors travel.

Why: handlers stay plain functions of ``Call -> Reply`` that tests could call without sockets;
the HTTP plumbing (:mod:`bot.sandbox.server`) is the only code that touches the wire.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from bot.sandbox.faults import Faults
    from bot.sandbox.world import World


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)


class HttpError(Exception):
    """Answer with a status and Reddit's usual ``{"message", "error"}`` JSON body."""

    def __init__(self, status: int, message: str = "", *, headers: dict[str, str] | None = None, body: dict[str, Any] | None = None) -> None:
        super().__init__(status, message)
        self.status, self.headers = status, headers or {}
        self.body = body if body is not None else {"message": message or "error", "error": status}


class ApiError(Exception):
    """A Reddit API error item, answered as 200 ``{"json": {"errors": [[type, message, field]]}}``."""

    def __init__(self, error: str, message: str | None, field: str | None = None) -> None:
        super().__init__(error, message, field)
        self.item = [error, message, field]


@dataclass
class Call:
    """One parsed request plus the sandbox it runs against."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    world: World
    faults: Faults
    base: str
    params: dict[str, str] = field(default_factory=dict)
    user: str | None = None

    @cached_property
    def form(self) -> dict[str, str]:
        """URL-encoded or JSON body fields (PRAW posts forms, galleries post JSON)."""
        kind = self.headers.get("content-type", "")
        if kind.startswith("application/json"):
            data = json.loads(self.body or b"{}")
            return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
        if kind.startswith("multipart/form-data"):
            return {k: v.decode("utf-8", "replace") for k, (_, v) in multipart(self.body, kind).items()}
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def arg(self, name: str, default: str = "") -> str:
        """A field from the body, else the query string."""
        return self.form.get(name, self.query.get(name, default))

    def require_user(self) -> str:
        if self.user is None:
            raise HttpError(403, "Forbidden")
        return self.user


def json_reply(data: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(data).encode())


def multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """Parse ``multipart/form-data`` into ``{name: (filename, bytes)}`` (binary-safe, no ``cgi``)."""
    boundary = content_type.split("boundary=", 1)[1].split(";")[0].strip().strip('"').encode()
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.partition(b"\r\n\r\n")
        disposition = next((h for h in head.decode("utf-8", "replace").split("\r\n") if h.lower().startswith("content-disposition")), "")
        attrs = dict(
            (k.strip().lower(), v.strip().strip('"')) for k, _, v in (a.partition("=") for a in disposition.split(";")[1:])
        )
        fields[attrs.get("name", "")] = (attrs.get("filename"), content.removesuffix(b"\r\n"))
    return fields
