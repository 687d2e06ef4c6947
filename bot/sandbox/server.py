"""The sandbox HTTP server: a local Reddit that real PRAW talks to over plain HTTP.

Why the standard library: ``ThreadingHTTPServer`` is enough for one bot and a test suite, and
keeps the sandbox free of web-framework dependencies. The wire work happens here only: parse,
apply fault rules, authenticate, dispatch through :data:`bot.sandbox.endpoints.ROUTES`, answer
with Reddit's rate-limit headers, log.

Use in tests::

    with SandboxServer() as sandbox:
        reddit = praw.Reddit(**reddit_kwargs(sandbox.url))
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.sandbox import control, media
from bot.sandbox.calls import ApiError, Call, HttpError, Reply, json_reply
from bot.sandbox.endpoints import normalize, resolve
from bot.sandbox.faults import STATUS_NAMES, Fault, Faults, ratelimit_page
from bot.sandbox.seed import world_from
from bot.sandbox.world import World

log = logging.getLogger("bot.sandbox")
INVALID_TOKEN = {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'}


class _Handler(BaseHTTPRequestHandler):
    """Turns one HTTP request into a :class:`Call` and writes the :class:`Reply`."""

    protocol_version = "HTTP/1.1"
    server_version = "colorbot-sandbox/1"
    timeout = 30  # idle keep-alive connections end after this
    server: _Httpd

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve()

    do_HEAD = do_POST = do_DELETE = do_PUT = do_PATCH = do_GET  # noqa: N815 - HEAD: downloaders probe sizes

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s " + format, self.address_string(), *args)

    def setup(self) -> None:
        super().setup()
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        self.server.connections.discard(self.connection)
        super().finish()

    def _serve(self) -> None:
        sandbox = self.server.sandbox
        parts = urlsplit(self.path)
        path = normalize(parts.path)
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        method = "GET" if self.command == "HEAD" else self.command
        call = Call(method, path, dict(parse_qsl(parts.query, keep_blank_values=True)), headers, body,
                    sandbox.world, sandbox.faults, sandbox.url)
        found = resolve(method, path)
        route_name = found[0].name if found else f"{method} (no route)"
        if found and found[0].handler is None:  # the websocket upgrade writes its own bytes
            call.params = found[1]
            sandbox.world.record(method, path, route_name, 101, api=False)
            media.websocket(call, self)
            return
        if found and not path.startswith("/_sandbox/") and sandbox.faults.take(method, path, {"drop"}):
            sandbox.world.record(method, path, route_name, 0, api=False)
            self.close_connection = True
            return
        api = bool(found) and found[0].auth == "bearer"
        spent = sandbox.world.budget_spent() if api else None
        reply = too_many_requests(spent) if spent is not None else self._dispatch(call, found)
        if api and reply.status != 429:
            reply.headers = {**sandbox.world.ratelimit_headers(), **reply.headers}
        sandbox.world.record(method, path, route_name, reply.status, api=api)
        self._write(reply)

    def _dispatch(self, call: Call, found: Any) -> Reply:
        if found is None:
            return json_reply({"message": "Not Found", "error": 404}, 404)
        route, call.params = found
        try:
            if not call.path.startswith("/_sandbox/"):
                early = _apply_faults(call)
                if early is not None:
                    return early
            if route.auth == "bearer":
                call.user = _authenticate(call)
            reply = route.handler(call)
            return _after_commit(call, reply)
        except HttpError as error:
            reply = json_reply(error.body, error.status)
            reply.headers.update(error.headers)
            return reply
        except ApiError as error:
            return json_reply({"json": {"errors": [error.item]}})
        except Exception:  # noqa: BLE001 - a sandbox bug must show up as a 500, not a hang
            log.error("sandbox handler failed for %s %s\n%s", call.method, call.path, traceback.format_exc())
            return json_reply({"message": "Internal Server Error (sandbox bug)", "error": 500}, 500)

    def _write(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            if self.close_connection:  # the client asked (prawcore does for token requests): say so
                self.send_header("Connection", "close")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out first (slow fault)
            self.close_connection = True


def _apply_faults(call: Call) -> Reply | None:
    """Run the rules that act before the handler; return a reply if one replaces the handler's."""
    faults, world = call.faults, call.world
    if faults.take(call.method, call.path, {"expire_tokens"}):
        with world.lock:
            world.tokens.clear()
    if rule := faults.take(call.method, call.path, {"delete_post"}):
        world.delete_post(rule.post or "")
    if rule := faults.take(call.method, call.path, {"slow"}):
        time.sleep(rule.delay)
    if rule := faults.take(call.method, call.path, {"status"}):
        if rule.status == 429:
            reply = too_many_requests(int(float(rule.headers.get("retry-after", 4))))
            reply.headers.update(rule.headers)
            return reply
        reply = json_reply({"message": STATUS_NAMES.get(rule.status, "Error"), "error": rule.status}, rule.status)
        reply.headers.update(rule.headers)
        if rule.status == 401:
            reply.headers.update(INVALID_TOKEN)
        return reply
    if rule := faults.take(call.method, call.path, {"api_error"}):
        return json_reply({"json": {"errors": [rule.error_item()]}})
    return None


def too_many_requests(seconds: int) -> Reply:
    """Reddit's 429 "whoa there, pardner!" page."""
    body, headers = ratelimit_page(seconds)
    return Reply(429, body, "text/html; charset=UTF-8", headers)


def _after_commit(call: Call, reply: Reply) -> Reply:
    """The rules that act after the handler changed the world: the write stands, the answer does not."""
    if reply.status >= 400:
        return reply
    if rule := call.faults.take(call.method, call.path, {"exhaust"}):
        call.world.exhaust(rule.reset)
    if rule := call.faults.take(call.method, call.path, {"commit_then_slow"}):
        time.sleep(rule.delay)
    if rule := call.faults.take(call.method, call.path, {"commit_then_status"}):
        return json_reply({"message": STATUS_NAMES.get(rule.status, "Error"), "error": rule.status}, rule.status)
    return reply


def _authenticate(call: Call) -> str | None:
    """The user behind the bearer token (``None`` for app-only tokens); 401 like Reddit otherwise."""
    header = call.headers.get("authorization", "")
    token = call.world.tokens.get(header[7:]) if header.lower().startswith("bearer ") else None
    if token is None or token.expires_at < time.time():
        raise HttpError(401, "Unauthorized", headers=INVALID_TOKEN)
    return token.user


class _Httpd(ThreadingHTTPServer):
    daemon_threads = True
    sandbox: SandboxServer

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.connections: set[socket.socket] = set()

    def drop_connections(self) -> None:
        """End keep-alive connections too, so a stopped sandbox is really gone for clients."""
        for connection in list(self.connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class SandboxServer:
    """A running sandbox: ``.url``, ``.world`` (inspect/mutate), ``.faults`` (inject failures).

    ``seed`` is a :class:`World`, a seed dict, a JSON seed path, or ``None`` for the default seed.
    The port is bound on construction (``port=0`` picks a free one), so ``.url`` is known before
    :meth:`start`; the context manager starts and stops the serving thread.
    """

    def __init__(self, seed: World | dict[str, Any] | str | Path | None = None, host: str = "127.0.0.1", port: int = 0,
                 *, public_url: str | None = None) -> None:
        self.world = world_from(seed)
        self.faults = Faults()
        self._httpd = _Httpd((host, port), _Handler)
        self._httpd.sandbox = self
        self.url = (public_url or f"http://{host}:{self._httpd.server_port}").rstrip("/")
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_port

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="colorbot-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.drop_connections()
        self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def state(self) -> dict[str, Any]:
        """Same as ``GET /_sandbox/state``."""
        return control.state(self.world, self.faults, self.url)

    def add_fault(self, kind: str | dict[str, Any] | Fault, **options: Any) -> Fault | None:
        """Same as ``POST /_sandbox/faults``; e.g. ``add_fault("status", path="/r/*/new", status=503)``."""
        rule = kind if isinstance(kind, (dict, Fault)) else Fault(kind, **options)
        return control.add_fault(self.world, self.faults, rule)

    def reddit(self, **overrides: Any) -> Any:
        """A real ``praw.Reddit`` logged in as the sandbox bot (see :mod:`bot.sandbox.praw_site`)."""
        import praw  # noqa: PLC0415 - only callers that want a client pay for the import

        from bot.sandbox.praw_site import reddit_kwargs  # noqa: PLC0415

        return praw.Reddit(**reddit_kwargs(self.url, **overrides))


def serve_forever(port: int = 8765, host: str = "127.0.0.1", seed: str | Path | None = None) -> None:
    """Run a sandbox in the foreground until Ctrl-C (what ``colorbot sandbox`` calls)."""
    from bot.sandbox.praw_site import praw_ini_section  # noqa: PLC0415

    server = SandboxServer(seed, host=host, port=port)
    print(f"colorbot sandbox listening on {server.url}\n")
    print("praw.ini section (plus requestor_kwargs for media uploads, see bot/sandbox/praw_site.py):\n")
    print(praw_ini_section(server.url))
    print(f"state: {server.url}/_sandbox/state   faults: POST {server.url}/_sandbox/faults", flush=True)
    try:
        server._httpd.serve_forever(poll_interval=0.2)  # noqa: SLF001 - our own server
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()  # noqa: SLF001


