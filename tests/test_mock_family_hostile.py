"""Bad input on every new body, query and path of the family (issue 12): a 4xx with a JSON
body naming a rule, never a 5xx, and no state change; over real HTTP, drawn by hypothesis.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mock_testing import STREAM, call_url, curl_headers

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token
from kore_contract.contract import spec
from kore_contract.contract.rules import RULES
from kore_contract.mock.server import MockServer, running_mock

TOKEN = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
TIMEOUT = 10
KIND = spec.campaign_type()
ACCOUNT = f"acc-hostile-{uuid.uuid4().hex[:8]}"
HEADERS = curl_headers(TOKEN, account=ACCOUNT)
RULE_IDS = set(RULES)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with running_mock() as server:
        yield server
        server.check()


def make_campaigns(mock: MockServer) -> dict[str, str]:
    """One new campaign in each state: Ready, Active, Stopped."""
    made = {}
    body = spec.examples("create", "request")["docsSample"]
    for state, triggers in (("Ready", ()), ("Active", ("play",)), ("Stopped", ("play", "stop"))):
        answer = requests.post(
            call_url(mock.base_url, "create", accountId=ACCOUNT, campaignType=KIND),
            json=body,
            headers=HEADERS,
            timeout=TIMEOUT,
        )
        campaign_id = answer.json()["data"]["_id"]
        for trigger in triggers:
            requests.post(
                call_url(
                    mock.base_url,
                    "trigger",
                    campaign_id,
                    campaignType=KIND,
                    trigger=trigger,
                    accountId=ACCOUNT,
                ),
                headers=HEADERS,
                timeout=TIMEOUT,
            )
        made[state] = campaign_id
    return made


@pytest.fixture(scope="module")
def campaigns(mock: MockServer) -> dict[str, str]:
    return make_campaigns(mock)


def snapshot(mock: MockServer, ids: dict[str, str]) -> list[bytes | None]:
    """Each campaign as stored (None: gone)."""
    found = [mock.app.store.get(STREAM, ACCOUNT, i) for i in ids.values()]
    return [None if f is None else f[7] for f in found]


texts = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "play",
            "stop",
            "Play",
            "STOP",
            KIND,
            "voice",
            "status",
            "full",
            "x" * 3000,
            "%00",
            "\u202e",
            "null",
        ]
    ),
    st.text(max_size=40),
)
queries = st.dictionaries(
    st.sampled_from(["campaignType", "trigger", "accountId", "view", "limit", "x"]),
    texts,
    max_size=4,
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
list_fields = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from([KIND, "voice", "", "SMS", 3]) | json_values,
        "skip": st.sampled_from(["", -1, 0, 10**18, 1.5, "3"]) | json_values,
        "page": st.sampled_from(["", 0, 1, 10**18, True]) | json_values,
        "limit": st.sampled_from(["", 0, 1, 10**18, -5, 2.0]) | json_values,
        "startDate": st.sampled_from(["2025-12-01T00:00:00Z", "2025-12-01", "", "yesterday"])
        | json_values,
        "endDate": st.sampled_from(["2025-13-01T00:00:00Z", "2025-12-08T00:00:00+05:30"])
        | json_values,
        "sortBy": st.dictionaries(
            st.sampled_from(["name", "createdAt", "updatedAt", "lname"]),
            st.sampled_from(["asc", "desc", "ASC", 1, None]),
            max_size=3,
        )
        | json_values,
        "filters": st.fixed_dictionaries(
            {},
            optional={
                "status": st.lists(
                    st.sampled_from(["Ready", "Active", "ready", "", 1]), max_size=5
                ),
                "priority": st.lists(st.sampled_from([1, 5, 6, 0, "5", 2.5]), max_size=5),
                "dialingMode": st.lists(st.sampled_from(["Preview", 7]), max_size=3),
            },
        )
        | json_values,
    },
)
bodies = st.one_of(
    list_fields.map(lambda b: json.dumps(b).encode()),
    json_values.map(lambda b: json.dumps(b).encode()),
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"",
            b"{",
            b'{"type": "sms", "type": "voice"}',
            b"[]" * 10,
            b'{"limit": 1e999, "type": "sms"}',
            b"\xff\xfe{}",
        ]
    ),
)
content_types = st.sampled_from(
    [
        "application/json",
        "text/plain",
        "",
        "application/json; charset=latin-1",
        "application/x-www-form-urlencoded",
    ]
)
ids = st.sampled_from(["Ready", "Active", "Stopped", "unknown", "weird"])
calls = st.sampled_from(["update", "trigger", "start", "status", "list", "delete", "get"])


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    call=calls,
    which=ids,
    query=queries,
    body=bodies,
    content_type=content_types,
    keep_account=st.booleans(),
)
def test_bad_input_on_every_call_is_a_4xx_json_naming_a_rule_and_changes_nothing(
    mock: MockServer,
    campaigns: dict[str, str],
    call: str,
    which: str,
    query: dict[str, str],
    body: bytes,
    content_type: str,
    keep_account: bool,
) -> None:
    campaign_id = campaigns.get(which, "cd-unknown" if which == "unknown" else "a b/%2F..")
    if keep_account:
        query = {**query, "accountId": ACCOUNT}
    method = {"update": "PUT", "delete": "DELETE", "get": "GET"}.get(call, "POST")
    url = call_url(
        mock.base_url,
        call,
        None if call == "list" else campaign_id,  # type: ignore[arg-type]
        **query,
    )
    headers = {**HEADERS, "Content-Type": content_type}
    before = snapshot(mock, campaigns)
    answer = requests.request(method, url, data=body, headers=headers, timeout=TIMEOUT)
    assert answer.status_code < 500, answer.text
    content = answer.json()
    assert isinstance(content, dict)
    if answer.status_code >= 400:
        assert content["errors"] and {e["rule"] for e in content["errors"]} <= RULE_IDS
        assert snapshot(mock, campaigns) == before, (call, query, answer.text)
        return
    # accepted: a read changed nothing; after a write, new campaigns for the next example
    if call in ("status", "list", "get"):
        assert snapshot(mock, campaigns) == before
    elif snapshot(mock, campaigns) != before:
        campaigns.update(make_campaigns(mock))
