"""A small read-only HTTP server: the status page at ``/``, ``/metrics`` and ``/healthz``.

Why the standard library: three GET routes do not justify a web framework, and
``ThreadingHTTPServer`` keeps one slow scrape from blocking the health check. Only GET and HEAD
are answered (anything else gets 405); the server never writes to the database. Errors
show the exception's type, never its text, which may hold a database URL.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from bot.health import Health, check_health, combine
from bot.metrics import CONTENT_TYPE, exposition
from bot.status_page import render_page
from db.report import read_gauges, read_report
from db.types import Clock, utcnow

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from sqlalchemy import Engine

    from bot.config import Settings
    from bot.worker import Worker

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src http: https: data:; style-src 'unsafe-inline'; "
                               "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class StatusServer:
    """Serves one database's status; ``with StatusServer(...) as s:`` runs it in a thread."""

    def __init__(self, engine: Engine, registry: CollectorRegistry, *, database_label: str, max_poll_age_seconds: float,
                 host: str = "127.0.0.1", port: int = 0, recent: int = 12, clock: Clock = utcnow,
                 checks_polls: bool = True, own_checks: tuple[Callable[[], Health], ...] = ()) -> None:
        """``checks_polls``: health includes the poll heartbeat (poller, all, ``colorbot serve``);
        ``own_checks``: this process's own verdicts (a worker's progress)."""
        self.engine, self.registry, self.database_label = engine, registry, database_label
        self.checks_polls, self.own_checks = checks_polls, own_checks
        self.max_poll_age_seconds, self.recent, self.clock = max_poll_age_seconds, recent, clock
        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.status = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def serve_forever(self) -> None:
        """Block until :meth:`close` (or Ctrl-C in the caller)."""
        self.httpd.serve_forever(poll_interval=0.5)

    def start(self) -> StatusServer:
        """Serve in a daemon thread (tests, ``colorbot run --serve-port``)."""
        self._thread = threading.Thread(target=self.serve_forever, name="status-server", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.httpd.server_close()

    def __enter__(self) -> StatusServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the three answers ---------------------------------------------------------------------------
    def health(self) -> Health:
        return self._verdict(self._poll_health)

    def _verdict(self, polls: Callable[[], Health]) -> Health:
        """The role's verdict: the poll heartbeat (read only when it counts: not for a worker) and this
        process's own checks."""
        verdicts = [check() for check in self.own_checks]
        if self.checks_polls or not verdicts:
            verdicts.insert(0, polls())
        return combine(verdicts)

    def _poll_health(self) -> Health:
        try:
            gauges = read_gauges(self.engine)
        except Exception as exc:  # noqa: BLE001 - unhealthy, with a reason, never a traceback
            log.warning("status: cannot read the database: %s", type(exc).__name__)
            return check_health(None, self.clock(), self.max_poll_age_seconds, f"database unreadable ({type(exc).__name__})")
        return check_health(gauges, self.clock(), self.max_poll_age_seconds)

    def page(self) -> tuple[int, str]:
        now = self.clock()
        try:
            report = read_report(self.engine, self.recent, clock=self.clock)
        except Exception as exc:  # noqa: BLE001
            log.warning("status: cannot read the database: %s", type(exc).__name__)
            return 503, (f"<!doctype html><title>colorbot status</title><h1>colorbot</h1><p>The database cannot be read "
                         f"({type(exc).__name__}); has <code>colorbot run</code> created it yet?</p>")
        health = self._verdict(lambda: check_health(report.gauges, now, self.max_poll_age_seconds))
        return 200, render_page(report, health, database=self.database_label, now=now)


def server_for(settings: Settings, engine: Engine, registry: CollectorRegistry, *, host: str | None = None,
               port: int | None = None, role: str = "poller", worker: Worker | None = None) -> StatusServer:
    """A server for the settings' database (``serve.*``; ``host``/``port`` override), not yet started.

    ``role`` says what /healthz watches: ``poller`` (and ``colorbot serve``) the polls, ``worker``
    that ``worker``'s own progress, ``all`` both.
    """
    from bot.health import check_worker, max_poll_age_seconds, worker_max_idle_seconds
    from db import mask_url

    checks: tuple[Callable[[], Health], ...] = ()
    if worker is not None and role in ("worker", "all"):
        idle = worker_max_idle_seconds(settings)
        checks = (lambda: check_worker(worker.last_loop_at, worker.started_at, time.monotonic(), idle),)
    return StatusServer(engine, registry, database_label=mask_url(settings.database_url),
                        max_poll_age_seconds=max_poll_age_seconds(settings), recent=settings.serve.recent,
                        host=host or settings.serve.host, port=settings.serve.port if port is None else port,
                        checks_polls=role != "worker", own_checks=checks)


class _Handler(BaseHTTPRequestHandler):
    server_version = "colorbot-status"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def _refuse(self) -> None:
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"read-only: GET and HEAD only\n", "text/plain; charset=utf-8",
                   extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse  # noqa: N815

    def _answer(self, *, send_body: bool) -> None:
        status: StatusServer = self.server.status  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        if path == "/":
            code, html = status.page()
            self._send(code, html.encode(), "text/html; charset=utf-8", send_body)
        elif path == "/metrics":
            self._send(200, exposition(status.registry), CONTENT_TYPE, send_body)
        elif path == "/healthz":
            health = status.health()
            body = json.dumps(health.as_json()).encode() + b"\n"
            self._send(200 if health.ok else 503, body, "application/json", send_body)
        else:
            self._send(404, b"not found: try /, /metrics or /healthz\n", "text/plain; charset=utf-8", send_body)

    def _send(self, code: int, body: bytes, content_type: str, send_body: bool = True,
              extra: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for name, value in {**SECURITY_HEADERS, **(extra or {}), "Content-Type": content_type,
                            "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        log.debug("status: %s %s", self.address_string(), format % args)
