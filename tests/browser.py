"""Headless Chromium (Debian's ``chromium``) for page tests and screenshots: one place for its flags.

CI installs it (``.ci/run``) and sets ``COLORBOT_REQUIRE_CHROMIUM=1``, so a missing browser
fails there instead of silently skipping; elsewhere the browser tests skip with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
REQUIRE_ENV = "COLORBOT_REQUIRE_CHROMIUM"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars")


def find_chromium() -> str | None:
    """The browser's path, or None when it is not installed."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def run_chromium(browser: str, url: str, *args: str, timeout: float = 60.0) -> str:
    """Load ``url`` with ``args`` in a throw-away profile; returns stdout (the DOM for ``--dump-dom``)."""
    with tempfile.TemporaryDirectory(prefix="colorbot-chromium-") as profile:
        done = subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args, url],
                              capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def dump_dom(browser: str, url: str) -> str:
    """The page's DOM after it loaded, as Chromium serializes it."""
    return run_chromium(browser, url, "--dump-dom")


def screenshot(browser: str, url: str, path: Path, width: int = 1280, height: int = 900) -> Path:
    """A PNG of the page's first ``width`` × ``height`` pixels."""
    path.parent.mkdir(parents=True, exist_ok=True)
    run_chromium(browser, url, f"--screenshot={path}", f"--window-size={width},{height}")
    if not path.is_file() or path.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no screenshot to {path}")
    return path


def chromium_required() -> bool:
    return os.environ.get(REQUIRE_ENV) == "1"
