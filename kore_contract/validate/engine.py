"""The two engines, one schema: a compiled jsonschema-rs validator answers "valid?" fast,
and only when it says no is the payload explained (`explain`); the reference engine (Python
jsonschema) gives the same answer (tests/test_engines_agree.py proves the twins agree).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from kore_contract.contract import formats
from kore_contract.contract.violation import Violation
from kore_contract.validate.explain import SchemaError, explained, window_schema
from kore_contract.validate.schemas import SchemaName, schema_of


@functools.lru_cache(maxsize=32)
def _fast_engine(kind: SchemaName) -> tuple[Any, formats.FastSchema]:
    """jsonschema-rs on `formats.fast_schema`: formats a regex or an enum states exactly run
    in Rust, not as Python callbacks. It only answers "valid?"."""
    import jsonschema_rs

    fast = formats.fast_schema(schema_of(kind))
    validator = jsonschema_rs.validator_for(
        fast.schema, formats=fast.predicates, validate_formats=True
    )
    return validator, fast


def fast_is_valid(payload: Any, kind: SchemaName) -> bool:
    """The fast engine's answer: whether the spec's schema finds nothing wrong.

    Fast twin of the reference engine's verdict, on a schema whose formats are the format
    table's fast forms; proved equal by
    tests/test_engines_agree.py::test_engines_agree_on_request_bodies and
    tests/test_engines_agree.py::test_engines_agree_on_responses.
    """
    validator, fast = _fast_engine(kind)
    return bool(validator.is_valid(payload)) and fast.holds_at_places(payload)


@functools.lru_cache(maxsize=32)
def _explaining_validator(kind: SchemaName) -> Any:
    """jsonschema-rs on the spec's own schema: its errors' schema paths are the spec's."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(
        schema_of(kind), formats=formats.predicates(), validate_formats=True
    )


@functools.lru_cache(maxsize=32)
def _reference_validator(kind: SchemaName) -> Any:
    """Python jsonschema on the spec's schema: the reference the fast engine is proved against."""
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    for name, predicate in formats.predicates().items():
        checker.checks(name)(predicate)
    return jsonschema.Draft202012Validator(schema_of(kind), format_checker=checker)


def warm_up(kind: SchemaName) -> None:
    """Compile what validation needs now (before a fork pool shares it with its workers)."""
    _fast_engine(kind)
    _explaining_validator(kind)
    formats.clock_table()


def schema_violations(payload: Any, kind: SchemaName) -> list[Violation]:
    """What the spec's schema says is wrong, one violation per broken field (at most
    MAX_VIOLATIONS of them).

    The fast engine (jsonschema-rs) answers on `formats.fast_schema`, then explains on the
    spec's schema; `reference_schema_violations` gives the same answer from Python
    jsonschema (tests/test_engines_agree.py proves it).
    """
    return schema_found(payload, kind)[0]


def reference_schema_violations(payload: Any, kind: SchemaName) -> list[Violation]:
    """The same answer as `schema_violations`, from the reference engine alone."""
    return explained(payload, kind, _ReferenceEngine(kind))[0]


#: `fast_is_valid`'s answers already known, each for one payload (by identity) and schema,
#: while `known_verdict` holds them: `schema_found` takes the answer instead of asking.
_known: list[tuple[Any, SchemaName, bool]] = []


@contextlib.contextmanager
def known_verdict(payload: Any, kind: SchemaName, valid: bool) -> Iterator[None]:
    """Within: `fast_is_valid(payload, kind)` is known to be `valid` (the caller has just
    asked it, and `payload` is not changed meanwhile)."""
    _known.append((payload, kind, valid))
    try:
        yield
    finally:
        _known.pop()


def schema_found(payload: Any, kind: SchemaName) -> tuple[list[Violation], int, bool]:
    """`explained` by the fast engine, for a payload it finds invalid."""
    try:
        known = _known[-1] if _known else None
        if known is not None and known[0] is payload and known[1] == kind:
            valid = known[2]
        else:
            valid = fast_is_valid(payload, kind)
        if valid:
            return [], 0, True
        return explained(payload, kind, _RsEngine(kind))
    except (ValueError, TypeError, OverflowError):  # a value JSON has no form for (a set...)
        return explained(payload, kind, _ReferenceEngine(kind))


class _RsEngine:
    def __init__(self, kind: SchemaName) -> None:
        self.kind = kind

    def errors(self, skeleton: Any) -> Iterable[SchemaError]:
        schema = schema_of(self.kind)
        errors = _explaining_validator(self.kind).iter_errors(skeleton)
        return [_RsError(error, schema, skeleton) for error in errors]

    def window_is_valid(self, place: tuple[str, ...], window: list[Any]) -> bool:
        return bool(_rs_window_validators(self.kind, place)[0].is_valid(window))

    def window_errors(self, place: tuple[str, ...], window: list[Any]) -> Iterable[SchemaError]:
        schema = window_schema(self.kind, place)
        explaining = _rs_window_validators(self.kind, place)[1]
        return [_RsError(error, schema, window) for error in explaining.iter_errors(window)]


@functools.lru_cache(maxsize=64)
def _rs_window_validators(kind: SchemaName, place: tuple[str, ...]) -> tuple[Any, Any]:
    """(fast, explaining) jsonschema-rs validators of a window of the list at `place`."""
    import jsonschema_rs

    schema = window_schema(kind, place)
    fast = formats.fast_schema(schema)
    return (
        jsonschema_rs.validator_for(fast.schema, formats=fast.predicates, validate_formats=True),
        jsonschema_rs.validator_for(schema, formats=formats.predicates(), validate_formats=True),
    )


class _ReferenceEngine:
    def __init__(self, kind: SchemaName) -> None:
        self.kind = kind

    def errors(self, skeleton: Any) -> Iterable[SchemaError]:
        return list(_reference_validator(self.kind).iter_errors(skeleton))

    def window_is_valid(self, place: tuple[str, ...], window: list[Any]) -> bool:
        return bool(_reference_window_validator(self.kind, place).is_valid(window))

    def window_errors(self, place: tuple[str, ...], window: list[Any]) -> Iterable[SchemaError]:
        return list(_reference_window_validator(self.kind, place).iter_errors(window))


@functools.lru_cache(maxsize=64)
def _reference_window_validator(kind: SchemaName, place: tuple[str, ...]) -> Any:
    validator = _reference_validator(kind)
    return type(validator)(window_schema(kind, place), format_checker=validator.format_checker)


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
