"""Safe image downloads: only Reddit/Imgur image hosts, only public addresses, bounded in size and time.

Why so strict: the URLs come from strangers' Reddit posts. Without these checks a post could
make the bot fetch internal services (SSRF), hang it on a slow server, fill its disk, or feed
an HTML error page to the colorizer.

- Hosts: exact names in ``allowed_hosts`` (i.redd.it, preview.redd.it, i.imgur.com + extras),
  https on port 443 only. URLs under the configured ``sandbox_base_url`` may be plain http on
  loopback (it exists only to run the bot against the local sandbox), but must still name an
  allowed host the way the sandbox mirrors it: ``{sandbox}/i.redd.it/x.jpg``.
- Addresses: every address the host resolves to must be public; the connection is then pinned
  to a checked address (TLS still verifies the real host name), so DNS cannot change between
  check and connect.
- Redirects are followed by hand, each hop checked like the first.
- Limits: connect/read timeouts, a total deadline, ``Content-Length`` and a byte cap while
  streaming, ``Content-Type: image/*``, and a full decode with ``colorizer.imageio.load_image``.

Every failure is one :class:`DownloadError` with a ``kind`` and a ``retryable`` flag.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from bot.reddit.mirror import mirrored_host
from colorizer.imageio import ImageLoadError, LoadedImage, load_image

if TYPE_CHECKING:
    from bot.config import Settings

DEFAULT_IMAGE_HOSTS = frozenset({"i.redd.it", "preview.redd.it", "i.imgur.com"})
#: Kinds worth trying again later; the rest will fail the same way every time.
RETRYABLE_KINDS = frozenset({"http_5xx", "http_429", "timeout", "connection"})
CHUNK_BYTES = 64 * 1024

#: ``resolver(host, port)`` → the IP addresses a connection to ``host`` could reach.
Resolver = Callable[[str, int], Iterable[str]]


class DownloadError(Exception):
    """Why a download failed: ``kind`` for code, ``str()`` for the log, ``retryable`` for the queue.

    Kinds: not_allowed, bad_url, http_404 (also 410), http_429, http_4xx, http_5xx, timeout,
    connection, too_many_redirects, too_large, not_image (not_video: the policy's noun), corrupt.
    """

    def __init__(self, kind: str, message: str, url: str, retryable: bool | None = None) -> None:
        self.kind = kind
        self.url = url
        self.retryable = kind in RETRYABLE_KINDS if retryable is None else retryable
        super().__init__(f"{message} ({url})")

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across worker processes
        return (type(self), (self.kind, str(self).removesuffix(f" ({self.url})"), self.url, self.retryable))


@dataclass(frozen=True)
class DownloadPolicy:
    """The limits of one download; build it from settings with :meth:`from_settings`."""

    max_bytes: int = 20_000_000
    max_pixels: int = 50_000_000
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 60.0
    allowed_hosts: frozenset[str] = DEFAULT_IMAGE_HOSTS
    sandbox_base_url: str | None = None
    max_redirects: int = 5
    user_agent: str = "python:colorbot:0 (by /u/colorbot)"
    verify: bool | str = True  # TLS verification, or a CA bundle path (tests)
    noun: str = "image"  # what is fetched, for messages ("image", "video")
    content_types: tuple[str, ...] = ("image/",)  # accepted Content-Type prefixes
    accept: str = "image/*"  # the request's Accept header

    @classmethod
    def from_settings(cls, settings: Settings) -> DownloadPolicy:
        d = settings.download
        return cls(
            max_bytes=d.max_image_bytes,
            max_pixels=int(d.max_megapixels * 1_000_000),
            connect_timeout=d.connect_timeout_seconds,
            read_timeout=d.read_timeout_seconds,
            total_timeout=d.total_timeout_seconds,
            allowed_hosts=DEFAULT_IMAGE_HOSTS | frozenset(h.lower() for h in d.allowed_hosts),
            sandbox_base_url=d.sandbox_image_base_url,
            user_agent=settings.user_agent,
        )


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``address``, None for the sandbox) and as which host."""

    url: str
    host: str
    port: int
    address: str | None


@dataclass(frozen=True)
class DownloadedImage:
    """A verified image file on disk, decoded once already (``image``) so the caller need not again."""

    path: Path
    url: str  # after redirects
    content_type: str
    size: int
    image: LoadedImage


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (all are checked, not just the first)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public_address(address: str) -> bool:
    """False for private, loopback, link-local, multicast, reserved… (IPv4-mapped IPv6 included)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, policy: DownloadPolicy, resolver: Resolver = resolve_host) -> Target:
    """Raise ``DownloadError("not_allowed")`` unless ``url`` may be fetched; resolves DNS only for allowed hosts."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DownloadError("bad_url", "not a valid URL", url) from None
    host = (parts.hostname or "").lower().rstrip(".")
    mirrored = mirrored_host(url, policy.sandbox_base_url)
    if mirrored is not None:  # the local sandbox: no DNS or address checks, but the same host allow-list
        if mirrored not in policy.allowed_hosts:
            raise DownloadError("not_allowed", f"sandbox path is not a mirrored {policy.noun} host ({mirrored or 'none'})", url)
        return Target(url, host, port or (443 if parts.scheme == "https" else 80), None)
    if parts.scheme != "https":
        raise DownloadError("not_allowed", f"only https {policy.noun} URLs are fetched, not {parts.scheme or 'no scheme'}", url)
    if parts.username is not None or parts.password is not None:
        raise DownloadError("not_allowed", f"credentials in {policy.noun} URL", url)
    if host not in policy.allowed_hosts:
        raise DownloadError("not_allowed", f"host {host or '(none)'} is not an allowed {policy.noun} host", url)
    if port not in (None, 443):
        raise DownloadError("not_allowed", f"port {port} is not allowed", url)
    try:
        addresses = list(resolver(host, 443))
    except OSError as exc:
        raise DownloadError("connection", f"cannot resolve {host}: {exc.strerror or exc}", url) from None
    if not addresses:
        raise DownloadError("connection", f"cannot resolve {host}", url)
    for address in addresses:
        if not is_public_address(address):
            raise DownloadError("not_allowed", f"{host} resolves to a non-public address {address}", url)
    return Target(url, host, 443, addresses[0])


class _PinnedAdapter(HTTPAdapter):
    """Connects to a checked IP while TLS (SNI + certificate check) still uses the real host name."""

    def __init__(self, host: str) -> None:
        self._host = host
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(self, request: requests.PreparedRequest, verify: Any, cert: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params.get("scheme") == "https":
            pool_kwargs["server_hostname"] = self._host
            pool_kwargs["assert_hostname"] = self._host
        return host_params, pool_kwargs


def _request_url(target: Target) -> str:
    """The URL to connect to: the pinned address in place of the host name."""
    if target.address is None:
        return target.url
    parts = urlsplit(target.url)
    ip = ipaddress.ip_address(target.address.split("%", 1)[0])
    netloc = (f"[{ip}]" if ip.version == 6 else str(ip)) + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _send(target: Target, policy: DownloadPolicy, remaining: float) -> requests.Response:
    """One GET, no redirects followed, body not read yet."""
    headers = {"User-Agent": policy.user_agent, "Accept": policy.accept, "Accept-Encoding": "identity"}
    if target.address is not None:
        port = urlsplit(target.url).port
        headers["Host"] = target.host + (f":{port}" if port else "")
    request = requests.Request("GET", _request_url(target), headers=headers).prepare()
    adapter = _PinnedAdapter(target.host) if target.address is not None else HTTPAdapter(max_retries=0)
    timeout = (min(policy.connect_timeout, remaining), min(policy.read_timeout, remaining))
    try:
        return adapter.send(request, stream=True, timeout=timeout, verify=policy.verify, proxies={})
    except requests.Timeout:
        adapter.close()
        raise DownloadError("timeout", f"the {policy.noun} host did not answer in time", target.url) from None
    except requests.ConnectionError as exc:
        adapter.close()
        raise DownloadError("connection", f"cannot connect: {type(exc).__name__}", target.url) from None


def _close(response: requests.Response) -> None:
    """Close the response and its one-use adapter (``response.connection``)."""
    response.close()
    if response.connection is not None:
        response.connection.close()


def _check_status(response: requests.Response, url: str, noun: str) -> None:
    code = response.status_code
    if code in (404, 410):
        raise DownloadError("http_404", f"{noun} is gone (HTTP {code})", url)
    if code == 429:
        raise DownloadError("http_429", f"{noun} host is rate limiting us (HTTP 429)", url)
    if 400 <= code < 500:
        raise DownloadError("http_4xx", f"{noun} host refused (HTTP {code})", url)
    if code >= 500:
        raise DownloadError("http_5xx", f"{noun} host failed (HTTP {code})", url)
    if code != 200:
        raise DownloadError("http_4xx", f"unexpected HTTP {code}", url)


def _open(url: str, policy: DownloadPolicy, resolver: Resolver, deadline: float) -> tuple[requests.Response, str]:
    """Follow redirects by hand, checking each hop; returns the 200 response and its URL."""
    for _ in range(policy.max_redirects + 1):
        target = check_url(url, policy, resolver)
        response = _send(target, policy, _remaining(deadline, url))
        location = response.headers.get("Location")
        if response.is_redirect and location:
            _close(response)
            url = urljoin(url, location)
            continue
        try:
            _check_status(response, url, policy.noun)
        except DownloadError:
            _close(response)
            raise
        return response, url
    raise DownloadError("too_many_redirects", f"more than {policy.max_redirects} redirects", url)


def _remaining(deadline: float, url: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise DownloadError("timeout", "download took longer than the total time limit", url)
    return left


def _save(response: requests.Response, url: str, policy: DownloadPolicy, deadline: float, file: Any) -> int:
    """Stream the body into ``file``, enforcing the byte cap and the deadline as bytes arrive.

    ``read1`` returns whatever has arrived (waiting at most the read timeout), so a server that
    trickles bytes is stopped at the deadline, not when a whole chunk is complete.
    """
    size = 0
    try:
        while chunk := response.raw.read1(CHUNK_BYTES, decode_content=True):
            size += len(chunk)
            if size > policy.max_bytes:
                raise DownloadError("too_large", f"{policy.noun} is larger than {policy.max_bytes} bytes", url)
            file.write(chunk)
            _remaining(deadline, url)
    except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
        raise DownloadError("timeout", f"the {policy.noun} host stalled while sending", url) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise DownloadError("connection", f"connection broke while downloading ({type(exc).__name__})", url) from None
    return size


@dataclass(frozen=True)
class FetchedFile:
    """A downloaded file whose type and size passed the policy's checks."""

    path: Path
    url: str  # after redirects
    content_type: str
    size: int


def fetch_file(url: str, dest: str | os.PathLike[str], policy: DownloadPolicy, *, resolver: Resolver = resolve_host,
               verify: Callable[[Path, str], Any] | None = None) -> tuple[FetchedFile, Any]:
    """Fetch ``url`` into ``dest`` under ``policy`` (hosts, addresses, redirects, Content-Type, size,
    time); ``verify(tmp_path, final_url)`` checks the bytes before ``dest`` is written and its
    result is returned beside the file. Raises :class:`DownloadError`."""
    dest = Path(dest)
    deadline = time.monotonic() + policy.total_timeout
    response, final_url = _open(url, policy, resolver, deadline)
    try:
        content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if not content_type.startswith(policy.content_types):
            what = "an HTML page" if content_type in ("text/html", "application/xhtml+xml") else f"{content_type or 'no content type'}"
            raise DownloadError(f"not_{policy.noun}", f"the link gives {what}, not {'an' if policy.noun[0] in 'aeiou' else 'a'} {policy.noun}", final_url)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > policy.max_bytes:
            raise DownloadError("too_large", f"{policy.noun} is {int(declared)} bytes, more than {policy.max_bytes}", final_url)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as file:
                size = _save(response, final_url, policy, deadline, file)
            checked = verify(tmp, final_url) if verify else None
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    finally:
        _close(response)
    return FetchedFile(dest, final_url, content_type, size), checked


def download_image(url: str, dest: str | os.PathLike[str], policy: DownloadPolicy, *, resolver: Resolver = resolve_host) -> DownloadedImage:
    """Fetch the image at ``url`` into ``dest`` (written only once verified), or raise :class:`DownloadError`."""
    fetched, image = fetch_file(url, dest, policy, resolver=resolver, verify=lambda path, final: _decode(path, final, policy))
    return DownloadedImage(fetched.path, fetched.url, fetched.content_type, fetched.size, dataclasses.replace(image, path=fetched.path))


def _decode(path: Path, url: str, policy: DownloadPolicy) -> LoadedImage:
    try:
        return load_image(path, max_pixels=policy.max_pixels)
    except ImageLoadError as exc:
        kind = "too_large" if exc.reason.startswith("too large") else "corrupt"
        raise DownloadError(kind, f"not a usable image: {exc.reason}", url) from None
