"""Hosts that are folders: the dry-run outbox and a directory a web server publishes.

Why content-addressed names: a worker that crashes after copying and retries must not leave a
second copy behind, and the same panel published twice is one file.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

from bot.hosting.base import HostedImage, HostError, content_name

log = logging.getLogger(__name__)


def _copy_atomic(source: Path, dest: Path) -> bool:
    """Copy unless ``dest`` exists (same name = same content); False when it was already there."""
    if dest.exists():
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=dest.parent, prefix=".upload-", suffix=dest.suffix)
    try:
        with os.fdopen(handle, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out)
        os.chmod(temp, 0o644)  # the web server must be able to read it
        os.replace(temp, dest)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return True


def _write_atomic(dest: Path, text: str) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = dest.with_name(f".{dest.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, dest)


def _safe_handle(folder: Path, handle: str | None, host: str) -> Path | None:
    """The file a delete handle names, refusing anything outside ``folder``."""
    if not handle:
        return None
    if "/" in handle or "\\" in handle or handle.startswith("."):
        raise HostError(host, f"not a file name of this host: {handle!r}", retryable=False)
    return folder / handle


class LocalDirHost:
    """Copies images into ``folder``, which a web server publishes at ``public_base_url``."""

    name = "local"

    def __init__(self, folder: str | os.PathLike[str], public_base_url: str) -> None:
        self.folder = Path(folder)
        self.public_base_url = public_base_url.rstrip("/")

    def upload(self, path: Path, title: str) -> HostedImage:
        """Copy ``path`` under its content name; the title is not published."""
        try:
            name = content_name(Path(path))
            created = _copy_atomic(Path(path), self.folder / name)
        except OSError as exc:
            raise HostError(self.name, f"cannot publish {Path(path).name}: {exc.strerror or exc}", retryable=True) from None
        url = f"{self.public_base_url}/{quote(name)}"
        log.info("host local: %s %s (%s)", "published" if created else "reused", url, "new content" if created else "same content already published")
        return HostedImage(url=url, delete_handle=name)

    def delete(self, hosted: HostedImage) -> None:
        """Remove the published file (nothing to do if it is gone)."""
        target = _safe_handle(self.folder, hosted.delete_handle, self.name)
        if target is not None:
            target.unlink(missing_ok=True)
            log.info("host local: deleted %s (asked to take it down)", target.name)


class OutboxHost:
    """The dry-run host: images and reply texts land in a folder for a person to read.

    Why a host and not a flag in the worker: a dry run then walks the same code path as a real
    run, right up to the Reddit call. ``file://`` URLs make the reply text clickable locally.
    """

    name = "outbox"

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def upload(self, path: Path, title: str) -> HostedImage:
        """Copy the panel into the outbox (content-named) and note its title beside it."""
        try:
            name = content_name(Path(path))
            created = _copy_atomic(Path(path), self.folder / name)
            _write_atomic(self.folder / f"{name}.title.txt", title + "\n")
        except OSError as exc:
            raise HostError(self.name, f"cannot write to the outbox: {exc.strerror or exc}", retryable=True) from None
        target = (self.folder / name).resolve()
        log.info("host outbox: %s %s (dry run: nothing leaves this machine)", "wrote" if created else "reused", target)
        return HostedImage(url=target.as_uri(), delete_handle=name)

    def write_reply(self, post_id: str, text: str, *, permalink: str | None = None, hosted: HostedImage | None = None) -> Path:
        """Write the reply the bot would post as ``{post_id}.md`` (+ ``{post_id}.json`` with context)."""
        if not post_id.isalnum():
            raise HostError(self.name, f"not a post id: {post_id!r}", retryable=False)
        reply = self.folder / f"{post_id}.md"
        _write_atomic(reply, text if text.endswith("\n") else text + "\n")
        meta = {"post_id": post_id, "permalink": permalink, "image_url": hosted.url if hosted else None,
                "delete_handle": hosted.delete_handle if hosted else None}
        _write_atomic(self.folder / f"{post_id}.json", json.dumps(meta, indent=2) + "\n")
        log.info("host outbox: reply for t3_%s written to %s (dry run: not posted)", post_id, reply)
        return reply

    def delete(self, hosted: HostedImage) -> None:
        """Remove the image and its title note from the outbox."""
        target = _safe_handle(self.folder, hosted.delete_handle, self.name)
        if target is not None:
            target.unlink(missing_ok=True)
            target.with_name(f"{target.name}.title.txt").unlink(missing_ok=True)
            log.info("host outbox: deleted %s (asked to take it down)", target.name)
