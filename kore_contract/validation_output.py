"""Render `validate` results as text (for a terminal), JSON (DESIGN.md's shape) or JUnit XML."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

# xml.sax.saxutils would do, but imports urllib and http.client: 20 ms of a one-file run.
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_XML_ATTR = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#9;",
    }
)
# Characters XML 1.0 cannot hold at all, even escaped (a payload's text may contain them).
_XML_INVALID = dict.fromkeys(
    [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF], "\ufffd"
)


def escape(text: str) -> str:
    return text.translate(_XML_INVALID).translate(_XML_TEXT)


def quoteattr(text: str) -> str:
    return '"' + text.translate(_XML_INVALID).translate(_XML_ATTR) + '"'


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


def render_json(results: list[dict[str, Any]]) -> str:
    """`json.dumps({"summary": ..., "results": results}, ensure_ascii=False)`, and a line
    break; a valid result without warnings (most of a big folder) is written from a
    template, only its path encoded."""
    # No indent: json's C encoder only runs without one (4x faster on a big folder).
    encode = json.dumps
    string = json.encoder.encode_basestring  # what json.dumps uses for a str (no ASCII escape)
    parts = []
    for result in results:
        path = result.get("path")
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
            parts.append(encode(result, ensure_ascii=False))
    head = encode({"summary": summary(results)}, ensure_ascii=False)[:-1]
    return f'{head}, "results": [{", ".join(parts)}]}}\n'


def render_text(results: list[dict[str, Any]], *, color: bool = False) -> str:
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines: list[str] = []
    for result in results:
        status = result["status"]
        if status == "valid":
            lines.append(f"{paint(_GREEN, 'ok')}      {result['path']}")
        elif status == "unreadable":
            lines.append(f"{paint(_RED, 'error')}   {result['path']}: {result['error']}")
        else:
            count = len(result["violations"])
            lines.append(
                f"{paint(_RED, 'invalid')} {result['path']}: "
                f"{count} violation{'s' if count != 1 else ''}"
            )
        for violation in result["violations"]:
            lines.append(
                f"  {paint(_BOLD, violation['rule']):>4} {violation['pointer'] or '/'}"
                f"  {violation['message']}"
            )
        for warning in result["warnings"]:
            lines.append(
                f"  {paint(_YELLOW, 'warn')} {warning['rule']} "
                f"{warning['pointer'] or '/'}  {warning['message']}"
            )
    counts = summary(results)
    lines.append(
        f"{counts['files']} file{'s' if counts['files'] != 1 else ''}: {counts['valid']} valid, "
        f"{counts['invalid']} invalid, {counts['unreadable']} unreadable"
    )
    return "\n".join(lines) + "\n"


def render_junit(results: list[dict[str, Any]]) -> str:
    counts = summary(results)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="kore-contract validate" tests="{counts["files"]}" '
        f'failures="{counts["invalid"]}" errors="{counts["unreadable"]}">',
        f'  <testsuite name="payloads" tests="{counts["files"]}" '
        f'failures="{counts["invalid"]}" errors="{counts["unreadable"]}">',
    ]
    for result in results:
        out.append(
            f'    <testcase classname="kore-contract.validate" name={quoteattr(result["path"])}>'
        )
        if result["status"] == "invalid":
            text = "\n".join(
                f"{v['rule']} {v['pointer'] or '/'}: {v['message']}" for v in result["violations"]
            )
            first = result["violations"][0]
            out.append(
                f"      <failure message={quoteattr(first['rule'] + ': ' + first['message'])} "
                f'type="violation">{escape(text)}</failure>'
            )
        elif result["status"] == "unreadable":
            out.append(f'      <error message={quoteattr(result["error"])} type="unreadable"/>')
        out.append("    </testcase>")
    out += ["  </testsuite>", "</testsuites>"]
    return "\n".join(out) + "\n"
