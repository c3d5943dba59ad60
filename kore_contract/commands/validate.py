"""`kore-contract validate PATH...`: check payload files before they are sent."""

from __future__ import annotations

import argparse
import os
from typing import Any, TextIO

from kore_contract.commands import traffic

HELP = "check request bodies (or captured answers) against the contract"
DESCRIPTION = """\
Check payload files against the contract (the rule ids of docs/contract.md).

--call names the call a file is a body of (create, the default; update; list) or, with
--kind response, whose success answer it is (create, get, update, delete, start, stop,
status, list). A create or update body is one of three variants, read from the body
(C1): advanced (format "advanced"), template (message.template_name), else plain;
--variant insists on one (a body of another variant is a C1 violation). The text output
names the variant each body was read as.

PATH is a file, a folder (every *.json below it but a fuzz corpus's manifest.json)
or - for standard input.
Exit status: 0 every payload valid; 1 at least one violation; 2 something
unreadable (not a regular file, not UTF-8, not JSON) or a usage error. Every path
is reported either way, every entry of a folder that cannot be read included.
A payload with very many violations lists the first ones and counts the rest
("... and 30 more violations"; in JSON "more_violations").

--jsonl: each PATH (a file, or - for standard input) is JSON Lines, every line one body,
checked as a file holding it would be and reported at FILE:LINE (text: one line per
violation; JSON: one result per line, summary.files counting them; JUnit: one test case
per line). Blank lines are skipped and counted; a line that cannot be read (not JSON,
not UTF-8, over the size limit of a body file) is reported by number, the rest still checked.

--traffic: each PATH is recorded traffic (HAR 1.2, or JSON Lines of exchanges), every
exchange checked in order with state as the proxy checks it and reported at FILE#INDEX;
--client-secret (KORE_CLIENT_SECRET) verifies tokens' signatures, --report-dir writes the
reports of `kore-contract test`. Exit 2 only when nothing could be read.

examples:
  kore-contract validate campaign.json
  kore-contract validate payloads/ --fixture account.json --format json
  kore-contract validate --variant plain plain-campaign.json
  kore-contract validate --call update --fixture account.json update-body.json
  kore-contract validate --call list list-body.json
  kore-contract validate --jsonl sent-bodies.jsonl     # each line one body: FILE:LINE
  kore-contract validate --traffic session.har --fixture account.json --report-dir reports/
  cat body.json | kore-contract validate -
  kore-contract validate --kind response captured-create-answer.json
  kore-contract validate --kind response --call stop captured-stop-answer.json
"""

PARALLEL_FROM = 256  # files; below this a pool costs more than it saves


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="file, folder or - (stdin)")
    parser.add_argument(
        "--fixture",
        metavar="F",
        default=os.environ.get("KORE_FIXTURE"),
        help="the account's fixture (JSON): also check that contact lists "
        "exist (R4), the message matches its template (R10) and the experience "
        "flow exists (C3)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "junit"),
        default="text",
        help="output format (default: text)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="warn about properties the spec does not document (R16)",
    )
    parser.add_argument(
        "--kind",
        choices=("request", "response"),
        default="request",
        help="request: request bodies (default); response: a captured success answer of --call",
    )
    parser.add_argument(  # the calls and variants are the spec's: checked in run()
        "--call",
        default="create",
        metavar="CALL",
        help="create (default), update or list: whose request body; with --kind response "
        "also get, delete, start, stop or status: whose answer",
    )
    parser.add_argument(
        "--variant",
        default=None,
        metavar="VARIANT",
        help="template, plain or advanced: insist on one create variant (default: any, "
        "read from the body by C1)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes for large folders (default: every core)",
    )
    traffic.add_arguments(parser)  # --traffic and the options only it reads
    parser.add_argument(
        "--jsonl",
        action="store_true",
        help="each PATH is JSON Lines: every line one body of --call, checked as a file "
        "with that body would be, reported as FILE:LINE",
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from kore_contract.validate.batch import check_all, exit_code
    from kore_contract.validate.output import render

    if args.jobs is not None and args.jobs < 1:
        err.write(f"kore-contract validate: --jobs={args.jobs}: must be at least 1\n")
        return 2
    problem = _usage_problem(args.kind, args.call, args.variant)
    if problem:
        err.write(f"kore-contract validate: {problem}\n")
        return 2
    fixture = None
    if args.fixture:
        from kore_contract.contract.fixture import FixtureError, load_fixture

        try:
            fixture = load_fixture(args.fixture)
        except FixtureError as error:
            err.write(f"kore-contract validate: {error}\n")
            return 2
    if args.jsonl and args.traffic:
        err.write("kore-contract validate: --jsonl and --traffic: one kind of file at a time\n")
        return 2
    if args.traffic:  # recorded exchanges, checked with state (commands/traffic.py)
        ignored = _not_for_traffic(args)
        if ignored:
            err.write(
                f"kore-contract validate: {ignored} do not apply to --traffic: each "
                "exchange's call, variant and side are read from the exchange itself\n"
            )
            return 2
        return traffic.run_traffic(args, fixture, out, err)
    if args.jsonl:
        return _run_jsonl(args, fixture, out, err)
    results: list[dict[str, Any]] = check_all(
        args.paths,
        kind=args.kind,
        fixture=fixture,
        strict=args.strict,
        jobs=args.jobs or os.cpu_count() or 1,
        parallel_from=PARALLEL_FROM,
        call=args.call,
        variant=args.variant,
    )
    _write(out, render(results, args.format, color=_color(out)))
    return exit_code(results)


def _run_jsonl(args: argparse.Namespace, fixture: Any, out: TextIO, err: TextIO) -> int:
    """--jsonl: every line of each file checked as one body (validate/jsonl.py)."""
    from kore_contract.validate import jsonl
    from kore_contract.validate.batch import Checking
    from kore_contract.validate.sinks import SINKS

    checking = Checking(args.kind, fixture, args.strict, args.call, args.variant)
    sink = SINKS[args.format](out, color=_color(out))
    tally = jsonl.check_jsonl(args.paths, checking, sink, jobs=args.jobs or os.cpu_count() or 1)
    if tally.blank and args.format != "text":  # the text summary says it
        lines = f"{tally.blank:,} blank line{'s' if tally.blank != 1 else ''}"
        err.write(f"kore-contract validate: {lines} skipped\n")
    return tally.exit_code()


def _not_for_traffic(args: argparse.Namespace) -> str:
    """The options given that --traffic cannot honour (`--call create`, the default, is
    indistinguishable from none), as one phrase, or ""."""
    given = [
        option
        for option, used in (
            ("--kind response", args.kind != "request"),
            (f"--call {args.call}", args.call != "create"),
            (f"--variant {args.variant}", args.variant is not None),
            ("--strict", args.strict),
        )
        if used
    ]
    return " and ".join(given)


def _usage_problem(kind: str, call: str, variant: str | None) -> str | None:
    """What is wrong with --kind, --call and --variant together (read against the spec's
    calls and variants), or None."""
    from kore_contract.validate import schemas

    answers, bodies = schemas.response_calls(), schemas.request_calls()
    if call not in answers and call not in bodies:
        return f"--call {call}: unknown call; calls: {', '.join(answers)}"
    if kind == "request" and call not in bodies:
        return (
            f"--call {call}: it sends no body to check; request bodies: "
            f"{', '.join(bodies)} (--kind response checks its answer)"
        )
    if variant is None:
        return None
    if variant not in schemas.variants():
        return f"--variant {variant}: unknown variant; variants: {', '.join(schemas.variants())}"
    if kind == "response" or call not in schemas.variant_calls():
        return (
            f"--variant {variant}: only a body of {' or '.join(schemas.variant_calls())} "
            f"has a variant (here --kind {kind} --call {call})"
        )
    return None


def _write(out: TextIO, text: str) -> None:
    """Write, showing what the stream cannot encode (a file name that is not UTF-8) escaped."""
    try:
        out.write(text)
    except UnicodeEncodeError:
        encoding = getattr(out, "encoding", None) or "utf-8"
        out.write(text.encode(encoding, "backslashreplace").decode(encoding))


def _color(out: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(out, "isatty", lambda: False)())
