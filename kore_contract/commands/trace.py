"""`kore-contract trace DOC.md... [--format text|json|md]`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from kore_contract.trace.tracer import TraceResult

HELP = "trace documentation fields to the spec and report documentation defects"
DESCRIPTION = """\
Read the documentation pages (your copies of the published Markdown) and list every field
they document (tables, sample request and response, endpoint line) with where the spec
has it and the rule ids that cover it; then report the documentation's own defects:
table fields missing from the sample and the reverse, path prefixes that do not match,
types that differ between tables, samples and sibling pages, sample values that break a
rule of the page's own call, endpoint parameters no table lists, descriptions that
contradict a sample or each other, an endpoint path that is not its call's path in the spec,
a record field the answers spell two ways (`_id`, `id`).

With no DOC, list the fields the spec records as taken from the documentation.

A sample that looks like JSON but does not parse is a defect too (sample-not-json); a
document that is not a regular file (a folder, a FIFO, a device) is unreadable.

exit status: 0 no defect, 1 defects found, 2 a document unreadable (the others are
still traced)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "documents", nargs="*", metavar="DOC.md", help="documentation pages to trace"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "md"),
        default="text",
        help="output format (default: text)",
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """What documents say is shown, never obeyed: text output escapes control characters,
    Markdown escapes its own and HTML's characters, JSON escapes lone surrogates (the file
    name that is not UTF-8)."""
    from kore_contract.common.escape import json_text, terminal
    from kore_contract.trace.tracer import trace_documents, trace_spec_only

    result = trace_documents(args.documents) if args.documents else trace_spec_only()
    for path, reason in result.unreadable:
        err.write(terminal(f"kore-contract trace: {path}: {reason}") + "\n")
    if args.format == "json":
        out.write(json_text(result.to_json()) + "\n")
    elif args.format == "md":
        out.write(markdown(result))
    else:
        out.write(text(result))
    return result.exit_code


def text(result: TraceResult) -> str:
    """One line per item; whatever a document or a file name holds, escaped (`terminal`)."""
    from kore_contract.common.escape import terminal

    lines = [f"Fields ({len(result.fields)})"]
    for found in result.fields:
        spec = found.spec_pointer or "not in the spec"
        rules = f" ({', '.join(found.rules)})" if found.rules else ""
        lines.append(f"  {found.role:<8} {found.path}  ->  {spec}{rules}")
        lines += [f"             {place}" for place in found.documented]
    lines.append("")
    lines.append(f"Defects ({len(result.defects)})")
    for kind, defects in _by_kind(result).items():
        lines.append(f"  {kind} ({len(defects)})")
        for defect in defects:
            lines.append(f"    - {defect.message}")
            lines.append(f"      fields: {', '.join(defect.fields)}")
            lines.append(f"      documents: {', '.join(defect.documents)}")
    lines.append("")
    lines.append(_summary(result))
    return "\n".join(terminal(line) for line in lines) + "\n"


def markdown(result: TraceResult) -> str:
    """Tables for a pull-request comment: every cell one line of literal text (Markdown and
    HTML characters escaped, code in code spans), control characters shown as escapes."""
    from kore_contract.common.escape import visible
    from kore_contract.report.templates import md_cell, md_code

    lines = ["## Documentation trace", "", _summary(result), ""]
    if result.defects:
        lines += ["### Defects", "", "| kind | fields | documents | message |", "|---|---|---|---|"]
        lines += [
            f"| {md_cell(d.kind)} | {', '.join(md_code(f) for f in d.fields)} "
            f"| {md_cell(', '.join(d.documents))} | {md_cell(d.message)} |"
            for d in result.defects
        ]
        lines.append("")
    lines += [
        "### Fields",
        "",
        "| field | role | documented in | spec | rules |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {md_code(f.path)} | {md_cell(f.role)} "
        f"| {'<br>'.join(md_cell(p) for p in f.documented)} "
        f"| {md_code(f.spec_pointer) if f.spec_pointer else 'not in the spec'} "
        f"| {md_cell(', '.join(f.rules))} |"
        for f in result.fields
    ]
    return str(visible("\n".join(lines))) + "\n"


def _by_kind(result: TraceResult) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for defect in result.defects:
        groups.setdefault(defect.kind, []).append(defect)
    return groups


def _summary(result: TraceResult) -> str:
    defects = len(result.defects)
    summary = (
        f"{len(result.fields)} fields, {defects} documentation defect{'s' if defects != 1 else ''}"
    )
    if result.unreadable:
        count = len(result.unreadable)
        summary += f", {count} unreadable document{'s' if count != 1 else ''}"
    return summary
