"""Anonymous Imgur uploads (API v3, ``Authorization: Client-ID …``).

Why anonymous: the bot needs no Imgur account; the ``deletehash`` Imgur returns is the only
way to take an image down, so it is kept as the delete handle. The client id is a credential:
it is never put into an error, a log line or a repr.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import requests

from bot.hosting.base import HostedImage, HostError

log = logging.getLogger(__name__)

API_BASE = "https://api.imgur.com"
#: Every Imgur URL this module uses (paths under ``base_url``).
ENDPOINTS = {"upload": "/3/image", "upload_video": "/3/upload", "delete": "/3/image/{deletehash}"}
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class ImgurHost:
    """Uploads to Imgur anonymously; ``base_url`` points tests at a local fake of the API."""

    name = "imgur"

    def __init__(self, client_id: str, session: Any = requests, *, base_url: str = API_BASE, timeout: float = 60.0) -> None:
        if not client_id:
            raise ValueError("imgur: a client id is required")
        self._client_id = client_id
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"ImgurHost(base_url={self.base_url!r}, client_id='***')"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Client-ID {self._client_id}", "Accept": "application/json"}

    def _scrub(self, text: str) -> str:
        return text.replace(self._client_id, "***")

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
        """One API call; returns ``data`` of Imgur's ``{"data", "success", "status"}`` envelope."""
        try:
            response = self.session.request(method, self.base_url + path, headers=self._headers(), timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise HostError(self.name, f"{what}: timed out", retryable=True) from None
        except requests.RequestException as exc:
            raise HostError(self.name, f"{what}: {self._scrub(type(exc).__name__)}: connection failed", retryable=True) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        data = body.get("data") if isinstance(body, dict) else None
        if response.status_code != 200 or not (isinstance(body, dict) and body.get("success")):
            detail = data.get("error") if isinstance(data, dict) else None
            if isinstance(detail, dict):
                detail = detail.get("message")
            retry_after = response.headers.get("Retry-After") or response.headers.get("X-Post-Rate-Limit-Reset")
            message = f"{what}: HTTP {response.status_code}" + (f" ({detail})" if detail else "")
            if retry_after:
                message += f", retry after {retry_after} s"
            raise HostError(self.name, self._scrub(message), retryable=response.status_code in RETRYABLE_STATUS)
        return data if isinstance(data, dict) else {"result": data}

    def upload(self, path: Path, title: str) -> HostedImage:
        """``POST /3/image`` (multipart ``image`` file); the link is the direct ``i.imgur.com`` URL."""
        return self._upload(Path(path), "image", {"type": "file", "title": title})

    def upload_video(self, path: Path, poster: Path, title: str, *, loop: bool = False) -> HostedImage:
        """``POST /3/upload`` (multipart ``video`` file; ``disable_audio`` for a looping GIF's clip).
        Imgur draws its own thumbnail, so ``poster`` is not sent. The link is the direct ``.mp4``,
        which Imgur may still be processing for a few seconds after it answers."""
        return self._upload(Path(path), "video", {"type": "file", "title": title, "disable_audio": "1" if loop else "0"})

    def _upload(self, path: Path, kind: str, fields: dict[str, str]) -> HostedImage:
        """One anonymous upload of ``path`` as an ``image`` or a ``video``."""
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise HostError(self.name, f"cannot read {path.name}: {exc.strerror or exc}", retryable=False) from None
        endpoint, part = (ENDPOINTS["upload_video"], (path.name, content, "video/mp4")) if kind == "video" else (ENDPOINTS["upload"], (path.name, content))
        data = self._call("POST", endpoint, f"upload of {path.name}", data={**fields, "name": path.name}, files={kind: part})
        link, deletehash = data.get("link"), data.get("deletehash")
        if not isinstance(link, str) or not link.startswith(("https://", "http://")):
            raise HostError(self.name, f"upload of {path.name}: answer without {'a video' if kind == 'video' else 'an image'} link", retryable=True)
        log.info("host imgur: uploaded %s as %s (anonymous %s upload, deletehash kept)", path.name, link, kind)
        return HostedImage(url=link, delete_handle=deletehash if isinstance(deletehash, str) else None)

    def delete(self, hosted: HostedImage) -> None:
        """``DELETE /3/image/{deletehash}``; an image already gone (404) counts as deleted."""
        if not hosted.delete_handle:
            raise HostError(self.name, f"cannot delete {hosted.url}: no deletehash was kept", retryable=False)
        try:
            self._call("DELETE", ENDPOINTS["delete"].format(deletehash=hosted.delete_handle), f"delete of {hosted.url}")
        except HostError as exc:
            if "HTTP 404" not in str(exc):
                raise
            log.info("host imgur: %s was already gone (404)", hosted.url)
            return
        log.info("host imgur: deleted %s (asked to take it down)", hosted.url)
