"""Why a payload breaks the schema, one violation per broken place, at a cost bounded by
what is listed: either engine's errors (`Engine`) are explained over a skeleton of the
payload and then window by window (`explained`), and each error is told as a `Violation`
whose rule is the schema node's `x-rule`."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kore_contract.contract import formats, spec
from kore_contract.contract.violation import Violation
from kore_contract.validate.messages import describe_expected, describe_value, label, number_text
from kore_contract.validate.result import MAX_VIOLATIONS
from kore_contract.validate.schemas import SchemaName, schema_of

# --- explaining, at a cost bounded by what is listed ----------------------------------
#
# A payload can break a rule once per item of a long list (names given as `[0, 0, ...]`:
# 500,000 violations in 1 MB). Explaining them all would cost gigabytes, so the engines
# explain a skeleton of the payload: what the schema looks at, with each long list cut to
# its first WINDOW items; the rest of a long list is then checked a window at a time (a
# valid window cheaply, by the fast engine), and explained until more than MAX_VIOLATIONS
# are known. Undocumented properties are not in the skeleton: no keyword of the spec looks
# at them (`_object_node` and `_list_place` make sure of it).

#: Items of a long list explained at a time.
WINDOW = MAX_VIOLATIONS

_ANNOTATIONS = frozenset(
    (
        "description",
        "title",
        "$comment",
        "$schema",
        "$id",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
    )
)
_OBJECT_KEYWORDS = frozenset(("type", "properties", "required"))
_LIST_KEYWORDS = frozenset(("type", "items", "minItems"))


def _keywords_within(node: Mapping[str, Any], allowed: frozenset[str]) -> bool:
    return all(key in allowed or key in _ANNOTATIONS or key.startswith("x-") for key in node)


def _object_node(node: Any) -> bool:
    """A schema whose verdict on an object depends only on the properties it names."""
    return (
        isinstance(node, dict)
        and isinstance(node.get("properties"), dict)
        and _keywords_within(node, _OBJECT_KEYWORDS)
    )


def _list_place(node: Any) -> bool:
    """A list schema whose verdict on a list's first WINDOW items is its verdict on their
    list, but for the items' own errors."""
    minimum = node.get("minItems", 0) if isinstance(node, dict) else None
    return (
        isinstance(node, dict)
        and node.get("type") == "array"
        and isinstance(node.get("items"), dict)
        and type(minimum) is int
        and minimum <= WINDOW
        and _keywords_within(node, _LIST_KEYWORDS)
    )


@functools.lru_cache(maxsize=32)
def _list_places(kind: SchemaName) -> tuple[tuple[tuple[str, ...], dict[str, Any]], ...]:
    """The long lists the skeleton cuts: (property names from the root, the list's schema),
    for lists reached through `properties` alone."""
    places: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if _list_place(node):
            places.append((path, node))
        elif _object_node(node):
            for name, child in node["properties"].items():
                walk(child, (*path, name))

    walk(schema_of(kind), ())
    return tuple(places)


@dataclass(frozen=True)
class _Shape:
    """What the skeleton keeps of a value: of an object a schema names properties of, those
    properties (each with its shape) and the required ones; of a list at a place, the first
    WINDOW items (each with the items' shape); of anything else, all of it."""

    properties: dict[str, _Shape] | None = None
    required: tuple[str, ...] = ()
    items: _Shape | None = None


_WHOLE = _Shape()


def _shape(node: Any, path: tuple[str, ...] | None, cut: frozenset[Any]) -> _Shape:
    """The shape of what `node` looks at; `path` is where it is (None inside a list)."""
    if _object_node(node):
        properties = {
            name: _shape(child, None if path is None else (*path, name), cut)
            for name, child in node["properties"].items()
        }
        required = tuple(name for name in node.get("required", ()) if name not in properties)
        return _Shape(properties, required)
    if path in cut:
        return _Shape(items=_shape(node["items"], None, cut))
    return _WHOLE


@functools.lru_cache(maxsize=32)
def _shapes(kind: SchemaName) -> tuple[_Shape, dict[tuple[str, ...], _Shape]]:
    """The shape of a payload, and of an item of each list place."""
    places = _list_places(kind)
    cut = frozenset(path for path, _ in places)
    return _shape(schema_of(kind), (), cut), {
        path: _shape(node["items"], None, cut) for path, node in places
    }


def _skeleton(value: Any, shape: _Shape) -> Any:
    """What of `value` its schema looks at (`_Shape`). Every error of the skeleton is an
    error of `value` at the same place."""
    properties = shape.properties
    if properties is not None and isinstance(value, dict):
        kept = {
            name: value[name] if child is _WHOLE else _skeleton(value[name], child)
            for name, child in properties.items()
            if name in value
        }
        for name in shape.required:
            if name in value:
                kept[name] = value[name]
        return kept
    if shape.items is not None and isinstance(value, list):
        items = shape.items
        return [_skeleton(item, items) for item in value[:WINDOW]]
    return value


def _value_at(payload: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        if not isinstance(payload, dict):
            return None
        payload = payload.get(name)
    return payload


class Engine(Protocol):
    """One validation engine, as the bounded explanation uses it."""

    def errors(self, skeleton: Any) -> Iterable[SchemaError]: ...
    def window_is_valid(self, place: tuple[str, ...], window: list[Any]) -> bool: ...
    def window_errors(self, place: tuple[str, ...], window: list[Any]) -> Iterable[SchemaError]: ...


def window_schema(kind: SchemaName, place: tuple[str, ...]) -> dict[str, Any]:
    """A list of the items at `place`: what a window of that list is checked against."""
    node = dict(_list_places(kind))[place]
    return {"type": "array", "items": node["items"]}


def explained(payload: Any, kind: SchemaName, engine: Engine) -> tuple[list[Violation], int, bool]:
    """The first MAX_VIOLATIONS violations `engine` finds in `payload`, in order; how many
    more it found; and whether the search went through the whole payload (it stops once
    more than MAX_VIOLATIONS are known).

    Fast twin of explaining every error of the whole payload (`collect`); proved equal by
    tests/test_engines_agree.py::test_engines_agree_on_long_lists_in_requests and
    tests/test_engines_agree.py::test_engines_agree_on_long_lists_in_responses.
    """
    shape, item_shapes = _shapes(kind)
    values = [(place, _value_at(payload, place)) for place in item_shapes]
    if not any(type(value) is list and len(value) > WINDOW for _, value in values):
        # No list to cut: the skeleton would be the payload less what no keyword looks at,
        # with the same errors at the same places. The payload is explained as it is.
        found = _found(engine.errors(payload))
        return _listed(found), max(len(found) - MAX_VIOLATIONS, 0), True
    found = _found(engine.errors(_skeleton(payload, shape)))
    for place, value in values:
        if not isinstance(value, list):
            continue
        item_shape = item_shapes[place]
        for offset in range(WINDOW, len(value), WINDOW):
            if len(found) > MAX_VIOLATIONS:
                return _listed(found), len(found) - MAX_VIOLATIONS, False
            window = value[offset : offset + WINDOW]
            if engine.window_is_valid(place, window):
                continue
            items = [_skeleton(item, item_shape) for item in window]
            errors = engine.window_errors(place, items)
            found += _found(_Relocated(error, place, offset) for error in errors)
    return _listed(found), max(len(found) - MAX_VIOLATIONS, 0), True


#: A violation found, not yet told: (its place in `_error_order`, where, the error, the
#: missing property a `required` error is about). Messages are written for listed ones only.
_Found = tuple[tuple[Any, ...], tuple[Any, ...], "SchemaError", "str | None"]


def _found(errors: Iterable[SchemaError]) -> list[_Found]:
    """One violation per place (the first error in `_error_order` wins: a type error
    before the others)."""
    found: dict[tuple[Any, ...], _Found] = {}
    required_seen: set[tuple[tuple[Any, ...], int]] = set()
    for key, error in sorted(((_error_order(e), e) for e in errors), key=lambda pair: pair[0]):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties":  # one violation per key not allowed
            for name in _not_allowed(error):
                where = (*path, name)
                found.setdefault(where, (key, where, error, name))
            continue
        if error.validator != "required":
            found.setdefault(path, (key, path, error, None))
            continue
        # One error per missing property, each naming them all: the first tells them all.
        if (path, id(error.schema)) in required_seen or not isinstance(error.instance, dict):
            continue
        required_seen.add((path, id(error.schema)))
        for name in error.validator_value:
            if name not in error.instance:
                where = (*path, name)
                found.setdefault(where, (key, where, error, name))
    return list(found.values())


def _not_allowed(error: SchemaError) -> list[str]:
    """The keys of an object that `additionalProperties: false` refuses (none named by
    `properties`; the spec has no patternProperties). The first MAX_VIOLATIONS + 1."""
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    known = schema.get("properties") or {}
    if error.validator_value is not False or not isinstance(error.instance, dict):
        return []
    return [key for key in error.instance if key not in known][: MAX_VIOLATIONS + 1]


def _listed(found: list[_Found]) -> list[Violation]:
    """The first MAX_VIOLATIONS of `found` in order, told."""
    first = sorted(found, key=lambda entry: entry[0])[:MAX_VIOLATIONS]
    return [_violation(error, path, name) for _, path, error, name in first]


def collect(errors: Iterable[SchemaError]) -> list[Violation]:
    """The violations `errors` tell, the first MAX_VIOLATIONS (the tests compare a bounded
    explanation with an engine's every error told so)."""
    return _listed(_found(errors))


class _Relocated:
    """An error of a window of a list, told at its place in the payload."""

    __slots__ = ("_error", "absolute_path", "instance", "schema", "validator", "validator_value")

    def __init__(self, error: SchemaError, place: tuple[str, ...], offset: int) -> None:
        index, *rest = error.absolute_path  # a window (a list) is never wrong as a whole
        self.absolute_path: Sequence[str | int] = [*place, offset + int(index), *rest]
        self.validator: Any = error.validator
        self.validator_value: Any = error.validator_value
        self.schema: Any = error.schema
        self.instance: Any = error.instance
        self._error = error

    @property
    def message(self) -> str:
        return self._error.message


class SchemaError(Protocol):
    """What both engines' errors tell: jsonschema's ValidationError, or `_RsError`."""

    @property
    def validator(self) -> Any: ...
    @property
    def validator_value(self) -> Any: ...
    @property
    def schema(self) -> Any: ...
    @property
    def instance(self) -> Any: ...
    @property
    def absolute_path(self) -> Sequence[str | int]: ...
    @property
    def message(self) -> str: ...


_KEYWORD_ORDER = {"required": 0, "type": 1}


def _error_order(error: SchemaError) -> tuple[Any, ...]:
    """Shallow errors first, then `required` and `type` before the others, then by place
    (list indices as numbers: days[2] before days[10])."""
    path = list(error.absolute_path)
    return (
        len(path),
        _KEYWORD_ORDER.get(str(error.validator), 2),
        str(error.validator),
        tuple((0, part, "") if type(part) is int else (1, 0, str(part)) for part in path),
    )


def _violation(error: SchemaError, where: tuple[Any, ...], missing: str | None) -> Violation:
    """The violation `error` tells at `where` (a `required` error: of the `missing` one)."""
    path = list(where)
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    rule = str(schema.get("x-rule", "R1"))
    if missing is not None and error.validator == "additionalProperties":
        allowed = ", ".join(str(name) for name in schema.get("properties") or ())
        return Violation(
            rule,
            spec.to_pointer(path),
            f"{label(path)}: not allowed here; the keys allowed are {allowed}",
        )
    if missing is not None:
        child = schema.get("properties", {}).get(missing, {})
        return Violation(
            str(child.get("x-rule", rule)),
            spec.to_pointer(path),
            f"{label(path)}: missing; required {describe_expected(child)}",
        )
    return Violation(rule, spec.to_pointer(path), _message(error, path, schema))


def _message(error: SchemaError, path: list[Any], schema: Mapping[str, Any]) -> str:
    where, value, keyword = label(path), error.instance, error.validator
    if keyword == "type":
        message = f"{where}: got {describe_value(value)}; expected {describe_expected(schema)}"
        enum = schema.get("enum")
        if enum and not isinstance(value, str) and number_text(value) in enum:
            message += f'; send the string "{value}"'
        elif schema.get("type") == "integer" and _digits(value):
            message += f"; send the number {int(value)}"
        return message
    if keyword == "anyOf":
        options = " or ".join(_option(option) for option in error.validator_value)
        return f"{where}: got {describe_value(value)}; expected {options}"
    if keyword == "not":
        refused = (
            error.validator_value.get("required")
            if isinstance(error.validator_value, Mapping)
            else None
        )
        if refused:
            return f"{where}: must not have {', '.join(map(str, refused))}"
    if keyword == "enum":
        message = f"{where}: got {describe_value(value)}; expected {describe_expected(schema)}"
        if isinstance(value, str):
            matches = [e for e in error.validator_value if str(e).casefold() == value.casefold()]
            if matches:
                message += f' (exact case: "{matches[0]}")'
        return message
    if keyword == "maxLength":
        return f"{where}: {len(value)} characters, at most {error.validator_value} allowed"
    if keyword == "minLength":
        return f"{where}: empty; at least {error.validator_value} character required"
    if keyword == "minItems":
        return f"{where}: empty list; at least {error.validator_value} item required"
    if keyword == "minimum":
        return f"{where}: got {describe_value(value)}; expected at least {error.validator_value}"
    if keyword == "maximum":
        return f"{where}: got {describe_value(value)}; expected at most {error.validator_value}"
    if keyword == "format":
        return f"{where}: {describe_value(value)} is not valid: " + formats.explain(
            str(error.validator_value), value
        )
    message = error.message
    return f"{where}: {message if len(message) <= 200 else message[:197] + '...'}"


def _option(schema: Any) -> str:
    """One alternative of an `anyOf`, as expected: `an integer at least 1`, `the string ""`."""
    if not isinstance(schema, Mapping):
        return "a value"
    described = describe_expected(schema)
    if "minimum" in schema:
        described += f" at least {schema['minimum']}"
    if "maximum" in schema:
        described += f" at most {schema['maximum']}"
    return described


def _digits(value: Any) -> bool:
    """A string of a few decimal digits: a number sent as text."""
    return type(value) is str and 0 < len(value) <= 18 and value.isascii() and value.isdigit()
