"""Safe image downloads against a local http.server (the configured sandbox); refusals need no network."""

from __future__ import annotations

import io
import pickle
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot.config import Settings
from bot.download import (
    DEFAULT_IMAGE_HOSTS,
    DownloadError,
    DownloadPolicy,
    Target,
    _send,
    check_url,
    download_image,
    is_public_address,
)


def jpeg(width: int, height: int, noise: bool = False) -> bytes:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (height, width), dtype=np.uint8) if noise else np.tile(np.arange(width, dtype=np.uint8), (height, 1))
    buffer = io.BytesIO()
    Image.fromarray(pixels, "L").save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


GOOD = jpeg(64, 48)
BIG = jpeg(256, 256, noise=True)
CAP = 8_000
assert len(GOOD) < CAP < len(BIG)


class Handler(BaseHTTPRequestHandler):
    """Each path is one behaviour of a hostile or broken image host."""

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def send(self, status: int, body: bytes = b"", content_type: str = "image/jpeg", length: bool = True, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.seen.append((self.path, dict(self.headers)))  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0].removeprefix("/i.redd.it")  # how the sandbox mirrors i.redd.it
        if path == "/good.jpg":
            self.send(200, GOOD)
        elif path == "/missing.jpg":
            self.send(404, b"not found", "text/plain")
        elif path == "/broken.jpg":
            self.send(503, b"down", "text/plain")
        elif path == "/page.jpg":
            self.send(200, b"<html><body>Imgur: page not found</body></html>", "text/html; charset=utf-8")
        elif path == "/truncated.jpg":
            self.send(200, GOOD[: len(GOOD) // 2])
        elif path == "/big.jpg":
            self.send(200, BIG)
        elif path == "/big-unsized.jpg":  # no Content-Length: the cap must hold while streaming
            self.send(200, BIG, length=False)
        elif path == "/slow.jpg":
            time.sleep(1.5)
            self.send(200, GOOD)
        elif path == "/trickle.jpg":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            for i in range(0, len(GOOD), 100):
                self.wfile.write(GOOD[i:i + 100])
                self.wfile.flush()
                time.sleep(0.1)
        elif path == "/stall.jpg":  # headers and half the body, then silence
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(GOOD)))
            self.end_headers()
            self.wfile.write(GOOD[:200])
            self.wfile.flush()
            time.sleep(1.5)
        elif path == "/to-evil":
            self.send(302, content_type="text/html", Location="https://evil.example/x.jpg")
        elif path == "/to-other-port":
            port = self.server.server_address[1] + 1  # type: ignore[index]
            self.send(302, content_type="text/html", Location=f"http://127.0.0.1:{port}/i.redd.it/good.jpg")
        elif path == "/to-good":
            self.send(301, content_type="text/html", Location="/i.redd.it/good.jpg?from=redirect")
        elif path == "/loop":
            self.send(302, content_type="text/html", Location="/i.redd.it/loop")
        else:
            self.send(404, b"", "text/plain")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client hanging up on purpose (caps, timeouts) is the point of these tests


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    httpd.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def no_dns(host: str, port: int) -> list[str]:
    raise AssertionError(f"unexpected DNS lookup of {host}")


@pytest.fixture
def policy(server: ThreadingHTTPServer) -> DownloadPolicy:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    return DownloadPolicy(max_bytes=CAP, connect_timeout=1.0, read_timeout=0.5, total_timeout=5.0,
                          sandbox_base_url=base, user_agent="python:colorbot:test (by /u/tester)")


def url(policy: DownloadPolicy, path: str) -> str:
    return f"{policy.sandbox_base_url}/i.redd.it{path}"


def fetch(policy: DownloadPolicy, path: str, dest: Path):
    return download_image(url(policy, path), dest / "out.jpg", policy, resolver=no_dns)


def fails(policy: DownloadPolicy, path: str, dest: Path) -> DownloadError:
    with pytest.raises(DownloadError) as info:
        fetch(policy, path, dest)
    assert not list(dest.iterdir()), "nothing may be left behind on failure"
    return info.value


def test_good_jpeg(policy: DownloadPolicy, server: ThreadingHTTPServer, tmp_path: Path) -> None:
    result = fetch(policy, "/good.jpg", tmp_path)
    assert result.path.read_bytes() == GOOD and result.size == len(GOOD)
    assert result.content_type == "image/jpeg" and result.image.format == "JPEG"
    assert result.image.path == tmp_path / "out.jpg" and result.image.luma_source.size == (64, 48)
    assert [p.name for p in tmp_path.iterdir()] == ["out.jpg"]
    headers = next(h for p, h in reversed(server.seen) if p == "/i.redd.it/good.jpg")
    assert headers["User-Agent"] == "python:colorbot:test (by /u/tester)"


@pytest.mark.parametrize(
    ("path", "kind", "retryable", "words"),
    [
        ("/missing.jpg", "http_404", False, "gone"),
        ("/broken.jpg", "http_5xx", True, "503"),
        ("/page.jpg", "not_image", False, "HTML page"),
        ("/truncated.jpg", "corrupt", False, "truncated"),
        ("/big.jpg", "too_large", False, str(CAP)),
        ("/big-unsized.jpg", "too_large", False, str(CAP)),
        ("/slow.jpg", "timeout", True, "in time"),
        ("/stall.jpg", "timeout", True, "stalled"),
        ("/to-evil", "not_allowed", False, "evil.example"),
        ("/to-other-port", "not_allowed", False, "https"),
        ("/loop", "too_many_redirects", False, "redirects"),
    ],
)
def test_failures_have_a_kind(policy: DownloadPolicy, tmp_path: Path, path: str, kind: str, retryable: bool, words: str) -> None:
    error = fails(policy, path, tmp_path)
    assert (error.kind, error.retryable) == (kind, retryable)
    assert words in str(error)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.kind, copy.retryable, str(copy)) == (error.kind, error.retryable, str(error))


@pytest.mark.parametrize("path", ["/good.jpg", "/v.redd.it/good.jpg", "/evil.example/good.jpg"])
def test_sandbox_paths_must_mirror_an_allowed_host(policy: DownloadPolicy, tmp_path: Path, path: str) -> None:
    with pytest.raises(DownloadError) as info:
        download_image(f"{policy.sandbox_base_url}{path}", tmp_path / "x.jpg", policy, resolver=no_dns)
    assert info.value.kind == "not_allowed" and "mirrored image host" in str(info.value)


def test_total_deadline_while_streaming(policy: DownloadPolicy, tmp_path: Path) -> None:
    error = fails(replace(policy, total_timeout=0.4), "/trickle.jpg", tmp_path)
    assert error.kind == "timeout" and error.retryable


def test_redirect_to_same_allowed_host_is_followed(policy: DownloadPolicy, tmp_path: Path) -> None:
    result = fetch(policy, "/to-good", tmp_path)
    assert result.path.read_bytes() == GOOD and result.url == url(policy, "/good.jpg?from=redirect")


@pytest.mark.parametrize(
    ("bad_url", "words"),
    [
        ("http://10.0.0.1/x.jpg", "only https"),
        ("https://evil.example/x.jpg", "not an allowed image host"),
        ("https://i.redd.it.evil.com/x.jpg", "not an allowed image host"),
        ("http://i.redd.it/x.jpg", "only https"),
        ("https://user:pw@i.redd.it/x.jpg", "credentials"),
        ("https://i.redd.it:8443/x.jpg", "port"),
        ("https://127.0.0.1/x.jpg", "not an allowed image host"),
        ("file:///etc/passwd", "only https"),
        ("https://[::1/x.jpg", "not a valid URL"),
    ],
)
def test_refused_without_network(policy: DownloadPolicy, tmp_path: Path, bad_url: str, words: str) -> None:
    with pytest.raises(DownloadError) as info:
        download_image(bad_url, tmp_path / "x.jpg", policy, resolver=no_dns)
    assert info.value.kind in ("not_allowed", "bad_url") and not info.value.retryable and words in str(info.value)


@pytest.mark.parametrize(
    "addresses",
    [["151.101.1.140", "10.0.0.5"], ["127.0.0.1"], ["169.254.169.254"], ["::1"], ["::ffff:192.168.1.1"], ["fe80::1%eth0"], ["100.64.0.1"]],
)
def test_every_resolved_address_must_be_public(policy: DownloadPolicy, addresses: list[str]) -> None:
    with pytest.raises(DownloadError) as info:
        check_url("https://i.redd.it/x.jpg", policy, resolver=lambda host, port: addresses)
    assert info.value.kind == "not_allowed" and "non-public" in str(info.value)


def test_allowed_host_is_pinned_to_a_checked_address(policy: DownloadPolicy) -> None:
    calls: list[tuple[str, int]] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append((host, port))
        return ["151.101.1.140", "2a04:4e42::396"]

    target = check_url("https://I.REDD.IT./abc.jpg?width=640", policy, resolver=resolver)
    assert target == Target("https://I.REDD.IT./abc.jpg?width=640", "i.redd.it", 443, "151.101.1.140")
    assert calls == [("i.redd.it", 443)]
    assert is_public_address("2a04:4e42::396") and not is_public_address("not-an-ip")


def test_policy_from_settings() -> None:
    settings = Settings(download=replace(Settings().download, allowed_hosts=("i.example.com",), max_megapixels=2.0,
                                         sandbox_image_base_url="http://127.0.0.1:9"))
    p = DownloadPolicy.from_settings(settings)
    assert p.allowed_hosts == DEFAULT_IMAGE_HOSTS | {"i.example.com"} and p.max_pixels == 2_000_000
    assert p.sandbox_base_url == "http://127.0.0.1:9" and p.user_agent == settings.user_agent


# -- the pinned TLS connection: connect to the checked IP, verify the certificate for the host name --
@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not available")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=i.redd.it",
                    "-addext", "subjectAltName=DNS:i.redd.it", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    httpd.seen = []  # type: ignore[attr-defined]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], cert
    httpd.shutdown()
    httpd.server_close()


def test_pinned_tls_connection_checks_the_real_host_name(tls_server: tuple[int, Path]) -> None:
    port, cert = tls_server
    policy = DownloadPolicy(verify=str(cert), connect_timeout=2, read_timeout=2)
    target = Target(f"https://i.redd.it:{port}/good.jpg", "i.redd.it", port, "127.0.0.1")
    response = _send(target, policy, remaining=5)
    try:
        assert response.status_code == 200 and response.content == GOOD
    finally:
        response.close()
    with pytest.raises(DownloadError) as info:  # same address, but the certificate is not for this name
        _send(Target(f"https://i.imgur.com:{port}/good.jpg", "i.imgur.com", port, "127.0.0.1"), policy, remaining=5)
    assert info.value.kind == "connection"


def test_against_the_real_sandbox(tmp_path: Path) -> None:
    """The sandbox mirrors i.redd.it under its own URL; its image faults map to our kinds."""
    import praw

    from bot.sandbox import SandboxServer, reddit_kwargs

    with SandboxServer() as sandbox:
        reddit = praw.Reddit(**reddit_kwargs(sandbox.url))
        policy = DownloadPolicy(sandbox_base_url=sandbox.url, read_timeout=2.0)
        image_url = reddit.submission("gray01").url
        assert image_url.startswith(f"{sandbox.url}/i.redd.it/")
        assert download_image(image_url, tmp_path / "ok.jpg", policy, resolver=no_dns).image.format == "JPEG"
        for fault, kind in [("html", "not_image"), ("truncated", "corrupt"), ("oversized", "too_large"), ("404", "http_404")]:
            sandbox.faults.image("/i.redd.it/*", fault, times=1)
            with pytest.raises(DownloadError) as info:
                download_image(image_url, tmp_path / "bad.jpg", policy, resolver=no_dns)
            assert info.value.kind == kind
