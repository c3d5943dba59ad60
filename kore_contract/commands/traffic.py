"""`kore-contract validate --traffic FILE...`: recorded exchanges (HAR 1.2, JSON Lines) checked
in order with state, as the proxy checks live ones (kore_contract.proxy).

One `TrafficChecker` reads every file (`-`: standard input) in the order given (a session
split over files keeps its state). Text: one line per exchange (`FILE#INDEX` and the proxy's
line), its findings indented, and a summary; `--format json`: validate's JSON shape with one
result per exchange (`path` "FILE#INDEX"; `call`, `http_status` and `verdict` beside it),
written as it goes with the summary last; `--format junit`: the run's junit.xml.
`--report-dir DIR` writes results.json, junit.xml, report.html and report.md as
`kore-contract test` does (the first MAX_CASES exchanges as cases, every one in the rule
table). Exit status: 0 no violation; 1 at least one; 2 a usage error, or nothing could be
read (every file missing, empty or unreadable). An entry that cannot be read is reported with
its index and why, and does not change the exit status when others could be read.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from kore_contract.contract.fixture import Fixture

EXIT_OK, EXIT_VIOLATIONS, EXIT_UNREADABLE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `validate` that only --traffic reads."""
    parser.add_argument(
        "--traffic",
        action="store_true",
        help="each PATH is recorded traffic (HAR 1.2, or JSON Lines of exchanges): every "
        "exchange checked in order with state, as the proxy checks it; reported as FILE#INDEX",
    )
    parser.add_argument(
        "--report-dir",
        metavar="DIR",
        help="with --traffic: also write results.json, junit.xml, report.html and report.md here",
    )
    parser.add_argument(
        "--client-id",
        default=os.environ.get("KORE_CLIENT_ID"),
        help="with --traffic: the app's client id (A2: a token's appId must name it)",
    )
    parser.add_argument(
        "--client-secret",
        default=os.environ.get("KORE_CLIENT_SECRET"),
        help="with --traffic: the client secret; tokens' signatures are verified only when "
        "it is given (else their shape and claims), and it never appears in the output",
    )


@dataclass
class _Tally:
    exchanges: int = 0
    ok: int = 0
    violations: int = 0
    outside: int = 0
    errors: int = 0
    unreadable: int = 0
    valid: int = 0
    invalid: int = 0


def run_traffic(args: argparse.Namespace, fixture: Fixture | None, out: TextIO, err: TextIO) -> int:
    """Check the recorded traffic of `args.paths`; the exit status."""
    from kore_contract.common.escape import terminal
    from kore_contract.proxy.checker import MAX_CASES, TrafficChecker
    from kore_contract.redaction import RunSecrets, redact_text

    if vars(args).get("jsonl"):
        err.write("kore-contract validate: --traffic and --jsonl: give one of them\n")
        return EXIT_UNREADABLE
    secrets = RunSecrets([args.client_secret])
    checker = TrafficChecker(
        fixture=fixture,
        client_id=args.client_id,
        client_secret=args.client_secret,
        secrets=secrets,
        target="live",
        keep_exchanges=bool(args.report_dir) or args.format == "junit",
        max_cases=MAX_CASES,
    )
    tally = _Tally()
    text = args.format == "text"
    listed = _JsonResults(out, secrets) if args.format == "json" else None
    for path, index, item in _entries(args.paths):
        where = f"{path}#{index}"
        if isinstance(item, str):
            tally.unreadable += 1
            shown = terminal(redact_text(item, list(secrets)))
            if listed is not None:
                listed.add(_result(where, "unreadable", error=shown))
            if text:
                out.write(f"{terminal(where)}  unreadable: {shown}\n")
            continue
        verdict = checker.check_exchange(item)
        tally.exchanges += 1
        if verdict.verdict == "not in the contract":
            tally.outside += 1
        elif verdict.verdict == "error":
            tally.errors += 1
        if verdict.findings:
            tally.violations += 1
        elif verdict.verdict == "ok":
            tally.ok += 1
        if verdict.findings:
            tally.invalid += 1
        else:
            tally.valid += 1
        if listed is not None:
            listed.add(
                _result(
                    where,
                    "invalid" if verdict.findings else "valid",
                    violations=[
                        {"rule": f.rule, "pointer": f.pointer, "message": f.message}
                        for f in verdict.findings
                    ],
                    error=verdict.error,
                    call=verdict.call,
                    http_status=verdict.status,
                    verdict=verdict.verdict,
                )
            )
        if text:
            out.write(f"{terminal(where)}  {checker.line(verdict, numbered=False)}\n")
            for finding in verdict.findings:
                out.write(f"    {terminal(redact_text(finding.line(), list(secrets)))}\n")
    if tally.exchanges and tally.outside == tally.exchanges:
        from kore_contract.proxy.checker import api_root

        err.write(
            f"kore-contract validate: none of the {tally.exchanges} exchanges is a call of the "
            f"contract (their paths are under {api_root()}); nothing was judged\n"
        )
    result = checker.result()
    if args.report_dir:
        from kore_contract.commands.test import write_reports
        from kore_contract.run.options import CannotRun

        try:
            with secrets.active():
                written = write_reports(result, Path(args.report_dir))
        except CannotRun as error:
            err.write(f"kore-contract validate: {error}\n")
            _summary(args.format, tally, result, secrets, out)
            return EXIT_UNREADABLE
        if text:
            out.write(f"reports: {', '.join(str(p) for p in written)}\n")
    _summary(args.format, tally, result, secrets, out)
    if tally.exchanges == 0:
        if text or args.format == "junit":
            err.write("kore-contract validate: no exchange could be read\n")
        return EXIT_UNREADABLE
    return EXIT_VIOLATIONS if tally.violations else EXIT_OK


def _entries(paths: list[str]) -> Iterator[tuple[str, int, Any]]:
    """(path, index, Exchange or why it is unreadable) for every entry of every file."""
    from kore_contract.proxy.recorded import read_traffic

    for path in paths:
        if path == "-":
            yield from _stdin_entries()
            continue
        if not Path(path).is_file():
            yield path, 0, "not a regular file" if Path(path).exists() else "no such file"
            continue
        try:
            for index, item in read_traffic(path):
                yield path, index, item if not hasattr(item, "reason") else item.reason
        except OSError as error:
            yield path, 0, f"cannot read: {error.strerror or error}"


def _stdin_entries() -> Iterator[tuple[str, int, Any]]:
    """Standard input, copied to a temporary file a block at a time (the reader looks at
    the start, then streams; nothing is held in memory)."""
    import shutil
    import sys
    import tempfile

    from kore_contract.proxy.recorded import read_traffic

    with tempfile.NamedTemporaryFile(prefix="kore-traffic-", suffix=".har") as copy:
        shutil.copyfileobj(sys.stdin.buffer, copy, 1024 * 1024)
        copy.flush()
        for index, item in read_traffic(copy.name):
            yield "-", index, item if not hasattr(item, "reason") else item.reason


def _result(where: str, status: str, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "path": where,
        "status": status,
        "violations": extra.pop("violations", []),
        "warnings": [],
        "error": extra.pop("error", None),
    }
    entry.update(extra)
    return entry


class _JsonResults:
    """validate's JSON document written as it goes: `{"results": [...], "summary": {...}}`
    (the summary last, once counted; nothing is held for the end)."""

    def __init__(self, out: TextIO, secrets: Any) -> None:
        self.out, self.secrets, self.count = out, secrets, 0
        out.write('{"results": [')

    def add(self, entry: dict[str, Any]) -> None:
        from kore_contract.redaction import redact

        shown = json.dumps(redact(entry, list(self.secrets)), ensure_ascii=False)
        self.out.write(("," if self.count else "") + "\n  " + shown)
        self.count += 1


def _summary(fmt: str, tally: _Tally, result: Any, secrets: Any, out: TextIO) -> None:
    from kore_contract.redaction import redact

    if fmt == "json":
        summary = {
            "files": tally.valid + tally.invalid + tally.unreadable,
            "valid": tally.valid,
            "invalid": tally.invalid,
            "unreadable": tally.unreadable,
            "exchanges": tally.exchanges,
            "not_in_the_contract": tally.outside,
        }
        out.write(f'],\n "summary": {json.dumps(redact(summary, list(secrets)))}}}\n')
        return
    if fmt == "junit":
        from kore_contract.report import render

        with secrets.active():
            out.write(render(result, "junit"))
        return
    parts = [
        f"{tally.exchanges} exchange{'' if tally.exchanges == 1 else 's'}",
        f"{tally.ok} ok",
        f"{tally.violations} with violations",
        f"{tally.outside} not in the contract",
    ]
    if tally.errors:
        parts.append(f"{tally.errors} without an answer")
    if tally.unreadable:
        parts.append(f"{tally.unreadable} unreadable")
    failed = sorted({row.id for row in result.rules if row.status == "failed"})
    out.write(", ".join(parts) + (f"; rules broken: {', '.join(failed)}" if failed else "") + "\n")
