"""How to point real PRAW at a running sandbox.

Findings from PRAW 8.0.3 / prawcore 4.0.0 source:

- prawcore accepts plain ``http://`` for ``oauth_url`` and ``reddit_url``: the Requestor just
  joins URLs (``urljoin(oauth_url, path)``; token requests go to ``reddit_url + "/api/v1/access_token"``).
- ``oauth_url`` and ``reddit_url`` are read from keyword arguments or a praw.ini site only —
  **not** from ``praw_oauth_url`` / ``praw_reddit_url`` environment variables (PRAW ``_fetch``\\ es them).
  ``client_id``, ``client_secret``, ``username``, ``password``, ``user_agent`` do honour ``praw_*``.
- A ``praw.ini`` in the *current directory* that sets those URLs makes PRAW warn (credential
  capture guard); set ``PRAW_ALLOW_ENDPOINT_OVERRIDE=1`` or use ``~/.config/praw.ini`` / kwargs.
- ``check_for_updates`` must be off (it would call PyPI).
- PRAW's ``timeout`` setting is parsed but never used: prawcore passes ``PRAWCORE_TIMEOUT``
  (environment, read at import, default 16 s) on every request, which also overrides
  ``Requestor(timeout=...)``. Only the session can cap it (``sandbox_session(url, timeout_s)``).
- Media uploads: PRAW posts to ``"https:" + lease["action"]`` (hard-coded https), so the upload
  only reaches a plain-http sandbox through a session that downgrades https for the sandbox's
  own host:port — :func:`sandbox_session`, passed as ``requestor_kwargs={"session": ...}`` (a
  public PRAW parameter; PRAW itself is not patched). Everything else works from praw.ini alone.
"""

from __future__ import annotations

import configparser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

SITE = "colorbot_sandbox"
CREDENTIALS = {
    "client_id": "sandbox-client",
    "client_secret": "sandbox-secret",
    "username": "colorbot",
    "password": "sandbox-password",
    "user_agent": "python:colorbot-sandbox:0.1 (by u/colorbot)",
}


def praw_settings(url: str, **overrides: str) -> dict[str, str]:
    """The praw.ini keys for a sandbox at ``url`` (strings, as an ini file holds them)."""
    url = url.rstrip("/")
    return {"oauth_url": url, "reddit_url": url, "short_url": url, **CREDENTIALS, "check_for_updates": "False", **overrides}


def praw_ini_section(url: str, site: str = SITE, **overrides: str) -> str:
    """A ``[site]`` block to paste into praw.ini; then ``praw.Reddit(site)``."""
    lines = [f"[{site}]", *(f"{key}={value}" for key, value in praw_settings(url, **overrides).items())]
    return "\n".join(lines) + "\n"


def write_praw_ini(path: str | Path, url: str, site: str = SITE, **overrides: str) -> Path:
    """Add or replace the sandbox site in the praw.ini at ``path`` (other sites are kept)."""
    path = Path(path)
    config = configparser.ConfigParser(interpolation=None)
    if path.exists():
        config.read(path)
    config[site] = praw_settings(url, **overrides)
    with path.open("w") as handle:
        config.write(handle)
    return path


class _HttpsToHttp(HTTPAdapter):
    """Sends ``https://{sandbox}/…`` as ``http://{sandbox}/…`` (PRAW forces https on uploads)."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        assert request.url is not None
        request.url = "http://" + request.url.removeprefix("https://")
        return super().send(request, **kwargs)


class _CappedTimeoutSession(requests.Session):
    """Caps every request's timeout: PRAW ignores its ``timeout`` setting (see module notes)."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self.timeout_s = timeout_s

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["timeout"] = min(kwargs.get("timeout") or self.timeout_s, self.timeout_s)
        return super().request(*args, **kwargs)


def sandbox_session(url: str, timeout_s: float | None = None) -> requests.Session:
    """A requests session for PRAW that reaches the sandbox however PRAW spells its URL.

    ``timeout_s`` caps each request's timeout (prawcore otherwise always uses ``PRAWCORE_TIMEOUT``).
    """
    session = requests.Session() if timeout_s is None else _CappedTimeoutSession(timeout_s)
    session.trust_env = False  # the sandbox is local: no proxies from the environment
    session.mount(f"https://{urlsplit(url).netloc}/", _HttpsToHttp())
    return session


def reddit_kwargs(url: str, *, timeout_s: float | None = None, **overrides: Any) -> dict[str, Any]:
    """Everything ``praw.Reddit(**kwargs)`` needs for the sandbox, media uploads included."""
    return {**praw_settings(url), "requestor_kwargs": {"session": sandbox_session(url, timeout_s)}, **overrides}
