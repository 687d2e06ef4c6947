"""The sandbox's URL mirroring, parsed in one place: it serves ``https://{host}/{path}`` at ``{base}/{host}/{path}``.

Only sandbox mode (``download.sandbox_image_base_url``) has a ``base``; without one every URL is
what it says. Ingest undoes the mirror to judge a URL as Reddit wrote it, and mirrors the URLs it
builds itself (gallery items); the downloader checks the mirrored host against the allow-list.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def mirrored_host(url: str, base: str | None) -> str | None:
    """``host`` for ``{base}/{host}/{path}``; None for any other URL (or without a sandbox)."""
    if not base:
        return None
    parts, home = urlsplit(url), urlsplit(base)
    if (parts.scheme, parts.hostname, parts.port) != (home.scheme, home.hostname, home.port):
        return None
    prefix = home.path.rstrip("/") + "/"
    if not parts.path.startswith(prefix):
        return None
    return parts.path[len(prefix):].split("/", 1)[0].lower()


def real_url(url: str, base: str | None) -> str:
    """The URL as Reddit would write it (the mirror undone); other URLs unchanged."""
    host = mirrored_host(url, base)
    if host and "." in host:
        prefix = urlsplit(base or "").path.rstrip("/") + "/" + host
        parts = urlsplit(url)
        rest = parts.path[len(prefix):] + (f"?{parts.query}" if parts.query else "")
        return f"https://{host}{rest}"
    return url


def mirror(real: str, base: str | None) -> str:
    """Where the sandbox serves a real-looking URL (unchanged without a sandbox)."""
    if not base:
        return real
    parts = urlsplit(real)
    return f"{base.rstrip('/')}/{parts.hostname}{parts.path}" + (f"?{parts.query}" if parts.query else "")
