"""Redaction: no token or client secret leaves the tool (S11; reports, logs, results).

One place for it: the runner redacts results before they are written, the report writers
redact again whatever they are given, the mock redacts its log lines. Secrets shorter than
MIN_SECRET_LENGTH are left alone (a test's "x" token would eat ordinary text).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeVar

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 8
JWT_SHAPE = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
CURL_SECRET_HEADER = re.compile(
    r"""(?P<flag>(?:-H|--header)\s*)(?P<quote>\\?['"]?)
        (?P<name>auth|authorization|proxy-authorization|cookie)\s*:[^'"\n\\]*""",
    re.IGNORECASE | re.VERBOSE,
)

T = TypeVar("T")


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with the secrets, anything shaped like a JWT and curl `-H 'auth: ...'` values
    replaced by "[redacted]"."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    if "eyJ" in text:
        text = JWT_SHAPE.sub(REDACTED, text)
    if "-H" in text or "--header" in text:
        text = CURL_SECRET_HEADER.sub(
            lambda m: f"{m['flag']}{m['quote']}{m['name']}: {REDACTED}", text
        )
    return text


def usable_secrets(secrets: Iterable[str | None]) -> list[str]:
    """The secrets long enough to scrub, longest first (a secret may contain another)."""
    return sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len,
                  reverse=True)


def redact(value: T, secrets: Iterable[str | None] = ()) -> T:
    """`value` (text, or JSON-like data, keys included) with every secret redacted."""
    return _walk(value, usable_secrets(secrets))  # type: ignore[no-any-return]


def _walk(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, dict):
        return {_walk(k, secrets): _walk(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(item, secrets) for item in value]
    if isinstance(value, tuple):
        return tuple(_walk(item, secrets) for item in value)
    return value
