"""The mock's routes, derived from the spec's operations: a path and method to an operation
(`x-call`), its query parameters (required, enum, `x-rule`) and its actions (`x-actions`).

Paths with fewer templated segments are tried first, so a literal segment wins over a
`{campaignId}` (`POST .../campaign/getAllCampaignDetails` is list, not the start page's
`POST .../campaign/{campaignId}`); a method that the first matching path lacks is looked
for in the next one. Repeated slashes read as one (the stop page writes
`campaign//trigger/`, D14).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kore_contract.contract import spec
from kore_contract.contract.violation import Violation


@dataclass(frozen=True)
class Param:
    """A query parameter of an operation, as the spec states it."""

    name: str
    required: bool
    choices: tuple[str, ...] | None  # its enum, if any
    rule: str  # its x-rule

    def violation(self, value: str | None) -> Violation | None:
        """Why `value` (None: not sent) is refused, if it is."""
        expected = (
            f"expected {' or '.join(map(repr, self.choices))} (exact case)"
            if self.choices
            else "expected a non-empty value"
        )
        if value is None:
            if not self.required:
                return None
            return Violation(
                self.rule,
                f"/query/{self.name}",
                f"query parameter {self.name}: missing; {expected}",
            )
        if (self.choices is not None and value not in self.choices) or not value:
            return Violation(
                self.rule,
                f"/query/{self.name}",
                f"query parameter {self.name}: got {value[:60]!r}; {expected}",
            )
        return None


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: its call (`x-call`), parameters and actions."""

    call: str
    method: str
    path: str
    query: tuple[Param, ...]
    #: action -> the query values that select it (`x-actions`); empty: the call alone
    actions: Mapping[str, Mapping[str, str]]

    def param(self, name: str) -> Param | None:
        for param in self.query:
            if param.name == name:
                return param
        return None

    def action_of(self, query: Mapping[str, str]) -> str | None:
        """The action the query selects (the first whose values it all has)."""
        for action, selector in self.actions.items():
            if all(query.get(name) == value for name, value in selector.items()):
                return action
        return None


def _param(entry: dict[str, Any]) -> Param:
    schema = entry.get("schema", {})
    enum = schema.get("enum")
    rule = entry.get("x-rule") or schema.get("x-rule") or "S9"
    return Param(
        entry["name"],
        bool(entry.get("required")),
        tuple(map(str, enum)) if isinstance(enum, list) else None,
        rule if isinstance(rule, str) else str(rule[0]),
    )


def _operation(call: str, found: dict[str, Any]) -> Operation:
    query = tuple(_param(p) for p in found.get("parameters", []) if p.get("in") == "query")
    actions = {
        action: dict(entry.get("query", {})) for action, entry in found.get("x-actions", {}).items()
    }
    return Operation(call, found["method"], found["path"], query, actions)


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    operations: Mapping[str, Operation]  # method -> operation


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


@functools.lru_cache(maxsize=1)
def routes() -> tuple[Route, ...]:
    """The spec's paths, literal segments first, each with its operations by method."""
    by_path: dict[str, dict[str, Operation]] = {}
    for call, found in spec.operations().items():
        by_path.setdefault(found["path"], {})[found["method"]] = _operation(call, found)
    ordered = sorted(by_path, key=lambda path: (path.count("{"), -path.count("/")))
    return tuple(Route(_pattern(path), by_path[path]) for path in ordered)


_SLASHES = re.compile("//+")


@dataclass(frozen=True)
class Found:
    """A request's operation and its path parameters."""

    operation: Operation
    parameters: dict[str, str]


@dataclass(frozen=True)
class NotServed:
    """No operation for the request: 404 (no path matches) or 405 (`allowed` methods)."""

    allowed: tuple[str, ...]


def match(path: str, method: str) -> Found | NotServed:
    if "//" in path:
        path = _SLASHES.sub("/", path)
    allowed: list[str] = []
    for route in routes():
        matched = route.pattern.match(path)
        if matched is None:
            continue
        operation = route.operations.get(method)
        if operation is not None:
            return Found(operation, matched.groupdict())
        allowed.extend(m for m in route.operations if m not in allowed)
    return NotServed(tuple(sorted(allowed)))


def call_of(operation: Operation, query: Mapping[str, str]) -> str:
    """The logical call a request makes: the action its query selects, else the operation's
    own call (start, stop, or the operation's `x-call`)."""
    return operation.action_of(query) or operation.call
