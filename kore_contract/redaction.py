"""Redaction: no token or client secret leaves the tool (S11; reports, logs, results).

One place for it: the runner redacts results before they are written, the report writers
redact again whatever they are given, the mock redacts its log lines (`redact`) and its
answers, already encoded (`redact_bytes`). Secrets shorter than MIN_SECRET_LENGTH are left
alone (a test's "x" token would eat ordinary text).

A run keeps its secrets in one `RunSecrets`: the client secret and every token it mints
(its own, and the A2 probes signed with the real secret), added the moment they exist.
While a run writes its reports, that registry is the active one (`RunSecrets.active`), so
the report writers redact it too. A known secret is also redacted percent-encoded and
JSON-escaped; anything shaped like a JWT is redacted wherever it starts (no word boundary:
`token%3DeyJ...` and `_eyJ...` are caught).
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
REDACTED_BYTES = REDACTED.encode("ascii")
MIN_SECRET_LENGTH = 8
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
CURL_SECRET_HEADER = re.compile(
    r"""(?P<flag>(?:-H|--header)\s*)(?P<quote>\\?['"]?)
        (?P<name>auth|authorization|proxy-authorization|cookie)\s*:[^'"\n\\]*""",
    re.IGNORECASE | re.VERBOSE,
)

T = TypeVar("T")


class RunSecrets:
    """The secrets of one run, added as they are minted; iterating gives them as added."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: dict[str, None] = {}
        self._lock = threading.Lock()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> str | None:
        """Remember `secret` (and a JWT's signature on its own); returns it unchanged."""
        if not secret:
            return secret
        with self._lock:
            self._secrets[secret] = None
            signature = secret.rsplit(".", 1)[-1] if secret.count(".") == 2 else ""
            if len(signature) >= MIN_SECRET_LENGTH:
                self._secrets[signature] = None
        return secret

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._secrets))

    def __len__(self) -> int:
        return len(self._secrets)

    @contextlib.contextmanager
    def active(self) -> Iterator[RunSecrets]:
        """Make this the registry every redaction also uses, for the block's length."""
        _ACTIVE.append(self)
        try:
            yield self
        finally:
            _ACTIVE.remove(self)


_ACTIVE: list[RunSecrets] = []


def active_secrets() -> list[str]:
    """The secrets of the runs writing right now (see `RunSecrets.active`)."""
    return [secret for registry in list(_ACTIVE) for secret in registry]


@functools.lru_cache(maxsize=1024)
def encoded_forms(secret: str) -> frozenset[str]:
    """`secret` as it may appear in an echo: raw, percent-encoded (either hex case, `+`
    for space), JSON-escaped (with and without \\u escapes)."""
    percent = quote(secret, safe="")
    return frozenset(
        {
            secret,
            quote_plus(secret, safe=""),
            percent,
            re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), percent),
            json.dumps(secret)[1:-1],
            json.dumps(secret, ensure_ascii=False)[1:-1],
        }
    )


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


def secret_bytes(secret: str | None, encoding: str = "utf-8") -> bytes | None:
    """`secret` as it appears in bytes written in `encoding` (latin-1 for an HTTP header's
    value), or None when it is too short to scrub (under MIN_SECRET_LENGTH characters)."""
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        return None
    return secret.encode(encoding, "replace")


def redact_bytes(data: bytes, secrets: Iterable[bytes | None]) -> bytes:
    """The byte-level form of `redact_text`, for an answer already encoded (the mock's): each
    secret (made by `secret_bytes`; None is skipped) replaced by "[redacted]".

    Only the known secrets: an answer echoes what the client sent, which must come back
    unchanged (S3), so nothing is redacted for its shape alone.
    """
    for secret in secrets:
        if secret and secret in data:
            data = data.replace(secret, REDACTED_BYTES)
    return data


def usable_secrets(secrets: Iterable[str | None]) -> list[str]:
    """The secrets (and those of the active runs) long enough to scrub, in every encoded
    form, longest first (a secret may contain another)."""
    known = {s for s in (*secrets, *active_secrets()) if s and len(s) >= MIN_SECRET_LENGTH}
    forms = {form for secret in known for form in encoded_forms(secret)}
    return sorted(forms, key=len, reverse=True)


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
