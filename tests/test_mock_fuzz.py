"""S9: no input gets a 5xx. Property tests straight into the ASGI app (fast), and a bounded
load test over HTTP: 32 clients, valid and invalid creates, every campaign fetched back."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mock_load import bodies, run_load
from mock_testing import ACCOUNT, call, campaign_path, create_path, curl_headers

from kore_contract import strategies
from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token
from kore_contract.contract import spec
from kore_contract.contract.fixture import load_fixture
from kore_contract.mock import MockServer, running_mock
from kore_contract.mock.server import make_app
from kore_contract.strategies import _broken as broken
from kore_contract.validate import validate_response

FIXTURE = load_fixture()
APP = make_app(FIXTURE)
TOKEN = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
QUERY = f"accountId={ACCOUNT}&campaignType=sms"
SAMPLE = spec.examples("create", "request")["docsSample"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(autouse=True)
def _no_error_inside_the_mock() -> Iterator[None]:
    yield
    assert APP.errors == [], APP.errors[:1]


def create(body: bytes, headers: dict[str, str] | None = None, query: str = QUERY) -> int:
    reply = call(
        APP,
        "POST",
        create_path(),
        query=query,
        body=body,
        headers=curl_headers(TOKEN) if headers is None else headers,
    )
    assert reply.status < 500, reply.body
    if reply.status >= 400:
        assert isinstance(reply.json()["errors"], list)
    return reply.status


@given(st.binary(max_size=300))
def test_S9_any_bytes_get_no_5xx(raw: bytes) -> None:
    assert create(raw) == 400


@given(json_values)
def test_S9_any_json_value_gets_no_5xx(value: Any) -> None:
    assert create(json.dumps(value).encode()) == 400


@given(st.sampled_from(sorted(SAMPLE)), json_values)
def test_S9_sample_with_any_field_replaced_gets_no_5xx(field: str, value: Any) -> None:
    create(json.dumps({**SAMPLE, field: value}).encode())


@given(
    st.sampled_from(["dialingStrategy", "message", "schedule", "dncLists"]),
    json_values,
    st.text(max_size=10),
)
def test_S9_nested_member_replaced_gets_no_5xx(field: str, value: Any, key: str) -> None:
    body = copy.deepcopy(SAMPLE)
    body.setdefault(field, {})
    body[field][key or "callerId"] = value
    days = (
        body["dialingStrategy"]["callingHours"]["days"]
        if isinstance(body["dialingStrategy"].get("callingHours"), dict)
        else None
    )
    if days is not None:
        days.append({"day": value, "start": "9:00 AM", "end": "6:00 PM"})
    create(json.dumps(body).encode())


@given(
    st.dictionaries(
        st.sampled_from(["auth", "iid", "accountid", "content-type", "content-length", "x"]),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255)),
        max_size=5,
    ),
    st.text(max_size=60),
)
def test_S9_any_headers_and_query_get_no_5xx(headers: dict[str, str], query: str) -> None:
    create(json.dumps(SAMPLE).encode(), headers=headers, query=query)


@given(
    st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"]),
    st.text(max_size=80),
    st.text(max_size=40),
)
def test_S9_any_method_and_path_get_no_5xx(method: str, path: str, query: str) -> None:
    for where in (path, create_path() + path, campaign_path(path)):
        reply = call(
            APP,
            method,
            where,
            query=query,
            headers=curl_headers(TOKEN),
            body=json.dumps(SAMPLE).encode(),
        )
        assert reply.status < 500


@given(st.text(max_size=300))
def test_A2_any_auth_value_is_refused_without_5xx(token: str) -> None:
    headers = curl_headers(token.encode("utf-8").decode("latin-1"))
    assert create(json.dumps(SAMPLE).encode(), headers=headers) in (401, 403)


@given(
    broken.broken_campaigns(FIXTURE, "R7")
    | broken.broken_campaigns(FIXTURE, "R13")
    | broken.broken_campaigns(FIXTURE, "R1")
    | broken.broken_campaigns(FIXTURE, "R10")
)
def test_R_broken_bodies_are_refused_naming_their_rule(case: broken.Broken) -> None:
    reply = call(
        APP, "POST", create_path(), query=QUERY, body=case.to_bytes(), headers=curl_headers(TOKEN)
    )
    assert reply.status == 400
    assert case.rule in {e["rule"] for e in reply.json()["errors"]}


@given(strategies.campaigns(FIXTURE))
def test_S1_to_S8_generated_valid_bodies_are_created_and_kept(body: dict[str, Any]) -> None:
    reply = call(
        APP,
        "POST",
        create_path(),
        query=QUERY,
        body=json.dumps(body).encode(),
        headers=curl_headers(TOKEN),
    )
    assert reply.status == 201, reply.body
    assert validate_response(reply.json()).violations == []
    data = reply.json()["data"]
    assert data["lname"] == body["name"].lower()
    for field in ("name", "description", "priority", "contactLists", "format", "dialingStrategy"):
        assert data[field] == body[field]
    got = call(
        APP,
        "GET",
        campaign_path(data["_id"]),
        query=f"accountId={ACCOUNT}",
        headers=curl_headers(TOKEN),
    )
    assert got.status == 200 and got.json()["data"] == data


# --- the bounded load test --------------------------------------------------------------------


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with running_mock(FIXTURE) as server:
        yield server


def test_S9_S10_load_32_clients_valid_and_invalid_creates(mock: MockServer) -> None:
    valid, invalid = bodies(150, seed=7, fixture=FIXTURE)
    result = run_load(mock.base_url, valid, invalid, clients=32, token=TOKEN)
    assert result.ok, result.summary()
    assert len(result.created_ids) == 150 and result.server_errors == 0
    mock.check()
