"""Render `validate` results as text (for a terminal), JSON (docs/design.md's shape) or JUnit
XML (through the one JUnit writer, `kore_contract.common.junit`).

A file name or a property name is anyone's text: the text output shows control characters
(an ANSI or OSC escape, a newline) as escapes (`printable`), and every format stays valid
for a file name that is not UTF-8 (its undecodable bytes shown as `\\xe9`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from kore_contract.common.escape import JSON_UNSAFE
from kore_contract.validate.messages import printable

if TYPE_CHECKING:
    from kore_contract.common.junit import JUnitCase

#: Each file's test case in JUnit XML is of this class.
JUNIT_CLASSNAME = "kore-contract.validate"

_GREEN, _RED, _YELLOW, _BOLD, _RESET = "\033[32m", "\033[31m", "\033[33m", "\033[1m", "\033[0m"


def summary(results: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(r["status"] for r in results)
    return {
        "files": len(results),
        "valid": counts["valid"],
        "invalid": counts["invalid"],
        "unreadable": counts["unreadable"],
    }


def render(results: list[dict[str, Any]], fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return render_json(results)
    if fmt == "junit":
        return render_junit(results)
    return render_text(results, color=color)


_KEYS = ("path", "status", "violations", "warnings", "error")
_VALID_TAIL = ', "status": "valid", "violations": [], "warnings": [], "error": null}'


#: A byte of a file name that is not UTF-8, as os.fsdecode keeps it (U+DC80 to U+DCFF).
_UNDECODED_BYTE = re.compile("[\udc80-\udcff]")


def shown_name(path: Any) -> Any:
    """A file name with each byte that is not UTF-8 written `\\xe9`: text every format can
    hold, as the user would recognise it."""
    if type(path) is not str:
        return path
    return _UNDECODED_BYTE.sub(lambda match: f"\\x{ord(match[0]) - 0xDC00:02x}", path)


def _json_safe(text: str) -> str:
    """JSON text with DEL, C1 controls and lone surrogates as `\\uXXXX` escapes (in JSON they
    only occur inside strings, which read back the same)."""
    if JSON_UNSAFE.search(text) is None:
        return text
    return JSON_UNSAFE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


def render_json(results: list[dict[str, Any]]) -> str:
    """`json.dumps({"summary": ..., "results": results}, ensure_ascii=False)`, and a line
    break, but file names `shown_name` and `_json_safe`; a valid result without warnings
    (most of a big folder) is written from a template, only its path encoded."""
    # No indent: json's C encoder only runs without one (4x faster on a big folder).
    encode = json.dumps
    string = json.encoder.encode_basestring  # what json.dumps uses for a str (no ASCII escape)
    parts = []
    for result in results:
        if "variant" in result:  # the text output names it; the JSON shape stays the same
            result = {key: value for key, value in result.items() if key != "variant"}
        path = shown_name(result.get("path"))
        if (
            type(path) is str
            and result["status"] == "valid"
            and tuple(result) == _KEYS
            and result["violations"] == []
            and result["warnings"] == []
            and result["error"] is None
        ):
            parts.append('{"path": ' + string(path) + _VALID_TAIL)
        else:
            parts.append(encode({**result, "path": path}, ensure_ascii=False))
    head = encode({"summary": summary(results)}, ensure_ascii=False)[:-1]
    return _json_safe(f'{head}, "results": [{", ".join(parts)}]}}\n')


def render_text(results: list[dict[str, Any]], *, color: bool = False) -> str:
    """One line per file (a create or update body's with the variant C1 read it as), its
    violations and warnings below it, then a summary; every name and message `printable`."""

    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines: list[str] = []
    for result in results:
        status = result["status"]
        path = printable(shown_name(str(result["path"])))
        if result.get("variant"):
            path += f" ({printable(str(result['variant']))} variant)"
        if status == "valid":
            lines.append(f"{paint(_GREEN, 'ok')}      {path}")
        elif status == "unreadable":
            lines.append(f"{paint(_RED, 'error')}   {path}: {printable(str(result['error']))}")
        else:
            lines.append(f"{paint(_RED, 'invalid')} {path}: {_count(result)}")
        for violation in result["violations"]:
            lines.append(
                f"  {paint(_BOLD, printable(violation['rule'])):>4} "
                f"{printable(violation['pointer']) or '/'}  {printable(violation['message'])}"
            )
        lines += _more_lines(result, "violations")
        for warning in result["warnings"]:
            lines.append(
                f"  {paint(_YELLOW, 'warn')} {printable(warning['rule'])} "
                f"{printable(warning['pointer']) or '/'}  {printable(warning['message'])}"
            )
        lines += _more_lines(result, "warnings")
    counts = summary(results)
    lines.append(
        f"{counts['files']} file{'s' if counts['files'] != 1 else ''}: {counts['valid']} valid, "
        f"{counts['invalid']} invalid, {counts['unreadable']} unreadable"
    )
    return "\n".join(lines) + "\n"


def _count(result: dict[str, Any]) -> str:
    """`3 violations`, `130 violations` (100 listed), or `more than 100 violations`."""
    listed = len(result["violations"])
    if not result.get("more_exact", True) and result.get("more_violations"):
        return f"more than {listed:,} violations"
    total = listed + result.get("more_violations", 0)
    return f"{total:,} violation{'s' if total != 1 else ''}"


def _more_lines(result: dict[str, Any], kind: str) -> list[str]:
    """What follows a capped list: `  ... and 30 more violations`."""
    more = result.get(f"more_{kind}", 0)
    if not more:
        return []
    if not result.get("more_exact", True):
        return [f"  ... and more {kind} (the listing stops at {len(result[kind]):,})"]
    return [f"  ... and {more:,} more {kind if more != 1 else kind[:-1]}"]


def render_junit(results: list[dict[str, Any]]) -> str:
    """One test case per file: a failure listing its violations, or an error saying why the
    file is unreadable; names and messages `printable`."""
    from kore_contract.common import junit  # only for this format: text and JSON start faster

    cases = tuple(_junit_case(result, junit.JUnitCase) for result in results)
    return junit.render("kore-contract validate", [junit.JUnitSuite("payloads", cases)])


def _junit_case(result: dict[str, Any], case: type[JUnitCase]) -> JUnitCase:
    name = printable(shown_name(str(result["path"])))
    if result["status"] == "invalid":
        lines = [
            printable(f"{v['rule']} {v['pointer'] or '/'}: {v['message']}")
            for v in result["violations"]
        ] + [line.strip() for line in _more_lines(result, "violations")]
        first = result["violations"][0]
        message = printable(first["rule"] + ": " + first["message"])
        text = "\n".join(lines)
        return case(name, JUNIT_CLASSNAME, "failure", message, "violation", text)
    if result["status"] == "unreadable":
        error = printable(str(result["error"]))
        return case(name, JUNIT_CLASSNAME, "error", error, "unreadable")
    return case(name, JUNIT_CLASSNAME)
