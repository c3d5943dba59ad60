"""The request and response JSON Schemas both engines check against, resolved from the spec
once and kept in the user's cache folder (a one-file run then reads no YAML)."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any, Literal

from kore_contract.contract import spec

PayloadKind = Literal["request", "response"]


def schema_of(kind: PayloadKind) -> dict[str, Any]:
    return _schemas()[kind]


@functools.lru_cache(maxsize=1)
def _schemas() -> dict[str, dict[str, Any]]:
    """The request and response schemas, resolved from the spec.

    Reading the YAML spec and resolving it is most of a one-file run's time, so the result
    is kept as JSON in the user's cache folder, under a key made from the bytes of the spec
    and of the code that resolves it: editing either makes a new entry. Without a usable
    cache folder it is simply resolved each time.
    """
    cached = _cache_file()
    if cached is not None:
        try:
            found: dict[str, dict[str, Any]] = json.loads(cached.read_bytes())
            if isinstance(found, dict) and set(found) == {"request", "response"}:
                return found
        except (OSError, ValueError):
            pass  # not cached yet, or damaged: resolve again and rewrite
    schemas = {"request": spec.request_body_schema(), "response": spec.response_envelope_schema()}
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
            partial.write_text(json.dumps(schemas, ensure_ascii=False), encoding="utf-8")
            os.replace(partial, cached)  # atomic: a parallel run reads all or nothing
        except OSError:
            pass
    return schemas


def _cache_file() -> Path | None:
    """Where the resolved schemas are cached (None: no usable cache folder)."""
    import hashlib

    try:
        key = hashlib.sha256(
            spec.spec_path().read_bytes() + Path(spec.__file__).read_bytes()
        ).hexdigest()[:32]
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except (OSError, RuntimeError):  # no spec file readable, no home folder
        return None
    return Path(base) / "kore-contract" / f"schemas-{key}.json"
