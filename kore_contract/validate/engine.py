"""The validator: the spec's JSON Schemas plus the rules JSON Schema cannot say.

`validate_request(payload)` and `validate_response(payload)` return a `Result` whose
violations each carry a rule id, an RFC 6901 pointer and a message a person can act on.
A bad payload never raises.

Two engines, one schema: a compiled jsonschema-rs validator answers "valid?" fast, and
only when it says no does the reference engine (Python jsonschema) explain why. A
property test proves the two agree.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from kore_contract.contract import formats, spec
from kore_contract.contract.loader import Parsed, Unreadable, parse_json

if TYPE_CHECKING:
    from kore_contract.contract.fixture import Fixture

Kind = Literal["request", "response"]

#: The most violations (and, apart, warnings) one payload's result lists; the rest are counted.
MAX_VIOLATIONS = 100


@dataclass(frozen=True)
class Violation:
    rule: str  # "R7"
    pointer: str  # "/priority"
    message: str

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "pointer": self.pointer, "message": self.message}

    def __str__(self) -> str:
        return f"{self.pointer or '(root)'}: {self.message} ({self.rule})"


@dataclass
class Result:
    """What is wrong with a payload: at most MAX_VIOLATIONS violations (and as many
    warnings), and how many more were found beyond them. A payload with more violations
    than that gets no advice (warnings) until it has fewer."""

    violations: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)
    more_violations: int = 0  # found beyond the listed ones
    more_warnings: int = 0
    #: False when the search stopped once past the cap: there are at least `more_*` more,
    #: maybe many (counting them all would cost as much as listing them).
    more_exact: bool = True

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def rules(self) -> set[str]:
        return {v.rule for v in self.violations}


# --- the two engines ---------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _fast_engine(kind: Kind) -> tuple[Any, formats.FastSchema]:
    """jsonschema-rs on `formats.fast_schema`: formats a regex or an enum states exactly run
    in Rust, not as Python callbacks. It only answers "valid?"."""
    import jsonschema_rs

    fast = formats.fast_schema(_schema(kind))
    validator = jsonschema_rs.validator_for(
        fast.schema, formats=fast.predicates, validate_formats=True
    )
    return validator, fast


def fast_is_valid(payload: Any, kind: Kind) -> bool:
    """The fast engine's answer: whether the spec's schema finds nothing wrong."""
    validator, fast = _fast_engine(kind)
    return bool(validator.is_valid(payload)) and fast.utf8_at_places(payload)


@functools.lru_cache(maxsize=2)
def _explaining_validator(kind: Kind) -> Any:
    """jsonschema-rs on the spec's own schema: its errors' schema paths are the spec's."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(
        _schema(kind), formats=dict(formats.FORMATS), validate_formats=True
    )


@functools.lru_cache(maxsize=2)
def _reference_validator(kind: Kind) -> Any:
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    for name, predicate in formats.FORMATS.items():
        checker.checks(name)(predicate)
    return jsonschema.Draft202012Validator(_schema(kind), format_checker=checker)


def _schema(kind: Kind) -> dict[str, Any]:
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


def warm_up(kind: Kind) -> None:
    """Compile what validation needs now (before a fork pool shares it with its workers)."""
    _fast_engine(kind)
    _explaining_validator(kind)
    formats.clock_table()


def schema_violations(payload: Any, kind: Kind) -> list[Violation]:
    """What the spec's schema says is wrong, one violation per broken field (at most
    MAX_VIOLATIONS of them).

    The fast engine (jsonschema-rs) answers on `formats.fast_schema`, then explains on the
    spec's schema; `reference_schema_violations` gives the same answer from Python
    jsonschema (tests/test_engines_agree.py proves it).
    """
    return _schema_found(payload, kind)[0]


def reference_schema_violations(payload: Any, kind: Kind) -> list[Violation]:
    """The same answer as `schema_violations`, from the reference engine alone."""
    return _explained(payload, kind, _ReferenceEngine(kind))[0]


def _schema_found(payload: Any, kind: Kind) -> tuple[list[Violation], int, bool]:
    """`_explained` by the fast engine, for a payload it finds invalid."""
    try:
        if fast_is_valid(payload, kind):
            return [], 0, True
        return _explained(payload, kind, _RsEngine(kind))
    except (ValueError, TypeError, OverflowError):  # a value JSON has no form for (a set...)
        return _explained(payload, kind, _ReferenceEngine(kind))


# --- explaining, at a cost bounded by what is listed ----------------------------------
#
# A payload can break a rule once per item of a long list (`"contactLists": [0, 0, ...]`:
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


@functools.lru_cache(maxsize=2)
def _list_places(kind: Kind) -> tuple[tuple[tuple[str, ...], dict[str, Any]], ...]:
    """The long lists the skeleton cuts: (property names from the root, the list's schema),
    for lists reached through `properties` alone."""
    places: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if _list_place(node):
            places.append((path, node))
        elif _object_node(node):
            for name, child in node["properties"].items():
                walk(child, (*path, name))

    walk(_schema(kind), ())
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


@functools.lru_cache(maxsize=2)
def _shapes(kind: Kind) -> tuple[_Shape, dict[tuple[str, ...], _Shape]]:
    """The shape of a payload, and of an item of each list place."""
    places = _list_places(kind)
    cut = frozenset(path for path, _ in places)
    return _shape(_schema(kind), (), cut), {
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


class _Engine(Protocol):
    """One validation engine, as the bounded explanation uses it."""

    def errors(self, skeleton: Any) -> Iterable[_SchemaError]: ...
    def window_is_valid(self, place: tuple[str, ...], window: list[Any]) -> bool: ...
    def window_errors(
        self, place: tuple[str, ...], window: list[Any]
    ) -> Iterable[_SchemaError]: ...


def _window_schema(kind: Kind, place: tuple[str, ...]) -> dict[str, Any]:
    """A list of the items at `place`: what a window of that list is checked against."""
    node = dict(_list_places(kind))[place]
    return {"type": "array", "items": node["items"]}


class _RsEngine:
    def __init__(self, kind: Kind) -> None:
        self.kind = kind

    def errors(self, skeleton: Any) -> Iterable[_SchemaError]:
        schema = _schema(self.kind)
        errors = _explaining_validator(self.kind).iter_errors(skeleton)
        return [_RsError(error, schema, skeleton) for error in errors]

    def window_is_valid(self, place: tuple[str, ...], window: list[Any]) -> bool:
        return bool(_rs_window_validators(self.kind, place)[0].is_valid(window))

    def window_errors(self, place: tuple[str, ...], window: list[Any]) -> Iterable[_SchemaError]:
        schema = _window_schema(self.kind, place)
        explaining = _rs_window_validators(self.kind, place)[1]
        return [_RsError(error, schema, window) for error in explaining.iter_errors(window)]


@functools.lru_cache(maxsize=8)
def _rs_window_validators(kind: Kind, place: tuple[str, ...]) -> tuple[Any, Any]:
    """(fast, explaining) jsonschema-rs validators of a window of the list at `place`."""
    import jsonschema_rs

    schema = _window_schema(kind, place)
    fast = formats.fast_schema(schema)
    return (
        jsonschema_rs.validator_for(fast.schema, formats=fast.predicates, validate_formats=True),
        jsonschema_rs.validator_for(schema, formats=dict(formats.FORMATS), validate_formats=True),
    )


class _ReferenceEngine:
    def __init__(self, kind: Kind) -> None:
        self.kind = kind

    def errors(self, skeleton: Any) -> Iterable[_SchemaError]:
        return list(_reference_validator(self.kind).iter_errors(skeleton))

    def window_is_valid(self, place: tuple[str, ...], window: list[Any]) -> bool:
        return bool(_reference_window_validator(self.kind, place).is_valid(window))

    def window_errors(self, place: tuple[str, ...], window: list[Any]) -> Iterable[_SchemaError]:
        return list(_reference_window_validator(self.kind, place).iter_errors(window))


@functools.lru_cache(maxsize=8)
def _reference_window_validator(kind: Kind, place: tuple[str, ...]) -> Any:
    validator = _reference_validator(kind)
    return type(validator)(_window_schema(kind, place), format_checker=validator.format_checker)


def _explained(payload: Any, kind: Kind, engine: _Engine) -> tuple[list[Violation], int, bool]:
    """The first MAX_VIOLATIONS violations `engine` finds in `payload`, in order; how many
    more it found; and whether the search went through the whole payload (it stops once
    more than MAX_VIOLATIONS are known)."""
    shape, item_shapes = _shapes(kind)
    found = _found(engine.errors(_skeleton(payload, shape)))
    for place, item_shape in item_shapes.items():
        value = _value_at(payload, place)
        if not isinstance(value, list):
            continue
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
_Found = tuple[tuple[Any, ...], tuple[Any, ...], "_SchemaError", "str | None"]


def _found(errors: Iterable[_SchemaError]) -> list[_Found]:
    """One violation per place (the first error in `_error_order` wins: a type error
    before the others)."""
    found: dict[tuple[Any, ...], _Found] = {}
    required_seen: set[tuple[tuple[Any, ...], int]] = set()
    for key, error in sorted(((_error_order(e), e) for e in errors), key=lambda pair: pair[0]):
        path = tuple(error.absolute_path)
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


def _listed(found: list[_Found]) -> list[Violation]:
    """The first MAX_VIOLATIONS of `found` in order, told."""
    first = sorted(found, key=lambda entry: entry[0])[:MAX_VIOLATIONS]
    return [_violation(error, path, name) for _, path, error, name in first]


def _collect(errors: Iterable[_SchemaError]) -> list[Violation]:
    """The violations `errors` tell, the first MAX_VIOLATIONS (the tests compare a bounded
    explanation with an engine's every error told so)."""
    return _listed(_found(errors))


class _Relocated:
    """An error of a window of a list, told at its place in the payload."""

    __slots__ = ("_error", "absolute_path", "instance", "schema", "validator", "validator_value")

    def __init__(self, error: _SchemaError, place: tuple[str, ...], offset: int) -> None:
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


class _SchemaError(Protocol):
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


class _RsError:
    """A jsonschema-rs error seen through jsonschema's ValidationError attributes."""

    __slots__ = ("_error", "absolute_path", "instance", "schema", "validator", "validator_value")

    def __init__(self, error: Any, root: Mapping[str, Any], checked: Any) -> None:
        """`error` of the value `checked` against the schema `root`."""
        *parents, keyword = error.schema_path
        node: Any = root
        for part in parents:
            node = node[part]
        self.validator: Any = keyword
        self.schema: Any = node
        self.validator_value: Any = node.get(keyword) if isinstance(node, Mapping) else None
        self.absolute_path: Sequence[str | int] = list(error.instance_path)
        # The value itself, found by its path: error.instance would be a copy made in Rust
        # (of a whole object, for `required`), and null for an integer Python cannot print.
        instance = checked
        for part in self.absolute_path:
            instance = instance[part]
        self.instance: Any = instance
        self._error = error

    @property
    def message(self) -> str:
        """jsonschema-rs's own message, read only when needed (it quotes the value, which
        may be a megabyte long)."""
        return str(self._error.message)


_KEYWORD_ORDER = {"required": 0, "type": 1}


def _error_order(error: _SchemaError) -> tuple[Any, ...]:
    """Shallow errors first, then `required` and `type` before the others, then by place
    (list indices as numbers: days[2] before days[10])."""
    path = list(error.absolute_path)
    return (
        len(path),
        _KEYWORD_ORDER.get(str(error.validator), 2),
        str(error.validator),
        tuple((0, part, "") if type(part) is int else (1, 0, str(part)) for part in path),
    )


def _violation(error: _SchemaError, where: tuple[Any, ...], missing: str | None) -> Violation:
    """The violation `error` tells at `where` (a `required` error: of the `missing` one)."""
    path = list(where)
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    rule = str(schema.get("x-rule", "R1"))
    if missing is not None:
        child = schema.get("properties", {}).get(missing, {})
        return Violation(
            str(child.get("x-rule", rule)),
            spec.to_pointer(path),
            f"{label(path)}: missing; required {describe_expected(child)}",
        )
    return Violation(rule, spec.to_pointer(path), _message(error, path, schema))


def _message(error: _SchemaError, path: list[Any], schema: Mapping[str, Any]) -> str:
    where, value, keyword = label(path), error.instance, error.validator
    if keyword == "type":
        message = f"{where}: got {describe_value(value)}; expected {describe_expected(schema)}"
        enum = schema.get("enum")
        if enum and not isinstance(value, str) and _number_text(value) in enum:
            message += f'; send the string "{value}"'
        return message
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
    if keyword == "format":
        return f"{where}: {describe_value(value)} is not valid: " + formats.explain(
            str(error.validator_value), value
        )
    message = error.message
    return f"{where}: {message if len(message) <= 200 else message[:197] + '...'}"


def label(path: list[Any]) -> str:
    """`dialingStrategy.callingHours.days[0].start` for a path; `body` for the root. A
    property name is shown `printable`: it is the payload's text, not ours."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{printable(str(part))}" if text else printable(str(part))
    return text or "body"


#: What must not reach a terminal raw: C0 and C1 controls and DEL, the line and paragraph
#: separators, the bidirectional controls, and lone surrogates (how Python keeps the bytes
#: of a file name that are not UTF-8).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    named = _NAMED_ESCAPES.get(char)
    if named is not None:
        return named
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for the byte code - 0xDC00
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` on one line with nothing a terminal would obey: each control character (an
    ANSI or OSC escape, a newline), bidirectional override and lone surrogate written as an
    escape (`\\x1b`, `\\n`, `\\u202e`); a byte of a file name that is not UTF-8 as `\\xe9`."""
    return _UNPRINTABLE.sub(_escape, text)


_TYPE_NAMES = {
    dict: "an object",
    list: "a list",
    str: "the string",
    bool: "the boolean",
    int: "the number",
    float: "the number",
    type(None): "null",
}


def describe_value(value: Any) -> str:
    name = _TYPE_NAMES.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)):
        return name
    if value is None:
        return "null"
    if isinstance(value, (str, bool)):
        shown = printable(
            json.dumps(value[:1000] if isinstance(value, str) else value, ensure_ascii=False)
        )
    else:
        number = _number_text(value)
        if number is None:
            return f"a number with more than {sys.get_int_max_str_digits()} digits"
        shown = number
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{name} {shown}"


def _number_text(value: Any) -> str | None:
    """`str(value)`, or None for an integer of more digits than Python writes out."""
    try:
        return str(value)
    except ValueError:
        return None


def describe_expected(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type", "a value")
    enum = schema.get("enum")
    if enum:
        choices = " ".join(f'"{e}"' for e in enum)
        return f"a {kind}, one of {choices}" if len(enum) > 1 else f'the {kind} "{enum[0]}"'
    noun = "list" if kind == "array" else str(kind)
    described = f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
    if "format" in schema:
        described += f" ({schema['format']})"
    if "required" in schema:
        described += " with " + ", ".join(schema["required"])
    return described


# --- rules JSON Schema cannot say ---------------------------------------------------


#: How many violations (or warnings) a bounded check looks for: one past the cap tells
#: that there are more than it lists.
_LIMIT = MAX_VIOLATIONS + 1


def duplicate_key_violations(duplicates: Sequence[str], limit: int = _LIMIT) -> list[Violation]:
    """R1: a duplicated key is a violation (Python's json would silently keep the last).
    The first `limit` of them."""
    return [
        Violation(
            "R1",
            pointer,
            f"{_last_name(pointer)}: key appears more than once in its object; keep one",
        )
        for pointer in duplicates[:limit]
    ]


def _last_name(pointer: str) -> str:
    """The property name a JSON pointer ends with, `printable`."""
    return printable(pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~"))


def query_violations(payload: Any, query: Mapping[str, str] | None) -> list[Violation]:
    """R6: the query's campaignType is sms, like the body's."""
    if query is None:
        return []
    value = query.get("campaignType")
    if value == "sms":
        return []
    got = "missing" if value is None else f"got {value!r}"
    return [
        Violation(
            "R6",
            "/campaignType",
            f"query parameter campaignType: {got}; expected campaignType=sms like the body",
        )
    ]


def fixture_violations(
    payload: dict[str, Any], fixture: Fixture, limit: int = _LIMIT
) -> tuple[list[Violation], list[Violation]]:
    """R4 and R10 against the account; unknown DNC lists and caller ids only warn. R4 stops
    at `limit` unknown contact lists (none looked for with 0)."""
    violations: list[Violation] = []
    warnings: list[Violation] = []
    lists = payload.get("contactLists")
    if isinstance(lists, list) and limit > 0:
        known = fixture.contact_lists if len(lists) < 8 else frozenset(fixture.contact_lists)
        for index, name in enumerate(lists):
            if isinstance(name, str) and name and name not in known:
                if len(violations) == limit:
                    break
                violations.append(
                    Violation(
                        "R4",
                        f"/contactLists/{index}",
                        f"contactLists[{index}]: no contact list {name!r} in the account; "
                        f"known: {_quoted(fixture.contact_lists)}",
                    )
                )
    message = payload.get("message")
    if isinstance(message, dict):
        violations.extend(_template_violations(message, fixture))
    dnc = payload.get("dncLists")
    if (
        isinstance(dnc, dict)
        and isinstance(dnc.get("name"), str)
        and fixture.dnc_lists
        and dnc["name"] not in fixture.dnc_lists
    ):
        warnings.append(
            Violation(
                "R5",
                "/dncLists/name",
                f"dncLists.name: {dnc['name']!r} is not a DNC list the fixture names "
                "(not a violation)",
            )
        )
    caller = payload.get("dialingStrategy", {})
    phone = (
        caller.get("callerId", {}).get("phoneNumber")
        if isinstance(caller, dict) and isinstance(caller.get("callerId"), dict)
        else None
    )
    if (
        isinstance(phone, str)
        and fixture.caller_ids
        and phone not in fixture.caller_ids
        and formats.is_caller_id(phone)
    ):  # a malformed one is already an R11 violation
        warnings.append(
            Violation(
                "R11",
                "/dialingStrategy/callerId/phoneNumber",
                f"dialingStrategy.callerId.phoneNumber: {phone!r} is not a caller id the fixture "
                "names; the docs say it must be approved (not a violation)",
            )
        )
    return violations, warnings


def _template_violations(message: dict[str, Any], fixture: Fixture) -> Iterator[Violation]:
    name, encoded = message.get("template_name"), message.get("message")
    if not isinstance(name, str) or not name:
        return
    if name not in fixture.templates:
        yield Violation(
            "R10",
            "/message/template_name",
            f"message.template_name: no template {name!r} in the account; "
            f"known: {_quoted(fixture.templates)}",
        )
        return
    text = formats.decode_base64_text(encoded) if isinstance(encoded, str) else None
    registered = fixture.templates[name]
    if text is not None and text != registered:
        at = next(
            (i for i, (a, b) in enumerate(zip(text, registered, strict=False)) if a != b),
            min(len(text), len(registered)),
        )
        yield Violation(
            "R10",
            "/message/message",
            f"message.message: decodes to text that differs from template {name!r}'s registered "
            f"body at character {at} (got {text[at : at + 20]!r}, registered "
            f"{registered[at : at + 20]!r}); send the base64 of the registered body exactly",
        )


def _quoted(names: Any) -> str:
    shown = [repr(n) for n in list(names)[:8]]
    return ", ".join(shown) + (", ..." if len(names) > 8 else "") if shown else "(none)"


def calling_hours_warnings(payload: dict[str, Any], limit: int = _LIMIT) -> list[Violation]:
    """R14 (advisory): start before end; no two blocks of the same day overlap. The first
    `limit` warnings found, in the order of the blocks."""
    strategy = payload.get("dialingStrategy")
    hours = strategy.get("callingHours") if type(strategy) is dict else None
    days = hours.get("days") if type(hours) is dict else None
    if type(days) is not list:
        return []
    # Every valid body passes here, nearly always without a warning: first a quick proof
    # that there is none, in C loops where possible; anything else takes the full walk.
    minutes = formats.clock_table()
    try:
        spans = [
            (block["day"], minutes[block["start"]], index, minutes[block["end"]])
            for index, block in enumerate(days)
        ]
        spans.sort()  # by day, then start: equal days meet, a str day never meets another type
    except (TypeError, KeyError):  # not objects, a part missing or no 12-hour time, mixed days
        return _calling_hours_warnings(days, limit)
    # Sorted by start, some two blocks of a day overlap iff two neighbouring ones do.
    previous_day: Any = _NO_DAY
    previous_last = 0
    for day, first, _, last in spans:
        if first >= last or (first < previous_last and day == previous_day):
            break
        previous_day, previous_last = day, last
    else:
        return []
    # Some warning: every block is well formed, so the walk starts from these spans.
    backwards = [
        (index, _backwards(days, index)) for _, first, index, last in spans if first >= last
    ]
    backwards.sort()
    found = [(index, -1, warning) for index, warning in backwards[:limit]]
    comparable = [span for span in spans if span[1] < span[3] and type(span[0]) is str]
    return _overlaps(days, comparable, found, limit)


_NO_DAY = object()  # equal to no day


def _calling_hours_warnings(days: list[Any], limit: int = _LIMIT) -> list[Violation]:
    """R14's full walk: each block that starts at or after its end, and each pair of blocks
    of a day that overlap (told at the later block), in block order; the first `limit`."""
    found: list[tuple[int, int, Violation]] = []  # (block, earlier block or -1, warning)
    spans: list[tuple[str, int, int, int]] = []  # (day, start, block, end)
    clock = formats.clock_minutes
    for index, block in enumerate(days):
        if type(block) is not dict:
            continue
        start, end = block.get("start"), block.get("end")
        if type(start) is not str or type(end) is not str:
            continue
        first, last = clock(start), clock(end)
        if first is None or last is None:
            continue
        if first >= last:
            if len(found) < limit:
                found.append((index, -1, _backwards(days, index)))
            continue
        day = block.get("day")
        if type(day) is str:  # not a weekday at all: R13's violation, nothing to compare
            spans.append((day, first, index, last))
    spans.sort()
    return _overlaps(days, spans, found, limit)


def _overlaps(
    days: list[Any],
    spans: list[tuple[str, int, int, int]],
    found: list[tuple[int, int, Violation]],
    limit: int,
) -> list[Violation]:
    """`found` and the overlaps of `spans` (day, start, block, end; sorted), in block order;
    the first `limit`.

    A sweep over the blocks by day and start, keeping those not yet ended: each of them
    overlaps the next block, so the work is one step per overlap found, and it stops at
    `limit` (20,000 equal blocks hold 200 million overlapping pairs).
    """
    not_ended: list[tuple[int, int]] = []  # a heap of (end, block) of the day's blocks
    current_day: str | None = None
    for day, first, index, last in spans:
        if len(found) >= limit:
            break
        if day != current_day:
            not_ended.clear()
            current_day = day
        while not_ended and not_ended[0][0] <= first:
            heapq.heappop(not_ended)
        for _, other in not_ended[: limit - len(found)]:
            later, earlier = max(index, other), min(index, other)
            found.append((later, earlier, _overlap(days, later, earlier)))
        heapq.heappush(not_ended, (last, index))
    found.sort(key=lambda entry: entry[:2])
    return [warning for _, _, warning in found[:limit]]


def _backwards(days: list[Any], index: int) -> Violation:
    block = days[index]
    return Violation(
        "R14",
        f"/dialingStrategy/callingHours/days/{index}",
        f"days[{index}]: starts at {block['start']} but ends at {block['end']}; "
        "start should be before end",
    )


def _overlap(days: list[Any], later: int, earlier: int) -> Violation:
    block = days[later]
    return Violation(
        "R14",
        f"/dialingStrategy/callingHours/days/{later}",
        f"days[{later}]: {printable(block['day'])} {block['start']}-{block['end']} "
        f"overlaps days[{earlier}]",
    )


def unknown_property_warnings(
    payload: Any,
    schema: Mapping[str, Any],
    path: tuple[Any, ...] = (),
    rule: str = "R16",
    limit: int = _LIMIT,
) -> list[Violation]:
    """Under --strict: properties the spec does not name (R16 in requests, S8 in responses);
    the first `limit` of them."""
    return list(itertools.islice(_unknown_properties(payload, schema, path, rule), limit))


def _unknown_properties(
    payload: Any, schema: Mapping[str, Any], path: tuple[Any, ...], rule: str
) -> Iterator[Violation]:
    if isinstance(payload, dict) and "properties" in schema:
        known, nested = _property_names(schema)
        if not nested and payload.keys() <= known:  # a set operation in C: the usual case
            return
        for key, value in payload.items():
            if key not in known:
                yield Violation(
                    rule,
                    spec.to_pointer([*path, key]),
                    f"{label([*path, key])}: not a documented property "
                    "(allowed; check its spelling)",
                )
            elif key in nested:  # only where a documented property can hold more
                yield from _unknown_properties(value, nested[key], (*path, key), rule)
    elif isinstance(payload, list) and isinstance(schema.get("items"), Mapping):
        items = schema["items"]
        if "properties" not in items and "items" not in items:
            return  # the items hold nothing the spec names
        known, nested = _property_names(items) if "properties" in items else (frozenset(), {})
        for index, item in enumerate(payload):
            if type(item) is dict and not nested and item.keys() <= known:
                continue  # the usual item, told in C
            if isinstance(item, (dict, list)) and item:
                yield from _unknown_properties(item, items, (*path, index), rule)


def _property_names(
    schema: Mapping[str, Any],
) -> tuple[frozenset[str], dict[str, Mapping[str, Any]]]:
    """The property names `schema` documents, and the schemas of those that name more."""
    properties = schema["properties"]
    nested = {
        key: child
        for key, child in properties.items()
        if isinstance(child, Mapping) and ("properties" in child or "items" in child)
    }
    return frozenset(properties), nested


def response_cross_field_violations(payload: Any) -> list[Violation]:
    """S4 (lname is name lowercased) and S7 (updatedAt not before createdAt)."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return []
    found: list[Violation] = []
    name, lname = data.get("name"), data.get("lname")
    if isinstance(name, str) and isinstance(lname, str) and lname != name.lower():
        found.append(
            Violation(
                "S4",
                "/data/lname",
                f"data.lname: got {lname!r}; expected {name.lower()!r}, data.name lowercased",
            )
        )
    created, updated = data.get("createdAt"), data.get("updatedAt")
    if isinstance(created, str) and isinstance(updated, str):
        first, last = formats.parse_date_time(created), formats.parse_date_time(updated)
        if first and last and first.tzinfo and last.tzinfo and last < first:
            found.append(
                Violation(
                    "S7",
                    "/data/updatedAt",
                    f"data.updatedAt: {updated} is before data.createdAt {created}",
                )
            )
    return found


# --- public API ---------------------------------------------------------------------


class _Capped:
    """At most MAX_VIOLATIONS violations (or warnings) in the order added, and how many
    were found beyond them."""

    __slots__ = ("exact", "listed", "more")

    def __init__(self) -> None:
        self.listed: list[Violation] = []
        self.more = 0
        self.exact = True

    def add(self, found: Sequence[Violation], *, complete: bool = True, beyond: int = 0) -> None:
        """`found`, and `beyond` more not given; `complete`: nothing else was left unsought."""
        if not found and not beyond:  # the usual case
            self.exact = self.exact and complete
            return
        room = max(MAX_VIOLATIONS - len(self.listed), 0)
        self.listed += found[:room]
        self.more += max(len(found) - room, 0) + beyond
        self.exact = self.exact and complete

    def add_bounded(self, found: Sequence[Violation]) -> None:
        """What a check that stops at _LIMIT found: reaching it leaves some unsought."""
        self.add(found, complete=len(found) < _LIMIT)

    @property
    def over(self) -> bool:
        """More are known than are listed: checks that would only add to the count may be
        skipped (the count is then a lower bound)."""
        return self.more > 0


def _result(violations: _Capped, warnings: _Capped) -> Result:
    return Result(
        violations.listed,
        warnings.listed,
        violations.more,
        warnings.more,
        violations.exact and warnings.exact,
    )


def _common_violations(payload: Any, kind: Kind, duplicate_keys: tuple[str, ...]) -> _Capped:
    """R1's duplicated keys, then the schema's violations."""
    found = _Capped()
    duplicates = duplicate_key_violations(duplicate_keys)
    found.add(duplicates, beyond=len(duplicate_keys) - len(duplicates))
    schema, more, complete = _schema_found(payload, kind)
    found.add(schema, beyond=more, complete=complete)
    return found


def validate_request(
    payload: Any,
    *,
    fixture: Fixture | None = None,
    query: Mapping[str, str] | None = None,
    strict: bool = False,
    duplicate_keys: tuple[str, ...] = (),
) -> Result:
    """Check a create body (already parsed) against R1 to R16.

    `fixture` adds the account checks (R4 lists exist, R10 template match); `query` adds
    R6's query check; `strict` reports undocumented properties as R16 warnings. At most
    MAX_VIOLATIONS violations and as many warnings are listed (`Result.more_violations`
    counts the rest), and the cost stays bounded by what is listed, whatever the payload.
    """
    violations = _common_violations(payload, "request", duplicate_keys)
    violations.add(query_violations(payload, query))
    warnings = _Capped()
    if isinstance(payload, dict):
        if fixture is not None:
            lists = payload.get("contactLists")
            long_list = isinstance(lists, list) and len(lists) > WINDOW
            limit = 0 if violations.over and long_list else _LIMIT  # R4 would only count
            found, advice = fixture_violations(payload, fixture, limit)
            violations.add(found, complete=limit > 0 and len(found) < limit)
            warnings.add(advice)
        if not violations.over:  # refused many times over: advice can wait for a fixed body
            warnings.add_bounded(calling_hours_warnings(payload))
            if strict:
                warnings.add_bounded(unknown_property_warnings(payload, _schema("request")))
    return _result(violations, warnings)


def validate_response(
    payload: Any, *, strict: bool = False, duplicate_keys: tuple[str, ...] = ()
) -> Result:
    """Check a create, get or delete answer against the S rules that need no request
    (listed up to MAX_VIOLATIONS, as `validate_request`)."""
    violations = _common_violations(payload, "response", duplicate_keys)
    violations.add(response_cross_field_violations(payload))
    warnings = _Capped()
    if strict and not violations.over:  # refused many times over: advice can wait
        warnings.add_bounded(unknown_property_warnings(payload, _schema("response"), rule="S8"))
    return _result(violations, warnings)


def validate_text(
    text: bytes | str,
    *,
    kind: Kind = "request",
    fixture: Fixture | None = None,
    strict: bool = False,
) -> Result | Unreadable:
    """Parse strictly (R1), then validate; unreadable input is returned, not raised."""
    parsed = parse_json(text)
    if isinstance(parsed, Unreadable):
        return parsed
    return validate_parsed(parsed, kind=kind, fixture=fixture, strict=strict)


def validate_parsed(parsed: Parsed, *, kind: Kind, fixture: Fixture | None, strict: bool) -> Result:
    if kind == "request":
        return validate_request(
            parsed.payload, fixture=fixture, strict=strict, duplicate_keys=parsed.duplicate_keys
        )
    return validate_response(parsed.payload, strict=strict, duplicate_keys=parsed.duplicate_keys)
