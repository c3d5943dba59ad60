"""`kore-contract report`: render a results.json as HTML, JUnit XML, Markdown or JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

HELP = "render a run's results.json as html, junit, md or json"
DESCRIPTION = """\
Render the results.json of a contract run (`kore-contract test`) as one report:
  html   one self-contained page: verdict, rules chart, rule table, field matrix
  junit  JUnit XML, one test case per rule per call, for CI
  md     Markdown for a pull-request comment
  json   the results again, redacted and pretty-printed

Without --out the report goes to standard output.
exit 0: written; 2: the results file is missing, unreadable or not a results file.
"""
FORMATS = ("html", "junit", "md", "json")
EXIT_OK, EXIT_UNREADABLE = 0, 2


class Unreadable(Exception):
    """The results file cannot be used; the message is one line for the user."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", required=True, metavar="FILE",
                        help="the results.json of a run")
    parser.add_argument("--format", required=True, choices=FORMATS, help="the report to render")
    parser.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    parser.add_argument("--docs", nargs="+", default=None, metavar="DOC.md",
                        help="documentation pages whose trace (fields, defects) the report "
                             "includes, in place of the one the results hold")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        results = load_results(Path(args.results))
    except Unreadable as problem:
        err.write(f"kore-contract report: {problem}\n")
        return EXIT_UNREADABLE
    from kore_contract.report import render

    if args.docs:
        from kore_contract.trace import trace_documents

        traced = trace_documents(args.docs)
        for path, why in traced.unreadable:
            err.write(f"kore-contract report: {path}: {why}\n")
        if traced.unreadable:
            return EXIT_UNREADABLE
        results["trace"] = traced.to_json()
    text = render(results, args.format)
    if args.out is None:
        out.write(text)
        return EXIT_OK
    try:
        Path(args.out).write_text(text, encoding="utf-8")
    except OSError as error:
        err.write(f"kore-contract report: cannot write {args.out}: {error.strerror or error}\n")
        return EXIT_UNREADABLE
    return EXIT_OK


def load_results(path: Path) -> dict[str, Any]:
    """The results dict in `path`, valid against results.schema.json; `Unreadable` if not."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise Unreadable(f"{path}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise Unreadable(f"cannot read {path}: {error.strerror or error}") from None
    try:
        results = json.loads(text)
    except json.JSONDecodeError as error:
        raise Unreadable(
            f"{path}: not JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from None
    problem = schema_problem(results)
    if problem:
        raise Unreadable(f"{path}: not a kore-contract results file: {problem}")
    return results  # type: ignore[no-any-return]


def schema_problem(results: Any) -> str | None:
    """The first way `results` breaks results.schema.json, on one line; None if it keeps it."""
    import jsonschema

    from kore_contract.report import SCHEMA_FILE

    if not isinstance(results, dict):
        return f"expected a JSON object; got {type(results).__name__}"
    if results.get("version") != 1:
        return f"version: got {json.dumps(results.get('version'))}; expected 1"
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(results)
    )
    if error is None:
        return None
    where = "".join(f"/{part}" for part in error.absolute_path) or "(root)"
    message = " ".join(error.message.split())
    if len(message) > 200:
        message = message[:197] + "..."
    return f"{where}: {message}"
