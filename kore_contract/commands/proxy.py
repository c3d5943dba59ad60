"""`kore-contract proxy`: forward an application's calls to the API and check each exchange."""

from __future__ import annotations

import argparse
import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from kore_contract.run.options import CannotRun

if TYPE_CHECKING:
    from kore_contract.proxy.checker import TrafficChecker
    from kore_contract.proxy.server import ProxyServer

HELP = "forward an application's calls to the API and check every exchange"
DESCRIPTION = """\
Point your application at the proxy instead of the API. Every request is forwarded
unchanged to the one upstream (method, path, query, headers but the hop-by-hop ones,
body; Host rewritten to the upstream's) and both sides are checked with the state the
contract run keeps: the request by the R, C, U, L and A rules (the token's signature
only when the client secret is given, else its shape and claims), the answer by the
S, T, Q and L rules (echo of what was sent, get after create, status after start, a
listed campaign against its get). One line per exchange: call, status, verdict, rule
ids. Paths that are not calls of the contract are forwarded and said so.

--upstream mock starts the embedded mock (with --fixture) on a free loopback port and
forwards to it. --enforce answers a request that breaks a request rule with the
mock's refusal instead of forwarding it: a bad write never reaches the account.

Bodies up to 1 MB (requests) and 8 MB (answers) are checked; larger ones stream
through, "not checked: too large" (with --enforce a contract call's body too large
to check is refused 413). A compressed answer (gzip, deflate) is checked decoded and
passed on as sent. An upstream that cannot be reached or does not
answer within --timeout is answered 502 with a JSON body naming the problem. The
proxy forwards only to its upstream: a request whose Host header or absolute URL
names another host is refused 400. It listens on loopback unless --host names
another address (then it warns). The token and client secret are never printed
nor written.

On Ctrl-C (or SIGTERM, or after --duration seconds) it writes results.json,
junit.xml, report.html and report.md to --report-dir (as `kore-contract test` does)
and the HAR of what it saw with --har-out. Exit status: 0 no violation; 1
violations; 2 the proxy could not run (bad options, the port in use, reports not
written).

Options also read environment variables: KORE_UPSTREAM, KORE_FIXTURE,
KORE_CLIENT_ID, KORE_CLIENT_SECRET.
"""

EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN = 0, 1, 2
MOCK = "mock"


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from kore_contract.run import options as defaults

    parser.add_argument(
        "--upstream",
        default=_env("KORE_UPSTREAM"),
        metavar="URL|mock",
        help="the API to forward to, e.g. https://platform.kore.ai, or 'mock' for the "
        "embedded mock [env KORE_UPSTREAM]",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s; another than loopback lets "
        "other machines use the proxy, and prints a warning)",
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port (default: %(default)s; 0: a free one)"
    )
    parser.add_argument(
        "--fixture",
        default=_env("KORE_FIXTURE"),
        help="the account's fixture: the account checks (R4, R5, C3...) need it (default: "
        "none against a URL; the bundled example with --upstream mock)",
    )
    parser.add_argument("--client-id", default=_env("KORE_CLIENT_ID"))
    parser.add_argument(
        "--client-secret",
        default=_env("KORE_CLIENT_SECRET"),
        help="verifies the tokens' signatures (A2); prefer KORE_CLIENT_SECRET, which stays "
        "out of shell history",
    )
    parser.add_argument(
        "--report-dir",
        default=defaults.DEFAULT_REPORT_DIR,
        metavar="DIR",
        help="where results.json and the reports go (default: %(default)s)",
    )
    parser.add_argument(
        "--enforce",
        action="store_true",
        help="refuse (with the mock's error body) a request that breaks a request rule "
        "instead of forwarding it",
    )
    parser.add_argument("--har-out", metavar="FILE", help="write the exchanges seen as HAR 1.2")
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop after this long (default: at Ctrl-C)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=defaults.DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="deadline of each forwarded call, answer included; then 502 (default: %(default)g)",
    )
    parser.add_argument("--fault", default=None, help=argparse.SUPPRESS)  # mock upstream only


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    problem = _bad_option(args)
    if problem:
        err.write(f"kore-contract proxy: {problem}\n")
        return EXIT_CANNOT_RUN
    try:
        return _run(args, out, err)
    except CannotRun as error:
        err.write(f"kore-contract proxy: {error}\n")
        return EXIT_CANNOT_RUN


def _bad_option(args: argparse.Namespace) -> str | None:
    if not args.upstream:
        return "--upstream is required: the API's URL, or 'mock' (or set KORE_UPSTREAM)"
    if args.timeout <= 0:
        return f"--timeout={args.timeout}: must be positive"
    if args.duration is not None and args.duration <= 0:
        return f"--duration={args.duration}: must be positive"
    if not 0 <= args.port <= 65535:
        return f"--port={args.port}: must be 0 to 65535"
    if args.fault and args.upstream != MOCK:
        return "--fault applies to --upstream mock only"
    return None


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from kore_contract.proxy.server import ProxyApp, ProxyServer, bind, is_loopback_host
    from kore_contract.redaction import RunSecrets

    secrets = RunSecrets([args.client_secret])
    with _upstream(args, secrets) as (upstream_url, checker):
        from kore_contract.proxy.forward import Upstream

        har = _har_writer(args.har_out, checker)
        lock = threading.Lock()

        def emit(line: str) -> None:
            with lock:
                out.write(line + "\n")
                out.flush()

        app = ProxyApp(
            Upstream.parse(upstream_url),
            checker,
            timeout=args.timeout,
            enforce=args.enforce,
            emit=emit,
            on_exchange=har.add if har is not None else None,
        )
        try:
            sock = bind(args.host, args.port)
        except OSError as error:
            raise CannotRun(
                f"cannot listen on {args.host}:{args.port}: {error.strerror or error}"
            ) from None
        server = ProxyServer(app, sock)
        if not is_loopback_host(args.host):
            err.write(
                f"kore-contract proxy: warning: listening on {args.host}, not loopback: "
                "other machines can send requests through this proxy to the upstream\n"
            )
        timer = _stop_after(args.duration, server)
        signal_number = server.serve_forever(
            on_started=lambda: emit(f"listening on {server.base_url} -> {upstream_url}")
        )
        if timer is not None:
            timer.cancel()
        if signal_number is not None:
            err.write("kore-contract proxy: stopping (signal received); writing the reports\n")
        return _finish(checker, app, har, Path(args.report_dir), out, err)


@contextlib.contextmanager
def _upstream(args: argparse.Namespace, secrets: Any) -> Iterator[tuple[str, TrafficChecker]]:
    """The upstream's URL and the checker for it; with `mock`, the embedded mock runs for
    as long as the context lasts."""
    from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    from kore_contract.contract.fixture import FixtureError, load_fixture
    from kore_contract.proxy.checker import MAX_CASES, TrafficChecker
    from kore_contract.proxy.forward import Upstream

    try:
        fixture = load_fixture(args.fixture) if args.fixture or args.upstream == MOCK else None
    except FixtureError as error:
        raise CannotRun(str(error)) from None
    if args.upstream != MOCK:
        try:
            Upstream.parse(args.upstream)
        except ValueError as error:
            raise CannotRun(f"--upstream {args.upstream!r} {error}") from None
        yield (
            args.upstream.rstrip("/"),
            TrafficChecker(
                fixture=fixture,
                client_id=args.client_id,
                client_secret=args.client_secret,
                secrets=secrets,
                max_cases=MAX_CASES,
                base_url=args.upstream.rstrip("/"),
                target="live",
            ),
        )
        return
    from kore_contract.mock.server import MockError, running_mock

    client_id = args.client_id or DEFAULT_CLIENT_ID
    client_secret = args.client_secret or DEFAULT_CLIENT_SECRET
    secrets.add(client_secret)
    try:
        mock = running_mock(
            fixture, client_id=client_id, client_secret=client_secret, fault=args.fault
        )
        server = mock.__enter__()
    except (KeyError, MockError, OSError) as error:
        raise CannotRun(f"the embedded mock did not start: {str(error).strip(chr(39))}") from None
    try:
        yield (
            server.base_url,
            TrafficChecker(
                fixture=fixture,
                client_id=client_id,
                client_secret=client_secret,
                secrets=secrets,
                max_cases=MAX_CASES,
                base_url=server.base_url,
                target="mock",
            ),
        )
    finally:
        mock.__exit__(None, None, None)


def _har_writer(path: str | None, checker: TrafficChecker) -> Any:
    if not path:
        return None
    from kore_contract.proxy.har import HarWriter

    return HarWriter(Path(path), secrets=checker.secrets)


def _stop_after(duration: float | None, server: ProxyServer) -> threading.Timer | None:
    if duration is None:
        return None
    timer = threading.Timer(duration, server.request_exit)
    timer.daemon = True
    timer.start()
    return timer


def _finish(
    checker: TrafficChecker, app: Any, har: Any, report_dir: Path, out: TextIO, err: TextIO
) -> int:
    """Write the reports (and the HAR); the exit status."""
    from kore_contract.commands.test import write_reports
    from kore_contract.contract.loader import collector_paused
    from kore_contract.run.console import print_summary

    # the kept cases (up to MAX_CASES) unpack into many objects and no cycle: with the
    # collector on, writing the reports of a long session spent seconds in it at Ctrl-C
    with collector_paused():
        result = checker.result()
        with checker.secrets.active():
            written = write_reports(result, report_dir)
        print_summary(result, out, written)
        if har is not None:  # after the reports: a HAR that cannot be written loses no report
            try:
                har.close()
            except OSError as error:
                raise CannotRun(f"--har-out: cannot write {har.path}: {error}") from None
    if app.errors:
        err.write(f"kore-contract proxy: {len(app.errors)} unexpected error(s) in the proxy\n")
        return EXIT_CANNOT_RUN
    return EXIT_FINDINGS if result.verdict != "pass" else EXIT_OK
