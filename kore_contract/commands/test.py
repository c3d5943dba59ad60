"""`kore-contract test`: does the server keep the contract? Rule by rule."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kore_contract.run.options import CannotRun

if TYPE_CHECKING:
    from kore_contract.run.options import SessionOptions
    from kore_contract.run.results import RunResult
    from kore_contract.run.session import ContractSession

HELP = "run the contract against a base URL (default: the embedded mock)"
DESCRIPTION = """\
Send the contract's cases to a server and check every answer against the rules of
docs/contract.md: accepted creates (S1-S8), refusals (S9, A3), bad tokens (A2), the
create-get-delete lifecycle (S10) and leaks (S11).

Without --base-url it starts the embedded mock on a free loopback port and tests
that. A base URL that is not loopback is a real account: it needs --allow-writes,
and every campaign the run creates is recorded in a ledger and deleted at the end
(`kore-contract cleanup --ledger FILE` finishes the job after a crash, stopping an
Active campaign first). A started campaign sends real messages: on such a server
nothing is started (nor triggered) without --allow-sends, and then only campaigns on
the fixture's sendableContactLists; the rules that need a start (T2-T6) are reported
as not exercised, with the reason.

Exit status: 0 the server keeps the contract; 1 violations found; 2 the run could
not be made (unreachable server, bad options) or the server stopped answering
mid-run (the reports then hold what was gathered). Reports go to --report-dir.
An answer larger than 8 MB is recorded as an error and the run goes on.

Every option also reads an environment variable: KORE_BASE_URL, KORE_STREAM_ID,
KORE_ACCOUNT_ID, KORE_IID, KORE_CLIENT_ID, KORE_CLIENT_SECRET, KORE_TOKEN, KORE_FIXTURE.
"""

EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 130


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from kore_contract.run import options as defaults

    target = parser.add_argument_group("target")
    target.add_argument(
        "--base-url",
        default=_env("KORE_BASE_URL"),
        help="server to test, e.g. https://platform.kore.ai (default: the embedded mock)",
    )
    target.add_argument("--stream-id", default=_env("KORE_STREAM_ID"), help="streamId (path)")
    target.add_argument(
        "--account-id", default=_env("KORE_ACCOUNT_ID"), help="accountId (header and query)"
    )
    target.add_argument("--iid", default=_env("KORE_IID"), help="application id (iid header)")
    creds = parser.add_argument_group(
        "credentials (a token is minted from the client id and secret, or given as --token)"
    )
    creds.add_argument("--client-id", default=_env("KORE_CLIENT_ID"))
    creds.add_argument(
        "--client-secret",
        default=_env("KORE_CLIENT_SECRET"),
        help="prefer KORE_CLIENT_SECRET, which stays out of shell history",
    )
    creds.add_argument("--token", default=_env("KORE_TOKEN"), help="a ready JWT for auth")
    run = parser.add_argument_group("run")
    run.add_argument(
        "--fixture",
        default=_env("KORE_FIXTURE"),
        help="the account's fixture (default: the bundled example)",
    )
    run.add_argument(
        "--max-examples",
        type=int,
        default=defaults.DEFAULT_MAX_EXAMPLES,
        metavar="N",
        help="generated valid bodies (default: %(default)s)",
    )
    run.add_argument(
        "--seed",
        type=int,
        default=defaults.DEFAULT_SEED,
        help="seed of generated cases (default: %(default)s)",
    )
    run.add_argument(
        "--report-dir",
        default=defaults.DEFAULT_REPORT_DIR,
        metavar="DIR",
        help="where results.json and the reports go (default: %(default)s)",
    )
    run.add_argument(
        "--timeout",
        type=float,
        default=defaults.DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="deadline of each request, answer included: a "
        "server that trickles its answer is cut off (default: %(default)g)",
    )
    run.add_argument(
        "--rate",
        type=float,
        default=None,
        metavar="PER_SECOND",
        help="at most this many requests a second (default: no cap on "
        f"loopback, {defaults.LIVE_DEFAULT_RATE:g} on a live server)",
    )
    run.add_argument(
        "--allow-writes",
        action="store_true",
        help="allow creating (and deleting) campaigns on a non-loopback server",
    )
    run.add_argument(
        "--allow-sends",
        action="store_true",
        default=os.environ.get("KORE_ALLOW_SENDS", "").lower() in ("1", "true", "yes"),
        help="allow starting campaigns on a non-loopback server: only those "
        "whose contact lists the fixture marks sendableContactLists (a "
        "started campaign sends real messages) [env KORE_ALLOW_SENDS=1]",
    )
    run.add_argument("--fault", default=None, help=argparse.SUPPRESS)  # mock self-test only
    run.add_argument("--no-fuzz", action="store_true", help="skip the schemathesis fuzzing phase")
    run.add_argument(
        "--docs",
        nargs="+",
        default=None,
        metavar="DOC.md",
        help="the documentation pages (Markdown): their trace (fields and "
        "documentation defects) goes into the reports",
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from kore_contract.run.session import ContractSession

    problem = _bad_option(args)
    if problem:
        err.write(f"kore-contract test: {problem}\n")
        return EXIT_CANNOT_RUN
    try:
        with ContractSession(session_options(args)) as session:
            return _run(session, args.docs or [], out, err)
    except CannotRun as error:
        err.write(f"kore-contract test: {error}\n")
        return EXIT_CANNOT_RUN


def _bad_option(args: argparse.Namespace) -> str | None:
    if args.max_examples < 1:
        return f"--max-examples={args.max_examples}: must be at least 1"
    if args.timeout <= 0:
        return f"--timeout={args.timeout}: must be positive"
    if args.rate is not None and args.rate <= 0:
        return f"--rate={args.rate}: must be positive"
    return None


def session_options(args: argparse.Namespace) -> SessionOptions:
    """The session's options from the command line (unset ones keep the session's
    defaults)."""
    from kore_contract.run.options import SessionOptions

    given = {
        "base_url": args.base_url,
        "stream_id": args.stream_id,
        "account_id": args.account_id,
        "iid": args.iid,
        "client_id": args.client_id,
        "client_secret": args.client_secret,
        "token": args.token,
        "fixture": args.fixture,
        "rate": args.rate,
        "fault": args.fault,
    }
    return SessionOptions(
        **{name: value for name, value in given.items() if value},
        max_examples=args.max_examples,
        seed=args.seed,
        report_dir=Path(args.report_dir),
        timeout=args.timeout,
        allow_writes=args.allow_writes,
        allow_sends=args.allow_sends,
        fuzz=not args.no_fuzz,
    )


def _run(session: ContractSession, docs: list[str], out: TextIO, err: TextIO) -> int:
    from kore_contract.run.console import print_summary, progress_bar

    outcome = session.run(progress=functools.partial(progress_bar, err))
    result = outcome.result
    if docs:
        from kore_contract.trace.tracer import trace_documents

        result = dataclasses.replace(result, trace=trace_documents(docs).to_json())
    written = write_reports(result, session.options.report_dir)
    print_summary(result, out, written)
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    if outcome.stopped:
        err.write(f"kore-contract test: {result.error}\n")
        return EXIT_CANNOT_RUN
    return EXIT_FINDINGS if result.verdict != "pass" else EXIT_OK


def write_reports(result: RunResult, report_dir: Path) -> list[Path]:
    """The four reports, each written whole (by `kore_contract.report.write_reports`);
    `CannotRun` (one line, naming the reports that were written) when one of them cannot
    be."""
    from kore_contract.common.escape import terminal
    from kore_contract.report import ReportsNotWritten
    from kore_contract.report import write_reports as write_all

    try:
        return write_all(result, report_dir)
    except ReportsNotWritten as failed:
        written = ", ".join(str(path) for path in failed.written) or "none"
        raise CannotRun(terminal(f"{failed}; reports written: {written}")) from None
