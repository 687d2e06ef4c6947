"""bot.hosting: every host against something real — folders, a web server, a fake Imgur API, the sandbox."""

from __future__ import annotations

import email.parser
import email.policy
import json
import logging
import pickle
import threading
from collections.abc import Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import praw
import pytest
import requests
from PIL import Image

from bot.config import HostSettings
from bot.hosting import (HostedImage, HostError, ImageHost, ImgurHost, LocalDirHost, OutboxHost, RedditProfileHost,
                         content_name, make_host)

CLIENT_ID = "c0ffee1234secretid"


@pytest.fixture
def panel(tmp_path: Path) -> Path:
    path = tmp_path / "work" / "panel.JPG"
    path.parent.mkdir()
    Image.new("RGB", (48, 32), (180, 120, 60)).save(path, "JPEG")
    return path


@pytest.fixture
def other_panel(tmp_path: Path) -> Path:
    path = tmp_path / "work" / "other.png"
    Image.new("RGB", (16, 16), (10, 20, 200)).save(path, "PNG")
    return path


def serve(handler: Any) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# -- outbox ---------------------------------------------------------------------------------------
def test_outbox_copies_the_panel_and_writes_the_reply(tmp_path: Path, panel: Path) -> None:
    host = OutboxHost(tmp_path / "outbox")
    assert isinstance(host, ImageHost)
    hosted = host.upload(panel, "Colorized: grandfather, 1952")
    name = content_name(panel)
    assert name.endswith(".jpg") and len(name) == 20
    assert hosted == HostedImage(url=(tmp_path / "outbox" / name).resolve().as_uri(), delete_handle=name)
    assert (tmp_path / "outbox" / name).read_bytes() == panel.read_bytes()
    assert host.upload(panel, "again") == hosted  # a retry reuses the file
    reply = host.write_reply("1h2abcd", "Here it is", permalink="/r/OldSchoolCool/comments/1h2abcd/x/", hosted=hosted)
    assert reply.read_text() == "Here it is\n"
    meta = json.loads((tmp_path / "outbox" / "1h2abcd.json").read_text())
    assert meta == {"post_id": "1h2abcd", "permalink": "/r/OldSchoolCool/comments/1h2abcd/x/", "image_url": hosted.url, "delete_handle": name}
    host.delete(hosted)
    host.delete(hosted)  # already gone: fine
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == ["1h2abcd.json", "1h2abcd.md"]
    with pytest.raises(HostError):
        host.write_reply("../x", "no")


# -- local directory behind a web server ------------------------------------------------------------
def test_local_dir_publishes_content_addressed_files_a_web_server_serves(tmp_path: Path, panel: Path, other_panel: Path) -> None:
    folder = tmp_path / "public"
    server, base = serve(partial(SimpleHTTPRequestHandler, directory=str(folder)))
    try:
        host = LocalDirHost(folder, base + "/")
        first, again, other = host.upload(panel, "t"), host.upload(panel, "t"), host.upload(other_panel, "t")
        assert first == again and first.url == f"{base}/{content_name(panel)}" and first.delete_handle == content_name(panel)
        assert other.url.endswith(".png") and other.url != first.url
        assert sorted(p.name for p in folder.iterdir()) == sorted([content_name(panel), content_name(other_panel)])
        answer = requests.get(first.url, timeout=5)
        assert answer.status_code == 200 and answer.content == panel.read_bytes()
        host.delete(first)
        assert requests.get(first.url, timeout=5).status_code == 404
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(HostError):
        host.delete(HostedImage("x", "../etc/passwd"))


def test_local_dir_url_keeps_the_configured_prefix(tmp_path: Path, panel: Path) -> None:
    hosted = LocalDirHost(tmp_path, "https://img.example.org/colorbot/").upload(panel, "t")
    assert hosted.url == f"https://img.example.org/colorbot/{content_name(panel)}"


# -- Imgur, against a local fake of its API ---------------------------------------------------------
class FakeImgur(BaseHTTPRequestHandler):
    """Imgur API v3's upload and delete, with the answers (and failures) the real one gives."""

    images: dict[str, bytes] = {}
    seen: list[dict[str, Any]] = []
    fail: list[tuple[int, dict[str, str], dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") != f"Client-ID {CLIENT_ID}":
            self._answer(403, {"data": {"error": "Invalid client_id", "request": self.path, "method": self.command},
                               "success": False, "status": 403})
            return False
        if self.fail:
            status, headers, body = self.fail.pop(0)
            self._answer(status, body, headers)
            return False
        return True

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path not in ("/3/image", "/3/upload") or not self._authorized():
            return
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + body)
        parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
        self.seen.append({name: part.get_content() for name, part in parts.items()})
        video = "video" in parts
        if video != (self.path == "/3/upload"):  # Imgur takes videos on /3/upload only
            self._answer(400, {"data": {"error": "No image data was sent to the upload api"}, "success": False, "status": 400})
            return
        image = parts["video" if video else "image"].get_payload(decode=True)
        image_id = f"img{len(self.images):04d}"
        self.images[image_id] = image
        kind, ext = ("video/mp4", "mp4") if video else ("image/jpeg", "jpg")
        extra = {"processing": {"status": "pending"}} if video else {}
        self._answer(200, {"data": {"id": image_id, "title": parts["title"].get_content(), "description": None, "type": kind,
                                    "animated": video, "width": 48, "height": 32, "size": len(image), "deletehash": f"del{image_id}",
                                    "name": "", "link": f"https://i.imgur.com/{image_id}.{ext}", **extra}, "success": True, "status": 200})

    def do_DELETE(self) -> None:  # noqa: N802
        if not self._authorized():
            return
        image_id = self.path.removeprefix("/3/image/del")
        if self.images.pop(image_id, None) is None:
            self._answer(404, {"data": {"error": "Unable to find an image with the id", "request": self.path, "method": "DELETE"},
                               "success": False, "status": 404})
            return
        self._answer(200, {"data": True, "success": True, "status": 200})


@pytest.fixture
def imgur() -> Iterator[str]:
    FakeImgur.images, FakeImgur.seen, FakeImgur.fail = {}, [], []
    server, base = serve(FakeImgur)
    yield base
    server.shutdown()
    server.server_close()


def test_imgur_uploads_anonymously_and_deletes_by_deletehash(imgur: str, panel: Path) -> None:
    host = ImgurHost(CLIENT_ID, requests.Session(), base_url=imgur)
    hosted = host.upload(panel, "Colorized by a bot")
    assert hosted == HostedImage(url="https://i.imgur.com/img0000.jpg", delete_handle="delimg0000")
    assert FakeImgur.images["img0000"] == panel.read_bytes()
    assert FakeImgur.seen[0]["type"] == "file" and FakeImgur.seen[0]["title"] == "Colorized by a bot"
    host.delete(hosted)
    assert FakeImgur.images == {}
    host.delete(hosted)  # 404: already gone
    with pytest.raises(HostError, match="no deletehash"):
        host.delete(HostedImage("https://i.imgur.com/x.jpg"))


def test_imgur_takes_a_clip_as_a_video_upload(imgur: str, tmp_path: Path) -> None:
    clip = tmp_path / "comparison.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(200)))
    host = ImgurHost(CLIENT_ID, requests.Session(), base_url=imgur)
    hosted = host.upload_video(clip, tmp_path / "unused.jpg", "Colorized clip", loop=True)
    assert hosted == HostedImage(url="https://i.imgur.com/img0000.mp4", delete_handle="delimg0000")
    assert FakeImgur.images["img0000"] == clip.read_bytes() and FakeImgur.seen[0]["disable_audio"] == "1"
    host.delete(hosted)
    assert FakeImgur.images == {}


@pytest.mark.parametrize(("status", "headers", "retryable", "text"), [
    (429, {"Retry-After": "61"}, True, "HTTP 429 (Imgur is temporarily over capacity. Please try again later.), retry after 61 s"),
    (500, {}, True, "HTTP 500"),
    (400, {}, False, "HTTP 400"),
])
def test_imgur_failures_are_host_errors(imgur: str, panel: Path, status: int, headers: dict[str, str], retryable: bool, text: str) -> None:
    FakeImgur.fail.append((status, headers, {"data": {"error": "Imgur is temporarily over capacity. Please try again later."} if status == 429 else
                                             {"error": {"code": 1003, "message": "File type invalid"}}, "success": False, "status": status}))
    with pytest.raises(HostError) as raised:
        ImgurHost(CLIENT_ID, base_url=imgur).upload(panel, "t")
    assert raised.value.retryable is retryable and text in str(raised.value)


def test_imgur_never_shows_the_client_id(imgur: str, panel: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = ImgurHost("wrong-" + CLIENT_ID, base_url=imgur)
    with pytest.raises(HostError) as refused:
        wrong.upload(panel, "t")
    assert "HTTP 403 (Invalid client_id)" in str(refused.value) and not refused.value.retryable
    unreachable = ImgurHost(CLIENT_ID, base_url="http://127.0.0.1:9", timeout=2)
    with pytest.raises(HostError) as down:
        unreachable.upload(panel, "t")
    ImgurHost(CLIENT_ID, base_url=imgur).upload(panel, CLIENT_ID)  # even a title that happens to hold it is not logged
    shown = [str(refused.value), str(down.value), repr(wrong), repr(unreachable), caplog.text]
    assert down.value.retryable and all(CLIENT_ID not in text for text in shown)


def test_host_errors_survive_pickling() -> None:
    error = pickle.loads(pickle.dumps(HostError("imgur", "upload: HTTP 500", retryable=True)))
    assert (error.host, error.retryable, str(error)) == ("imgur", True, "imgur: upload: HTTP 500")


# -- Reddit profile, against the sandbox ------------------------------------------------------------
@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    from bot.sandbox import SandboxServer

    with SandboxServer() as server:
        yield server


@pytest.fixture
def reddit(sandbox: Any) -> praw.Reddit:
    from bot.sandbox import reddit_kwargs

    return praw.Reddit(**reddit_kwargs(sandbox.url, timeout_s=10))


def test_reddit_profile_host_posts_fetches_back_and_deletes(reddit: praw.Reddit, sandbox: Any, panel: Path) -> None:
    from bot.sandbox import unmirror_url

    host = make_host("reddit", HostSettings(kind="reddit"), reddit)
    assert isinstance(host, RedditProfileHost) and host.username == "colorbot"
    hosted = host.upload(panel, "Colorized: grandfather with camera, 1952")
    assert unmirror_url(hosted.url, sandbox.url).startswith("https://i.redd.it/")
    assert requests.get(hosted.url, timeout=5).content == panel.read_bytes()
    assert hosted.delete_handle and hosted.delete_handle.startswith("t3_")
    assert hosted.page_url and "/r/u_colorbot/comments/" in hosted.page_url
    host.delete(hosted)
    assert hosted.delete_handle in sandbox.state()["deleted"]


def test_reddit_profile_host_without_websockets_finds_its_post_on_the_profile(reddit: praw.Reddit, sandbox: Any, panel: Path) -> None:
    sockets = sandbox.state()["counts"].get("GET /_ws/{asset_id}", 0)
    hosted = RedditProfileHost(reddit, "colorbot", use_websockets=False).upload(panel, "Colorized, no websocket")
    assert hosted.delete_handle and reddit.submission(hosted.delete_handle[3:]).title == "Colorized, no websocket"
    assert sandbox.state()["counts"].get("GET /_ws/{asset_id}", 0) == sockets


def test_reddit_profile_host_reports_failed_media_as_retryable(reddit: praw.Reddit, sandbox: Any, panel: Path) -> None:
    sandbox.add_fault("ws_failed", path="/_ws/*", times=1)
    with pytest.raises(HostError, match="MediaPostFailed") as raised:
        RedditProfileHost(reddit, "colorbot").upload(panel, "Colorized, failed")
    assert raised.value.retryable


def test_reddit_profile_host_rejects_non_images(reddit: praw.Reddit, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    with pytest.raises(HostError) as raised:
        RedditProfileHost(reddit, "colorbot").upload(text, "t")
    assert not raised.value.retryable


# -- factory --------------------------------------------------------------------------------------
def test_make_host_builds_each_kind_from_settings_or_a_dict(tmp_path: Path) -> None:
    settings = HostSettings(kind="imgur", imgur_client_id=CLIENT_ID, local_dir=tmp_path / "pub", local_base_url="https://x.org/i",
                            outbox_dir=tmp_path / "out")
    assert isinstance(make_host("imgur", settings), ImgurHost)
    local = make_host("local", settings)
    assert isinstance(local, LocalDirHost) and local.folder == tmp_path / "pub"
    outbox = make_host("outbox", {"outbox_dir": tmp_path / "o"})
    assert isinstance(outbox, OutboxHost) and outbox.folder == tmp_path / "o"
    dry = make_host("imgur", settings, dry_run=True)
    assert isinstance(dry, OutboxHost) and dry.folder == tmp_path / "out"
    offline = praw.Reddit(client_id="x", client_secret="x", user_agent="test", check_for_updates=False)
    assert make_host("reddit", {"username": "colorbot"}, offline).username == "colorbot"  # type: ignore[attr-defined]
    anonymous = make_host("reddit", {}, offline)  # no request yet: the name comes from /api/v1/me when first needed
    with pytest.raises(praw.exceptions.ReadOnlyException, match="read_only"):
        anonymous.username  # type: ignore[attr-defined]  # noqa: B018 - app-only credentials have no profile
    with pytest.raises(ValueError, match="praw.Reddit"):
        make_host("reddit", {})
    with pytest.raises(ValueError, match="imgur_client_id"):
        make_host("imgur", {})
    with pytest.raises(ValueError, match="local_base_url"):
        make_host("local", {})
    with pytest.raises(ValueError, match="unknown host kind"):
        make_host("dropbox", {})
