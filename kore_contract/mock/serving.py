"""A uvicorn server on a socket already bound, served in a thread of its own (tests, the
contract run's embedded mock) or in the caller's (the commands): the one lifecycle the mock
and the proxy share. `base_url`, `start()`, `stop()`, `check()` re-raising in the caller's
thread what went wrong inside."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any, ClassVar

#: How long `start()` waits for the server to accept connections.
STARTUP_TIMEOUT = 10.0


class ServingThread:
    """Subclasses name what they serve (`label`: "mock", "proxy") and the error they raise;
    `app.errors` holds what went wrong inside the app (checked by `check()`)."""

    label: ClassVar[str] = "server"
    error: ClassVar[type[Exception]] = RuntimeError

    def __init__(self, app: Any, sock: socket.socket, server: Any) -> None:
        self.app = app
        self.socket = sock
        host, port = sock.getsockname()[:2]
        self.host, self.port = host, port
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown}:{port}"
        self._server = server
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def start(self) -> Any:
        """Serve in a daemon thread; return once connections are accepted (or raise)."""
        self._thread = threading.Thread(
            target=self._serve, name=f"kore-{self.label}:{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if self._failure is not None or not self._thread.is_alive():
                raise self.error(f"the {self.label} did not start: {self._failure!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise self.error(f"the {self.label} did not start within {STARTUP_TIMEOUT:.0f} s")
            time.sleep(0.002)
        return self

    def _serve(self) -> None:
        try:
            self._server.run(sockets=[self.socket])
        except BaseException as error:  # reported by start() and check()
            self._failure = error

    def stop(self) -> None:
        """Ask the server to stop, wait for it (forcing it after 5 s), close the socket."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout=5)
        with contextlib.suppress(OSError):
            self.socket.close()

    def check(self) -> None:
        """Re-raise, in the caller's thread, what went wrong inside the server or its app."""
        if self._failure is not None:
            raise self.error(
                f"the {self.label}'s server thread failed: {self._failure!r}"
            ) from self._failure
        if self.app.errors:
            errors, self.app.errors = self.app.errors, []
            raise self.error(
                f"{len(errors)} unexpected error(s) inside the {self.label}; "
                f"the first: {errors[0]!r}"
            ) from errors[0]
