"""Format checks of CONTRACT.md: one tiny predicate per format, plus why a value fails.

Predicates let non-strings pass: a value's type is another rule's job. Every regex ends
in `\\Z`, never `$`, which in Python also matches before a trailing newline.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

E164 = re.compile(
    r"""^\+            # a plus sign
    [1-9][0-9]{1,14}   # then 2 to 15 digits, the first 1 to 9
    \Z""",
    re.VERBOSE | re.ASCII,
)
SENDER_ID = re.compile(
    r"""^(?=[A-Za-z0-9\ ]*[A-Za-z])  # at least one letter
    [A-Za-z0-9\ ]{1,11}               # 1 to 11 letters, digits and spaces
    \Z""",
    re.VERBOSE | re.ASCII,
)
CLOCK_12H = re.compile(
    r"""^(0?[1-9]|1[0-2])  # hour, 1 to 12, a leading zero allowed
    :[0-5][0-9]            # two-digit minutes
    \ (AM|PM)              # one space, then AM or PM
    \Z""",
    re.VERBOSE | re.ASCII,
)
# Standard base64 is whole quanta of 4 characters of the alphabet, the last one maybe
# padded (`xx==`, `xxx=`): the alphabet then at most two `=`, in a length that is a multiple
# of 4. Said so, in one pass: `^(?:[A-Za-z0-9+/]{4})*...` keeps a backtracking mark per
# quantum (30 MB and 60 ms for a 1 MB string).
_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/]*={0,2}\Z", re.ASCII)


def is_base64_text(value: str) -> bool:
    """Whether `value` is standard base64 (RFC 4648 section 4); the empty string is."""
    return len(value) % 4 == 0 and _BASE64_TEXT.match(value) is not None


DATE_TIME_WITH_ZONE = re.compile(
    r"""^\d{4}-\d{2}-\d{2}
    [Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?
    (?:[Zz]|[+-]\d{2}:\d{2})  # the zone is required
    \Z""",
    re.VERBOSE | re.ASCII,
)


def is_caller_id(value: object) -> bool:
    """R11: an E.164 number or an alphanumeric sender id."""
    if not isinstance(value, str):
        return True
    return bool(E164.match(value) or SENDER_ID.match(value))


def is_clock_12h(value: object) -> bool:
    """R13: `9:00 AM`, `06:30 PM`."""
    return not isinstance(value, str) or clock_minutes(value) is not None


@functools.lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """The IANA zone names the tz database knows (system zoneinfo, else the tzdata package)."""
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def is_iana_time_zone(value: object) -> bool:
    """R12: `Asia/Kolkata`, exactly as the tz database spells it."""
    return not isinstance(value, str) or value in time_zones()


def decode_base64_text(value: str) -> str | None:
    """The text a strict standard base64 string encodes, or None if it is not one."""
    if not value or not is_base64_text(value):
        return None
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def is_base64_utf8(value: object) -> bool:
    """R9/S6: standard base64 (RFC 4648 section 4) of UTF-8 text."""
    return not isinstance(value, str) or decode_base64_text(value) is not None


def is_date_time_with_zone(value: object) -> bool:
    """S7: an RFC 3339 date-time with its zone."""
    if not isinstance(value, str):
        return True
    return bool(DATE_TIME_WITH_ZONE.match(value)) and parse_date_time(value) is not None


_FRACTION = re.compile(r"\.(\d+)")


def parse_date_time(value: str) -> datetime | None:
    """An ISO 8601 date-time (its zone kept), or None. Python 3.10's `fromisoformat` knows
    no `Z` and only 3 or 6 fraction digits, so both are normalised first."""
    text = value.replace("t", "T")
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)  # payloads repeat the same few times
def clock_minutes(value: str) -> int | None:
    """Minutes after midnight of a 12-hour clock time, or None if it is not one."""
    match = CLOCK_12H.match(value)
    if not match:
        return None
    hour, rest = value.split(":")
    minutes, meridiem = int(rest[:2]), rest[3:]
    return (int(hour) % 12 + (12 if meridiem == "PM" else 0)) * 60 + minutes


@functools.lru_cache(maxsize=1)
def clock_table() -> dict[str, int]:
    """`clock_minutes` as a table: every 12-hour clock time CLOCK_12H accepts, to its minutes."""
    hours = [(str(h), h % 12) for h in range(1, 13)] + [(f"0{h}", h) for h in range(1, 10)]
    return {
        f"{shown}:{minute:02d} {half}": (hour + noon) * 60 + minute
        for shown, hour in hours
        for minute in range(60)
        for half, noon in (("AM", 0), ("PM", 12))
    }


#: The spec's `format` names and their predicates, for both validation engines.
FORMATS: dict[str, Callable[[object], bool]] = {
    "caller-id": is_caller_id,
    "clock-12h": is_clock_12h,
    "iana-time-zone": is_iana_time_zone,
    "base64-utf8": is_base64_utf8,
    "date-time-with-zone": is_date_time_with_zone,
}


#: Formats a regex states exactly, for jsonschema-rs's `pattern` (Rust regex syntax: there
#: `$` matches only at the very end of the text, never before a trailing newline, and
#: `[0-9]` is ASCII as in the regexes above). tests/test_engines_agree.py proves each
#: pattern accepts exactly what its predicate accepts.
PATTERNS: dict[str, str] = {
    "caller-id": r"^(?:\+[1-9][0-9]{1,14}|(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11})$",
    "clock-12h": r"^(?:0?[1-9]|1[0-2]):[0-5][0-9] (?:AM|PM)$",
}


_SCHEMA_MAPS = frozenset(
    ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
)
_VALUES = frozenset(("enum", "const", "default", "examples", "required"))


#: Where a base64-utf8 value sits in a payload: the property names from the root.
Place = tuple[str, ...]


@dataclass(frozen=True)
class FastSchema:
    """What the fast engine decides validity with: a payload is valid iff it is valid
    against `schema` (with the `predicates` as its formats) and `utf8_at_places` holds."""

    schema: Any
    predicates: dict[str, Callable[[object], bool]]
    base64_places: tuple[Place, ...]

    def utf8_at_places(self, payload: Any) -> bool:
        """Each base64 string (already checked by its pattern) decodes to UTF-8 text."""
        for place in self.base64_places:
            value = payload
            for name in place:
                if type(value) is not dict:
                    break
                value = value.get(name)
            else:
                if type(value) is str and not _base64_is_utf8(value):
                    return False
        return True


def _base64_is_utf8(value: str) -> bool:
    """`is_base64_utf8` of a string BASE64 already matches (`BASE64_PATTERN`)."""
    if not value:
        return False
    try:
        base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return True


#: `is_base64_text` in Rust regex syntax (it matches the empty string too).
BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


def fast_schema(schema: Any) -> FastSchema:
    """`schema` with each format a `pattern` or an `enum` can state exactly so stated: what
    the fast engine decides validity with (the spec's schema explains why not).

    A string's `iana-time-zone` becomes the `enum` of `time_zones()` (an enum would also
    refuse a non-string, so only where `type` is "string"). A `base64-utf8` reached from
    the root through `properties` alone (so it applies exactly where its value is) becomes
    BASE64_PATTERN, and its UTF-8 is checked after (`FastSchema.utf8_at_places`). Other
    formats stay predicates.
    """
    needed: set[str] = set()
    places: list[Place] = []

    def derive(node: Any, place: Place | None) -> Any:
        if isinstance(node, list):
            return [derive(item, None) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _SCHEMA_MAPS and isinstance(value, dict):  # names to schemas
                out[key] = {
                    name: derive(
                        child, (*place, name) if place is not None and key == "properties" else None
                    )
                    for name, child in value.items()
                }
            elif key in _VALUES:
                out[key] = value
            else:
                out[key] = derive(value, None)
        name = out.get("format")
        if isinstance(name, str) and name in FORMATS:  # the keyword, not a property
            if name in PATTERNS and "pattern" not in out:
                del out["format"]
                out["pattern"] = PATTERNS[name]
            elif name == "iana-time-zone" and out.get("type") == "string" and "enum" not in out:
                del out["format"]
                out["enum"] = sorted(time_zones())
            elif name == "base64-utf8" and place is not None and "pattern" not in out:
                del out["format"]
                out["pattern"] = BASE64_PATTERN
                places.append(place)
            else:
                needed.add(name)
        return out

    derived = derive(schema, ())
    return FastSchema(derived, {name: FORMATS[name] for name in sorted(needed)}, tuple(places))


def explain(format_name: str, value: str) -> str:
    """Why `value` is not a `format_name`, and what to do about it."""
    return _EXPLAIN[format_name](value)


def _explain_caller_id(value: str) -> str:
    digits = value[1:]
    if value.startswith("+"):
        if not digits.isdigit() or not digits.isascii():
            return "an E.164 number is + then digits only (no spaces, dashes or letters)"
        if digits.startswith("0"):
            return "an E.164 number's first digit (the country code) is 1 to 9, not 0"
        return f"an E.164 number has 2 to 15 digits after the +; this one has {len(digits)}"
    if value.isdigit():
        return "a phone number needs a leading + and its country code (E.164: +14155550123)"
    if len(value) > 11:
        return f"a sender id is 1 to 11 letters, digits and spaces; this one has {len(value)}"
    if value and not any(c.isascii() and c.isalpha() for c in value):
        return "a sender id needs at least one letter A-Z or a-z"
    return "expected an E.164 number (+14155550123) or a sender id of letters, digits, spaces"


def _explain_clock(value: str) -> str:
    if value != value.strip() or "\n" in value:
        return "remove the surrounding whitespace; expected h:mm AM or h:mm PM, as 9:00 AM"
    upper = value.upper()
    if upper != value and CLOCK_12H.match(upper):
        return f"write AM/PM in capitals: {upper!r}"
    parts = value.split(":")
    if len(parts) == 2 and parts[0].isdigit():
        hour = int(parts[0])
        if hour == 0 or hour > 12:
            return f"hour {hour} is not on a 12-hour clock (1 to 12), as 9:00 AM or 6:00 PM"
    return "expected a 12-hour clock time h:mm AM or h:mm PM, as 9:00 AM or 06:30 PM"


@functools.lru_cache(maxsize=1)
def _zones_by_folded_name() -> dict[str, str]:
    return {zone.casefold(): zone for zone in time_zones()}


def _explain_zone(value: str) -> str:
    folded = _zones_by_folded_name()
    if value.casefold() in folded:
        return f"the tz database spells it {folded[value.casefold()]!r} (exact case)"
    return "not a time zone the tz database knows; use an IANA name such as 'Asia/Kolkata'"


def _explain_base64(value: str) -> str:
    if not value:
        return "empty; expected the base64 of the template's text"
    if "%3D" in value.upper():
        return (
            "percent-encoded padding: replace each %3D with = (send plain base64, not URL-encoded)"
        )
    if "%" in value:
        return "contains '%': send plain standard base64, not URL-encoded (or redacted) text"
    if any(c in value for c in "-_"):
        return "URL-safe base64 ('-' or '_'): use the standard alphabet with '+' and '/'"
    if value.split(maxsplit=1) != [value]:  # some whitespace (where isspace() holds)
        return "contains whitespace or line breaks: send base64 on one line with none"
    if not is_base64_text(value):
        if len(value) % 4:
            return f"length {len(value)} is not a multiple of 4: add '=' padding"
        return "not standard base64 (letters, digits, '+', '/', then '=' padding only at the end)"
    return "decodes to bytes that are not UTF-8 text"


def _explain_date_time(value: str) -> str:
    if DATE_TIME_WITH_ZONE.match(value):
        return "not a real date and time"
    if parse_date_time(value) is not None:
        return "a date-time without its zone; expected RFC 3339 with Z or +hh:mm"
    return "expected an RFC 3339 date-time with a zone, as 2025-12-05T08:08:45.668Z"


_EXPLAIN: dict[str, Callable[[str], str]] = {
    "caller-id": _explain_caller_id,
    "clock-12h": _explain_clock,
    "iana-time-zone": _explain_zone,
    "base64-utf8": _explain_base64,
    "date-time-with-zone": _explain_date_time,
}
