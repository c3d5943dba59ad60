"""The mock's HTTP layer: uvicorn's httptools protocol, bounded and answering in JSON.

uvicorn (0.54) gives the httptools protocol a keep-alive timeout but no limit on how long
a client may take to send a request head, how large the head may be, or how many
connections may be held; and it refuses malformed HTTP (bad chunking, a garbage request
line) in plain text. This subclass adds, per connection:

- a head deadline (`header_timeout`): a connection that has not sent a complete request
  line and headers that long after it opened, or after its previous answer, is closed,
  with a 408 if it had begun one. Bytes arriving do not restart the clock (a client that
  sends one byte a second is as idle as one that sends none). One timer per server
  checks the deadlines, a few times per timeout;
- limits on the request target (414), the number of headers and the bytes of the head
  (431); the target and the bytes are checked while the head arrives, so a huge head is
  never held whole;
- a cap on connections: past it the longest-idle connection (no request in progress) is
  closed to make room, and if every connection is busy the new one is answered 503;
- JSON refusals for everything httptools refuses (400), like every refusal of the app.
"""

from __future__ import annotations

import json
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from kore_contract.mock.app import MockApp
from kore_contract.mock.limits import ServerLimits

#: After a refusal the connection reads (and drops) what the client still sends, for at
#: most this long and this much, before closing: closing with unread bytes would reset
#: the connection, and the client could lose the refusal it was sent.
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024


class _Refused(Exception):
    """Raised in a parser callback to stop parsing a head that broke a limit."""


def refusal_body(status: int, message: str, pointer: str = "") -> bytes:
    return json.dumps(
        {"errors": [{"msg": message, "code": status, "rule": "S9", "pointer": pointer}]}
    ).encode()


class _Sweep:
    """The one timer of a server: every `interval` it closes the connections whose
    deadline has passed (a timer per request would cost more than the request's parse)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.handle: Any = None

    def start(self, loop: Any, connections: set[Any]) -> None:
        if self.handle is None:
            self.handle = loop.call_later(self.interval, self._run, loop, connections)

    def _run(self, loop: Any, connections: set[Any]) -> None:
        self.handle = None
        now = loop.time()
        for connection in list(connections):
            deadline = getattr(connection, "_deadline", None)
            if deadline is not None and now >= deadline:
                connection.deadline_passed()
        if connections:
            self.start(loop, connections)


class BoundedHttpProtocol(HttpToolsProtocol):
    """One connection. `mock`, `limits`, `max_connections` and `sweep` are set by
    `protocol_class`."""

    mock: MockApp
    limits: ServerLimits
    max_connections: int
    sweep: _Sweep

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: When the connection is closed unless a request head completes first (or, once
        #: refused, when lingering ends); None while a request is in progress.
        self._deadline: float | None = None
        self._awaiting_head = True  # no request line and headers complete yet
        self._head_bytes = 0  # bytes received while awaiting the head
        self._refusal: tuple[int, str, str] | None = None
        self._lingering = -1  # bytes dropped since a refusal; -1: not refused

    # --- connections ----------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._deadline = self.loop.time() + self.limits.header_timeout
        if len(self.connections) > self.max_connections and not self._make_room():
            self._answer_and_close(
                503,
                f"the mock holds {self.max_connections:,} connections, "
                "its limit, and all are busy; retry shortly",
                linger=False,
            )
            return
        self.sweep.start(self.loop, self.connections)

    def _is_idle(self) -> bool:
        return self._lingering >= 0 or (
            self._awaiting_head and (self.cycle is None or self.cycle.response_complete)
        )

    def _make_room(self) -> bool:
        """Close the longest-idle other connection if the cap is reached; False if every
        connection is busy with a request."""
        open_ones = [c for c in self.connections if c is not self and not c.transport.is_closing()]
        if len(open_ones) < self.max_connections:
            return True  # the others over the cap are closing already
        idle = [c for c in open_ones if isinstance(c, BoundedHttpProtocol) and c._is_idle()]
        if not idle:
            return False
        min(idle, key=lambda c: (c._lingering < 0, c._deadline or 0.0))._evict()
        return True

    def _evict(self) -> None:
        if self._head_bytes and self._lingering < 0:  # it began a request: say why
            self._answer_and_close(
                503,
                "closed to make room: the mock is at its limit of "
                f"{self.max_connections:,} connections and this one had "
                "not sent a complete request head",
                linger=False,
            )
        else:
            self.transport.close()

    def deadline_passed(self) -> None:
        """The head deadline (or the lingering) is over: close, with a 408 if a head began."""
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._lingering >= 0:
            self.transport.close()
        elif self.cycle is not None and not self.cycle.response_complete:
            return  # a request in progress: the app's body timeout governs it
        elif self._awaiting_head and self._head_bytes:
            self._answer_and_close(
                408,
                f"request head not complete after "
                f"{self.limits.header_timeout:g} s; send the request line "
                "and headers at once",
            )
        else:
            self.transport.close()

    # --- parsing, with limits ---------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._lingering >= 0:  # refused: read and drop, up to a point
            self._lingering += len(data)
            if self._lingering > LINGER_BYTES:
                self.transport.close()
            return
        self._unset_keepalive_if_required()
        if self._awaiting_head:
            self._head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            pass  # no WebSocket here: the request goes on as plain HTTP
        except httptools.HttpParserError as error:
            reason = (
                "its request line or headers cannot be read"
                if isinstance(error, httptools.HttpParserCallbackError)
                else str(error)
            )
            status, message, pointer = self._refusal or (
                400,
                f"malformed HTTP request: {reason}; send HTTP/1.1 with a valid request "
                "line, headers and Content-Length or chunked body",
                "",
            )
            self._answer_and_close(status, message, pointer)
            return
        if self._awaiting_head and self._head_bytes > self.limits.max_head_bytes:
            self._answer_and_close(
                431,
                f"request head: more than "
                f"{self.limits.max_head_bytes:,} bytes of request line and "
                "headers",
                "/headers",
            )

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.limits.max_url_bytes:
            self._refusal = (
                414,
                f"request target: more than {self.limits.max_url_bytes:,} bytes (path and query)",
                "/path",
            )
            raise _Refused

    def on_headers_complete(self) -> None:
        # the count is checked here, not per header (a call less per header); the head's
        # bytes, checked as they arrive, bound how many can pile up before
        if len(self.headers) > self.limits.max_header_count:
            self._refusal = (
                431,
                f"request head: {len(self.headers)} headers, at most "
                f"{self.limits.max_header_count}",
                "/headers",
            )
            raise _Refused
        self._deadline = None
        self._awaiting_head = False
        self._head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._awaiting_head = True

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing() or not self.cycle.response_complete:
            return  # closing, or a pipelined request started
        # the next head (or the rest of a body the app did not read) must come in time
        self._deadline = self.loop.time() + self.limits.header_timeout

    def _unsupported_upgrade_warning(self) -> None:
        pass  # uvicorn logs two lines per upgrade request; the mock answers it as HTTP

    # --- answers ----------------------------------------------------------------------

    def _answer_and_close(
        self, status: int, message: str, pointer: str = "", *, linger: bool = True
    ) -> None:
        """A JSON refusal, then close: for requests the app never sees. `linger`: read
        what the client still sends for a moment first (not when room is needed now)."""
        cycle = self.cycle
        if self.transport.is_closing() or self._lingering >= 0:
            return
        if cycle is not None and not cycle.response_complete:
            if cycle.response_started:  # mid-answer: nothing valid can be added
                self.transport.close()
                return
            cycle.disconnected = True  # the app's answer, if it comes, is dropped
            cycle.message_event.set()
        body = refusal_body(status, message, pointer)
        self.transport.write(
            STATUS_LINE[status] + b"content-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + body
        )
        self.mock.log_refusal(self.client, status, message)
        if not linger or not self.transport.can_write_eof():
            self.transport.close()
            return
        try:
            self.transport.write_eof()  # the answer, then the end: the client reads both
        except OSError:  # the client is gone already
            self.transport.close()
            return
        self._lingering = 0
        self.flow.resume_reading()
        self._deadline = self.loop.time() + LINGER_SECONDS


def protocol_class(
    mock: MockApp, limits: ServerLimits, max_connections: int
) -> type[BoundedHttpProtocol]:
    """The protocol uvicorn instantiates per connection, bound to one mock and its limits."""
    sweep = _Sweep(max(0.01, min(1.0, limits.header_timeout / 4)))
    return type(
        "MockHttpProtocol",
        (BoundedHttpProtocol,),
        {"mock": mock, "limits": limits, "max_connections": max_connections, "sweep": sweep},
    )
