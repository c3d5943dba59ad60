"""`kore-contract test`: does the server keep the contract? Rule by rule."""

from __future__ import annotations

import argparse
import os
from typing import TextIO

HELP = "run the contract against a base URL (default: the embedded mock)"
DESCRIPTION = """\
Send the contract's cases to a server and check every answer against the rules of
docs/contract.md: accepted creates (S1-S8), refusals (S9, A3), bad tokens (A2), the
create-get-delete lifecycle (S10) and leaks (S11).

Without --base-url it starts the embedded mock on a free loopback port and tests
that. A base URL that is not loopback is a real account: it needs --allow-writes,
and every campaign the run creates is recorded in a ledger and deleted at the end
(`kore-contract cleanup --ledger FILE` finishes the job after a crash).

Exit status: 0 the server keeps the contract; 1 violations found; 2 the run could
not be made (unreachable server, bad options) or the server stopped answering
mid-run (the reports then hold what was gathered). Reports go to --report-dir.
An answer larger than 8 MB is recorded as an error and the run goes on.

Every option also reads an environment variable: KORE_BASE_URL, KORE_STREAM_ID,
KORE_ACCOUNT_ID, KORE_IID, KORE_CLIENT_ID, KORE_CLIENT_SECRET, KORE_TOKEN, KORE_FIXTURE.
"""

DEFAULT_STREAM_ID = "st-kore-contract-stream"
DEFAULT_ACCOUNT_ID = "kore-contract-account"
DEFAULT_IID = "st-kore-contract-app"


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group("target")
    target.add_argument("--base-url", default=_env("KORE_BASE_URL"),
                        help="server to test, e.g. https://platform.kore.ai (default: the "
                             "embedded mock)")
    target.add_argument("--stream-id", default=_env("KORE_STREAM_ID"), help="streamId (path)")
    target.add_argument("--account-id", default=_env("KORE_ACCOUNT_ID"),
                        help="accountId (header and query)")
    target.add_argument("--iid", default=_env("KORE_IID"), help="application id (iid header)")
    creds = parser.add_argument_group("credentials (a token is minted from the client id "
                                      "and secret, or given as --token)")
    creds.add_argument("--client-id", default=_env("KORE_CLIENT_ID"))
    creds.add_argument("--client-secret", default=_env("KORE_CLIENT_SECRET"),
                       help="prefer KORE_CLIENT_SECRET, which stays out of shell history")
    creds.add_argument("--token", default=_env("KORE_TOKEN"), help="a ready JWT for auth")
    run = parser.add_argument_group("run")
    run.add_argument("--fixture", default=_env("KORE_FIXTURE"),
                     help="the account's fixture (default: the bundled example)")
    run.add_argument("--max-examples", type=int, default=25, metavar="N",
                     help="generated valid bodies (default: 25)")
    run.add_argument("--seed", type=int, default=0, help="seed of generated cases (default: 0)")
    run.add_argument("--report-dir", default="reports", metavar="DIR",
                     help="where results.json and the reports go (default: reports)")
    run.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                     help="deadline of each request, answer included: a server "
                          "that trickles its answer is cut off (default: 10)")
    run.add_argument("--rate", type=float, default=None, metavar="PER_SECOND",
                     help="at most this many requests a second (default: no cap on "
                          "loopback, 5 on a live server)")
    run.add_argument("--allow-writes", action="store_true",
                     help="allow creating (and deleting) campaigns on a non-loopback server")
    run.add_argument("--fault", default=None, help=argparse.SUPPRESS)  # mock self-test only
    run.add_argument("--no-fuzz", action="store_true",
                     help="skip the schemathesis fuzzing phase")
    run.add_argument("--docs", nargs="+", default=None, metavar="DOC.md",
                     help="the documentation pages (Markdown): their trace (fields and "
                          "documentation defects) goes into the reports")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from kore_contract.run.session import ContractRunOptions, run_contract

    if args.max_examples < 1:
        err.write(f"kore-contract test: --max-examples={args.max_examples}: must be at least 1\n")
        return 2
    if args.timeout <= 0:
        err.write(f"kore-contract test: --timeout={args.timeout}: must be positive\n")
        return 2
    if args.rate is not None and args.rate <= 0:
        err.write(f"kore-contract test: --rate={args.rate}: must be positive\n")
        return 2
    options = ContractRunOptions(
        base_url=args.base_url, stream_id=args.stream_id or DEFAULT_STREAM_ID,
        account_id=args.account_id or DEFAULT_ACCOUNT_ID, iid=args.iid or DEFAULT_IID,
        client_id=args.client_id, client_secret=args.client_secret, token=args.token,
        fixture=args.fixture, max_examples=args.max_examples, seed=args.seed,
        report_dir=args.report_dir, timeout=args.timeout, rate=args.rate,
        allow_writes=args.allow_writes, fault=args.fault, fuzz=not args.no_fuzz,
        docs=args.docs or [],
    )
    return run_contract(options, out, err)
