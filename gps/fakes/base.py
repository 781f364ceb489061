"""A small threaded HTTP/1.1 server with a request log and scripted faults, shared by both fakes."""

from __future__ import annotations

import gzip
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request as the fake received it (body already un-gzipped)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    """One response: status, JSON (or raw bytes) body, headers; `stall` seconds before answering."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0
    raw: bytes | None = None


@dataclass
class Fault:
    """Replies forced onto requests whose method and path match, `times` times (None: for ever)."""

    pattern: re.Pattern
    reply: Reply
    times: int | None
    method: str | None = None


class FakeServer:
    """Base of the fakes: start/stop on an ephemeral port, log requests, inject faults.

    Subclasses implement `route(request) -> Reply`.
    """

    def __init__(self, latency: float = 0.0, bind: str = "127.0.0.1", advertise: str | None = None):
        self.latency = latency
        self.bind = bind  # where to listen
        self.advertise = advertise or bind  # the host name clients are given (in url and links)
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.in_flight = 0  # requests being answered right now
        self.max_in_flight = 0  # the most ever answered at once

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> "FakeServer":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # headers and body go out in separate writes: without this, Nagle's algorithm and
                # the client's delayed ACK add ~40 ms to every response
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):  # keep test output clean
                pass

            def _handle(self):
                fake._serve(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._httpd = ThreadingHTTPServer((self.bind, 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd, "server not started"
        return f"http://{self.advertise}:{self._httpd.server_address[1]}"

    # -- faults ----------------------------------------------------------------------------------

    def fail(self, path_regex: str, status: int = 500, body: Any = None, times: int | None = 1,
             headers: dict[str, str] | None = None, stall: float = 0.0, raw: bytes | None = None,
             method: str | None = None) -> None:
        """Answer the next `times` requests whose path matches `path_regex` with this reply."""
        reply = Reply(status, body, headers or {}, stall, raw)
        with self._lock:
            self.faults.append(Fault(re.compile(path_regex), reply, times, method))

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def _take_fault(self, request: Request) -> Reply | None:
        with self._lock:
            for fault in self.faults:
                if fault.method and fault.method != request.method:
                    continue
                if fault.pattern.search(request.path):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault.reply
        return None

    def count(self, path_regex: str = "", method: str | None = None) -> int:
        """How many requests matched (all requests when no pattern is given)."""
        pattern = re.compile(path_regex)
        return sum(1 for r in list(self.requests)
                   if pattern.search(r.path) and (method is None or r.method == method))

    # -- serving ---------------------------------------------------------------------------------

    def route(self, request: Request) -> Reply:  # pragma: no cover - abstract
        raise NotImplementedError

    def base_headers(self, request: Request) -> dict[str, str]:
        return {}

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if handler.headers.get("Content-Encoding", "").lower() == "gzip" and body:
            body = gzip.decompress(body)
        request = Request(
            method=handler.command,
            path=parts.path,
            query={k: v[-1] for k, v in parse_qs(parts.query).items()},
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
        )
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self._answer(handler, request)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, handler: BaseHTTPRequestHandler, request: Request) -> None:
        if self.latency:
            time.sleep(self.latency)
        reply = self._take_fault(request)
        if reply is None:
            try:
                reply = self.route(request)
            except Exception as exc:  # a bug in a fake must show up as a 500, not a hang
                reply = Reply(500, {"message": f"fake server error: {exc!r}"})
        if reply.stall:
            time.sleep(reply.stall)
        payload = reply.raw if reply.raw is not None else (
            b"" if reply.body is None and reply.status == 204 else json.dumps(reply.body).encode())
        headers = {"Content-Type": "application/json; charset=utf-8", **self.base_headers(request),
                   **reply.headers}
        try:
            handler.send_response(reply.status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): fine
            pass
