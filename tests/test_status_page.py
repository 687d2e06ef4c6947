"""The status page in a real headless Chromium, plus /healthz, /metrics and the read-only rules over HTTP.

The database is a real SQLite file seeded through the queue's own API with a job in every
state, two bans and a poll; some of the stored text is hostile HTML, as a post title or an
error message could be.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from PIL import Image

from bot.config import ConfigError, Settings, load_settings
from bot.health import max_poll_age_seconds
from bot.metrics import database_registry
from bot.status_server import StatusServer
from db import make_engine, upgrade
from db.types import utcnow
from tests.browser import chromium_required, dump_dom, find_chromium, screenshot
from tests.status_seed import COUNTS, NEW_MODEL, OLD_MODEL, REASON_404, seed

@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('status') / 'colorbot.db'}"
    seed(url)
    return url


@pytest.fixture(scope="module")
def server(seeded_url: str) -> Iterator[StatusServer]:
    engine = make_engine(seeded_url)
    with StatusServer(engine, database_registry(engine), database_label="sqlite:///colorbot.db",
                      max_poll_age_seconds=180) as running:
        yield running
    engine.dispose()


@pytest.fixture(scope="module")
def chromium() -> str:
    browser = find_chromium()
    if browser is None:
        message = "Chromium is not installed (apt-get install -y --no-install-recommends chromium)"
        if chromium_required():
            pytest.fail(message + "; COLORBOT_REQUIRE_CHROMIUM=1 requires it")
        pytest.skip(message)
    return browser


class Elements(HTMLParser):
    """Every start tag with its attributes, and the links that wrap an image."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.thumbnails: list[tuple[str | None, str | None]] = []
        self._link: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "a":
            self._link = attributes.get("href")
        elif tag == "img" and self._link:
            self.thumbnails.append((self._link, attributes.get("src")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._link = None


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


def assert_no_injected_markup(html: str) -> None:
    elements = parse(html)
    assert not [t for t, _ in elements.tags if t == "script"]
    for tag, attributes in elements.tags:
        assert not [name for name in attributes if name.startswith("on")], (tag, attributes)
        for name in ("href", "src"):
            assert not (attributes.get(name) or "").lower().startswith("javascript:"), (tag, attributes)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, not run


# -- in the browser ------------------------------------------------------------------------------------
def test_the_page_shows_the_seeded_database_in_chromium(chromium: str, server: StatusServer) -> None:
    dom = dump_dom(chromium, server.url + "/")

    for state, count in COUNTS.items():
        assert re.search(rf'data-state="{state}"[^>]*>\s*<span class="count">{count}</span>', dom), state
    assert 'id="health"' in dom and ">healthy<" in dom
    assert REASON_404 in dom and "publishing failed: reddit: HTTP 503" in dom  # failures with their reasons
    assert "r/bannedhere" in dom and "403 Forbidden (banned or private)" in dom
    thumbnails = parse(dom).thumbnails
    assert ("https://www.reddit.com/r/OldSchoolCool/comments/done01/a_title/",
            "https://i.example.net/done01-comparison.jpg") in thumbnails
    assert len(thumbnails) == 2  # done03's javascript: URL is no thumbnail
    assert 'loading="lazy"' in dom
    assert_no_injected_markup(dom)


def test_a_screenshot_of_the_page(chromium: str, server: StatusServer, tmp_path: Path) -> None:
    path = screenshot(chromium, server.url + "/", tmp_path / "status.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        assert image.size == (1280, 900)
        low, high = image.convert("L").getextrema()
        assert high - low > 100  # dark header and light body: something was drawn


# -- over HTTP -------------------------------------------------------------------------------------------
def test_raw_page_is_escaped_and_locked_down(server: StatusServer) -> None:
    response = requests.get(server.url + "/", timeout=10)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none': no scripts at all
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert_no_injected_markup(response.text)
    assert "&lt;b&gt;bold&lt;/b&gt;" in response.text
    for method in ("POST", "PUT", "DELETE"):
        refused = requests.request(method, server.url + "/", timeout=10)
        assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"
    assert requests.head(server.url + "/healthz", timeout=10).status_code == 200
    assert requests.get(server.url + "/nope", timeout=10).status_code == 404


def test_metrics_show_the_queue(server: StatusServer) -> None:
    response = requests.get(server.url + "/metrics", timeout=10)
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    for state, count in COUNTS.items():
        assert f'colorbot_jobs{{state="{state}"}} {float(count)}' in response.text
    assert "colorbot_banned_subreddits 2.0" in response.text
    assert f'colorbot_current_model_info{{action="promote",model="{NEW_MODEL[:12]}"}} 1.0' in response.text
    for model in (OLD_MODEL, NEW_MODEL):
        assert f'colorbot_replies_by_model{{model="{model[:12]}"}} 1.0' in response.text


def test_the_page_names_the_current_model_and_replies_per_model(server: StatusServer) -> None:
    html = requests.get(server.url + "/", timeout=10).text
    section = html[html.index('<section id="model">'):]
    section = section[:section.index("</section>")]
    assert f"Current model <code>{NEW_MODEL[:12]}</code> (promote" in section
    rows = re.findall(r"<tr><td><code>(\w+)</code></td><td>(\d+)</td><td>(\d+)</td>", section)
    assert sorted(rows) == sorted([(OLD_MODEL[:12], "1", "0"), (NEW_MODEL[:12], "1", "0")])  # answered, none read back yet
    assert "No reply has been read back yet." in section


def test_healthz_follows_the_last_successful_poll(seeded_url: str, tmp_path: Path) -> None:
    engine = make_engine(seeded_url)
    registry = database_registry(engine)
    with StatusServer(engine, registry, database_label="x", max_poll_age_seconds=180) as fresh:
        ok = requests.get(fresh.url + "/healthz", timeout=10)
    later = lambda: utcnow() + timedelta(minutes=10)  # noqa: E731 - the clock of a bot that stopped polling
    with StatusServer(engine, registry, database_label="x", max_poll_age_seconds=180, clock=later) as stale:
        late = requests.get(stale.url + "/healthz", timeout=10)
    assert ok.status_code == 200 and ok.json()["ok"] is True and ok.json()["poll_age_seconds"] < 180
    assert late.status_code == 503 and late.json()["ok"] is False and "more than 180s" in late.json()["reason"]

    never_url = f"sqlite:///{tmp_path / 'never.db'}"
    upgrade(never_url)
    never = make_engine(never_url)
    with StatusServer(never, database_registry(never), database_label="x", max_poll_age_seconds=180) as server:
        answer = requests.get(server.url + "/healthz", timeout=10)
    assert answer.status_code == 503 and "never polled" in answer.json()["reason"]


def test_an_unreadable_database_is_unhealthy_without_leaking_its_url(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'not-migrated.db'}")
    with StatusServer(engine, database_registry(engine), database_label="x", max_poll_age_seconds=180) as server:
        health = requests.get(server.url + "/healthz", timeout=10)
        page = requests.get(server.url + "/", timeout=10)
    assert health.status_code == 503 and "database unreadable (OperationalError)" in health.json()["reason"]
    assert page.status_code == 503 and "not-migrated" not in page.text


def test_serve_command(seeded_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLORBOT_")}  # CI's COLORBOT_REQUIRE_* too
    env |= {"COLORBOT_DATABASE_URL": seeded_url, "COLORBOT_POLL_INTERVAL_SECONDS": "60"}
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", "0"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        seen = [process.stdout.readline()]
        while not (match := re.search(r"serving (http://[\d.]+:\d+)/", seen[-1])) and seen[-1]:
            seen.append(process.stdout.readline())
        assert match, "".join(seen)
        health = requests.get(match.group(1) + "/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["max_poll_age_seconds"] == 180  # 3 poll intervals
        assert "colorbot_jobs" in requests.get(match.group(1) + "/metrics", timeout=10).text
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def test_serve_and_backup_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray colorbot.toml
    env = {"COLORBOT_SERVE_PORT": "9100", "COLORBOT_SERVE_MAX_POLL_AGE_SECONDS": "900", "COLORBOT_BACKUP_KEEP": "3",
           "COLORBOT_BACKUP_DIR": "/srv/backups", "COLORBOT_BACKUP_INTERVAL_HOURS": "6"}
    settings = load_settings(None, env)
    assert (settings.serve.port, settings.backup.keep, settings.backup.dir, settings.backup.interval_hours) == (9100, 3, Path("/srv/backups"), 6.0)
    assert max_poll_age_seconds(settings) == 900
    assert max_poll_age_seconds(Settings(poll_interval_seconds=20)) == 60  # default: three poll intervals
    for name, bad in (("COLORBOT_BACKUP_KEEP", "0"), ("COLORBOT_SERVE_PORT", "70000"), ("COLORBOT_BACKUP_INTERVAL_HOURS", "-1")):
        with pytest.raises(ConfigError, match=name):
            load_settings(None, {name: bad})
