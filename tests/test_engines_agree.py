"""The fast engine (jsonschema-rs, which explains too) and the reference engine (Python
jsonschema) give the same violations, over valid-ish bodies with random fields broken.

The fast paths beside them are proved the same way: the fast engine's derived schema
(formats as patterns and an enum) against the spec's formats, orjson's parse against the
strict parse, and R14's quick proof of no warning against its full walk.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kore_contract.contract import formats, loader, spec
from kore_contract.validate.engine import (
    _reference_validator,
    fast_is_valid,
    reference_schema_violations,
    schema_violations,
)
from kore_contract.validate.explain import WINDOW, collect
from kore_contract.validate.schemas import PayloadKind
from kore_contract.validate.semantic import calling_hours_full_walk, calling_hours_warnings

REQUEST = spec.examples("create", "request")["docsSample"]
RESPONSE = spec.examples("create", "response")["docsSample"]

# Values that break (or keep) a field in interesting ways: types, enums, formats, lengths.
ODD_VALUES = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            0,
            5,
            -1,
            1.5,
            "",
            "5",
            "sms",
            "voice",
            "simple",
            "WEEKLY",
            "weekly",
            "MO",
            "Monday",
            "9:00 AM",
            "9:00 AM\n",
            "13:00 PM",
            "0:00 AM",
            "9:00 am",
            "+919561612345",
            "+0123",
            "+1",
            "KoreAlerts",
            "KoreAlerts12",
            "Asia/Kolkata",
            "asia/kolkata",
            "Mars/Base",
            "YWJj",
            "YWI=",
            "YWI%3D",
            "YW I=",
            "_-_-",
            "/w==",
            "x" * 49,
            "d" * 257,
            "2025-12-05T08:16:19.177Z",
            "2025-12-05T08:16:19",
            [],
            [""],
            ["a"],
            {},
            {"name": 1},
            [{"day": "MO"}],
            {"isSchedulingEnabled": "no"},
        ]
    ),
    st.text(max_size=12),
    st.integers(),
)


def odd_value(draw: st.DrawFn) -> Any:
    return copy.deepcopy(draw(ODD_VALUES))  # a copy: later mutations must not change the pool


def pointers(value: Any, parts: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [parts] if parts else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += pointers(item, (*parts, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += pointers(item, (*parts, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """`base` with one to four fields replaced, deleted, or given a stranger beside them."""
    body = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        places = pointers(body)
        if not places:
            break
        *parents, last = draw(st.sampled_from(places))
        node: Any = body
        for part in parents:
            node = node[part]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "delete" and isinstance(node, dict):
            del node[last]
        elif action == "add" and isinstance(node, dict):
            node[draw(st.sampled_from(["extra", "name", "day", "Priority"]))] = odd_value(draw)
        else:
            node[last] = odd_value(draw)
    return body


@given(mutated(REQUEST))
def test_engines_agree_on_request_bodies(body: dict[str, Any]) -> None:
    reference = reference_schema_violations(body, "request")
    assert schema_violations(body, "request") == reference
    assert fast_is_valid(body, "request") == (not reference)


@given(mutated(RESPONSE))
def test_engines_agree_on_responses(body: dict[str, Any]) -> None:
    reference = reference_schema_violations(body, "response")
    assert schema_violations(body, "response") == reference
    assert fast_is_valid(body, "response") == (not reference)


# --- the family's schemas: each create variant, the list body, every call's answer --------

FAMILY_ODD = st.sampled_from(
    [
        "advanced",
        "Ready",
        "Running",
        "asc",
        "up",
        "",
        0,
        5,
        6,
        "5",
        10**20,
        2.5,
        {"title": "asc"},
        ["Ready"],
        [5],
        ["5"],
        {"template_name": "x"},
        "cf-1",
    ]
)


def _family_cases() -> list[tuple[str, Any]]:
    """(schema name, a sample of it): the variants' and the list body's requests, and the
    success answers of every call."""
    cases: list[tuple[str, Any]] = []
    for body in spec.examples("create", "request").values():
        cases.append((f"request:{spec.variant_of(body)}", body))
    for body in spec.examples("list", "request").values():
        cases.append(("request:list", body))
    for call, entries in spec.actions().items():
        for operation, query, _ in entries:
            for body in spec.examples(operation, "response").values():
                if operation != "trigger" or (query.get("trigger") == "play") == (
                    body.get("status") == "Active"
                ):
                    cases.append((f"response:{call}", body))
    return cases


FAMILY_CASES = _family_cases()


@st.composite
def family_mutated(draw: st.DrawFn) -> tuple[str, Any]:
    name, base = draw(st.sampled_from(FAMILY_CASES))
    body = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        places = pointers(body)
        if not places:
            break
        *parents, last = draw(st.sampled_from(places))
        node: Any = body
        for part in parents:
            node = node[part]
        if draw(st.booleans()) and isinstance(node, dict):
            del node[last]
        else:
            node[last] = copy.deepcopy(draw(st.one_of(FAMILY_ODD, ODD_VALUES)))
    return name, body


@given(family_mutated())
def test_engines_agree_on_the_family_schemas(case: tuple[str, Any]) -> None:
    name, body = case
    reference = reference_schema_violations(body, name)
    assert schema_violations(body, name) == reference
    assert fast_is_valid(body, name) == (not reference)


def test_engines_agree_on_every_family_sample() -> None:
    assert len(FAMILY_CASES) >= 14
    for name, body in FAMILY_CASES:
        assert reference_schema_violations(body, name) == schema_violations(body, name) == []
        assert fast_is_valid(body, name)


@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=5),
        st.lists(st.integers(), max_size=3),
    )
)
def test_engines_agree_on_roots_that_are_not_objects(root: Any) -> None:
    for kind in ("request", "response"):
        reference = reference_schema_violations(root, kind)
        assert schema_violations(root, kind) == reference
        assert fast_is_valid(root, kind) == (not reference)


# --- long lists: the bounded explanation (a skeleton, then windows) is the full one ------

BLOCK = {"day": "MO", "start": "9:00 AM", "end": "10:00 AM"}


@st.composite
def long_lists(draw: st.DrawFn, base: dict[str, Any], inside: tuple[str, ...]) -> dict[str, Any]:
    """`base` with its contact lists and calling hours a few windows long, a few items odd
    (anywhere: in the first window, beyond it, last) and an extra key or two in a block."""
    body = copy.deepcopy(base)
    holder = body
    for name in inside:
        holder = holder[name]
    lists: list[Any] = ["list"] * draw(st.integers(0, 3 * WINDOW + 1))
    days: list[Any] = [dict(BLOCK) for _ in range(draw(st.integers(0, 3 * WINDOW + 1)))]
    for items in (lists, days):
        for _ in range(draw(st.integers(0, 4)) if items else 0):
            at = draw(st.sampled_from([0, WINDOW - 1, WINDOW, len(items) - 1, len(items) // 2]))
            items[min(at, len(items) - 1)] = odd_value(draw)
    strange_last: bool = draw(st.booleans()) if days else False
    if strange_last:
        days[-1] = {**BLOCK, "extra": odd_value(draw), "start": odd_value(draw)}
    holder["contactLists"] = lists
    holder["dialingStrategy"]["callingHours"]["days"] = days
    return body


def _full_explanation(body: Any, kind: PayloadKind) -> list[Any]:
    """What the reference engine says of the whole payload, every error explained."""
    return collect(_reference_validator(kind).iter_errors(body))


@given(long_lists(REQUEST, ()))
def test_engines_agree_on_long_lists_in_requests(body: dict[str, Any]) -> None:
    reference = reference_schema_violations(body, "request")
    assert schema_violations(body, "request") == reference
    assert fast_is_valid(body, "request") == (not reference)
    assert reference == _full_explanation(body, "request")


@given(long_lists(RESPONSE, ("data",)))
def test_engines_agree_on_long_lists_in_responses(body: dict[str, Any]) -> None:
    reference = reference_schema_violations(body, "response")
    assert schema_violations(body, "response") == reference
    assert fast_is_valid(body, "response") == (not reference)
    assert reference == _full_explanation(body, "response")


def test_engines_agree_on_the_samples() -> None:
    assert (
        schema_violations(REQUEST, "request")
        == []
        == reference_schema_violations(REQUEST, "request")
    )
    assert (
        schema_violations(RESPONSE, "response")
        == []
        == reference_schema_violations(RESPONSE, "response")
    )


# --- the fast engine's patterns and enum state the spec's formats exactly ---------------

TRICKY = [
    "",
    " ",
    "\n",
    "9:00 AM",
    "9:00 AM\n",
    "\n9:00 AM",
    "9:00 AM\r",
    "09:59 PM",
    "12:00 PM",
    "13:00 PM",
    "0:00 AM",
    "00:00 AM",
    "10:60 AM",
    "9:00 am",
    "9:00  AM",
    "9:0 AM",
    "\uff19:00 AM",  # a full-width digit: Unicode, not [0-9]
    "\u0669:00 AM",
    "+919561612345",
    "+919561612345\n",
    "+0123",
    "+1",
    "+12",
    "+123456789012345",
    "+1234567890123456",
    "+\u0661\u0662\u0663",
    "KoreAlerts",
    "KoreAlerts\n",
    "KoreAlerts12",
    "12345",
    "123 45",
    "   ",
    "a",
    "A1 2",
    "\u00e9t\u00e9",
    "K\u0130",
    "YWJj",
    "YWI=",
    "YQ==",
    "YWI%3D",
    "YW I=",
    "YWJj\n",
    "_-_-",
    "/w==",
    "//8=",
    "7g==",
    "7aCA",  # the UTF-8 bytes of a surrogate: not UTF-8 text
    "====",
    "YQ=",
    "Asia/Kolkata",
    "asia/kolkata",
    "Asia/Kolkata\n",
    "Etc/GMT+5",
    "UTC",
]
STRINGS = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=16),
    st.text(alphabet="0123456789: APM+\n", max_size=10),
    st.text(alphabet="ABCab019 +\n", max_size=13),
    st.from_regex(r"\A(0?[0-9]|1[0-9]):[0-6][0-9] [AP]M\n?\Z"),
    st.from_regex(r"\A\+?[0-9]{0,16}\n?\Z"),
    st.binary(max_size=12).map(lambda raw: base64.b64encode(raw).decode()),
    st.text(max_size=6).map(lambda text: base64.b64encode(text.encode()).decode()),
)


FAST_PATTERNS = sorted(
    name for name, row in formats.FORMAT_TABLE.items() if row.fast_pattern and not row.fast_then
)


def test_the_exact_fast_patterns_are_caller_id_and_clock() -> None:
    assert FAST_PATTERNS == ["caller-id", "clock-12h"]


@pytest.mark.parametrize("name", FAST_PATTERNS)
@given(value=STRINGS)
def test_each_fast_pattern_accepts_exactly_what_its_format_accepts(name: str, value: str) -> None:
    row = formats.FORMAT_TABLE[name]
    validator = jsonschema_rs.validator_for({"pattern": row.fast_pattern})
    assert validator.is_valid(value) == row.accepts(value)


@given(value=STRINGS)
def test_base64_pattern_then_utf8_is_the_base64_utf8_format(value: str) -> None:
    row = formats.FORMAT_TABLE["base64-utf8"]
    assert row.fast_pattern == formats.BASE64_PATTERN and row.fast_then is not None
    validator = jsonschema_rs.validator_for({"pattern": row.fast_pattern})
    fast = validator.is_valid(value) and row.fast_then(value)
    assert fast == formats.is_base64_utf8(value)


def test_the_fast_schemas_keep_only_predicates_no_pattern_can_state() -> None:
    request = formats.fast_schema(spec.request_body_schema())
    assert request.predicates == {}  # every request format runs in Rust
    assert request.places == (("message", "message"),)
    response = formats.fast_schema(spec.response_envelope_schema())
    assert set(response.predicates) == {"date-time-with-zone"}


@given(value=st.one_of(STRINGS, st.sampled_from(sorted(formats.time_zones()))))
@example(value="Zulu")
def test_the_zone_enum_is_the_tz_database(value: str) -> None:
    values = formats.FORMAT_TABLE["iana-time-zone"].fast_values
    assert values is not None
    zones = jsonschema_rs.validator_for({"type": "string", "enum": sorted(values())})
    assert zones.is_valid(value) == formats.is_iana_time_zone(value)
    assert zones.is_valid(value.casefold()) == formats.is_iana_time_zone(value.casefold())


def test_the_clock_table_is_every_time_the_clock_regex_accepts() -> None:
    table = formats.clock_table()
    assert len(table) == 21 * 60 * 2  # 1-12, 01-09; 00-59; AM, PM
    assert all(formats.clock_minutes(text) == minutes for text, minutes in table.items())
    assert "9:00 AM\n" not in table and "13:00 PM" not in table


# --- orjson's parse where it is taken equals the strict parse ----------------------------

JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=2**62, max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
        st.sampled_from(["a:b", "::", "9:00 AM", "\u00e9", "\\", '"', "\ud83d\ude00"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["a", "b", ":", "a:b", "c"]), children, max_size=4),
    ),
    max_leaves=12,
)


@st.composite
def json_texts(draw: st.DrawFn) -> bytes:
    """JSON text, at times with a key duplicated, escapes, odd spacing, or a byte changed."""
    text = json.dumps(draw(JSON_VALUES), ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()) and "{" in text:  # duplicate a key: {"k": v, ... } -> {"k": 1, "k": v
        at = text.index("{")
        key = draw(st.sampled_from(['"a"', '"b"', '":"', '"a:b"']))
        text = f"{text[: at + 1]}{key}: 1, {text[at + 1 :]}".replace(", }", "}")
    if draw(st.booleans()):
        text = text.replace(": ", draw(st.sampled_from([":", " : ", ":\n"])))
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.binary(min_size=1, max_size=2)) + data[at + 1 :]
    return data


def _strict(data: bytes) -> loader.Parsed | loader.Unreadable:
    orjson = loader._orjson  # type: ignore[attr-defined]
    loader._orjson = None  # type: ignore[attr-defined,assignment]
    try:
        return loader.parse_json(data)
    finally:
        loader._orjson = orjson  # type: ignore[attr-defined]


@given(json_texts())
@example(b'{"a": 1, "a": 2}')
@example(b'{"a": {"b": 1, "b": 1}}')
@example(b'{"a": 123456789012345678901234567890}')
@example(b'{"a": NaN}')
@example(b'{"a": 1e400}')
@example(b'{"a": "\\ud800"}')
@example(b'{"a\\u003a": 1, "a:": 2}')
@example(b"\xef\xbb\xbf{}")
@example(b"  ")
def test_the_fast_parse_is_the_strict_parse(data: bytes) -> None:
    strict = _strict(data)
    fast = loader._parse_plain(data)
    if fast is not None:  # where it is taken, it is the same to the last type and float
        assert isinstance(strict, loader.Parsed)
        assert fast.duplicate_keys == strict.duplicate_keys == ()
        assert repr(fast.payload) == repr(strict.payload)
    assert loader.parse_json(data) == strict  # and so parse_json's answer never changes


# --- R14's quick proof of no warning agrees with its full walk ---------------------------

CLOCKS = st.sampled_from(["1:00 AM", "2:00 AM", "9:00 AM", "12:00 PM", "6:00 PM", "13:00 PM"])
BLOCK_PARTS: st.SearchStrategy[Any] = st.one_of(CLOCKS, st.none(), st.integers(0, 2), st.just([]))
BLOCKS = st.one_of(
    st.fixed_dictionaries({"day": st.sampled_from(["MO", "TU"]), "start": CLOCKS, "end": CLOCKS}),
    st.dictionaries(st.sampled_from(["day", "start", "end"]), BLOCK_PARTS, max_size=3),
    st.fixed_dictionaries(
        {
            "day": st.one_of(st.sampled_from(["MO", "TU"]), BLOCK_PARTS),
            "start": CLOCKS,
            "end": CLOCKS,
        }
    ),
    st.sampled_from([None, 1, "MO", []]),
)


@given(st.lists(BLOCKS, max_size=6))
def test_calling_hours_fast_path_is_the_full_walk(days: list[Any]) -> None:
    payload = {"dialingStrategy": {"callingHours": {"days": days}}}
    assert calling_hours_warnings(payload) == calling_hours_full_walk(days)


def _every_pair(days: list[Any]) -> list[tuple[str, str]]:
    """R14 by comparing every block with every earlier one (quadratic: small lists only)."""
    found = []
    spans: list[tuple[int, Any, int, int]] = []
    for index, block in enumerate(days):
        if type(block) is not dict or type(block.get("start")) is not str:
            continue
        if type(block.get("end")) is not str:
            continue
        first, last = formats.clock_minutes(block["start"]), formats.clock_minutes(block["end"])
        if first is None or last is None:
            continue
        if first >= last:
            found.append((f"/dialingStrategy/callingHours/days/{index}", "before end"))
            continue
        if type(block.get("day")) is str:
            for other, day, other_first, other_last in spans:
                if day == block["day"] and first < other_last and other_first < last:
                    where = f"/dialingStrategy/callingHours/days/{index}"
                    found.append((where, f"overlaps days[{other}]"))
            spans.append((index, block["day"], first, last))
    return found


@given(st.lists(BLOCKS, max_size=12))
def test_calling_hours_sweep_finds_every_overlapping_pair_in_block_order(days: list[Any]) -> None:
    payload = {"dialingStrategy": {"callingHours": {"days": days}}}
    told = calling_hours_warnings(payload, limit=1000)
    expected = _every_pair(days)
    assert [w.pointer for w in told] == [pointer for pointer, _ in expected]
    assert all(w.message.endswith(tail) for w, (_, tail) in zip(told, expected, strict=True))


@given(st.text(min_size=1, max_size=8))
@example("\u2028")
@example("\x1c")
def test_split_finds_whitespace_as_isspace_does(value: str) -> None:
    assert (value.split(maxsplit=1) != [value]) == any(c.isspace() for c in value)


BASE64_QUANTA = re.compile(
    r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z", re.ASCII
)


@given(st.text(alphabet="AZaz09+/=-_ \n\u00e9", max_size=14))
@example("")
@example("====")
@example("A===")
@example("AB==")
@example("ABC=")
@example("AB=C")
def test_base64_in_one_pass_is_base64_in_quanta(value: str) -> None:
    assert formats.is_base64_text(value) == bool(BASE64_QUANTA.match(value))
