"""The words of a violation: where (`label`), what was received (`describe_value`), what is
expected (`describe_expected`), and payload text made safe to show (`printable`)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from typing import Any


def label(path: list[Any]) -> str:
    """`outer.inner.items[0].start` for a path; `body` for the root. A property name is
    shown `printable`: it is the payload's text, not ours."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{printable(str(part))}" if text else printable(str(part))
    return text or "body"


#: What must not reach a terminal raw: C0 and C1 controls and DEL, the line and paragraph
#: separators, the bidirectional controls, and lone surrogates (how Python keeps the bytes
#: of a file name that are not UTF-8).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    named = _NAMED_ESCAPES.get(char)
    if named is not None:
        return named
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for the byte code - 0xDC00
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` on one line with nothing a terminal would obey: each control character (an
    ANSI or OSC escape, a newline), bidirectional override and lone surrogate written as an
    escape (`\\x1b`, `\\n`, `\\u202e`); a byte of a file name that is not UTF-8 as `\\xe9`."""
    return _UNPRINTABLE.sub(_escape, text)


_TYPE_NAMES = {
    dict: "an object",
    list: "a list",
    str: "the string",
    bool: "the boolean",
    int: "the number",
    float: "the number",
    type(None): "null",
}


def describe_value(value: Any) -> str:
    name = _TYPE_NAMES.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)):
        return name
    if value is None:
        return "null"
    if isinstance(value, (str, bool)):
        shown = printable(
            json.dumps(value[:1000] if isinstance(value, str) else value, ensure_ascii=False)
        )
    else:
        number = number_text(value)
        if number is None:
            return f"a number with more than {sys.get_int_max_str_digits()} digits"
        shown = number
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{name} {shown}"


def number_text(value: Any) -> str | None:
    """`str(value)`, or None for an integer of more digits than Python writes out."""
    try:
        return str(value)
    except ValueError:
        return None


def describe_expected(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type", "a value")
    enum = schema.get("enum")
    if enum:
        choices = " ".join(f'"{e}"' for e in enum)
        return f"a {kind}, one of {choices}" if len(enum) > 1 else f'the {kind} "{enum[0]}"'
    noun = "list" if kind == "array" else str(kind)
    described = f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
    if "format" in schema:
        described += f" ({schema['format']})"
    if "required" in schema:
        described += " with " + ", ".join(schema["required"])
    return described


def quoted(names: Any) -> str:
    shown = [repr(n) for n in list(names)[:8]]
    return ", ".join(shown) + (", ..." if len(names) > 8 else "") if shown else "(none)"


def last_name(pointer: str) -> str:
    """The property name a JSON pointer ends with, `printable`."""
    return printable(pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~"))
