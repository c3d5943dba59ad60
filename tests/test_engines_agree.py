"""The fast engine (jsonschema-rs, which explains too) and the reference engine (Python
jsonschema) give the same violations, over valid-ish bodies with random fields broken."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kore_contract import spec
from kore_contract.validate import reference_schema_violations, schema_violations

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
    assert schema_violations(body, "request") == reference_schema_violations(body, "request")


@given(mutated(RESPONSE))
def test_engines_agree_on_responses(body: dict[str, Any]) -> None:
    assert schema_violations(body, "response") == reference_schema_violations(body, "response")


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
        assert schema_violations(root, kind) == reference_schema_violations(root, kind)


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
