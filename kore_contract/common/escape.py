"""Text that anyone (a server, a document, a file name) may have written, made safe to show.

- `visible(text)`: control characters (C0 but tab and newlines, DEL, C1) and lone surrogates
  written as `\\x1b`, `\\ud800`: a report or a terminal shows them, never obeys them.
- `terminal(text)`: one line for a terminal: `visible`, and newlines and the bidirectional
  overrides escaped too.
- `xml_safe(text)`: what XML 1.0 cannot carry, even escaped, replaced by U+FFFD.
- `json_text(value)`: JSON with non-ASCII text as is, C1 controls as `\\u0085` escapes (JSON
  itself escapes C0) and lone surrogates as U+FFFD, so that it always encodes as UTF-8 and
  every strict parser (this project's loader, orjson, serde) reads it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

#: Characters a report or a terminal must not receive raw.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
#: ... and, on one terminal line, line breaks and the bidirectional controls too.
TERMINAL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")
#: Characters XML 1.0 cannot carry at all, even escaped.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: What JSON text written with ensure_ascii=False may hold raw but should not: DEL and C1
#: (a terminal may obey them), lone surrogates (UTF-8 cannot encode them).
JSON_UNSAFE = re.compile("[\x7f-\x9f\ud800-\udfff]")
NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escaped(match: re.Match[str]) -> str:
    char = match[0]
    if char in NAMED:
        return NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(value: Any) -> Any:
    """`value` with its control characters and lone surrogates written as escapes (non-text
    values as they are)."""
    return CONTROL.sub(_escaped, value) if isinstance(value, str) else value


def terminal(value: object) -> str:
    """`value` as one line of text for a terminal, every control character escaped."""
    return TERMINAL.sub(_escaped, str(value))


def xml_safe(value: Any) -> Any:
    return NOT_XML.sub("\ufffd", value) if isinstance(value, str) else value


def json_text(value: Any, indent: int | None = 2) -> str:
    """`value` as JSON that always encodes as UTF-8 and always parses, strictly: a C1 control
    (only ever inside a string) is written as its `\\u` escape; a lone surrogate, which UTF-8
    cannot encode and strict parsers refuse even escaped, as U+FFFD; a number JSON has no
    form for (NaN, infinity) as a string ("Infinity")."""
    try:
        text = json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)
    except ValueError:  # a NaN or an infinity somewhere: rare, so found only when there
        text = json.dumps(_finite(value), indent=indent, ensure_ascii=False, allow_nan=False)
    return JSON_UNSAFE.sub(_json_escaped, text)  # one pass: most texts have none of them


def _json_escaped(match: re.Match[str]) -> str:
    code = ord(match[0])
    return "\ufffd" if code >= 0xD800 else f"\\u{code:04x}"


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(value)  # "NaN", "Infinity", "-Infinity"
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value
