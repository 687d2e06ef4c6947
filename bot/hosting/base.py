"""What every image host shares: the interface, the result and the one error type.

Why one small interface: the worker publishes a panel and later may take it down again, and
does not care whether it went to Reddit, Imgur, a web directory or the dry-run outbox.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class HostedImage:
    """Where a published image lives; ``delete_handle`` is what :meth:`ImageHost.delete` needs.

    Store both (``JobQueue.record_hosted_url(job_id, url, delete_handle)``) before replying, so
    a retry reuses the upload and an operator can take it down later. ``page_url`` is a page
    around the image (the profile post on Reddit), when the host has one.
    """

    url: str
    delete_handle: str | None = None
    page_url: str | None = None


class HostError(Exception):
    """An upload or delete failed; ``retryable`` says whether trying later may work.

    ``pause_seconds`` > 0: the host (Reddit) asked every call to wait that long (429, a spent rate
    window, credentials); the job waits for it instead of counting a failed attempt.
    Messages never contain credentials (API client ids, tokens).
    """

    def __init__(self, host: str, message: str, *, retryable: bool, pause_seconds: float = 0.0) -> None:
        self.host = host
        self.retryable = retryable
        self.pause_seconds = pause_seconds
        super().__init__(f"{host}: {message}")

    def __reduce__(self) -> tuple[object, ...]:  # picklable across worker processes
        return (_rebuild, (self.host, str(self).removeprefix(f"{self.host}: "), self.retryable))


def _rebuild(host: str, message: str, retryable: bool) -> HostError:
    return HostError(host, message, retryable=retryable)


@runtime_checkable
class ImageHost(Protocol):
    """Publishes an image file and can take it down again."""

    name: str

    def upload(self, path: Path, title: str) -> HostedImage:
        """Publish ``path``; ``title`` is shown where the host shows one."""
        ...

    def delete(self, hosted: HostedImage) -> None:
        """Take a published image down (no error if it is already gone)."""
        ...


#: The job-metrics keys that name a file published beside the comparison.
COMPANION_KEYS = ("poster_url", "poster_delete_handle")


def companion_files(metrics: dict | None) -> list[HostedImage]:
    """Files published beside a comparison that go down with it: a clip's poster frame on file hosts.

    The worker notes them in the job's metrics (``poster_url`` + ``poster_delete_handle``); Reddit
    and Imgur keep the poster inside the video post, so nothing is noted there.
    """
    metrics = metrics or {}
    url, handle = (metrics.get(key) for key in COMPANION_KEYS)
    return [HostedImage(str(url), str(handle))] if url and handle else []


def content_name(path: Path, digits: int = 16) -> str:
    """A file name from the content (sha256 prefix + suffix), so publishing twice gives one file."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:digits] + path.suffix.lower()


def upload_all(host: ImageHost, requests: list[tuple[Path, str]]) -> list[HostedImage | HostError]:
    """Publish several images; a host that can (Reddit: one read-back for all) does it in one go."""
    batch = getattr(host, "upload_batch", None)
    if batch is not None:
        return list(batch(requests))
    results: list[HostedImage | HostError] = []
    for path, title in requests:
        try:
            results.append(host.upload(path, title))
        except HostError as exc:
            results.append(exc)
        except Exception as exc:  # noqa: BLE001 - one bad upload must not stop the others
            results.append(HostError(host.name, f"unexpected {type(exc).__name__}: {exc}", retryable=True))
    return results
