"""`kore-contract report`: render a results.json as HTML, JUnit XML, Markdown or JSON."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from kore_contract.run.results import RunResult

HELP = "render a run's results.json as html, junit, md or json"
DESCRIPTION = """\
Render the results.json of a contract run (`kore-contract test`) as one report:
  html   one self-contained page: verdict, rules chart, rule table, field matrix
  junit  JUnit XML, one test case per rule per call, for CI
  md     Markdown for a pull-request comment
  json   the results again, redacted and pretty-printed

Without --out the report goes to standard output; with it, the file is replaced whole or
not at all.
exit 0: written; 2: the results file is missing, unreadable or not a results file.
"""
EXIT_OK, EXIT_UNREADABLE = 0, 2
#: A results file larger than this is refused (a run of 1,000 cases writes about 3.4 MB).
MAX_RESULTS_BYTES = 256 * 1024 * 1024
#: Deeper JSON is refused: a results file nests about ten levels around the bodies it holds,
#: and every writer must be able to walk what it reads.
MAX_DEPTH = 512


class UnreadableResults(Exception):
    """The results file cannot be used; the message is one line for the user."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--results", required=True, metavar="FILE", help="the results.json of a run"
    )
    from kore_contract.report import FORMATS

    parser.add_argument("--format", required=True, choices=FORMATS, help="the report to render")
    parser.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    parser.add_argument(
        "--docs",
        nargs="+",
        default=None,
        metavar="DOC.md",
        help="documentation pages whose trace (fields, defects) the report "
        "includes, in place of the one the results hold",
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from kore_contract.common.escape import terminal

    def refuse(problem: object) -> int:
        err.write(f"kore-contract report: {terminal(problem)}\n")
        return EXIT_UNREADABLE

    try:
        results = load_results(Path(args.results))
    except UnreadableResults as problem:
        return refuse(problem)
    from kore_contract.common.files import write_atomic
    from kore_contract.report import render

    if args.docs:
        from kore_contract.trace.tracer import trace_documents

        traced = trace_documents(args.docs)
        for path, why in traced.unreadable:
            refuse(f"{path}: {why}")
        if traced.unreadable:
            return EXIT_UNREADABLE
        results = dataclasses.replace(results, trace=traced.to_json())
    try:
        text = render(results, args.format)
    except (ValueError, RecursionError) as error:  # a results file no writer can show
        return refuse(f"{args.results}: cannot render it as {args.format}: {error}")
    if args.out is None:
        out.write(text)
        return EXIT_OK
    try:
        write_atomic(args.out, text)
    except OSError as error:
        return refuse(f"cannot write {args.out}: {error.strerror or error}")
    return EXIT_OK


def load_results(path: Path) -> RunResult:
    """The results in `path`, valid against results.schema.json; `UnreadableResults` if
    not.

    Read by the loader (`read_json_file`): a regular file only (a FIFO or /dev/zero is
    refused at once), at most MAX_RESULTS_BYTES, strict JSON (no NaN, no integer of more
    digits than Python converts, no lone surrogate); and nested at most MAX_DEPTH levels,
    so that every writer can walk it."""
    from kore_contract.common.files import nesting
    from kore_contract.contract.loader import Unreadable, read_json_file
    from kore_contract.report.json_report import schema_problem
    from kore_contract.run.results import ResultsShapeError, RunResult

    parsed = read_json_file(path, limit=MAX_RESULTS_BYTES)
    if isinstance(parsed, Unreadable):
        raise UnreadableResults(f"{path}: {parsed.reason}")
    results = parsed.payload
    depth = nesting(results)
    if depth > MAX_DEPTH:
        raise UnreadableResults(
            f"{path}: not usable JSON: nested too deeply ({depth} levels; at "
            f"most {MAX_DEPTH} are read)"
        )
    problem = schema_problem(results)
    if problem:
        raise UnreadableResults(f"{path}: not a kore-contract results file: {problem}")
    try:
        return RunResult.from_json(results)
    except ResultsShapeError as error:
        raise UnreadableResults(f"{path}: not a kore-contract results file: {error}") from None
