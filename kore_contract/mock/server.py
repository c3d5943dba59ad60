"""Run the mock: in the foreground (the CLI) or in a background thread (tests, contract run).

uvicorn with httptools serves the ASGI app of `app.py` on a socket bound here, so a port
of 0 gives a free port whose number is known before the first request. The HTTP layer
(kore_contract.mock.http) bounds what a connection may hold: a head within
`HEADER_TIMEOUT`, limited in size, and at most `MAX_CONNECTIONS` connections at once.
Errors of the server itself (an `accept` out of file descriptors) are logged once per
`LOG_INTERVAL` with a count.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from kore_contract.contract.fixture import Fixture, load_fixture
from kore_contract.mock import limits
from kore_contract.mock.app import MAX_BODY_BYTES, MockApp
from kore_contract.mock.faults import Fault
from kore_contract.mock.limits import ServerLimits, connection_budget
from kore_contract.mock.logs import RateLimitedLog, printable
from kore_contract.mock.serving import ServingThread


class MockError(RuntimeError):
    """The mock failed: it could not start, or it hit an unexpected error while serving."""


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP.
    # Without it the answer's two writes (head, body) wait for the client's delayed ACK
    # (about 40 ms a request on loopback). Set on the listener too; accepted sockets inherit.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(limits.LISTEN_BACKLOG)
    sock.setblocking(False)
    return sock


def make_app(
    fixture: Fixture | str | Path | None = None,
    *,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    stream_id: str | None = None,
    account_id: str | None = None,
    iid: str | None = None,
    fault: str | Fault | None = None,
    log: Callable[[str], None] | None = None,
    max_body: int = MAX_BODY_BYTES,
    max_campaigns: int = limits.MAX_CAMPAIGNS,
    max_stored_bytes: int = limits.MAX_STORED_BYTES,
) -> MockApp:
    if not isinstance(fixture, Fixture):
        fixture = load_fixture(fixture)
    app = MockApp(
        fixture,
        client_id=client_id,
        client_secret=client_secret,
        stream_id=stream_id,
        account_id=account_id,
        iid=iid,
        fault=fault,
        log=log,
        max_body=max_body,
        max_campaigns=max_campaigns,
        max_stored_bytes=max_stored_bytes,
    )
    warm_up(app)
    return app


def warm_up(app: MockApp) -> None:
    """Compile the validator and load the zone names before the first request."""
    from kore_contract.contract import spec
    from kore_contract.validate.api import validate_request

    for body in spec.examples("create", "request").values():
        validate_request(body, fixture=app.fixture, query={"campaignType": spec.campaign_type()})


def open_file_limit() -> int | None:
    """The soft limit of open files (None where there is none to read)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return None if soft == resource.RLIM_INFINITY else soft


def raise_open_file_limit() -> int | None:
    """Raise the soft limit of open files to the hard one (as far as the system lets);
    the limit then in effect. Every connection is a file: 1,024 is a low ceiling."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft in (resource.RLIM_INFINITY, hard):
        return open_file_limit()
    ceiling = 1 << 20 if hard == resource.RLIM_INFINITY else hard
    for wanted in (ceiling, 65536, 10240):  # macOS refuses past its OPEN_MAX
        if min(wanted, ceiling) <= soft:
            break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, ceiling), hard))
            break
        except (ValueError, OSError):
            continue
    return open_file_limit()


def uvicorn_config(
    app: MockApp,
    host: str,
    port: int,
    server_limits: ServerLimits | None = None,
    *,
    wrap_protocol: Callable[[Any], Any] | None = None,
    **options: Any,
) -> Any:
    """uvicorn's config for the mock's bounded HTTP layer (mock/http.py), shared with the
    proxy: `wrap_protocol` subclasses the protocol class, `options` override the config's."""
    import uvicorn

    from kore_contract.mock.http import protocol_class

    chosen = server_limits or ServerLimits()
    cap, burst = connection_budget(chosen.max_connections, open_file_limit())
    protocol = protocol_class(app, chosen, cap)
    settings: dict[str, Any] = {
        "host": host,
        "port": port,
        "http": wrap_protocol(protocol) if wrap_protocol else protocol,
        "loop": "asyncio",
        "ws": "none",
        "lifespan": "off",
        "interface": "asgi3",
        "log_config": None,
        "log_level": "warning",
        "access_log": False,
        "proxy_headers": False,
        "server_header": False,
        "timeout_keep_alive": max(1, round(chosen.keep_alive_timeout)),
        "timeout_graceful_shutdown": 1,
        "backlog": burst,  # asyncio accepts this many at once
    }
    return uvicorn.Config(app, **{**settings, **options})


def _uvicorn_server(config: Any, errors: RateLimitedLog) -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, with the loop's own errors logged once per interval."""

        async def serve(self, sockets: list[socket.socket] | None = None) -> None:
            asyncio.get_running_loop().set_exception_handler(_loop_error_handler(errors))
            await super().serve(sockets)

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            # asyncio listens with its accept burst as the backlog; the system may queue
            # more, which cost the mock no file until accepted (a flood then waits there)
            for sock in sockets or ():
                with contextlib.suppress(OSError):
                    sock.listen(limits.LISTEN_BACKLOG)

    return Server(config)


def _loop_error_handler(errors: RateLimitedLog) -> Callable[[Any, dict[str, Any]], None]:
    """Log an error of the event loop (an `accept` out of file descriptors, a transport
    that failed) in one line, once per interval for each kind: never a traceback flood."""

    def handle(loop: Any, context: dict[str, Any]) -> None:
        message = str(context.get("message") or "error in the event loop")
        error = context.get("exception")
        kind = f"{message}|{type(error).__name__}"
        detail = f": {printable(str(error), 300)}" if error is not None else ""
        errors.error(kind, f"mock: {printable(message, 300)}{detail}")

    return handle


class MockServer(ServingThread):
    """A running mock: `base_url`, the app (its store and errors), `stop()`, `check()`."""

    label = "mock"
    error = MockError
    app: MockApp

    def __init__(
        self, app: MockApp, sock: socket.socket, *, server_limits: ServerLimits | None = None
    ) -> None:
        host, port = sock.getsockname()[:2]
        server = _uvicorn_server(uvicorn_config(app, host, port, server_limits), app.error_log)
        super().__init__(app, sock, server)

    @property
    def store(self) -> Any:
        return self.app.store

    def serve_forever(self) -> None:
        """Serve in this thread until Ctrl-C or SIGTERM (uvicorn shuts down gracefully)."""
        try:
            self._server.run(sockets=[self.socket])
        finally:
            self.app.close()

    def stop(self) -> None:
        super().stop()
        self.app.close()


@contextlib.contextmanager
def running_mock(
    fixture: Fixture | str | Path | None = None,
    *,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    stream_id: str | None = None,
    account_id: str | None = None,
    iid: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    fault: str | Fault | None = None,
    log: Callable[[str], None] | None = None,
    max_body: int = MAX_BODY_BYTES,
    max_campaigns: int = limits.MAX_CAMPAIGNS,
    max_stored_bytes: int = limits.MAX_STORED_BYTES,
    header_timeout: float = limits.HEADER_TIMEOUT,
    max_connections: int = limits.MAX_CONNECTIONS,
) -> Iterator[MockServer]:
    """Start the mock on `host:port` (0: a free port) in a thread; stop it on exit.

    `fixture` is a Fixture, a path, or None for the bundled example. `fault` names one
    deliberate defect of kore_contract.mock.faults.FAULTS (or is a `Fault`). The limits
    default to those of kore_contract.mock.limits.
    """
    app = make_app(
        fixture,
        client_id=client_id,
        client_secret=client_secret,
        stream_id=stream_id,
        account_id=account_id,
        iid=iid,
        fault=fault,
        log=log,
        max_body=max_body,
        max_campaigns=max_campaigns,
        max_stored_bytes=max_stored_bytes,
    )
    server_limits = ServerLimits(header_timeout=header_timeout, max_connections=max_connections)
    server = MockServer(app, bind(host, port), server_limits=server_limits).start()
    try:
        yield server
    finally:
        server.stop()
