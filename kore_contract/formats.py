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
from datetime import datetime

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
BASE64 = re.compile(
    r"""^(?:[A-Za-z0-9+/]{4})*                      # whole quanta
    (?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?       # a padded last quantum
    \Z""",
    re.VERBOSE | re.ASCII,
)
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
    if not value or not BASE64.match(value):
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


def parse_date_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
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


#: The spec's `format` names and their predicates, for both validation engines.
FORMATS: dict[str, Callable[[object], bool]] = {
    "caller-id": is_caller_id,
    "clock-12h": is_clock_12h,
    "iana-time-zone": is_iana_time_zone,
    "base64-utf8": is_base64_utf8,
    "date-time-with-zone": is_date_time_with_zone,
}


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
    if any(c.isspace() for c in value):
        return "contains whitespace or line breaks: send base64 on one line with none"
    if not BASE64.match(value):
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
