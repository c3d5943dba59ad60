"""Defensive redaction: whatever a writer is given, it never prints a token.

`kore_contract.redaction` redacts results before they are written; the writers do it again,
because a report is the one place a leaked token would be published (a CI artefact, a
pull-request comment). Header values of `auth` and `Authorization` (any case) become
"[redacted]"; so do those values wherever else they appear (a curl line, a response that
echoes them: S11), the secrets of the run writing the reports (`RunSecrets.active`), all of
them also percent-encoded or JSON-escaped, a curl line's `-H 'auth: ...'`, and anything
shaped like a JWT.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from kore_contract.redaction import (
    MIN_SECRET_LENGTH,
    REDACTED,
    redact,
    redact_text,
    usable_secrets,
)

__all__ = ["REDACTED", "SECRET_HEADERS", "redact_text", "sanitize"]

SECRET_HEADERS = frozenset({"auth", "authorization", "proxy-authorization", "cookie", "set-cookie"})


def sanitize(results: dict[str, Any]) -> dict[str, Any]:
    """A copy of `results` in which no secret header value, nor any JWT, is left.

    Every string is scrubbed at once, on the results' JSON text (fast for big runs).
    """
    secrets = list(_header_secrets(results))
    # JSON escapes character by character, so a secret inside any string of the text
    # appears there as its own encoding.
    encoded = [json.dumps(form, ensure_ascii=False)[1:-1] for form in usable_secrets(secrets)]
    text = redact_text(json.dumps(results, ensure_ascii=False), encoded)
    try:
        scrubbed: dict[str, Any] = json.loads(text)
    except ValueError:  # a replacement cut an escape sequence: go string by string
        scrubbed = redact(results, secrets)
    for headers in _all_headers(scrubbed):
        for name in headers:
            if str(name).lower() in SECRET_HEADERS:
                headers[name] = REDACTED
    return scrubbed


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
