"""The sandbox's pieces without PRAW: host mirroring, paging, multipart, seeds, the route table."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from bot.sandbox import SandboxServer, mirror_url, unmirror_url
from bot.sandbox.api_read import page
from bot.sandbox.calls import Call, multipart
from bot.sandbox.endpoints import ROUTES, normalize, resolve
from bot.sandbox.faults import Fault, Faults
from bot.sandbox.world import Post, World

BASE = "http://127.0.0.1:8765"


def test_mirror_round_trip_keeps_the_real_host_for_allow_lists() -> None:
    real = "https://i.redd.it/abc123.jpg"
    assert mirror_url(real, BASE) == f"{BASE}/i.redd.it/abc123.jpg"
    assert unmirror_url(mirror_url(real, BASE), BASE) == real
    assert unmirror_url("https://127.0.0.1:8765/i.imgur.com/x.png?s=1", BASE) == "https://i.imgur.com/x.png?s=1"
    assert unmirror_url(f"{BASE}/evil.example/x.jpg", BASE) is None  # not a mirrored host
    assert unmirror_url("http://127.0.0.1:9999/i.redd.it/x.jpg", BASE) is None  # not this sandbox
    assert mirror_url("https://www.reddit.com/gallery/abc", BASE) == f"{BASE}/gallery/abc"
    assert mirror_url("https://www.flickr.com/p/1", BASE) == "https://www.flickr.com/p/1"


def _posts(n: int) -> list[Post]:
    return [Post(f"p{i}", "s", "t", created_utc=100.0 - i) for i in range(n)]  # p0 newest


def _call(**query: str) -> Call:
    return Call("GET", "/", query, {}, b"", World(), Faults(), BASE)


def test_paging_follows_reddit_semantics() -> None:
    posts = _posts(7)
    chosen, after, before = page(posts, _call(limit="3"))
    assert [p.id for p in chosen] == ["p0", "p1", "p2"] and (after, before) == ("t3_p2", None)
    chosen, after, before = page(posts, _call(limit="3", after="t3_p5"))
    assert [p.id for p in chosen] == ["p6"] and after is None and before == "t3_p6"
    chosen, after, before = page(posts, _call(limit="2", before="t3_p4"))
    assert [p.id for p in chosen] == ["p2", "p3"] and (after, before) == ("t3_p3", "t3_p2")
    chosen, *_ = page(posts, _call(limit="2", before="t3_p4", after="t3_p0"))
    assert [p.id for p in chosen] == ["p2", "p3"]  # before wins, as in r2's paginated_listing


def test_multipart_is_binary_safe() -> None:
    prepared = requests.Request("POST", BASE, data={"key": "k/a.jpg"}, files={"file": ("a.jpg", bytes(range(256)) * 4)}).prepare()
    fields = multipart(prepared.body, prepared.headers["Content-Type"])
    assert fields["key"] == (None, b"k/a.jpg") and fields["file"] == ("a.jpg", bytes(range(256)) * 4)


def test_route_table_resolves_praw_paths() -> None:
    assert resolve("GET", normalize("/r/Colorization+OldSchoolCool/new/"))[1] == {"subreddits": "Colorization+OldSchoolCool"}
    assert resolve("POST", normalize("/api/media/asset.json")) is not None
    assert resolve("GET", normalize("/i.redd.it/abc.jpg"))[1] == {"host": "i.redd.it", "path": "abc.jpg"}
    assert resolve("GET", normalize("/evil.example/abc.jpg")) is None
    assert len({r.name for r in ROUTES}) == len(ROUTES)


def test_fault_rules_count_down_and_validate() -> None:
    faults = Faults()
    faults.status("/r/*/new", 503, times=2)
    assert faults.take("GET", "/r/a+b/new", {"status"}) is not None
    assert faults.take("GET", "/api/info", {"status"}) is None
    assert faults.take("GET", "/r/a/new", {"status"}) is not None
    assert faults.take("GET", "/r/a/new", {"status"}) is None
    assert Fault("api_error", error="TOO_OLD").error_item()[0:3:2] == ["TOO_OLD", "parent"]
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("explode")


def test_json_seed_file_and_http_fault_errors(tmp_path) -> None:  # noqa: ANN001
    seed = {"subreddits": [{"name": "Tiny"}], "posts": [{"id": "only1", "subreddit": "Tiny", "title": "t", "image": {"photo": "moon", "tone": "L"}}]}
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    with SandboxServer(path) as sandbox:
        assert set(sandbox.world.posts) == {"only1"} and sandbox.world.subreddit("u_colorbot") is not None
        bad = requests.post(f"{sandbox.url}/_sandbox/faults", json={"kind": "explode"}, timeout=5)
        assert bad.status_code == 400
        assert requests.get(f"{sandbox.url}/r/Tiny/new", timeout=5).status_code == 401  # no token
        assert requests.get(f"{sandbox.url}/nothing/here", timeout=5).status_code == 404


def test_module_entry_point_dumps_the_default_seed() -> None:
    out = subprocess.run([sys.executable, "-m", "bot.sandbox", "--dump-seed"], capture_output=True, text=True, timeout=30, check=True)
    assert "gray01" in {p["id"] for p in json.loads(out.stdout)["posts"]}


def test_settings_over_http_drive_the_ratelimit_headers() -> None:
    with SandboxServer({"subreddits": [{"name": "Tiny"}]}) as sandbox:
        changed = requests.post(f"{sandbox.url}/_sandbox/settings", json={"ratelimit_per_window": 1}, timeout=5).json()
        assert changed["ratelimit_per_window"] == 1
        sandbox.world.record("GET", "/api/info", "GET /api/info", 200)
        headers = sandbox.world.ratelimit_headers()
        assert headers["x-ratelimit-remaining"] == "0.0" and headers["x-ratelimit-used"] == "2"
        assert 0 <= int(headers["x-ratelimit-reset"]) <= 600
        assert requests.post(f"{sandbox.url}/_sandbox/settings", json={"nope": 1}, timeout=5).status_code == 400
        head = requests.head(f"{sandbox.url}/_sandbox/state", timeout=5)
        assert head.status_code == 200 and int(head.headers["content-length"]) > 0 and head.content == b""


def test_dropped_connection_and_stopped_server() -> None:
    sandbox = SandboxServer({}).start()
    session = requests.Session()
    assert session.get(f"{sandbox.url}/_sandbox/state", timeout=5).status_code == 200  # pooled connection
    sandbox.add_fault("drop", path="/_sandbox/settings")  # the control plane is never faulted
    assert session.get(f"{sandbox.url}/_sandbox/settings", timeout=5).status_code == 200
    sandbox.add_fault("drop", path="/nothing")  # no route: answered 404, not dropped
    sandbox.add_fault("drop", path="/i.redd.it/*")
    with pytest.raises(requests.ConnectionError):
        session.get(f"{sandbox.url}/i.redd.it/x.jpg", timeout=5)
    sandbox.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(f"{sandbox.url}/_sandbox/state", timeout=5)
