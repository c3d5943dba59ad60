"""Format checks of docs/contract.md: one tiny predicate per format, plus why a value fails.

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
    # Fast twin of matching whole quanta; proved equal by
    # tests/test_engines_agree.py::test_base64_in_one_pass_is_base64_in_quanta.
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
    """`clock_minutes` as a table: every 12-hour clock time CLOCK_12H accepts, to its minutes.

    Fast twin of `clock_minutes`; proved equal by
    tests/test_engines_agree.py::test_the_clock_table_is_every_time_the_clock_regex_accepts.
    """
    hours = [(str(h), h % 12) for h in range(1, 13)] + [(f"0{h}", h) for h in range(1, 10)]
    return {
        f"{shown}:{minute:02d} {half}": (hour + noon) * 60 + minute
        for shown, hour in hours
        for minute in range(60)
        for half, noon in (("AM", 0), ("PM", 12))
    }


# --- why a value fails a format ------------------------------------------------------------


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


# --- the format table: one row per format of the spec (STYLE.md 16) ----------------------


@dataclass(frozen=True)
class Format:
    """One `format` of the spec: its predicate, why a value fails it, and how the fast
    engine (jsonschema-rs) states it without calling back into Python.

    The fast forms are deliberate twins of `accepts`, kept for speed: a Rust regex
    (`fast_pattern`, with what it leaves to `fast_then`) or the finite set of accepted
    strings (`fast_values`, for an `enum`). Each twin is proved to accept exactly what
    `accepts` accepts by
    tests/test_engines_agree.py::test_each_fast_pattern_accepts_exactly_what_its_format_accepts,
    tests/test_engines_agree.py::test_base64_pattern_then_utf8_is_the_base64_utf8_format and
    tests/test_engines_agree.py::test_the_zone_enum_is_the_tz_database.
    """

    name: str
    #: The predicate; a non-string passes (its type is another rule's job).
    accepts: Callable[[object], bool]
    #: Why a string is not of this format, and what to do about it.
    explain: Callable[[str], str]
    #: Rust regex syntax (there `$` matches only at the very end, `[0-9]` is ASCII): alone,
    #: exactly the strings `accepts` takes; with `fast_then`, those still to be checked by it.
    fast_pattern: str | None = None
    #: What `fast_pattern` leaves unchecked (applied only where a value's place is known).
    fast_then: Callable[[str], bool] | None = None
    #: Every string `accepts` takes, for an `enum` where the schema's type is string.
    fast_values: Callable[[], frozenset[str]] | None = None


def _base64_is_utf8(value: str) -> bool:
    """`is_base64_utf8` of a string BASE64_PATTERN already matches."""
    if not value:
        return False
    try:
        base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return True


#: `is_base64_text` in Rust regex syntax (it matches the empty string too).
BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"

#: The spec's formats by name, for both validation engines, the explanations and the
#: fast engine's derived schema.
FORMAT_TABLE: dict[str, Format] = {
    row.name: row
    for row in (
        Format(
            "caller-id",
            is_caller_id,
            _explain_caller_id,
            fast_pattern=r"^(?:\+[1-9][0-9]{1,14}|(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11})$",
        ),
        Format(
            "clock-12h",
            is_clock_12h,
            _explain_clock,
            fast_pattern=r"^(?:0?[1-9]|1[0-2]):[0-5][0-9] (?:AM|PM)$",
        ),
        Format("iana-time-zone", is_iana_time_zone, _explain_zone, fast_values=time_zones),
        Format(
            "base64-utf8",
            is_base64_utf8,
            _explain_base64,
            fast_pattern=BASE64_PATTERN,
            fast_then=_base64_is_utf8,
        ),
        Format("date-time-with-zone", is_date_time_with_zone, _explain_date_time),
    )
}


def predicates() -> dict[str, Callable[[object], bool]]:
    """Each format's predicate by name, as the validation engines take them."""
    return {name: row.accepts for name, row in FORMAT_TABLE.items()}


def explain(format_name: str, value: str) -> str:
    """Why `value` is not a `format_name`, and what to do about it."""
    return FORMAT_TABLE[format_name].explain(value)


# --- the fast engine's schema --------------------------------------------------------------


_SCHEMA_MAPS = frozenset(
    ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
)
_VALUES = frozenset(("enum", "const", "default", "examples", "required"))


#: Where a value sits in a payload: the property names from the root.
Place = tuple[str, ...]


@dataclass(frozen=True)
class FastSchema:
    """What the fast engine decides validity with: a payload is valid iff it is valid
    against `schema` (with the `predicates` as its formats) and `holds_at_places`."""

    schema: Any
    predicates: dict[str, Callable[[object], bool]]
    #: The checks a format's `fast_pattern` leaves (`Format.fast_then`), where they apply.
    checks_at_places: tuple[tuple[Place, Callable[[str], bool]], ...]

    @property
    def places(self) -> tuple[Place, ...]:
        return tuple(place for place, _ in self.checks_at_places)

    def holds_at_places(self, payload: Any) -> bool:
        """Each string at a place (already matched by its pattern) passes what is left."""
        for place, check in self.checks_at_places:
            value = payload
            for name in place:
                if type(value) is not dict:
                    break
                value = value.get(name)
            else:
                if type(value) is str and not check(value):
                    return False
        return True


def fast_schema(schema: Any) -> FastSchema:
    """`schema` with each format its row's fast form states so stated: what the fast engine
    decides validity with (the spec's schema explains why not).

    A `fast_pattern` replaces the format; one with a `fast_then` only where the format is
    reached from the root through `properties` alone (so it applies exactly where its value
    is), the rest checked after (`FastSchema.holds_at_places`). `fast_values` become an
    `enum` where `type` is "string" (an enum would also refuse a non-string). Other formats
    stay predicates.
    """
    needed: set[str] = set()
    checks: list[tuple[Place, Callable[[str], bool]]] = []

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
        row = FORMAT_TABLE.get(name) if isinstance(name, str) else None  # the keyword
        if row is not None:
            then = row.fast_then
            if row.fast_pattern and "pattern" not in out and (then is None or place is not None):
                del out["format"]
                out["pattern"] = row.fast_pattern
                if then is not None and place is not None:
                    checks.append((place, then))
            elif row.fast_values and out.get("type") == "string" and "enum" not in out:
                del out["format"]
                out["enum"] = sorted(row.fast_values())
            else:
                needed.add(row.name)
        return out

    derived = derive(schema, ())
    predicates = {name: FORMAT_TABLE[name].accepts for name in sorted(needed)}
    return FastSchema(derived, predicates, tuple(checks))
