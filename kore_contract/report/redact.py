"""Defensive redaction: whatever a writer is given, it never prints a token.

`kore_contract.auth` redacts results before they are written; the writers do it again,
because a report is the one place a leaked token would be published (a CI artefact, a
pull-request comment). Header values of `auth` and `Authorization` (any case) become
"[redacted]"; so do those values wherever else they appear (a curl line, a response that
echoes them: S11), a curl line's `-H 'auth: ...'`, and anything shaped like a JWT.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

REDACTED = "[redacted]"
SECRET_HEADERS = frozenset(
    {"auth", "authorization", "proxy-authorization", "cookie", "set-cookie"}
)
#: A value shorter than this is not scrubbed elsewhere (a test's "x" token would eat text).
MIN_SECRET_LENGTH = 8

JWT = re.compile(r"""\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*""")
CURL_SECRET_HEADER = re.compile(
    r"""(?P<flag>(?:-H|--header)\s*)(?P<quote>\\?['"]?)
        (?P<name>auth|authorization|proxy-authorization|cookie)\s*:[^'"\n\\]*""",
    re.IGNORECASE | re.VERBOSE,
)


def sanitize(results: dict[str, Any]) -> dict[str, Any]:
    """A copy of `results` in which no secret header value, nor any JWT, is left.

    Every string is scrubbed at once, on the results' JSON text (fast for big runs).
    """
    secrets = sorted(set(_header_secrets(results)), key=len, reverse=True)
    # JSON escapes character by character, so a secret inside any string of the text
    # appears there as its own encoding.
    encoded = [json.dumps(secret, ensure_ascii=False)[1:-1] for secret in secrets]
    text = redact_text(json.dumps(results, ensure_ascii=False), encoded)
    try:
        scrubbed: dict[str, Any] = json.loads(text)
    except ValueError:  # a replacement cut an escape sequence: go string by string
        scrubbed = _walk(results, secrets)
    for headers in _all_headers(scrubbed):
        for name in headers:
            if str(name).lower() in SECRET_HEADERS:
                headers[name] = REDACTED
    return scrubbed


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with secret values, JWTs and curl `-H 'auth: ...'` values replaced."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    if "eyJ" in text:
        text = JWT.sub(REDACTED, text)
    if "-H" in text or "--header" in text:
        text = CURL_SECRET_HEADER.sub(
            lambda m: f"{m['flag']}{m['quote']}{m['name']}: {REDACTED}", text
        )
    return text


def _walk(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, dict):
        return {key: _walk(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, secrets) for item in value]
    return redact_text(value, secrets) if isinstance(value, str) else value


def _all_headers(results: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The header objects of every case's request and response."""
    for case in results.get("cases") or ():
        if not isinstance(case, dict):
            continue
        for side in ("request", "response"):
            exchange = case.get(side)
            if isinstance(exchange, dict) and isinstance(exchange.get("headers"), dict):
                yield exchange["headers"]


def _header_secrets(results: dict[str, Any]) -> Iterator[str]:
    """Every secret header value (and its part after "Bearer ") of every case."""
    for headers in _all_headers(results):
        for name, value in headers.items():
            if str(name).lower() in SECRET_HEADERS:
                yield from _long_enough(value)


def _long_enough(value: Any) -> Iterator[str]:
    values = value if isinstance(value, list) else [value]
    for item in values:
        if not isinstance(item, str) or item == REDACTED:
            continue
        for candidate in (item, *item.split()[1:]):
            if len(candidate) >= MIN_SECRET_LENGTH:
                yield candidate
