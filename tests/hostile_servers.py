"""Tiny stdlib HTTP servers on 127.0.0.1 that misbehave on purpose (issue 10's hostile servers).

`serving(respond)` runs a threaded server whose every request (any method) is answered by
`respond(handler)`; the URL it yields is loopback only. Handlers that wait use
`handler.server.stopping`, which is set when the block ends, so no thread outlives a test
for long.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

Respond = Callable[["Handler"], None]


class HostileServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    stopping: threading.Event
    respond: Respond
    seen: list[dict[str, Any]]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer is what these servers expect."""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HostileServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read `server.seen`, not a log."""

    def handle_one(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append(
            {
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers.items()),
                "body": body,
            }
        )
        self.server.respond(self)

    do_GET = do_POST = do_DELETE = do_PUT = handle_one

    def answer(
        self, status: int, body: bytes | str | Any, headers: Mapping[str, str] | None = None
    ) -> None:
        """A whole answer: JSON unless `body` is bytes or text."""
        if isinstance(body, str):
            data = body.encode()
        elif isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", (headers or {}).get("Content-Type", "application/json"))
        for name, value in (headers or {}).items():
            if name != "Content-Type":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextlib.contextmanager
def serving(respond: Respond) -> Iterator[HostileServer]:
    """A server on a free loopback port answering with `respond`; its `url` and `seen`."""
    server = HostileServer(("127.0.0.1", 0), Handler)
    server.stopping = threading.Event()
    server.respond = respond
    server.seen = []
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def url_of(server: HostileServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"
