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
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from kore_contract import formats, spec
from kore_contract.loader import Parsed, Unreadable, parse_json

if TYPE_CHECKING:
    from kore_contract.fixture import Fixture

Kind = Literal["request", "response"]


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
    violations: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)

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
    """What the spec's schema says is wrong, one violation per broken field.

    The fast engine (jsonschema-rs) answers on `formats.fast_schema`, then explains on the
    spec's schema; `reference_schema_violations` gives the same answer from Python
    jsonschema (tests/test_engines_agree.py proves it).
    """
    try:
        if fast_is_valid(payload, kind):
            return []
        schema = _schema(kind)
        errors = _explaining_validator(kind).iter_errors(payload)
        return _collect(_RsError(error, schema) for error in errors)
    except (ValueError, TypeError):  # a Python value JSON has no form for (bytes, a set...)
        return reference_schema_violations(payload, kind)


def reference_schema_violations(payload: Any, kind: Kind) -> list[Violation]:
    """The same answer as `schema_violations`, from the reference engine alone."""
    return _collect(_reference_validator(kind).iter_errors(payload))


def _collect(errors: Iterable[_SchemaError]) -> list[Violation]:
    found: dict[str, Violation] = {}
    for error in sorted(errors, key=_error_order):
        for violation in _violations_of(error):
            found.setdefault(violation.pointer, violation)  # the first (type) error wins
    return list(found.values())


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

    __slots__ = ("absolute_path", "instance", "message", "schema", "validator", "validator_value")

    def __init__(self, error: Any, root: Mapping[str, Any]) -> None:
        *parents, keyword = error.schema_path
        node: Any = root
        for part in parents:
            node = node[part]
        self.validator: Any = keyword
        self.schema: Any = node
        self.validator_value: Any = node.get(keyword) if isinstance(node, Mapping) else None
        self.instance: Any = error.instance
        self.absolute_path: Sequence[str | int] = list(error.instance_path)
        self.message: str = str(error.message)


_KEYWORD_ORDER = {"required": 0, "type": 1}


def _error_order(error: _SchemaError) -> tuple[int, int, str, str]:
    path = list(error.absolute_path)
    return (
        len(path),
        _KEYWORD_ORDER.get(str(error.validator), 2),
        str(error.validator),
        spec.to_pointer(path),
    )


def _violations_of(error: _SchemaError) -> Iterator[Violation]:
    path = list(error.absolute_path)
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    rule = str(schema.get("x-rule", "R1"))
    if error.validator == "required":
        properties = schema.get("properties", {})
        for name in error.validator_value:
            if isinstance(error.instance, dict) and name not in error.instance:
                child = properties.get(name, {})
                yield Violation(
                    str(child.get("x-rule", rule)),
                    spec.to_pointer([*path, name]),
                    f"{label([*path, name])}: missing; required {describe_expected(child)}",
                )
        return
    yield Violation(rule, spec.to_pointer(path), _message(error, path, schema))


def _message(error: _SchemaError, path: list[Any], schema: Mapping[str, Any]) -> str:
    where, value, keyword = label(path), error.instance, error.validator
    if keyword == "type":
        message = f"{where}: got {describe_value(value)}; expected {describe_expected(schema)}"
        enum = schema.get("enum")
        if enum and not isinstance(value, str) and str(value) in enum:
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
    return f"{where}: {error.message}"


def label(path: list[Any]) -> str:
    """`dialingStrategy.callingHours.days[0].start` for a path; `body` for the root."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


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
    shown = json.dumps(value, ensure_ascii=False) if isinstance(value, (str, bool)) else str(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{name} {shown}"


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


def duplicate_key_violations(duplicates: tuple[str, ...]) -> list[Violation]:
    """R1: a duplicated key is a violation (Python's json would silently keep the last)."""
    return [
        Violation(
            "R1",
            pointer,
            f"{pointer.rsplit('/', 1)[-1]}: key appears more than once in its object; keep one",
        )
        for pointer in duplicates
    ]


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
    payload: dict[str, Any], fixture: Fixture
) -> tuple[list[Violation], list[Violation]]:
    """R4 and R10 against the account; unknown DNC lists and caller ids only warn."""
    violations: list[Violation] = []
    warnings: list[Violation] = []
    lists = payload.get("contactLists")
    if isinstance(lists, list):
        for index, name in enumerate(lists):
            if isinstance(name, str) and name and name not in fixture.contact_lists:
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


def calling_hours_warnings(payload: dict[str, Any]) -> list[Violation]:
    """R14 (advisory): start before end; no two blocks of the same day overlap."""
    strategy = payload.get("dialingStrategy")
    hours = strategy.get("callingHours") if type(strategy) is dict else None
    days = hours.get("days") if type(hours) is dict else None
    if type(days) is not list:
        return []
    # Every valid body passes here, nearly always without a warning: first a quick proof
    # that there is none, in C loops where possible; anything else takes the full walk.
    minutes = formats.clock_table()
    try:
        spans = [(block["day"], minutes[block["start"]], minutes[block["end"]]) for block in days]
        spans.sort()  # by day, then start: equal days meet, a str day never meets another type
    except (TypeError, KeyError):  # not objects, a part missing or no 12-hour time, mixed days
        return _calling_hours_warnings(days)
    # Sorted by start, some two blocks of a day overlap iff two neighbouring ones do.
    previous_day: Any = _NO_DAY
    previous_last = 0
    for day, first, last in spans:
        if first >= last or (first < previous_last and day == previous_day):
            return _calling_hours_warnings(days)
        previous_day, previous_last = day, last
    return []


_NO_DAY = object()  # equal to no day


def _calling_hours_warnings(days: list[Any]) -> list[Violation]:
    warnings: list[Violation] = []
    blocks: dict[str, list[tuple[int, int, int]]] = {}
    clock = formats.clock_minutes
    for index, block in enumerate(days):  # a hot loop: every valid body passes here
        if type(block) is not dict:
            continue
        start, end = block.get("start"), block.get("end")
        if type(start) is not str or type(end) is not str:
            continue
        first, last = clock(start), clock(end)
        if first is None or last is None:
            continue
        if first >= last:
            warnings.append(
                Violation(
                    "R14",
                    f"/dialingStrategy/callingHours/days/{index}",
                    f"days[{index}]: starts at {start} but ends at {end}; "
                    "start should be before end",
                )
            )
            continue
        day = block.get("day")
        if type(day) is not str:  # not a weekday at all: R13's violation, nothing to compare
            continue
        same_day = blocks.get(day)
        if same_day is None:
            blocks[day] = [(index, first, last)]
            continue
        for other, other_first, other_last in same_day:
            if first < other_last and other_first < last:
                warnings.append(
                    Violation(
                        "R14",
                        f"/dialingStrategy/callingHours/days/{index}",
                        f"days[{index}]: {day} {start}-{end} overlaps days[{other}]",
                    )
                )
        same_day.append((index, first, last))
    return warnings


def unknown_property_warnings(
    payload: Any, schema: Mapping[str, Any], path: tuple[Any, ...] = (), rule: str = "R16"
) -> list[Violation]:
    """Under --strict: properties the spec does not name (R16 in requests, S8 in responses)."""
    warnings: list[Violation] = []
    if isinstance(payload, dict) and "properties" in schema:
        for key, value in payload.items():
            child = schema["properties"].get(key)
            if child is None:
                warnings.append(
                    Violation(
                        rule,
                        spec.to_pointer([*path, key]),
                        f"{label([*path, key])}: not a documented property "
                        "(allowed; check its spelling)",
                    )
                )
            else:
                warnings.extend(unknown_property_warnings(value, child, (*path, key), rule))
    elif isinstance(payload, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(payload):
            warnings.extend(unknown_property_warnings(item, schema["items"], (*path, index), rule))
    return warnings


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
    R6's query check; `strict` reports undocumented properties as R16 warnings.
    """
    result = Result(
        duplicate_key_violations(duplicate_keys) + schema_violations(payload, "request")
    )
    result.violations += query_violations(payload, query)
    if isinstance(payload, dict):
        if fixture is not None:
            violations, warnings = fixture_violations(payload, fixture)
            result.violations += violations
            result.warnings += warnings
        result.warnings += calling_hours_warnings(payload)
        if strict:
            result.warnings += unknown_property_warnings(payload, _schema("request"))
    return result


def validate_response(
    payload: Any, *, strict: bool = False, duplicate_keys: tuple[str, ...] = ()
) -> Result:
    """Check a create, get or delete answer against the S rules that need no request."""
    result = Result(
        duplicate_key_violations(duplicate_keys) + schema_violations(payload, "response")
    )
    result.violations += response_cross_field_violations(payload)
    if strict:
        result.warnings += unknown_property_warnings(payload, _schema("response"), rule="S8")
    return result


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
