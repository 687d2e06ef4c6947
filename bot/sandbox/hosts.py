"""The sandbox's image-host mirror: every Reddit media host is a path prefix on the sandbox.

Why: the bot allow-lists image hosts (``i.redd.it``, ``preview.redd.it``, ``i.imgur.com``…) and
must keep doing so in sandbox mode. The sandbox serves ``https://i.redd.it/x.jpg`` at
``{sandbox}/i.redd.it/x.jpg``; a downloader that trusts the sandbox's URL calls
:func:`unmirror_url` to recover the real-looking URL and applies its usual allow-list to that.
"""

from __future__ import annotations

from urllib.parse import urlsplit

#: Hosts the sandbox mirrors (images are stored under ``"{host}/{path}"``).
MEDIA_HOSTS = frozenset({
    "i.redd.it",
    "preview.redd.it",
    "external-preview.redd.it",
    "i.imgur.com",
    "v.redd.it",
    "reddit-uploaded-media.s3-accelerate.amazonaws.com",
})
#: Where PRAW uploads post media (the ``action`` of an upload lease).
UPLOAD_BUCKET = "reddit-uploaded-media.s3-accelerate.amazonaws.com"
#: Hosts that stand for the Reddit site itself; the sandbox is the site, so no prefix is kept.
SITE_HOSTS = frozenset({"www.reddit.com", "reddit.com", "old.reddit.com", "oauth.reddit.com"})


def mirror_url(url: str, base: str) -> str:
    """Return where the sandbox at ``base`` serves ``url`` (unchanged if it is not a Reddit URL)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    if host in MEDIA_HOSTS:
        return f"{base.rstrip('/')}/{host}{tail}"
    if host in SITE_HOSTS:
        return f"{base.rstrip('/')}{tail}"
    return url


def unmirror_url(url: str, base: str) -> str | None:
    """Return the real-looking URL behind a sandbox media URL, or ``None`` if it is not one.

    ``unmirror_url("http://127.0.0.1:8/i.redd.it/a.jpg", "http://127.0.0.1:8")`` is
    ``"https://i.redd.it/a.jpg"``. Both ``http`` and ``https`` spellings of the sandbox are
    accepted because PRAW forces ``https:`` on upload URLs.
    """
    parts, home = urlsplit(url), urlsplit(base)
    if (parts.hostname, parts.port) != (home.hostname, home.port):
        return None
    host, _, rest = parts.path.lstrip("/").partition("/")
    if host not in MEDIA_HOSTS:
        return None
    return f"https://{host}/{rest}" + (f"?{parts.query}" if parts.query else "")


def media_key(url: str) -> str | None:
    """Return the image-store key (``"host/path"``) for a real-looking media URL."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}{parts.path}" if host in MEDIA_HOSTS else None
