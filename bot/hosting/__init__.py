"""Image hosts behind one interface: Reddit profile posts, Imgur, a web directory, the dry-run outbox.

    host = make_host(settings.host.kind, settings.host, reddit, dry_run=settings.dry_run)
    hosted = host.upload(panel_path, title)          # HostedImage(url, delete_handle, page_url)
    queue.record_hosted_url(job.id, hosted.url, hosted.delete_handle)
    ...
    host.delete(hosted)                              # e.g. when the post's author asks

Every failure is a :class:`HostError` with ``retryable``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

import requests

from bot.hosting.base import HostedImage, HostError, ImageHost, companion_files, content_name, upload_all
from bot.hosting.files import LocalDirHost, OutboxHost
from bot.hosting.imgur import ImgurHost
from bot.hosting.reddit import RedditProfileHost

log = logging.getLogger(__name__)

HOST_KINDS = ("reddit", "imgur", "local", "outbox")


def _options(options: Any) -> dict[str, Any]:
    if options is None:
        return {}
    if dataclasses.is_dataclass(options) and not isinstance(options, type):
        return {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}
    if isinstance(options, Mapping):
        return dict(options)
    raise TypeError(f"host options must be a mapping or a settings dataclass, not {type(options).__name__}")


def make_host(kind: str, options: Any = None, reddit: Any = None, *, dry_run: bool = False) -> ImageHost:
    """The host for ``kind``; ``options`` is ``bot.config.HostSettings`` or a dict with the same keys.

    Keys: ``imgur_client_id`` / ``imgur_base_url`` (imgur), ``local_dir`` + ``local_base_url``
    (local), ``outbox_dir`` (outbox), ``username`` (reddit; default: the bot's own, from ``/api/v1/me``).
    ``dry_run`` always gives the outbox, whatever ``kind`` says.
    """
    opts = _options(options)
    if dry_run and kind != "outbox":
        log.info("host: outbox instead of %s (dry run)", kind)
        kind = "outbox"
    if kind == "outbox":
        return OutboxHost(opts.get("outbox_dir") or "outbox")
    if kind == "local":
        if not opts.get("local_base_url"):
            raise ValueError("host local: local_base_url is required")
        return LocalDirHost(opts.get("local_dir") or "hosted", opts["local_base_url"])
    if kind == "imgur":
        if not opts.get("imgur_client_id"):
            raise ValueError("host imgur: imgur_client_id is required")
        extra = {"base_url": opts["imgur_base_url"]} if opts.get("imgur_base_url") else {}
        return ImgurHost(opts["imgur_client_id"], opts.get("session") or requests, **extra)
    if kind == "reddit":
        if reddit is None:
            raise ValueError("host reddit: a praw.Reddit instance is required")
        return RedditProfileHost(reddit, opts.get("username"))  # default: the bot's own profile, from /api/v1/me
    raise ValueError(f"unknown host kind {kind!r} (known: {', '.join(HOST_KINDS)})")


__all__ = ["HOST_KINDS", "HostError", "HostedImage", "ImageHost", "ImgurHost", "LocalDirHost", "OutboxHost", "upload_all",
           "RedditProfileHost", "companion_files", "content_name", "make_host"]
