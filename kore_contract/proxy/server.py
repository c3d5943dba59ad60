"""The validating proxy: an ASGI app on uvicorn that forwards every request to one upstream
and checks each exchange with a `TrafficChecker` (kore_contract.proxy.checker).

Per request, in order:

1. Open-proxy guard: a request whose `Host` header, or absolute-form target
   (`GET http://other/ HTTP/1.1`), names another host than the proxy's own listen address
   or its upstream is refused 400 (JSON), and so is CONNECT: it is never forwarded.
2. The body is read (within `BODY_TIMEOUT`, else 408). Up to `MAX_REQUEST_CHECKED` bytes it
   is buffered and checked (`check_request`); a larger one is streamed through unchecked.
3. `--enforce`: a request that breaks a request rule is answered with the mock's refusal
   (status and JSON error body) and not forwarded.
4. Forwarded by the pooled client (kore_contract.proxy.forward): method, path, query,
   headers (minus hop-by-hop; Host rewritten) and body unchanged. An unreachable or slow
   upstream is answered 502 with a JSON body naming the problem, within the deadline.
5. The answer goes to the client: buffered and checked up to `MAX_ANSWER_CHECKED` bytes,
   larger ones streamed on as they come ("not checked: too large").
6. After the answer, `check_exchange` (in arrival order of answers, on the event loop),
   and one line per exchange (`checker.line`) goes to `emit`; `on_exchange` gets the
   exchange (the HAR writer).

The HTTP layer is the mock's (kore_contract.mock.http): a head deadline, bounded heads and
a connection cap, JSON refusals of malformed HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import ipaddress
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import orjson

from kore_contract.mock import limits
from kore_contract.mock.logs import RateLimitedLog, printable
from kore_contract.mock.routes import Found, call_of, match
from kore_contract.mock.serving import ServingThread
from kore_contract.proxy.checker import RequestVerdict, TrafficChecker
from kore_contract.proxy.forward import Answered, Forwarder, Upstream, UpstreamError, decoded
from kore_contract.redaction import redact_text
from kore_contract.run.client import MAX_RESPONSE_BYTES, Exchange

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]

#: Request bodies up to this size are buffered and checked (the mock's own limit); larger
#: ones are streamed to the upstream unchecked.
MAX_REQUEST_CHECKED = limits.MAX_BODY_BYTES
#: Answers up to this size are buffered and checked (the contract run's limit); larger
#: ones are streamed to the client unchecked.
MAX_ANSWER_CHECKED = MAX_RESPONSE_BYTES
#: Seconds a client has to send a request body once its head is in; then 408.
BODY_TIMEOUT = limits.BODY_TIMEOUT
#: Bodies larger than this are checked off the event loop (the request side only: the
#: exchange is checked in order, on the loop).
OFFLOAD_BYTES = limits.OFFLOAD_BYTES
#: Threads that check large request bodies (as the mock's VALIDATION_THREADS).
CHECK_THREADS = 2
#: How the proxy names itself in its own refusals (`rule` of the error body).
PROXY_RULE = "proxy"
TOO_LARGE = "not checked: too large"
JSON_TYPE = b"application/json"


def refusal(status: int, message: str, pointer: str = "") -> bytes:
    """The proxy's own refusal, shaped like the mock's error bodies."""
    return orjson.dumps(
        {"errors": [{"msg": message, "code": status, "rule": PROXY_RULE, "pointer": pointer}]}
    )


# --- no open proxy ------------------------------------------------------------------------


def _split_authority(authority: str, default_port: int) -> tuple[str, int] | None:
    """(host, port) of `host[:port]` (brackets around IPv6), lower case; None if malformed."""
    try:
        parts = urlsplit(f"//{authority.strip()}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.path:
        return None
    return parts.hostname.lower().rstrip("."), port or default_port


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard_host(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def own_names(host: str) -> frozenset[str]:
    """The names a client may use for a proxy listening on `host`: loopback names on a
    loopback address; on a wildcard one, also this machine's name and addresses."""
    names = {host.lower().strip("[]")}
    if is_loopback_host(host) or is_wildcard_host(host):
        names |= {"localhost", "127.0.0.1", "::1"}
    if is_wildcard_host(host):
        for name in {socket.gethostname(), socket.getfqdn()}:
            names.add(name.lower())
            with contextlib.suppress(OSError):
                names |= {str(info[4][0]).lower() for info in socket.getaddrinfo(name, None)}
    return frozenset(names)


@functools.lru_cache(maxsize=256)
def is_local_address(host: str) -> bool:
    """Whether `host` is an IP address of this machine (one a socket can bind to): a
    client on the network names a wildcard-bound proxy by such an address."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: never resolved per request (DNS rebinding)
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class HostGuard:
    """The hosts a request may name: the proxy's own (at its port) and the upstream. On
    a wildcard address (`--host 0.0.0.0`) any address of this machine is its own too."""

    own: frozenset[str]
    port: int
    upstream: Upstream
    wildcard: bool = False

    def allows(self, host: str, port: int) -> bool:
        if port == self.port and (host in self.own or (self.wildcard and is_local_address(host))):
            return True
        return host == self.upstream.host and port == self.upstream.port

    def problem(self, method: str, target: bytes, host_header: str | None) -> str | None:
        """Why this request may not be forwarded (None: it may)."""
        if method == "CONNECT":
            return (
                "CONNECT refused: this proxy forwards only to its upstream "
                f"{self.upstream.base_url}; it opens no tunnels"
            )
        if target and not target.startswith(b"/") and target != b"*":
            text = target.decode("latin-1")
            parts = urlsplit(text)
            named = (
                _split_authority(parts.netloc, 443 if parts.scheme == "https" else 80)
                if parts.scheme in ("http", "https")
                else None
            )
            if named is None or not self.allows(*named):
                return (
                    f"request target {printable(text, 120)!s} names another host: this "
                    f"proxy forwards only to {self.upstream.base_url}; send the path alone"
                )
        if host_header is None:
            return None  # HTTP/1.0 without Host: the listen address is meant
        named = _split_authority(host_header, 80)
        if named is None or not self.allows(*named):
            return (
                f"Host {printable(host_header, 120)!s} is not this proxy nor its upstream: "
                f"it forwards only to {self.upstream.base_url} (no open proxy)"
            )
        return None


# --- the app ------------------------------------------------------------------------------


@dataclass
class _Body:
    """A request body as read: whole (`data`), or its start and the rest still to stream."""

    data: bytes
    rest: AsyncIterator[bytes] | None = None  # None: `data` is the whole body
    length: int | None = None  # Content-Length as the client gave it


class ProxyApp:
    """The ASGI app of the proxy. `emit` gets one line per exchange (and per refusal of
    the proxy's own); `on_exchange` gets each exchange as checked (for --har-out)."""

    def __init__(
        self,
        upstream: Upstream,
        checker: TrafficChecker,
        *,
        timeout: float = 10.0,
        enforce: bool = False,
        emit: Callable[[str], None] | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
        max_request_checked: int = MAX_REQUEST_CHECKED,
        max_answer_checked: int = MAX_ANSWER_CHECKED,
    ) -> None:
        self.upstream = upstream
        self.checker = checker
        self.enforce = enforce
        self.emit = emit or (lambda line: None)
        self.on_exchange = on_exchange
        self.forwarder = Forwarder(upstream, timeout=timeout)
        self.max_request_checked = max_request_checked
        self.max_answer_checked = max_answer_checked
        self.guard: HostGuard | None = None  # set when the socket is bound
        self.forwarded = 0  # requests sent to the upstream
        self.refused = 0  # requests the proxy answered itself (guard, --enforce, 502)
        #: Requests being served: an exchange is checked just after its answer is sent, so
        #: a client may read its answer before the exchange's line is out
        self.in_flight = 0
        self.errors: list[BaseException] = []  # unexpected errors (tests re-raise them)
        self.error_log = RateLimitedLog(self._write_error)
        #: Large request bodies are checked here, a few at once (memory stays bounded);
        #: the event loop goes on serving the others meanwhile.
        self._checking = ThreadPoolExecutor(CHECK_THREADS, thread_name_prefix="kore-proxy-check")

    # the mock's HTTP layer calls this for requests it refuses before the app sees them
    def log_refusal(self, client: tuple[str, int] | None, status: int, message: str) -> None:
        self.emit(f"refused {status} before reading the request: {printable(message, 200)}")

    def _write_error(self, line: str) -> None:
        self.emit(self._redact(line))

    def _redact(self, text: str) -> str:
        return redact_text(text, list(self.checker.secrets))

    async def close(self) -> None:
        await self.forwarder.close()
        self._checking.shutdown(wait=False, cancel_futures=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        self.in_flight += 1
        try:
            await self._handle(scope, receive, send)
        except Exception as error:  # a bug of the proxy: logged, answered 500 if it can be
            self._failed(error, "serving a request")
            with contextlib.suppress(Exception):
                await _answer(send, 500, refusal(500, "the proxy failed; see its output"))
        finally:
            self.in_flight -= 1

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        target = scope["raw_path"].decode("latin-1")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        problem = self._guard_problem(scope, method, headers)
        if problem is not None:
            self.refused += 1
            await _answer(send, 400, refusal(400, problem, "/headers/host"))
            self.emit(self._redact(f"refused 400 {method} (not forwarded): {problem}"))
            return
        header_map = _header_map(headers)
        body = await self._read_body(receive, header_map)
        if isinstance(body, str):
            self.refused += 1
            await _answer(send, 408, refusal(408, body, ""))
            self.emit(self._redact(f"refused 408 {method} {target}: {body}"))
            return
        verdict = await self._check_request(method, target, header_map, body)
        sent = body.data if body.rest is None else None
        exchange = Exchange(method, self.upstream.url(target), header_map, sent or None)
        if body.rest is not None:
            exchange.error = f"{TOO_LARGE} (request body over {self.max_request_checked:,} bytes)"
        if self.enforce and body.rest is not None and verdict.call is not None:
            # a body that cannot be checked is not let through to the account either
            message = (
                f"--enforce: a {verdict.call} body over {self.max_request_checked:,} bytes "
                "cannot be checked, so it is not forwarded"
            )
            verdict = dataclasses.replace(verdict, refusal=(413, refusal(413, message)))
        if self.enforce and verdict.refusal is not None:
            self.refused += 1
            status, answer = verdict.refusal
            await _answer(send, status, answer)
            self._finish(
                exchange,
                verdict,
                status,
                [(b"content-type", JSON_TYPE)],
                answer,
                0.0,
                note="refused by the proxy (--enforce), not forwarded",
            )
            return
        started = time.perf_counter()
        try:
            answered = await self.forwarder.send(
                method,
                target,
                headers,
                body.data if body.rest is None else _chain(body),
                length=body.length,
            )
        except UpstreamError as error:
            self.refused += 1
            message = self._redact(str(error))
            await _answer(send, 502, refusal(502, message, ""))
            exchange.error = message
            exchange.elapsed_ms = (time.perf_counter() - started) * 1000
            self._checked(exchange, verdict, note="answered 502 by the proxy")
            return
        self.forwarded += 1
        await self._relay(send, answered, exchange, verdict, started)

    def _guard_problem(
        self, scope: Scope, method: str, headers: list[tuple[str, str]]
    ) -> str | None:
        if self.guard is None:
            return None
        hosts = [value for name, value in headers if name == "host"]
        if len(hosts) > 1:
            return "more than one Host header; send one"
        return self.guard.problem(
            method, scope.get("kore_target", b""), hosts[0] if hosts else None
        )

    async def _read_body(self, receive: Receive, headers: dict[str, str]) -> _Body | str:
        """The body (whole up to the limit, else its start and the rest as a stream), or
        why it could not be read in time."""
        declared = headers.get("content-length", "")
        length = int(declared) if declared.isdigit() else None
        if length is not None and length > self.max_request_checked:
            return _Body(b"", _rest(receive), length)
        try:
            return await asyncio.wait_for(self._receive_body(receive, length), BODY_TIMEOUT)
        except asyncio.TimeoutError:
            return f"request body not complete after {BODY_TIMEOUT:g} s"

    async def _receive_body(self, receive: Receive, length: int | None) -> _Body | str:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return "the client closed the connection before its body was complete"
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            done = not message.get("more_body", False)
            if size > self.max_request_checked:  # checked or not by size alone
                return _Body(b"".join(chunks), _nothing() if done else _rest(receive), length)
            if done:
                return _Body(b"".join(chunks), None, length)

    async def _check_request(
        self, method: str, target: str, headers: dict[str, str], body: _Body
    ) -> RequestVerdict:
        if body.rest is not None:
            return self._unchecked(method, target)
        try:
            if len(body.data) > OFFLOAD_BYTES:
                return await asyncio.get_running_loop().run_in_executor(
                    self._checking, self.checker.check_request, method, target, headers, body.data
                )
            return self.checker.check_request(method, target, headers, body.data or None)
        except Exception as error:  # a bug of the checks never stops the traffic
            self._failed(error, "checking a request")
            return self._unchecked(method, target)

    def _failed(self, error: Exception, doing: str) -> None:
        """An unexpected error of the proxy's own: kept (the exit status says so), logged
        once per interval by kind."""
        if len(self.errors) < 100:
            self.errors.append(error)
        self.error_log.error(
            f"{doing}|{type(error).__name__}",
            f"proxy: unexpected error {doing}: {type(error).__name__}: "
            f"{printable(str(error), 300)}",
        )

    def _unchecked(self, method: str, target: str) -> RequestVerdict:
        """The verdict of a request whose body is too large to check: its call only."""
        parts = urlsplit(target)
        found = match(parts.path, method)
        if not isinstance(found, Found):
            return RequestVerdict(None, (), None, None, parts.path, method)
        query = dict(_query_pairs(parts.query))
        return RequestVerdict(
            call_of(found.operation, query),
            (),
            None,
            found.parameters.get("campaignId"),
            parts.path,
            method,
        )

    async def _relay(
        self,
        send: Send,
        answered: Answered,
        exchange: Exchange,
        verdict: RequestVerdict,
        started: float,
    ) -> None:
        """Pass the upstream's answer on: buffered and checked within the limit, else
        streamed unchecked. A failure before the answer starts is a 502."""
        chunks: list[bytes] = []
        size = 0
        streaming = answered.length is not None and answered.length > self.max_answer_checked
        iterator = answered.chunks().__aiter__()
        try:
            while not streaming:
                try:
                    chunk = await iterator.__anext__()
                except StopAsyncIteration:
                    break
                chunks.append(chunk)
                size += len(chunk)
                streaming = size > self.max_answer_checked
        except Exception as error:
            answered.close()
            message = self._redact(await self.forwarder.read_problem(error))
            await _answer(send, 502, refusal(502, message, ""))
            exchange.error = message
            exchange.status = None
            exchange.elapsed_ms = (time.perf_counter() - started) * 1000
            self._checked(exchange, verdict, note="answered 502 by the proxy")
            return
        if not streaming:
            answered.release()
            data = b"".join(chunks)
            # HEAD, 204 and 304 carry no body: the upstream's Content-Length stays as is
            bodiless = exchange.method == "HEAD" or answered.status in (204, 304)
            await send(
                {
                    "type": "http.response.start",
                    "status": answered.status,
                    "headers": _response_headers(answered.headers, None if bodiless else len(data)),
                }
            )
            await send({"type": "http.response.body", "body": data})
            elapsed = (time.perf_counter() - started) * 1000
            self._finish(exchange, verdict, answered.status, answered.headers, data, elapsed)
            return
        await self._stream(send, answered, exchange, verdict, started, chunks, iterator)

    async def _stream(
        self,
        send: Send,
        answered: Answered,
        exchange: Exchange,
        verdict: RequestVerdict,
        started: float,
        chunks: list[bytes],
        iterator: AsyncIterator[bytes],
    ) -> None:
        from kore_contract.proxy.forward import forwarded_response_headers

        await send(
            {
                "type": "http.response.start",
                "status": answered.status,
                "headers": forwarded_response_headers(
                    answered.headers, keep_length=answered.length is not None
                ),
            }
        )
        problem = TOO_LARGE + f" (answer over {self.max_answer_checked:,} bytes)"
        try:
            for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            async for chunk in iterator:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            answered.release()
        except Exception as error:
            answered.close()
            problem = self._redact(await self.forwarder.read_problem(error)) + (
                " (mid-answer: the client got a cut answer)"
            )
            raise_after = True
        else:
            raise_after = False
        exchange.status = answered.status
        exchange.response_headers = _header_map_bytes(answered.headers)
        exchange.error = problem
        exchange.elapsed_ms = (time.perf_counter() - started) * 1000
        self._checked(exchange, verdict)
        if raise_after:
            raise ConnectionAbortedError(problem)  # uvicorn closes the cut connection

    def _finish(
        self,
        exchange: Exchange,
        verdict: RequestVerdict,
        status: int,
        headers: list[tuple[bytes, bytes]],
        data: bytes,
        elapsed_ms: float,
        *,
        note: str = "",
    ) -> None:
        exchange.status = status
        exchange.response_headers = _header_map_bytes(headers)
        readable = decoded(
            data, exchange.response_headers.get("content-encoding"), self.max_answer_checked
        )
        if isinstance(readable, str):
            exchange.error = f"not checked: {readable}"
            readable = data
        exchange.response_text = readable.decode("utf-8", "replace")
        exchange.elapsed_ms = elapsed_ms
        self._checked(exchange, verdict, note=note)

    def _checked(self, exchange: Exchange, verdict: RequestVerdict, *, note: str = "") -> None:
        """Check the exchange (in the order answers come), print its line, record it."""
        if exchange.error and exchange.error.startswith(TOO_LARGE) and verdict.call is None:
            exchange.error = None  # not in the contract: nothing would be checked anyway
        try:
            checked = self.checker.check_exchange(exchange, verdict)
            line = self.checker.line(checked)
        except Exception as error:  # the client has its answer; the line says it
            self._failed(error, "checking an exchange")
            status = "---" if exchange.status is None else exchange.status
            line = f"{verdict.call or verdict.path} {status} error (not checked: the check failed)"
        if note:
            line += f" ({note})"
        self.emit(self._redact(line))
        if self.on_exchange is not None:
            self.on_exchange(exchange)


def _header_map(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Headers by lower-case name; repeated ones joined with ", " (RFC 9110 5.3)."""
    joined: dict[str, str] = {}
    for name, value in headers:
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return joined


def _header_map_bytes(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    return _header_map([(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in headers])


def _response_headers(
    headers: list[tuple[bytes, bytes]], length: int | None
) -> list[tuple[bytes, bytes]]:
    """The upstream's headers for the client, with the length of the body sent (None:
    the upstream's own Content-Length, for an answer without a body)."""
    from kore_contract.proxy.forward import forwarded_response_headers

    kept = forwarded_response_headers(headers, keep_length=length is None)
    return kept if length is None else [*kept, (b"content-length", str(length).encode())]


def _query_pairs(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query, keep_blank_values=True)


async def _rest(receive: Receive) -> AsyncIterator[bytes]:
    """What the client still sends of its body."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError("the client closed the connection mid-body")
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


async def _nothing() -> AsyncIterator[bytes]:
    """The rest of a body that arrived whole."""
    return
    yield  # an async generator that yields nothing


async def _chain(body: _Body) -> AsyncIterator[bytes]:
    if body.data:
        yield body.data
    assert body.rest is not None
    async for chunk in body.rest:
        yield chunk


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", JSON_TYPE),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# --- running it ---------------------------------------------------------------------------


def _uvicorn_config(app: ProxyApp, host: str, port: int) -> Any:
    """The mock's config and bounded protocol, the protocol keeping the request target as
    sent (an absolute-form URL names a host: the guard reads it)."""
    from kore_contract.mock.server import uvicorn_config

    def keeping_target(base: Any) -> Any:
        class ProxyHttpProtocol(base):  # type: ignore[misc]
            def on_headers_complete(self) -> None:
                if self.scope is not None:
                    self.scope["kore_target"] = bytes(self.url)
                super().on_headers_complete()

        return ProxyHttpProtocol

    return uvicorn_config(
        cast(Any, app), host, port, wrap_protocol=keeping_target, date_header=False
    )


#: The signals that end a proxy gracefully (Ctrl-C, a service manager's stop).
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ProxyError(RuntimeError):
    """The proxy could not start, or failed while serving."""


class ProxyServer(ServingThread):
    """A proxy bound to a socket: `base_url`, `app`, `start()`/`stop()` (a thread, for
    tests) or `serve_forever()` (the command), `check()`."""

    label = "proxy"
    error = ProxyError
    app: ProxyApp

    def __init__(self, app: ProxyApp, sock: socket.socket) -> None:
        import uvicorn

        host, port = sock.getsockname()[:2]
        app.guard = HostGuard(own_names(host), port, app.upstream, is_wildcard_host(host))
        config = _uvicorn_config(app, host, port)
        proxy_app = app

        class Server(uvicorn.Server):
            async def serve(self, sockets: list[socket.socket] | None = None) -> None:
                try:
                    await super().serve(sockets)
                finally:
                    await proxy_app.close()

        super().__init__(app, sock, Server(config))

    @property
    def should_exit(self) -> bool:
        return bool(self._server.should_exit)

    def request_exit(self) -> None:
        """Ask the server to stop (as Ctrl-C does): it finishes what is in progress."""
        self._server.should_exit = True

    def serve_forever(self, on_started: Callable[[], None] | None = None) -> int | None:
        """Serve in this thread until Ctrl-C or SIGTERM (uvicorn's handlers, then a
        graceful shutdown) or `request_exit`; the signal that ended it, if one did.
        `on_started` runs once the server accepts connections."""
        if on_started is not None:
            threading.Thread(
                target=self._when_started,
                args=(on_started,),
                name="kore-proxy-started",
                daemon=True,
            ).start()
        settle_collector()
        caught: list[int] = []
        main = threading.current_thread() is threading.main_thread()
        # uvicorn restores the handlers it found, then raises the signal it caught again:
        # these take it, so the command goes on to write its reports
        before = (
            {sig: signal.signal(sig, lambda number, _: caught.append(number)) for sig in _SIGNALS}
            if main
            else {}
        )
        try:
            self._server.run(sockets=[self.socket])
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)
        return caught[0] if caught else None

    def _when_started(self, callback: Callable[[], None]) -> None:
        while not self._server.started and not self._server.should_exit:
            time.sleep(0.005)
        callback()


def settle_collector() -> None:
    """For the command's own process (not a test's: it changes the whole interpreter):
    what start-up loaded (spec, schemas, validators, modules, the upstream client) is moved
    out of the garbage collector's way (`gc.freeze`), so its full collections, which hold
    the event loop, walk only what the session made. The thresholds stay Python's: the
    mock's larger ones (fewer, bigger young collections) made 200 ms pauses here."""
    import gc

    import aiohttp  # noqa: F401  (imported on the first request otherwise: frozen with the rest)

    gc.collect()
    gc.freeze()


def bind(host: str, port: int) -> socket.socket:
    from kore_contract.mock.server import bind as bind_socket

    return bind_socket(host, port)


@contextlib.contextmanager
def running_proxy(
    upstream: str | Upstream,
    checker: TrafficChecker,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    timeout: float = 10.0,
    enforce: bool = False,
    emit: Callable[[str], None] | None = None,
    on_exchange: Callable[[Exchange], None] | None = None,
    max_request_checked: int = MAX_REQUEST_CHECKED,
    max_answer_checked: int = MAX_ANSWER_CHECKED,
) -> Iterator[ProxyServer]:
    """A proxy to `upstream` on `host:port` (0: a free port) in a thread; stopped on exit."""
    chosen = upstream if isinstance(upstream, Upstream) else Upstream.parse(upstream)
    app = ProxyApp(
        chosen,
        checker,
        timeout=timeout,
        enforce=enforce,
        emit=emit,
        on_exchange=on_exchange,
        max_request_checked=max_request_checked,
        max_answer_checked=max_answer_checked,
    )
    server = ProxyServer(app, bind(host, port)).start()
    try:
        yield server
    finally:
        server.stop()


__all__ = [
    "HostGuard",
    "ProxyApp",
    "ProxyError",
    "ProxyServer",
    "Upstream",
    "refusal",
    "running_proxy",
]
