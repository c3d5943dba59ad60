"""The JSON Schemas both engines check against, resolved from the spec once and kept in the
user's cache folder (a one-file run then reads no YAML).

A schema is named by what it checks (`SchemaName`): "request" is part 1's create body (the
template variant) and "response" a campaign answer (create, get, update, delete), as before
the family; `request:<variant>` is one create variant (C1), `request:list` the list body,
and `response:<call>` the success answer of a logical call (start, stop, status, list, ...).
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any, Literal

from kore_contract.contract import spec

PayloadKind = Literal["request", "response"]
#: "request", "response", "request:plain", "request:list", "response:stop", ...
SchemaName = str


def schema_of(name: SchemaName) -> dict[str, Any]:
    """The schema called `name`; a KeyError names the known ones."""
    schemas: dict[str, dict[str, Any]] = _cached()["schemas"]
    try:
        return schemas[name]
    except KeyError:
        raise KeyError(f"no schema {name!r}; known: {', '.join(schemas)}") from None


def variant_schema_name(variant: str) -> SchemaName:
    return f"request:{variant}"


def request_schema_name(call: str) -> SchemaName:
    """The schema of a call's body without variants (the list body)."""
    return f"request:{call}"


def response_schema_name(call: str) -> SchemaName:
    return f"response:{call}"


def variants() -> tuple[str, ...]:
    """The create variants (C1), in the spec's order."""
    return tuple(_cached()["index"]["variants"])


def variant_entries() -> tuple[tuple[str, dict[str, Any]], ...]:
    """C1 as the spec's `x-variants` states it: (variant, when-schema) in reading order."""
    return tuple((variant, when) for variant, when in _cached()["index"]["when"])


@functools.lru_cache(maxsize=1)
def _readers() -> tuple[tuple[spec.Variant, Any], ...]:
    return spec.variant_readers(variant_entries())


def variant_of(body: Any) -> str:
    """C1: the variant a body is read as (`spec.variant_of`, from the cached entries)."""
    return spec.variant_of(body, _readers())


def request_calls() -> tuple[str, ...]:
    """The calls whose JSON request body can be checked (create, update, list)."""
    return tuple(_cached()["index"]["request"])


def variant_calls() -> tuple[str, ...]:
    """The calls whose body is one of the create variants (create, update)."""
    return tuple(_cached()["index"]["variant"])


def response_calls() -> tuple[str, ...]:
    """The calls whose success answer can be checked (every logical call)."""
    return tuple(_cached()["index"]["response"])


def _resolved() -> dict[str, Any]:
    """Every schema, resolved from the spec, and the index of calls and variants (what the
    cache holds)."""
    schemas = {"request": spec.request_body_schema(), "response": spec.response_envelope_schema()}
    for variant in spec.variant_names():
        schemas[variant_schema_name(variant)] = spec.variant_schema(variant)
    for call in spec.body_calls():
        if not spec.has_variants(call):
            schemas[request_schema_name(call)] = spec.request_schema(call)
    for logical in spec.logical_calls():
        schemas[response_schema_name(logical)] = spec.response_schema(logical)
    index = {
        "variants": list(spec.variant_names()),
        "when": [[variant, when] for variant, when in spec.variants()],
        "request": list(spec.body_calls()),
        "variant": [call for call in spec.body_calls() if spec.has_variants(call)],
        "response": list(spec.logical_calls()),
    }
    return {"schemas": schemas, "index": index}


@functools.lru_cache(maxsize=1)
def _cached() -> dict[str, Any]:
    """The schemas and the index, resolved from the spec.

    Reading the YAML spec and resolving it is most of a one-file run's time, so the result
    is kept as JSON in the user's cache folder, under a key made from the bytes of the spec
    and of the code that resolves it: editing either makes a new entry. Without a usable
    cache folder it is simply resolved each time.
    """
    cached = _cache_file()
    if cached is not None:
        try:
            found: dict[str, Any] = json.loads(cached.read_bytes())
            if isinstance(found, dict) and set(found) == {"schemas", "index"}:
                return found
        except (OSError, ValueError):
            pass  # not cached yet, or damaged: resolve again and rewrite
    schemas = _resolved()
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
            spec.spec_path().read_bytes()
            + Path(spec.__file__).read_bytes()
            + Path(__file__).read_bytes()
        ).hexdigest()[:32]
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except (OSError, RuntimeError):  # no spec file readable, no home folder
        return None
    return Path(base) / "kore-contract" / f"schemas-{key}.json"
