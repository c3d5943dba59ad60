"""Field paths of a documentation page: a sample's paths, and a table's rows resolved to them.

A table row names a field as a dotted path (`data.dncLists`, `days[].day`); a sample has
paths too (`dncLists`, `days.day`, array items joined like objects). A row resolves to a
sample path in one of three ways, its *offset*:

- `("exact", "")`: the row's path is in the sample;
- `("add", P)`: the row is relative to the sample's object at `P` (`_id` -> `data._id`);
- `("strip", P)`: the row has a leading `P.` the sample does not (`data.dncLists` -> `dncLists`).

A table's *dominant* offset is the one most of its rows resolve by (ties go to exact);
rows resolved another way are written against the table's own convention.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kore_contract.trace.docs import Row, Table

Offset = tuple[str, str]
EXACT: Offset = ("exact", "")
ARRAY_INDEX = re.compile(r"\[\d*\]")


def normalise(path: str) -> str:
    """`days[].day`, `days[0].day` and `days.day` are one path."""
    return ".".join(part for part in ARRAY_INDEX.sub("", path).split(".") if part)


def sample_paths(payload: Any) -> dict[str, list[Any]]:
    """Every path of a JSON value, with the values found there, in document order. The
    objects in an array share the array's path (`days.day`); its scalars are its value."""
    found: dict[str, list[Any]] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item, path)
            return
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                found.setdefault(child, []).append(item)
                walk(item, child)

    walk(payload, "")
    return found


def record_root(payload: Any) -> str:
    """The top-level key whose object holds most of a response's fields (an envelope's
    `data`), or "" when no one key does."""
    if not isinstance(payload, dict):
        return ""
    leaves = [
        path
        for path, values in sample_paths(payload).items()
        if not any(isinstance(v, dict) for v in values)
    ]
    for key, value in payload.items():
        inside = sum(1 for path in leaves if path.startswith(f"{key}."))
        if isinstance(value, dict) and inside * 2 > len(leaves):
            return str(key)
    return ""


@dataclass(frozen=True)
class Resolved:
    row: Row
    path: str | None  # the sample path it resolves to, or None
    offset: Offset | None


@dataclass(frozen=True)
class ResolvedTable:
    table: Table
    rows: tuple[Resolved, ...]
    dominant: Offset

    def apply_dominant(self, row: Row) -> str:
        """Where an unresolved row would be, by the table's own convention."""
        return apply(self.dominant, normalise(row.name))


def apply(offset: Offset, path: str) -> str:
    how, prefix = offset
    if how == "add":
        return f"{prefix}.{path}"
    if how == "strip":
        return path.removeprefix(f"{prefix}.")
    return path


def _candidates(path: str, paths: dict[str, list[Any]]) -> Iterator[Offset]:
    if path in paths:
        yield EXACT
    parts = path.split(".")
    for cut in range(1, len(parts)):
        if ".".join(parts[cut:]) in paths:
            yield ("strip", ".".join(parts[:cut]))
            break
    for prefix, values in paths.items():
        if f"{prefix}.{path}" in paths and any(isinstance(v, dict) for v in values):
            yield ("add", prefix)


def resolve(table: Table, paths: dict[str, list[Any]]) -> ResolvedTable:
    candidates = {row: list(_candidates(normalise(row.name), paths)) for row in table.rows}
    counts = Counter(offset for found in candidates.values() for offset in found)
    dominant = max(counts, key=lambda o: (counts[o], o == EXACT), default=EXACT)
    rows = []
    for row in table.rows:
        found = candidates[row]
        ranked = sorted(
            found, key=lambda o: (o != dominant, o != EXACT, o[0] != "strip", -counts[o])
        )
        offset = ranked[0] if ranked else None
        path = apply(offset, normalise(row.name)) if offset else None
        rows.append(Resolved(row, path, offset))
    return ResolvedTable(table, tuple(rows), dominant)
