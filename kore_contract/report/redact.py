"""Defensive redaction: whatever a writer is given, it never prints a token.

`kore_contract.auth` redacts results before they are written; the writers do it again,
because a report is the one place a leaked token would be published (a CI artefact, a
pull-request comment). Header values of `auth` and `Authorization` become "[redacted]", so
do those values wherever else they appear (a curl line, a response that echoes them:
S11), and so does anything shaped like a JWT.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"
SECRET_HEADERS = frozenset(
    {"auth", "authorization", "proxy-authorization", "cookie", "set-cookie"}
)
#: A value shorter than this is not scrubbed elsewhere (a test's "x" token would eat text).
MIN_SECRET_LENGTH = 8

JWT = re.compile(r"""\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*""")
CURL_SECRET_HEADER = re.compile(
    r"""(?P<flag>(?:-H|--header)\s*)(?P<quote>['"]?)
        (?P<name>auth|authorization|proxy-authorization|cookie)\s*:[^'"\n]*""",
    re.IGNORECASE | re.VERBOSE,
)


def sanitize(results: dict[str, Any]) -> dict[str, Any]:
    """A copy of `results` in which no secret header value, nor any JWT, is left."""
    secrets = sorted(set(_header_secrets(results)), key=len, reverse=True)
    scrubbed: dict[str, Any] = _walk(results, secrets)
    return scrubbed


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with secret values, JWTs and curl `-H 'auth: ...'` values replaced."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    if "eyJ" in text:
        text = JWT.sub(REDACTED, text)
    if "-H" in text or "--header" in text:
        text = CURL_SECRET_HEADER.sub(
            lambda m: f"{m['flag']}{m['quote']}{m['name']}: {REDACTED}", text
        )
    return text


def _walk(value: Any, secrets: list[str], key: str | None = None) -> Any:
    if isinstance(value, dict):
        if key == "headers":
            return {
                str(name): REDACTED if str(name).lower() in SECRET_HEADERS
                else _walk(item, secrets)
                for name, item in value.items()
            }
        return {name: _walk(item, secrets, str(name)) for name, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, secrets) for item in value]
    if isinstance(value, str):
        return redact_text(value, secrets)
    return value


def _header_secrets(value: Any, key: str | None = None) -> Iterable[str]:
    """Every secret header value (and its part after "Bearer ") anywhere in `value`."""
    if isinstance(value, dict):
        for name, item in value.items():
            if key == "headers" and str(name).lower() in SECRET_HEADERS:
                yield from _long_enough(item)
            else:
                yield from _header_secrets(item, str(name))
    elif isinstance(value, list):
        for item in value:
            yield from _header_secrets(item)


def _long_enough(value: Any) -> Iterable[str]:
    values = value if isinstance(value, list) else [value]
    for item in values:
        if not isinstance(item, str) or item == REDACTED:
            continue
        for candidate in (item, *item.split()[1:]):
            if len(candidate) >= MIN_SECRET_LENGTH:
                yield candidate
