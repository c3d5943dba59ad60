"""Bodies that break exactly one rule, derived from the spec.

A walk over the request body schema finds every way to break a field: leave out a
required one, send another JSON type, a value outside the enum, one character too
many or too few, an empty list, a value its format refuses. Each way is a `Breaker`
for the field's rule (`x-rule`), applied to a valid body from `strategies.campaigns`,
so nothing else is broken. R1 adds raw bodies (not JSON, a duplicated key); with a
fixture, R4 adds a contact list the account lacks and R10 a template it lacks or a
message that is not its registered body.

`broken_campaigns(fixture, rule)` is the Hypothesis strategy; `broken_examples(fixture,
rule)` a few deterministic cases per rule, named, for the contract run.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import functools
import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import strategies as st

from kore_contract.contract import formats, rules, spec
from kore_contract.contract.fixture import Fixture, FixtureError
from kore_contract.strategies import _valid as pieces

Strategy = st.SearchStrategy
T = TypeVar("T")
Body = dict[str, Any]
Path = tuple[str, ...]  # keys from the root; "[]" is an item of the array there


@dataclass(frozen=True)
class Broken:
    """A body that breaks exactly `rule`, at `pointer` (RFC 6901; "" is the root).

    `payload` is a JSON value, or `bytes` for a raw body that is no JSON value at all
    (R1: not JSON, not UTF-8, or an object with a duplicated key).
    """

    payload: Any
    rule: str
    pointer: str
    case: str = ""
    #: The create variant the body was drawn for (None: part 1's template bodies, the
    #: variant not insisted on). Validate with it (`validate_request(..., variant=...)`,
    #: `kore-contract validate --variant`): a C1 body is one of another variant.
    variant: str | None = None

    @property
    def raw(self) -> bool:
        return isinstance(self.payload, bytes)

    def to_bytes(self) -> bytes:
        """The body as sent or written: raw bytes as they are, JSON as `dump` writes it."""
        return self.payload if isinstance(self.payload, bytes) else dump(self.payload)


def dump(payload: Any) -> bytes:
    """JSON as UTF-8, two-space indented, one final newline: stable byte for byte."""
    return (json.dumps(payload, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


#: Where a C1 violation points: the body itself (its variant is read from the whole body).
C1_POINTER = ""


@dataclass(frozen=True)
class Breaker:
    """One way to break `rule`: a strategy over valid bodies, and named examples."""

    rule: str
    case: str
    strategy: Callable[[Strategy[Body]], Strategy[Broken]]
    examples: Callable[[Body], list[Broken]]


# --- applying a change at a path ----------------------------------------------------

_LEAVE_OUT: Any = object()


def _apply(
    body: Body, path: Path, pick: Callable[[int], int], value: Callable[[Body, Any], Any]
) -> tuple[Any, str]:
    """Put `value(body, current)` at `path` (or leave the field out); returns (payload, pointer).

    Missing optional parents are created (a broken `dncLists.name` needs a `dncLists`);
    `pick(n)` chooses which of n array items.
    """
    if not path:
        return value(body, body), ""
    parts: list[str | int] = []
    node: Any = body
    for index_, step in enumerate(path[:-1]):
        if step == "[]":
            index = pick(len(node))
            parts.append(index)
            node = node[index]
        else:
            parts.append(step)
            node = node.setdefault(step, [] if path[index_ + 1] == "[]" else {})
    if path[-1] == "[]" and not node:  # an empty (or new) list gets the item to break
        node.append(None)
    last: str | int = pick(len(node)) if path[-1] == "[]" else path[-1]
    parts.append(last)
    current = node[int(last)] if isinstance(node, list) else node.get(last)
    new = value(body, current)
    if new is _LEAVE_OUT:  # (a parent just made for the purpose lacks it already)
        node.pop(last, None)
    else:
        node[last] = new
    return body, spec.to_pointer(parts)


def field_breaker(
    rule: str,
    path: Path,
    case: str,
    bad: Callable[[Body, Any], Strategy[Any]] | None,
    examples: Callable[[Body, Any], Sequence[tuple[str, Any]]],
) -> Breaker:
    """Break the field at `path`: draw a bad value (`bad`), or leave it out (`bad=None`)."""

    def strategy(valid: Strategy[Body]) -> Strategy[Broken]:
        @st.composite
        def broken(draw: st.DrawFn) -> Broken:
            body = draw(valid)  # campaigns() makes a fresh body on every draw: no copy

            def pick(n: int) -> int:
                return draw(st.integers(0, n - 1))

            def value(whole: Body, current: Any) -> Any:
                return _LEAVE_OUT if bad is None else draw(bad(whole, current))

            payload, pointer = _apply(body, path, pick, value)
            return Broken(payload, rule, pointer, case)

        return broken()

    def named(base: Body) -> list[Broken]:
        found = []
        current = _current(base, path)
        for suffix, bad_value in examples(base, current):
            body = copy.deepcopy(base)
            left_out: Any = _LEAVE_OUT if bad is None else bad_value

            def fixed(_body: Body, _current: Any, v: Any = left_out) -> Any:
                return v

            payload, pointer = _apply(body, path, lambda n: 0, fixed)
            found.append(Broken(payload, rule, pointer, f"{case}-{suffix}" if suffix else case))
        return found

    return Breaker(rule, case, strategy, named)


def _current(body: Body, path: Path) -> Any:
    node: Any = body
    for step in path:
        if step == "[]":
            node = node[0] if isinstance(node, list) and node else None
        else:
            node = node.get(step) if isinstance(node, dict) else None
    return node


def _label(path: Path) -> str:
    """`dialingStrategy.callingHours.days[].start`; `body` for the root."""
    return ".".join(path).replace(".[]", "[]") or "body"


# --- breakers derived from the schema -----------------------------------------------

#: Plausible values outside an enum that a case change cannot find (CONTRACT R6, R8, R13).
ENUM_HINTS: Mapping[str, tuple[str, ...]] = {
    "campaignType": ("voice",),
    "format": ("plain", "template"),  # the variants' names, not formats (C1)
    "dialingStrategy.callingHours.days[].day": ("XX", "MON"),
}


def _wrong_types(schema: Mapping[str, Any]) -> tuple[Strategy[Any], list[tuple[str, Any]]]:
    """Values of another JSON type than the schema's, with named examples."""
    kind = schema.get("type")
    enum = schema.get("enum", [])
    if kind == "string":
        numbers = [int(e) for e in enum if isinstance(e, str) and e.isdigit()]
        named: list[tuple[str, Any]] = [("number", numbers[-1] if numbers else 5), ("null", None)]
        others: Strategy[Any] = st.one_of(
            st.integers(-9, 10**6),
            st.booleans(),
            st.none(),
            st.lists(st.text(max_size=3), max_size=2),
            st.just({}),
        )
        return (st.one_of(st.sampled_from(numbers), others) if numbers else others), named
    if kind == "object":
        named = [("string", "text"), ("list", [])]
        return st.one_of(
            st.text(max_size=8),
            st.integers(),
            st.none(),
            st.booleans(),
            st.lists(st.integers(), max_size=2),
        ), named
    if kind == "array":
        named = [("string", "text"), ("null", None)]
        return st.one_of(
            st.text(max_size=8), st.integers(), st.none(), st.booleans(), st.just({})
        ), named
    if kind == "boolean":
        named = [("string", "false"), ("number", 0)]
        return st.one_of(st.sampled_from(["true", "false"]), st.integers(0, 1), st.none()), named
    if kind == "integer":  # a number in a string first: the likeliest mistake (D18)
        shown = str(schema.get("maximum", schema.get("minimum", 1)))
        named = [("string", shown), ("fraction", 1.5), ("null", None)]
        return st.one_of(
            st.integers(-9, 10**6).map(str),
            _FRACTIONS,
            st.booleans(),
            st.none(),
            st.lists(st.integers(), max_size=2),
            st.just({}),
        ), named
    if kind is None and "anyOf" in schema:  # none of the branches' types
        kinds = {branch.get("type") for branch in schema["anyOf"]}
        if kinds != {"integer", "string"}:
            raise AssertionError(f"no wrong-type values for anyOf of {sorted(kinds)}")
        named = [("fraction", 1.5), ("boolean", True), ("null", None)]
        return st.one_of(
            _FRACTIONS, st.booleans(), st.none(), st.lists(st.integers(), max_size=2), st.just({})
        ), named
    raise AssertionError(f"no wrong-type values for schema type {kind!r}")


#: JSON numbers that are no integer (JSON Schema counts 5.0 as one).
_FRACTIONS = st.floats(-1e6, 1e6, allow_nan=False).filter(lambda f: not f.is_integer())


def _outside_enum(
    enum: Sequence[Any], label: str, hints: Sequence[str] = ()
) -> tuple[Strategy[str], list[tuple[str, Any]]]:
    allowed = set(enum)
    candidates: list[str] = [*hints, *ENUM_HINTS.get(label, ())]
    digits = sorted(int(e) for e in enum if isinstance(e, str) and e.isdigit())
    if digits:
        candidates += [str(digits[0] - 1), str(digits[-1] + 1), f" {enum[0]}", f"0{enum[0]}"]
    for value in enum:
        candidates += [value.lower(), value.capitalize(), value.upper(), f"{value} "]
    values = list(dict.fromkeys(c for c in candidates if c not in allowed))
    strategy = st.one_of(
        st.sampled_from(values), st.text(max_size=8).filter(lambda v: v not in allowed)
    )
    return strategy, [(_slug(v), v) for v in values[:2]]


def _always(value: T) -> Callable[[Body, Any], T]:
    """A breaker's value function that gives `value` whatever the body."""
    return lambda _body, _current: value


def _numbers_of(schema: Mapping[str, Any]) -> list[str]:
    """Integers of an anyOf's integer branch written as strings ("0", "10"): the likeliest
    strings where an integer (or "") is asked for."""
    found: list[str] = []
    for branch in schema.get("anyOf", ()):
        if branch.get("type") == "integer":
            low = int(branch.get("minimum", 0))
            found += [str(low), str(low + 9)]
    return found


def _bound_breakers(
    schema: Mapping[str, Any], path: Path, rule: str, label: str
) -> Iterator[Breaker]:
    """An integer below its `minimum` or above its `maximum`."""
    if schema.get("type") != "integer":
        return
    if "minimum" in schema:
        low = int(schema["minimum"])
        below = st.one_of(st.just(low - 1), st.integers(low - 10**6, low - 1))
        yield field_breaker(
            rule,
            path,
            f"{label}-below-minimum",
            lambda _b, _c: below,
            lambda _b, _c: [(_number_case(low - 1), low - 1)],
        )
    if "maximum" in schema:
        high = int(schema["maximum"])
        above = st.one_of(st.just(high + 1), st.integers(high + 1, high + 10**6))
        yield field_breaker(
            rule,
            path,
            f"{label}-above-maximum",
            lambda _b, _c: above,
            lambda _b, _c: [(_number_case(high + 1), high + 1)],
        )


def _number_case(number: int) -> str:
    return f"minus-{-number}" if number < 0 else str(number)


def _too_many_items(rule: str, path: Path, schema: Mapping[str, Any]) -> Breaker:
    """One item more than `maxItems` allows (valid items: the enum's, in turn)."""
    most = int(schema["maxItems"])
    enum = schema.get("items", {}).get("enum") or [None]
    too_many = [enum[i % len(enum)] for i in range(most + 1)]
    return field_breaker(
        rule,
        path,
        f"{_label(path)}-too-many-items",
        lambda _b, _c: st.just(too_many),
        lambda _b, _c: [(f"{most + 1}", too_many)],
    )


def _unknown_key(rule: str, path: Path, schema: Mapping[str, Any]) -> Breaker:
    """A key `additionalProperties: false` refuses, with a value a known key would take."""
    if "[]" in path:
        raise AssertionError(f"{_label(path)}: an unknown key inside an array item")
    known = list(schema.get("properties", {}))
    first = schema["properties"][known[0]] if known else {}
    value = first.get("enum", ["x"])[0]
    candidates = sorted(
        dict.fromkeys(
            case
            for key in known
            for case in (_snake(key), key.capitalize(), key.lower(), key.upper(), f"{key}s")
            if case not in known
        ),
        key=lambda case: "_" not in case,
    )
    keys = st.one_of(
        st.sampled_from(candidates),
        st.text(min_size=1, max_size=8).filter(lambda k: k not in known),
    )
    case = f"{_label(path)}-unknown-key"

    def put(body: Body, key: str) -> Broken:
        node: Any = body
        for step in path:
            node = node.setdefault(step, {})
        node[key] = value
        return Broken(
            body,
            rule,
            spec.to_pointer((*path, key)) if UNKNOWN_KEY_NAMES_KEY else spec.to_pointer(path),
            case,
        )

    def strategy(valid: Strategy[Body]) -> Strategy[Broken]:
        return st.tuples(valid, keys).map(lambda drawn: put(*drawn))

    def named(base: Body) -> list[Broken]:
        return [
            dataclasses.replace(put(copy.deepcopy(base), key), case=f"{case}-{_slug(key)}")
            for key in candidates[:2]
        ]

    return Breaker(rule, case, strategy, named)


#: Where a violation of `additionalProperties: false` points: at the unknown key itself
#: (as a missing required field is named by its own pointer), not at its object.
UNKNOWN_KEY_NAMES_KEY = True


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def _slug(value: str) -> str:
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in value).strip("-") or "blank"


def _format_breaker(
    name: str,
) -> tuple[Callable[[Body, Any], Strategy[str]], Callable[[Body, Any], list[tuple[str, Any]]]]:
    """Values the format of `formats.py` refuses (the predicate filters every draw)."""
    accepts = formats.FORMAT_TABLE[name].accepts
    if name == "base64-utf8":

        def bad(_body: Body, current: Any) -> Strategy[str]:
            encoded = current if isinstance(current, str) and current else "SGk="
            return st.one_of(
                st.sampled_from([value for _, value in _bad_base64(encoded)]),
                st.tuples(st.integers(0, len(encoded)), st.sampled_from(" \n-_%!.")).map(
                    lambda cut: encoded[: cut[0]] + cut[1] + encoded[cut[0] :]
                ),
            ).filter(lambda v: not accepts(v))

        def named(_body: Body, current: Any) -> list[tuple[str, Any]]:
            encoded = current if isinstance(current, str) and current else "SGk="
            return [(case, v) for case, v in _bad_base64(encoded) if not accepts(v)]

        return bad, named
    fixed = [(case, v) for case, v in _FORMAT_EXAMPLES[name] if not accepts(v)]
    generated = _FORMAT_GENERATORS[name]()
    strategy = st.one_of(st.sampled_from([v for _, v in fixed]), generated).filter(
        lambda v: not accepts(v)
    )
    return (lambda _body, _current: strategy), (lambda _body, _current: fixed)


def _bad_base64(encoded: str) -> list[tuple[str, str]]:
    padded = encoded if "=" in encoded else encoded + "%3D"
    return [
        ("percent-encoded-padding", padded.replace("=", "%3D")),
        (
            "url-safe",
            encoded.replace("+", "-").replace("/", "_")
            if any(c in encoded for c in "+/")
            else "-" + encoded[1:],
        ),
        ("line-break", encoded[: len(encoded) // 2] + "\n" + encoded[len(encoded) // 2 :]),
        ("unpadded", encoded.rstrip("=") if "=" in encoded else encoded[:-1]),
        ("not-utf8", base64.b64encode(b"\xff\xfe" + encoded.encode()).decode()),
        ("redacted", "xxxxx"),
    ]


_FORMAT_EXAMPLES: Mapping[str, list[tuple[str, str]]] = {
    "caller-id": [
        ("no-plus", "14155550123"),
        ("16-digits", "+1234567890123456"),
        ("leading-zero", "+0123456789"),
        ("sender-id-12-chars", "KoreAlerts12"),
        ("dashes", "+1-415-555-0123"),
        ("digits-only", "12345"),
        ("empty", ""),
    ],
    "clock-12h": [
        ("13-pm", "13:00 PM"),
        ("hour-0", "0:30 AM"),
        ("24-hour", "18:00"),
        ("lowercase", "9:00 am"),
        ("no-space", "9:00AM"),
        ("minute-60", "9:60 AM"),
    ],
    "iana-time-zone": [
        ("wrong-case", "asia/kolkata"),
        ("abbreviation", "IST"),
        ("unknown", "Asia/Mumbai"),
        ("offset", "UTC+05:30"),
        ("empty", ""),
    ],
    "date-time-with-zone": [
        ("no-zone", "2025-12-01T00:00:00.000"),
        ("date-only", "2025-12-01"),
        ("february-30", "2025-02-30T00:00:00Z"),
        ("epoch-millis", "1764547200000"),
        ("compact-offset", "2025-12-01T00:00:00+0530"),
        ("empty", ""),
    ],
}
_FORMAT_GENERATORS: Mapping[str, Callable[[], Strategy[str]]] = {
    "caller-id": lambda: st.one_of(
        st.text("0123456789", min_size=1, max_size=15),  # no plus sign
        st.text("0123456789", min_size=16, max_size=20).map(lambda d: f"+{d}"),
        st.text(pieces.SENDER_ID_CHARACTERS, min_size=12, max_size=20),
        st.text(max_size=12),
    ),
    "clock-12h": lambda: st.one_of(
        st.builds(
            lambda h, m, ampm: f"{h}:{m:02d} {ampm}",
            st.sampled_from([0, *range(13, 24)]),
            st.integers(0, 59),
            st.sampled_from(["AM", "PM"]),
        ),
        pieces.clock_times().map(lambda t: t.lower()),
        pieces.clock_times().map(lambda t: t.replace(" ", "")),
        st.text(max_size=10),
    ),
    "iana-time-zone": lambda: st.one_of(
        pieces.time_zones().map(str.lower),
        pieces.time_zones().map(str.upper),
        st.text(max_size=12),
    ),
    "date-time-with-zone": lambda: st.one_of(
        st.datetimes().map(lambda moment: moment.isoformat()),  # no zone
        st.dates().map(lambda day: day.isoformat()),
        st.text(max_size=12),
    ),
}


def schema_breakers(schema: Mapping[str, Any], path: Path = ()) -> Iterator[Breaker]:
    """Every way to break one field of `schema`, for the rule the field cites (`x-rule`).
    A field the spec documents without a rule (no `x-rule`: any value is accepted) has none."""
    if "x-rule" not in schema:
        return
    rule = schema["x-rule"]
    label = _label(path)
    wrong, wrong_named = _wrong_types(schema)
    if not path:  # the root: a JSON value that is not an object; a list of bodies too
        yield field_breaker(
            rule,
            path,
            "body-not-an-object",
            lambda body, _c: st.one_of(wrong, st.just([body])),
            lambda body, _c: [("list-of-bodies", [body]), *wrong_named],
        )
    else:
        yield field_breaker(
            rule, path, f"{label}-wrong-type", lambda _b, _c: wrong, lambda _b, _c: wrong_named
        )
    if "enum" in schema:
        outside, outside_named = _outside_enum(schema["enum"], label)
        yield field_breaker(
            rule, path, f"{label}-not-in-enum", lambda _b, _c: outside, lambda _b, _c: outside_named
        )
    if "maxLength" in schema:
        longest = int(schema["maxLength"])
        too_long = st.sampled_from(pieces.text_pool(longest + 1, longest + 16, "too-long"))
        yield field_breaker(
            rule,
            path,
            f"{label}-too-long",
            lambda _b, _c: too_long,
            lambda _b, _c: [(f"{longest + 1}-chars", "x" * (longest + 1))],
        )
    if int(schema.get("minLength", 0)) > 0:
        too_short = st.sampled_from(pieces.text_pool(0, int(schema["minLength"]) - 1))
        yield field_breaker(
            rule,
            path,
            f"{label}-too-short",
            lambda _b, _c: too_short,
            lambda _b, _c: [("empty", "")],
        )
    if int(schema.get("minItems", 0)) > 0:
        yield field_breaker(
            rule,
            path,
            f"{label}-too-few-items",
            lambda _b, _c: st.just([]),
            lambda _b, _c: [("empty", [])],
        )
    if "maxItems" in schema:
        yield _too_many_items(rule, path, schema)
    yield from _bound_breakers(schema, path, rule, label)
    for branch in schema.get("anyOf", ()):
        yield from _bound_breakers(branch, path, rule, label)
        if branch.get("type") == "string" and "enum" in branch:
            strings, strings_named = _outside_enum(branch["enum"], label, _numbers_of(schema))
            yield field_breaker(
                rule, path, f"{label}-string-not-in-enum", _always(strings), _always(strings_named)
            )
    if schema.get("additionalProperties") is False:
        yield _unknown_key(rule, path, schema)
    if "format" in schema:
        bad, named = _format_breaker(schema["format"])
        yield field_breaker(rule, path, f"{label}-not-{schema['format']}", bad, named)
    required = schema.get("required", [])
    for key, child in schema.get("properties", {}).items():
        if key in required:
            yield field_breaker(
                child["x-rule"],
                (*path, key),
                f"{_label((*path, key))}-missing",
                None,
                lambda _b, _c: [("", None)],
            )
        yield from schema_breakers(child, (*path, key))
    if "items" in schema:
        yield from schema_breakers(schema["items"], (*path, "[]"))


# --- R1: raw bodies -------------------------------------------------------------------


def _member_paths(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every object member of a JSON value, as a path of keys and indexes."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from _member_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _member_paths(item, (*path, index))


def dump_duplicating(
    value: Any, target: tuple[str | int, ...], path: tuple[str | int, ...] = ()
) -> str:
    """JSON text of `value` in which the member at `target` appears twice."""
    if isinstance(value, dict):
        members = []
        for key, item in value.items():
            member = f"{json.dumps(key, ensure_ascii=False)}: " + dump_duplicating(
                item, target, (*path, key)
            )
            members.append(member)
            if (*path, key) == target:
                members.append(member)
        return "{" + ", ".join(members) + "}"
    if isinstance(value, list):
        return (
            "["
            + ", ".join(
                dump_duplicating(item, target, (*path, index)) for index, item in enumerate(value)
            )
            + "]"
        )
    return json.dumps(value, ensure_ascii=False)


def _duplicated(body: Body, target: tuple[str | int, ...]) -> Broken:
    text = dump_duplicating(body, target) + "\n"
    return Broken(
        text.encode("utf-8"),
        "R1",
        spec.to_pointer(target),
        f"duplicated-key-{_slug(str(target[-1]))}",
    )


def _not_json(body: Body) -> list[Broken]:
    """Bodies that are no JSON (or no UTF-8) at all: unreadable, R1 at the root."""
    text = json.dumps(body, ensure_ascii=False)
    opening = text.index('"', text.index(":")) + 1  # inside the first string value
    cases = {
        "truncated": text[: len(text) // 2].encode(),
        "trailing-comma": (text[:-1] + ",}").encode(),
        "single-quotes": repr(body).encode(),
        "nan": text.replace("{", '{"priority": NaN, ', 1).encode(),
        "byte-order-mark": b"\xef\xbb\xbf" + text.encode(),
        "not-utf8": text[:opening].encode() + b"\xff" + text[opening:].encode(),
        "empty": b"",
    }
    return [Broken(raw, "R1", "", f"not-json-{case}") for case, raw in cases.items()]


def raw_breakers() -> Iterator[Breaker]:
    def duplicated(valid: Strategy[Body]) -> Strategy[Broken]:
        @st.composite
        def broken(draw: st.DrawFn) -> Broken:
            body = draw(valid)
            return _duplicated(body, draw(st.sampled_from(list(_member_paths(body)))))

        return broken()

    def duplicated_named(base: Body) -> list[Broken]:
        return [
            _duplicated(base, ("name",)),
            _duplicated(base, ("dialingStrategy", "callerId", "phoneNumber")),
        ]

    def not_json(valid: Strategy[Body]) -> Strategy[Broken]:
        @st.composite
        def broken(draw: st.DrawFn) -> Broken:
            return draw(st.sampled_from(_not_json(draw(valid))))

        return broken()

    yield Breaker("R1", "duplicated-key", duplicated, duplicated_named)
    yield Breaker("R1", "not-json", not_json, _not_json)


# --- R4, R10 and C3: what the account has ---------------------------------------------


def _unknown(known: Collection[str], prefix: str) -> tuple[Strategy[str], str]:
    """Names the account lacks: a readable one first, then any text it does not name."""
    example = next(f"{prefix} {n}" for n in range(len(known) + 1) if f"{prefix} {n}" not in known)
    others = st.sampled_from(pieces.text_pool(1, 48, "unknown"))
    return st.one_of(st.just(example), others.filter(lambda v: v not in known)), example


def account_breakers(
    fixture: Fixture, variant: pieces.Variant = pieces.TEMPLATE
) -> Iterator[Breaker]:
    """A contact list the account lacks (R4); for the template variant a template it lacks
    or a message that is not its registered body (R10); for the advanced variant an
    experience flow it lacks (C3)."""
    hints = pieces.fixture_hints(variant)
    lists, templates = set(fixture.contact_lists), fixture.templates
    no_list, no_list_example = _unknown(lists, "No such list")
    yield field_breaker(
        "R4",
        ("contactLists", "[]"),
        "contactLists-unknown",
        lambda _b, _c: no_list,
        lambda _b, _c: [("", no_list_example)],
    )
    if "experienceFlows" in hints:
        flows = set(fixture.to_json().get("experienceFlows", {}))
        _, path = pieces.hinted_field("experienceFlows")
        no_flow, no_flow_example = _unknown(flows, "No such flow")
        yield field_breaker(
            pieces.variant_field(variant, *path)["x-rule"],
            path,
            f"{_label(path)}-unknown",
            lambda _b, _c: no_flow,
            lambda _b, _c: [("", no_flow_example)],
        )
    if "templates" not in hints:
        return
    no_template, no_template_example = _unknown(templates, "No such template")
    yield field_breaker(
        "R10",
        ("message", "template_name"),
        "template-unknown",
        lambda _b, _c: no_template,
        lambda _b, _c: [("", no_template_example)],
    )

    def registered(body: Body) -> str:
        return templates[body["message"]["template_name"]]

    def other_text(body: Body, _current: Any) -> Strategy[str]:
        text = registered(body)
        others = sorted({t for t in templates.values() if t != text}) or [text + "!"]
        return (
            st.one_of(
                st.sampled_from(others),
                st.sampled_from(pieces.text_pool(1, 8, "extra")).map(lambda extra: text + extra),
                st.integers(0, len(text) - 1).map(lambda cut: text[:cut] + "?" + text[cut + 1 :]),
            )
            .filter(lambda v: v != text)
            .map(pieces.encode_text)
        )

    yield field_breaker(
        "R10",
        ("message", "message"),
        "message-not-the-template",
        other_text,
        lambda body, _c: [("", pieces.encode_text(registered(body) + " "))],
    )


# --- C1: a body of another variant than the one insisted on ----------------------------


def variant_breakers(fixture: Fixture | None, insisted: pieces.Variant) -> Iterator[Breaker]:
    """Valid bodies of each other variant (that the fixture can make): C1 when `insisted`
    is insisted on (`validate --variant`)."""
    for other in spec.variant_names():
        if other == insisted or not _can_make(fixture, other):
            continue
        case = f"variant-{other}"

        def strategy(
            _valid: Strategy[Body], other: pieces.Variant = other, case: str = case
        ) -> Strategy[Broken]:
            return pieces.campaigns(fixture, other).map(
                lambda body: Broken(body, "C1", C1_POINTER, case)
            )

        def examples(_base: Body, other: pieces.Variant = other, case: str = case) -> list[Broken]:
            return [
                Broken(
                    pieces.base_campaign(fixture, other),
                    "C1",
                    C1_POINTER,
                    f"{case}-sample",
                )
            ]

        yield Breaker("C1", case, strategy, examples)


def _can_make(fixture: Fixture | None, variant: pieces.Variant) -> bool:
    try:
        pieces.campaigns(fixture, variant)
    except FixtureError:
        return False
    return True


def stays(variant: str, payload: Any) -> bool:
    """Whether a broken payload is still read as `variant` (C1, `spec.variant_of`). Raw
    bytes (R1) and JSON values that are no object (R1 at the root) have no variant to
    lose."""
    return not isinstance(payload, dict) or spec.variant_of(payload) == variant


def keeping_variant(breaker: Breaker, base: Body, variant: str) -> Breaker | None:
    """`breaker` limited to bodies C1 still reads as `variant`; None if none of its named
    examples is (the change always makes another variant: a template body without
    `message.template_name` is a plain body)."""
    examples = breaker.examples(copy.deepcopy(base))
    if examples and not any(stays(variant, b.payload) for b in examples):
        return None

    def strategy(valid: Strategy[Body]) -> Strategy[Broken]:
        return breaker.strategy(valid).filter(lambda b: stays(variant, b.payload))

    def named(body: Body) -> list[Broken]:
        return [b for b in breaker.examples(body) if stays(variant, b.payload)]

    return dataclasses.replace(breaker, strategy=strategy, examples=named)


# --- the public face -------------------------------------------------------------------


def breakers(
    fixture: Fixture | None = None, variant: pieces.Variant | None = None
) -> dict[str, list[Breaker]]:
    """Every breaker of a variant's bodies, by rule id in catalogue order (R10, C3's unknown
    flow and R4's unknown list need a fixture; C1 needs a variant insisted on).

    A change that would make C1 read the body as another variant (a template body whose
    `message` is no object, an advanced body whose `format` is not "advanced") breaks no
    rule of this variant: it is left out, and drawn values that would are filtered out.
    """
    chosen = pieces.check_variant(variant)
    base = pieces.base_campaign(fixture, chosen)
    found: dict[str, list[Breaker]] = {}
    for breaker in [
        *raw_breakers(),
        *schema_breakers(spec.variant_schema(chosen)),
        *(account_breakers(fixture, chosen) if fixture is not None else ()),
    ]:
        kept = keeping_variant(breaker, base, chosen)
        if kept is not None:
            found.setdefault(kept.rule, []).append(kept)
    if variant is not None:
        for breaker in variant_breakers(fixture, chosen):
            found.setdefault(breaker.rule, []).append(breaker)
    order = list(rules.RULES)
    return {rule: found[rule] for rule in sorted(found, key=order.index)}


def breakable_rules(
    fixture: Fixture | None = None, variant: pieces.Variant | None = None
) -> tuple[str, ...]:
    """The rule ids a broken body of the variant can break: for part 1's template bodies R1
    to R13 and R15 (R10 only with a fixture); plain adds C2, advanced C3; C1 with a variant
    insisted on."""
    return tuple(breakers(fixture, variant))


def _rule_breakers(
    fixture: Fixture | None, rule: str, variant: pieces.Variant | None
) -> tuple[pieces.Variant | None, list[Breaker]]:
    """The breakers of `rule`; without a variant, of the first variant whose bodies can
    break it (template for part 1's rules, plain for C2, advanced for C3)."""
    found = breakers(fixture, variant)
    if rule in found:
        return variant, found[rule]
    if variant is None and rule != "C1":
        for other in spec.variant_names():
            if _can_make(fixture, other) and rule in breakers(fixture, other):
                return other, breakers(fixture, other)[rule]
    if rule == "C1":
        raise ValueError(
            "C1: breaking it needs a variant to insist on (variant=...): "
            "a body of another variant breaks it"
        )
    if rule == "R10" and fixture is None and pieces.check_variant(variant) == pieces.TEMPLATE:
        raise ValueError(f"{rule}: breaking it needs a fixture (the account's templates)")
    if rule == "U1":
        raise ValueError(
            "U1: an update body is checked as a create body; break one of the "
            f"rules it is checked by: {', '.join(found)}"
        )
    where = f"a {variant} body" if variant else "a create body"
    hint = "; a list body's: broken_list_requests()" if rule.startswith("L") else ""
    raise ValueError(f"{rule}: not a rule {where} can break; breakable: {', '.join(found)}{hint}")


def broken_campaigns(
    fixture: Fixture | None = None, rule: str | None = None, variant: pieces.Variant | None = None
) -> Strategy[Broken]:
    """Bodies that break exactly `rule` (or any one rule, spread evenly) and nothing else.

    `variant` (template, plain, advanced) draws that variant's bodies and insists on it:
    each `Broken` names it, and C1 is breakable (bodies of the other variants). Without
    one, part 1's template bodies (or, for C2 and C3, the variant they belong to).
    """
    if rule is not None:
        drawn, found = _rule_breakers(fixture, rule, variant)
        valid = pieces.campaigns(fixture, drawn)
        return st.one_of([b.strategy(valid) for b in found]).map(
            functools.partial(_for_variant, drawn)
        )
    valid = pieces.campaigns(fixture, variant)
    chosen = breakers(fixture, variant)
    by_rule = {r: st.one_of([b.strategy(valid) for b in found]) for r, found in chosen.items()}
    return (
        st.sampled_from(list(by_rule))
        .flatmap(lambda r: by_rule[r])
        .map(functools.partial(_for_variant, variant))
    )


def _for_variant(variant: str | None, broken: Broken) -> Broken:
    return broken if variant is None else dataclasses.replace(broken, variant=variant)


def broken_examples(
    fixture: Fixture | None = None, rule: str | None = None, variant: pieces.Variant | None = None
) -> list[Broken]:
    """A few named, deterministic broken bodies per rule (`priority-not-in-enum-0`, ...),
    each a change to `strategies.base_campaign(fixture, variant)` (C1: another variant's
    sample)."""
    if rule is None:
        drawn, chosen = variant, breakers(fixture, variant)
    else:
        drawn, found = _rule_breakers(fixture, rule, variant)
        chosen = {rule: found}
    base = pieces.base_campaign(fixture, drawn)
    return [
        _for_variant(drawn, broken)
        for found in chosen.values()
        for breaker in found
        for broken in breaker.examples(copy.deepcopy(base))
    ]
