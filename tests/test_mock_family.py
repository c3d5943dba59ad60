"""Issue 12, item 4: the mock serves every call of the family with the campaign's state
machine, over real HTTP on 127.0.0.1.

Create of each variant (C4, T1), update (U1, U2), start in both URL shapes and stop (T2 to
T6), status (Q1), list (L1 to L3), unknown ids (U3), two clients starting one campaign
at once, and bad input on every new body, query and path: a 4xx JSON naming the rule,
never a 5xx, never a state change.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from mock_testing import call_url, curl_headers
from test_mock_faults import family_fixture, validator_knows_the_family

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token
from kore_contract.contract import spec
from kore_contract.contract.formats import parse_date_time
from kore_contract.mock import limits
from kore_contract.mock.server import MockServer, running_mock
from kore_contract.validate import validate_response

TOKEN = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
TIMEOUT = 10
KIND = spec.campaign_type()
FIXTURE = family_fixture()
needs_the_validator = pytest.mark.skipif(
    not validator_knows_the_family(),
    reason="the validator does not check the family's bodies yet (issue 12 item 2)",
)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with running_mock(FIXTURE) as server:
        yield server
        server.check()


def body(variant: str = "template", **changes: Any) -> dict[str, Any]:
    name = {"template": "docsSample", "plain": "plainDocsSample", "advanced": "advancedDocsSample"}[
        variant
    ]
    sent: dict[str, Any] = copy.deepcopy(spec.examples("create", "request")[name])
    sent.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del sent[key]
    return sent


class Account:
    """One account of the mock (its own campaigns), and the calls on it."""

    def __init__(self, server: MockServer, account: str | None = None) -> None:
        self.base = server.base_url
        self.account = account or f"acc-{uuid.uuid4().hex[:12]}"
        self.headers = curl_headers(TOKEN, account=self.account)

    def url(self, call: spec.Call, campaign_id: str | None = None, **query: str | None) -> str:
        return call_url(self.base, call, campaign_id, **query)

    def post(self, url: str, sent: Any = None, **kwargs: Any) -> requests.Response:
        return requests.post(
            url, json=sent, headers=kwargs.pop("headers", self.headers), timeout=TIMEOUT, **kwargs
        )

    def create(self, sent: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self.post(
            self.url("create", accountId=self.account, campaignType=KIND), sent or body()
        )
        assert answer.status_code == 201, answer.text
        data: dict[str, Any] = answer.json()["data"]
        return data

    def get(self, campaign_id: str) -> requests.Response:
        return requests.get(
            self.url("get", campaign_id, accountId=self.account),
            headers=self.headers,
            timeout=TIMEOUT,
        )

    def update(self, campaign_id: str, sent: Any, **query: str | None) -> requests.Response:
        query = {"accountId": self.account, "campaignType": KIND, **query}
        return requests.put(
            self.url("update", campaign_id, **query),
            json=sent,
            headers=self.headers,
            timeout=TIMEOUT,
        )

    def trigger(
        self,
        campaign_id: str,
        trigger: str | None,
        *,
        shape: str = "trigger",
        campaign_type: str | None = KIND,
        account: bool = True,
        **kwargs: Any,
    ) -> requests.Response:
        """Start or stop: `shape` trigger is POST /trigger/{id}, page the start page's
        POST /{id}."""
        query = {
            "campaignType": campaign_type,
            "trigger": trigger,
            "accountId": self.account if account else None,
        }
        call: spec.Call = "trigger" if shape == "trigger" else "start"
        return requests.post(
            self.url(call, campaign_id, **query),
            headers=kwargs.pop("headers", self.headers),
            timeout=TIMEOUT,
            **kwargs,
        )

    def start(self, campaign_id: str, shape: str = "trigger") -> requests.Response:
        return self.trigger(campaign_id, "play", shape=shape)

    def stop(self, campaign_id: str) -> requests.Response:
        return self.trigger(campaign_id, "stop")

    def status(self, campaign_id: str, **query: str | None) -> requests.Response:
        return self.post(self.url("status", campaign_id, accountId=self.account, **query), {})

    def list(self, sent: Any) -> requests.Response:
        return self.post(self.url("list", accountId=self.account), sent)

    def listed(self, **sent: Any) -> dict[str, Any]:
        answer = self.list({"type": KIND, **sent})
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()["data"]
        return data

    def delete(self, campaign_id: str) -> requests.Response:
        return requests.delete(
            self.url("delete", campaign_id, accountId=self.account),
            headers=self.headers,
            timeout=TIMEOUT,
        )

    def state(self, campaign_id: str) -> str:
        status: str = self.status(campaign_id).json()["data"]["status"]
        return status


def refused(answer: requests.Response, status: int | None, rule: str) -> dict[str, Any]:
    """A 4xx (`status` exactly, where given) with a JSON body naming `rule`."""
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text)
    if status is not None:
        assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    errors: list[dict[str, Any]] = answer.json()["errors"]
    assert rule in {e["rule"] for e in errors}, errors
    return errors[0]


def stamp(value: str) -> Any:
    moment = parse_date_time(value)
    assert moment is not None and moment.tzinfo is not None, value
    return moment


# --- T1 to T3: create, start, stop -------------------------------------------------------


def test_T1_a_created_campaign_is_Ready(mock: MockServer) -> None:
    client = Account(mock)
    data = client.create()
    assert data["status"] == "Ready"
    assert client.get(data["_id"]).json()["data"]["status"] == "Ready"
    assert client.state(data["_id"]) == "Ready"


@pytest.mark.parametrize("shape", ["trigger", "page"])
def test_T2_start_of_a_Ready_campaign_answers_Active_and_every_call_follows(
    mock: MockServer, shape: str
) -> None:
    client = Account(mock)
    data = client.create()
    answer = client.start(data["_id"], shape)
    assert answer.status_code == 200, answer.text
    started = answer.json()
    assert started["status"] == "Active" and isinstance(started["message"], str)
    assert "data" not in started
    assert stamp(started["updatedAt"]) >= stamp(data["updatedAt"])
    got = client.get(data["_id"]).json()["data"]
    assert got["status"] == "Active" and got["updatedAt"] == started["updatedAt"]
    assert client.state(data["_id"]) == "Active"
    (listed,) = client.listed()["results"]
    assert listed["status"] == "Active" and listed["updatedAt"] == started["updatedAt"]


def test_T2_the_start_page_form_needs_no_accountId_query(mock: MockServer) -> None:
    client = Account(mock)
    data = client.create()
    answer = client.trigger(data["_id"], "play", shape="page", account=False)
    assert answer.status_code == 200 and answer.json()["status"] == "Active"


def test_T3_stop_of_an_Active_campaign_answers_Stopped_then_start_again(mock: MockServer) -> None:
    client = Account(mock)
    campaign_id = client.create()["_id"]
    assert client.start(campaign_id).status_code == 200
    answer = client.stop(campaign_id)
    assert answer.status_code == 200, answer.text
    stopped = answer.json()
    assert stopped["status"] == "Stopped" and stopped["campaignExecutionType"]
    assert isinstance(stopped["message"], str) and stamp(stopped["updatedAt"])
    assert client.get(campaign_id).json()["data"]["updatedAt"] == stopped["updatedAt"]
    assert client.state(campaign_id) == "Stopped"
    again = client.start(campaign_id, "page")  # T2: a Stopped campaign starts
    assert again.status_code == 200 and client.state(campaign_id) == "Active"


@pytest.mark.parametrize("answer_of", ["start", "stop"])
def test_T2_T3_answers_validate_against_their_schemas(mock: MockServer, answer_of: str) -> None:
    from jsonschema import Draft202012Validator

    client = Account(mock)
    campaign_id = client.create()["_id"]
    answers = {"start": client.start(campaign_id).json()}
    answers["stop"] = client.stop(campaign_id).json()
    action = spec.operations()["trigger"]["x-actions"][answer_of]
    schema = spec.resolve(spec.pointer_get(spec.load_spec(), action["response"][1:]))
    assert list(Draft202012Validator(schema).iter_errors(answers[answer_of])) == []


# --- T4, T5: refused transitions --------------------------------------------------------


def test_T4_start_of_an_active_campaign_is_refused_409(mock: MockServer) -> None:
    client = Account(mock)
    campaign_id = client.create()["_id"]
    first = client.start(campaign_id)
    for shape in ("trigger", "page"):
        error = refused(client.start(campaign_id, shape), 409, "T4")
        assert "Active" in error["msg"]
    assert client.get(campaign_id).json()["data"]["updatedAt"] == first.json()["updatedAt"]


@pytest.mark.parametrize("stops_before", [0, 2])
def test_T4_stop_of_a_campaign_that_is_not_Active_is_refused_409(
    mock: MockServer, stops_before: int
) -> None:
    """A Ready campaign (never started), and a Stopped one (stopped once already)."""
    client = Account(mock)
    campaign_id = client.create()["_id"]
    if stops_before:
        client.start(campaign_id)
        client.stop(campaign_id)
    before = client.get(campaign_id).json()["data"]
    refused(client.stop(campaign_id), 409, "T4")
    assert client.get(campaign_id).json()["data"] == before


def test_T5_update_of_an_active_campaign_is_refused_409_and_changes_nothing(
    mock: MockServer,
) -> None:
    client = Account(mock)
    campaign_id = client.create()["_id"]
    client.start(campaign_id)
    before = client.get(campaign_id).json()["data"]
    refused(client.update(campaign_id, body(name="Changed while active")), 409, "T5")
    assert client.get(campaign_id).json()["data"] == before
    client.stop(campaign_id)  # once stopped, it may change
    assert client.update(campaign_id, body(name="Changed when stopped")).status_code == 200


def test_T5_delete_of_an_active_campaign_is_refused_409(mock: MockServer) -> None:
    client = Account(mock)
    campaign_id = client.create()["_id"]
    client.start(campaign_id)
    refused(client.delete(campaign_id), 409, "T5")
    assert client.get(campaign_id).status_code == 200
    client.stop(campaign_id)
    assert client.delete(campaign_id).status_code == 200
    refused(client.get(campaign_id), 404, "S10")


# --- T6: bad triggers and campaign types -------------------------------------------------


@pytest.mark.parametrize("trigger", [None, "", "start", "pause", "Play", "STOP", "play "])
@pytest.mark.parametrize("shape", ["trigger", "page"])
def test_T6_a_trigger_other_than_play_or_stop_is_refused_and_changes_nothing(
    mock: MockServer, trigger: str | None, shape: str
) -> None:
    client = Account(mock)
    campaign_id = client.create()["_id"]
    before = client.get(campaign_id).json()["data"]
    error = refused(client.trigger(campaign_id, trigger, shape=shape), 400, "T6")
    assert error["pointer"] == "/query/trigger"
    assert client.get(campaign_id).json()["data"] == before


def test_T6_the_start_page_form_does_not_stop(mock: MockServer) -> None:
    client = Account(mock)
    campaign_id = client.create()["_id"]
    client.start(campaign_id)
    refused(client.trigger(campaign_id, "stop", shape="page"), 400, "T6")
    assert client.state(campaign_id) == "Active"


@pytest.mark.parametrize("campaign_type", [None, "", "voice", KIND.upper()])
@pytest.mark.parametrize("trigger", ["play", "stop"])
def test_T6_a_campaignType_other_than_sms_is_refused_and_changes_nothing(
    mock: MockServer, campaign_type: str | None, trigger: str
) -> None:
    client = Account(mock)
    campaign_id = client.create()["_id"]
    if trigger == "stop":
        client.start(campaign_id)
    before = client.get(campaign_id).json()["data"]
    error = refused(client.trigger(campaign_id, trigger, campaign_type=campaign_type), 400, "T6")
    assert error["pointer"] == "/query/campaignType"
    assert client.get(campaign_id).json()["data"] == before


def test_D14_the_stop_page_doubled_slash_is_served(mock: MockServer) -> None:
    client = Account(mock)
    campaign_id = client.create()["_id"]
    client.start(campaign_id)
    url = client.url(
        "trigger", campaign_id, campaignType=KIND, trigger="stop", accountId=client.account
    ).replace("/campaign/trigger/", "/campaign//trigger/")
    answer = requests.post(url, headers=client.headers, timeout=TIMEOUT)
    assert answer.status_code == 200 and answer.json()["status"] == "Stopped"


def test_T_start_and_stop_ignore_any_body_of_any_type(mock: MockServer) -> None:
    client = Account(mock)
    campaign_id = client.create()["_id"]
    form = {**client.headers, "Content-Type": "application/x-www-form-urlencoded"}
    answer = client.trigger(campaign_id, "play", headers=form, data=b"{}")
    assert answer.status_code == 200
    answer = client.trigger(campaign_id, "stop", data=b"not json at all {{{")
    assert answer.status_code == 200


# --- concurrency ----------------------------------------------------------------------------


@pytest.mark.parametrize("round_", range(5))
def test_T4_two_clients_starting_one_campaign_at_once_get_one_200_and_one_409(
    mock: MockServer, round_: int
) -> None:
    client = Account(mock)
    campaign_id = client.create()["_id"]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def start(shape: str) -> None:
        with requests.Session() as session:
            url = client.url(
                "trigger" if shape == "trigger" else "start",
                campaign_id,
                campaignType=KIND,
                trigger="play",
                accountId=client.account,
            )
            session.get(
                client.url("get", campaign_id, accountId=client.account),
                headers=client.headers,
                timeout=TIMEOUT,
            )  # connect first
            barrier.wait()
            statuses.append(session.post(url, headers=client.headers, timeout=TIMEOUT).status_code)

    threads = [threading.Thread(target=start, args=(shape,)) for shape in ("trigger", "page")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]
    assert client.state(campaign_id) == "Active"


def test_T4_many_clients_stopping_and_starting_keep_one_consistent_state(mock: MockServer) -> None:
    client = Account(mock)
    campaign_id = client.create()["_id"]
    results: list[tuple[str, int]] = []
    lock = threading.Lock()

    def worker(trigger: str) -> None:
        with requests.Session() as session:
            for _ in range(10):
                url = client.url(
                    "trigger",
                    campaign_id,
                    campaignType=KIND,
                    trigger=trigger,
                    accountId=client.account,
                )
                status = session.post(url, headers=client.headers, timeout=TIMEOUT).status_code
                with lock:
                    results.append((trigger, status))

    threads = [threading.Thread(target=worker, args=(t,)) for t in ("play", "stop") * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for _, status in results} <= {200, 409}
    started = sum(1 for t, s in results if t == "play" and s == 200)
    stopped = sum(1 for t, s in results if t == "stop" and s == 200)
    assert started - stopped == (1 if client.state(campaign_id) == "Active" else 0)


# --- update (U1, U2) --------------------------------------------------------------------


def test_U2_update_keeps_id_and_createdAt_and_lname_follows_the_new_name(mock: MockServer) -> None:
    client = Account(mock)
    data = client.create()
    sent = body(name="ÉTÉ Renamed", description="new words", priority="2")
    answer = client.update(data["_id"], sent)
    assert answer.status_code == 200, answer.text
    content = answer.json()
    assert content["status"] == "success" and isinstance(content["message"], str)
    updated = content["data"]
    assert updated["_id"] == data["_id"] and updated["createdAt"] == data["createdAt"]
    assert stamp(updated["updatedAt"]) >= stamp(data["updatedAt"])
    assert updated["name"] == "ÉTÉ Renamed" and updated["lname"] == "été renamed"
    assert updated["description"] == "new words" and updated["priority"] == "2"
    assert updated["status"] == "Ready"
    assert validate_response(content).violations == []
    assert client.get(data["_id"]).json()["data"] == updated


def test_U2_an_update_of_a_stopped_campaign_keeps_it_stopped(mock: MockServer) -> None:
    client = Account(mock)
    campaign_id = client.create()["_id"]
    client.start(campaign_id)
    stopped = client.stop(campaign_id).json()
    updated = client.update(campaign_id, body(name="After stop")).json()["data"]
    assert updated["status"] == "Stopped"
    assert stamp(updated["updatedAt"]) >= stamp(stopped["updatedAt"])


def test_U2_the_list_shows_the_updated_campaign(mock: MockServer) -> None:
    client = Account(mock)
    campaign_id = client.create()["_id"]
    client.update(campaign_id, body(name="Listed after update"))
    (listed,) = client.listed()["results"]
    assert listed["id"] == campaign_id and listed["name"] == "Listed after update"


@pytest.mark.parametrize(
    "change",
    [{"priority": 5}, {"name": ""}, {"format": "fancy"}, {"contactLists": ["No such list"]}],
)
def test_U1_an_update_body_is_checked_like_a_create_body(
    mock: MockServer, change: dict[str, Any]
) -> None:
    client = Account(mock)
    data = client.create()
    answer = client.update(data["_id"], body(**change))
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["errors"]
    assert client.get(data["_id"]).json()["data"] == data


@pytest.mark.parametrize(
    "raw, content_type, status",
    [
        (b"{oops", "application/json", 400),
        (b'{"a": 1e999}', "application/json", 400),
        (b"{}", "text/plain", 415),
        (b"", "application/json", 400),
    ],
)
def test_U1_unreadable_update_bodies_are_4xx_json(
    mock: MockServer, raw: bytes, content_type: str, status: int
) -> None:
    client = Account(mock)
    data = client.create()
    answer = requests.put(
        client.url("update", data["_id"], accountId=client.account, campaignType=KIND),
        data=raw,
        headers={**client.headers, "Content-Type": content_type},
        timeout=TIMEOUT,
    )
    assert answer.status_code == status and answer.json()["errors"], answer.text
    assert client.get(data["_id"]).json()["data"] == data


def test_U1_update_needs_campaignType_sms_in_the_query(mock: MockServer) -> None:
    client = Account(mock)
    data = client.create()
    refused(client.update(data["_id"], body(), campaignType="voice"), 400, "R6")


# --- U3: unknown and deleted ids ----------------------------------------------------------


def _every_call(client: Account, campaign_id: str) -> dict[str, requests.Response]:
    return {
        "get": client.get(campaign_id),
        "update": client.update(campaign_id, body()),
        "start": client.start(campaign_id),
        "start (page form)": client.start(campaign_id, "page"),
        "stop": client.stop(campaign_id),
        "status": client.status(campaign_id),
        "delete": client.delete(campaign_id),
    }


@pytest.mark.parametrize("deleted", [False, True])
def test_U3_an_unknown_or_deleted_id_is_404_json_on_every_call(
    mock: MockServer, deleted: bool
) -> None:
    client = Account(mock)
    if deleted:
        campaign_id = client.create()["_id"]
        assert client.delete(campaign_id).status_code == 200
    else:
        campaign_id = f"cd-{uuid.uuid4()}"
    for name, answer in _every_call(client, campaign_id).items():
        rule = "S10" if name in ("get", "delete") else "U3"
        error = refused(answer, 404, rule)
        assert error["pointer"] == "/path/campaignId", name
    assert client.listed()["totalResults"] == 0


def test_U3_a_campaign_of_another_account_is_unknown(mock: MockServer) -> None:
    owner, other = Account(mock), Account(mock)
    campaign_id = owner.create()["_id"]
    for name, answer in _every_call(other, campaign_id).items():
        assert answer.status_code == 404, name
    assert owner.state(campaign_id) == "Ready"


# --- Q1: status -------------------------------------------------------------------------


def test_Q1_status_answers_the_id_state_and_name(mock: MockServer) -> None:
    client = Account(mock)
    data = client.create()
    for query in ({}, {"view": "status"}):
        answer = client.status(data["_id"], **query)
        assert answer.status_code == 200
        assert answer.json() == {
            "status": "success",
            "data": {"id": data["_id"], "status": "Ready", "name": data["name"]},
        }


def test_Q1_status_ignores_its_body_whatever_its_content_type(mock: MockServer) -> None:
    """The status page's curl sends {} with curl's default form type (D21)."""
    client = Account(mock)
    data = client.create()
    url = client.url("status", data["_id"], accountId=client.account)
    for headers, raw in (
        ({"Content-Type": "application/x-www-form-urlencoded"}, b"{}"),
        ({}, b""),
        ({"Content-Type": "application/json"}, b"[1, 2"),
    ):
        sent = {k: v for k, v in client.headers.items() if k != "Content-Type"}
        answer = requests.post(url, data=raw, headers={**sent, **headers}, timeout=TIMEOUT)
        assert answer.status_code == 200 and answer.json()["data"]["id"] == data["_id"]


@pytest.mark.parametrize("view", ["", "full", "STATUS"])
def test_Q1_a_view_other_than_status_is_refused_400(mock: MockServer, view: str) -> None:
    client = Account(mock)
    data = client.create()
    refused(client.status(data["_id"], view=view), 400, "Q1")


# --- L2, L3: list ---------------------------------------------------------------------------


def _created(client: Account, count: int, **changes: Any) -> list[dict[str, Any]]:
    return [client.create(body(name=f"Campaign {i:03}", **changes)) for i in range(count)]


def test_L2_a_list_answer_has_its_shape_and_each_result_equals_get(mock: MockServer) -> None:
    client = Account(mock)
    made = _created(client, 3)
    content = client.list({"type": KIND}).json()
    assert content["status"] == "success" and isinstance(content["message"], str)
    data = content["data"]
    assert (data["skip"], data["hasMore"], data["totalPages"], data["totalResults"]) == (
        0,
        False,
        1,
        3,
    )
    assert data["limit"] == limits.DEFAULT_LIST_LIMIT
    by_id = {d["_id"]: d for d in made}
    for result in data["results"]:
        assert "_id" not in result
        got = client.get(result["id"]).json()["data"]
        assert got == by_id[result["id"]]
        for key, value in result.items():
            if key in got:
                assert value == got[key], key
        assert isinstance(result["priority"], str) and "message" in result


def test_L3_without_sortBy_the_newest_come_first(mock: MockServer) -> None:
    client = Account(mock)
    made = _created(client, 4)
    assert [r["id"] for r in client.listed()["results"]] == [d["_id"] for d in reversed(made)]


@pytest.mark.parametrize("field", ["name", "createdAt", "updatedAt"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_L3_results_are_ordered_as_sortBy_asks(
    mock: MockServer, field: str, direction: str
) -> None:
    client = Account(mock)
    made = _created(client, 5)
    client.update(made[1]["_id"], body(name="Campaign 999"))  # latest updatedAt, last name
    results = client.listed(sortBy={field: direction})["results"]
    values = [r[field] for r in results]
    expected = sorted(values, reverse=direction == "desc")
    if field != "name":
        expected = sorted(values, key=stamp, reverse=direction == "desc")
    assert values == expected and len(values) == 5


def test_L3_paging_with_skip_page_and_limit(mock: MockServer) -> None:
    client = Account(mock)
    made = _created(client, 7)
    newest_first = [d["_id"] for d in reversed(made)]
    cases: list[tuple[dict[str, Any], int, list[str]]] = [
        ({"limit": 3}, 0, newest_first[:3]),
        ({"limit": 3, "skip": 3}, 3, newest_first[3:6]),
        ({"limit": 3, "page": 3}, 6, newest_first[6:]),
        ({"limit": 3, "page": 3, "skip": 1}, 1, newest_first[1:4]),  # skip wins
        ({"limit": 3, "page": "", "skip": ""}, 0, newest_first[:3]),  # "" is absent
        ({"limit": "", "skip": 5}, 5, newest_first[5:]),
        ({"skip": 7}, 7, []),
    ]
    for sent, skip, ids in cases:
        data = client.listed(**sent)
        assert [r["id"] for r in data["results"]] == ids, sent
        assert data["skip"] == skip and data["totalResults"] == 7, sent
        assert data["hasMore"] == (skip + len(ids) < 7), sent
        assert data["totalPages"] == -(-7 // data["limit"]), sent


@pytest.mark.parametrize("limit", [1, 2, 3, 6, 7, 8])
def test_L3_paging_through_finds_each_campaign_exactly_once(mock: MockServer, limit: int) -> None:
    client = Account(mock)
    made = {d["_id"] for d in _created(client, 7)}
    seen: list[str] = []
    page = 1
    while True:
        data = client.listed(limit=limit, page=page, sortBy={"name": "asc"})
        seen += [r["id"] for r in data["results"]]
        assert data["totalPages"] == -(-7 // limit)
        if not data["hasMore"]:
            break
        page += 1
    assert sorted(seen) == sorted(made) and page == data["totalPages"]


def test_L3_filters_by_status_and_priority(mock: MockServer) -> None:
    client = Account(mock)
    made = _created(client, 4)
    client.update(made[0]["_id"], body(name="Campaign 000", priority="1"))
    client.start(made[1]["_id"])
    client.start(made[2]["_id"])
    client.stop(made[2]["_id"])

    def ids(**filters: Any) -> set[str]:
        return {r["id"] for r in client.listed(filters=filters, limit=100)["results"]}

    assert ids(status=["Active"]) == {made[1]["_id"]}
    assert ids(status=["Ready", "Stopped"]) == {made[0]["_id"], made[2]["_id"], made[3]["_id"]}
    assert ids(priority=[1]) == {made[0]["_id"]}
    assert ids(priority=[5], status=["Ready"]) == {made[3]["_id"]}
    assert ids(status=["Completed"]) == set()
    assert ids(status=[]) == set() and ids(priority=[]) == set()  # an empty array: nothing
    assert ids(dialingMode=["Preview"]) == {d["_id"] for d in made}  # voice only: ignored
    assert ids(dialingMode=[]) == {d["_id"] for d in made}


def test_L3_startDate_and_endDate_bound_createdAt_inclusively(mock: MockServer) -> None:
    client = Account(mock)
    made = _created(client, 3)
    first, last = made[0]["createdAt"], made[-1]["createdAt"]

    def ids(**sent: Any) -> list[str]:
        return [r["id"] for r in client.listed(**sent, sortBy={"createdAt": "asc"})["results"]]

    everyone = [d["_id"] for d in made]
    assert ids(startDate=first, endDate=last) == everyone
    assert ids(startDate=last) == [d["_id"] for d in made if d["createdAt"] >= last]
    assert ids(endDate=first) == [d["_id"] for d in made if d["createdAt"] <= first]
    assert ids(startDate=last, endDate=first) == ([] if last != first else everyone)
    earlier = stamp(first).replace(year=2000).isoformat()
    assert ids(endDate=earlier) == [] and ids(startDate=earlier) == everyone
    assert ids(startDate=first.replace("Z", "+00:00")) == ids(startDate=first)


def test_L3_deleted_campaigns_are_never_listed(mock: MockServer) -> None:
    client = Account(mock)
    made = _created(client, 3)
    client.delete(made[1]["_id"])
    data = client.listed()
    assert made[1]["_id"] not in {r["id"] for r in data["results"]}
    assert data["totalResults"] == 2


def test_L3_a_voice_list_holds_no_sms_campaign(mock: MockServer) -> None:
    client = Account(mock)
    _created(client, 2)
    answer = client.list({"type": "voice"})
    assert answer.status_code == 200
    assert answer.json()["data"]["results"] == []
    assert answer.json()["data"]["totalResults"] == 0


def test_L3_a_huge_limit_is_capped_and_the_answer_says_so(mock: MockServer) -> None:
    client = Account(mock)
    _created(client, 2)
    data = client.listed(limit=10**18, page=10**17)
    assert data["limit"] == limits.MAX_LIST_LIMIT
    assert data["skip"] == (10**17 - 1) * limits.MAX_LIST_LIMIT
    assert data["results"] == [] and data["totalResults"] == 2 and not data["hasMore"]
    data = client.listed(limit=10**18)
    assert data["limit"] == limits.MAX_LIST_LIMIT and data["totalPages"] == 1


def test_L1_100000_filter_values_are_answered_not_slowly_never_5xx(mock: MockServer) -> None:
    client = Account(mock)
    _created(client, 1)
    for filters in (
        {"status": ["Ready"] * 100_000},
        {"priority": [5] * 100_000},
        {"status": ["Nope"] * 100_000},
    ):
        answer = client.list({"type": KIND, "filters": filters})
        assert answer.status_code < 500 and answer.json(), answer.text[:200]
        if answer.status_code == 200:
            assert answer.json()["data"]["totalResults"] in (0, 1)
        else:
            assert answer.json()["errors"][0]["rule"] == "L1"


@pytest.mark.parametrize(
    "raw, content_type, status",
    [
        (b"{oops", "application/json", 400),
        (b'{"type": "sms", "limit": 1e999}', "application/json", 400),
        (b'{"type": "sms"}', "text/plain", 415),
        (b"", "application/json", 400),
    ],
)
def test_L1_unreadable_list_bodies_are_4xx_json(
    mock: MockServer, raw: bytes, content_type: str, status: int
) -> None:
    client = Account(mock)
    answer = requests.post(
        client.url("list", accountId=client.account),
        data=raw,
        headers={**client.headers, "Content-Type": content_type},
        timeout=TIMEOUT,
    )
    assert answer.status_code == status, answer.text
    assert answer.json()["errors"]


def test_L1_list_needs_the_accountId_query_and_headers(mock: MockServer) -> None:
    client = Account(mock)
    answer = client.post(client.url("list"), {"type": KIND})
    refused(answer, 400, "A3")


def test_S9_unknown_methods_on_family_paths_are_405_with_allow(mock: MockServer) -> None:
    client = Account(mock)
    answer = requests.get(
        client.url("list", accountId=client.account), headers=client.headers, timeout=TIMEOUT
    )
    # GET .../getAllCampaignDetails reads as get of a campaign of that id: unknown
    assert answer.status_code == 404
    answer = requests.patch(client.url("get", "cd-1"), headers=client.headers, timeout=TIMEOUT)
    refused(answer, 405, "S9")
    assert set(answer.headers["Allow"].split(", ")) == {"DELETE", "GET", "POST", "PUT"}
    answer = requests.get(client.url("status", "cd-1"), headers=client.headers, timeout=TIMEOUT)
    refused(answer, 405, "S9")


def test_the_sample_bodies_of_the_spec_answer_as_documented(mock: MockServer) -> None:
    client = Account(mock)
    for name, sent in spec.examples("list", "request").items():
        answer = client.list(sent)
        assert answer.status_code == 200, (name, answer.text)
    assert json.loads(json.dumps(client.listed()))  # JSON throughout


# --- C4: the variants' answers (and C3's account check) ------------------------------------


def flows() -> dict[str, str]:
    return dict(getattr(FIXTURE, "experience_flows", {}))


@needs_the_validator
@pytest.mark.parametrize("variant", ["template", "plain", "advanced"])
def test_C4_T1_each_variant_is_created_Ready_with_its_own_answer(
    mock: MockServer, variant: str
) -> None:
    client = Account(mock)
    sent = body(variant)
    answer = client.post(client.url("create", accountId=client.account, campaignType=KIND), sent)
    assert answer.status_code == 201, answer.text
    assert validate_response(answer.json()).violations == []
    data = answer.json()["data"]
    assert data["status"] == "Ready" and data["name"] == sent["name"]
    if variant == "plain":
        assert data["format"] == "simple" and "experienceFlow" not in data
        assert data["message"]["message"] == sent["message"]["message"]
        assert "template_name" not in data["message"]
    elif variant == "advanced":
        assert data["format"] == "advanced"
        assert data["experienceFlow"] == flows()[sent["experienceFlowName"]]
    assert client.get(data["_id"]).json()["data"] == data
    (listed,) = client.listed()["results"]
    assert ("experienceFlow" in listed) == (variant == "advanced")
    assert ("message" in listed) == (variant != "advanced" or "message" in sent)


@needs_the_validator
def test_C4_an_advanced_campaign_created_without_priority_has_one_everywhere(
    mock: MockServer,
) -> None:
    client = Account(mock)
    values = spec.request_field("priority")["enum"]
    data = client.create(body("advanced", priority=None, description=None))
    assert data["priority"] in values and data["description"] == ""
    assert client.get(data["_id"]).json()["data"]["priority"] == data["priority"]
    assert client.listed()["results"][0]["priority"] == data["priority"]
    updated = client.update(data["_id"], body("advanced", priority=None)).json()["data"]
    assert updated["priority"] == data["priority"]  # kept, since the update names none
    updated = client.update(data["_id"], body("advanced", priority="2")).json()["data"]
    assert updated["priority"] == "2"


@needs_the_validator
def test_C3_an_experience_flow_the_account_lacks_is_refused_400(mock: MockServer) -> None:
    client = Account(mock)
    answer = client.post(
        client.url("create", accountId=client.account, campaignType=KIND),
        body("advanced", experienceFlowName="No such flow"),
    )
    error = refused(answer, 400, "C3")
    assert error["pointer"] == "/experienceFlowName"
    assert client.listed()["totalResults"] == 0


@needs_the_validator
@pytest.mark.parametrize("variant", ["plain", "advanced"])
def test_U1_U2_an_update_may_change_the_variant(mock: MockServer, variant: str) -> None:
    client = Account(mock)
    data = client.create()
    answer = client.update(data["_id"], body(variant))
    assert answer.status_code == 200, answer.text
    updated = answer.json()["data"]
    assert updated["_id"] == data["_id"] and updated["createdAt"] == data["createdAt"]
    assert ("experienceFlow" in updated) == (variant == "advanced")
    assert client.get(data["_id"]).json()["data"] == updated


# --- L1: the list body ---------------------------------------------------------------------


@needs_the_validator
@pytest.mark.parametrize(
    "sent",
    [
        {},
        {"type": "fax"},
        {"type": KIND, "limit": 0},
        {"type": KIND, "skip": -1},
        {"type": KIND, "page": 0},
        {"type": KIND, "limit": "10"},
        {"type": KIND, "skip": True},
        {"type": KIND, "sortBy": {"name": "up"}},
        {"type": KIND, "sortBy": {"lname": "asc"}},
        {"type": KIND, "filters": {"status": ["Done"]}},
        {"type": KIND, "filters": {"priority": ["5"]}},
        {"type": KIND, "filters": {"priority": [6]}},
        {"type": KIND, "filters": {"dialingMode": ["Auto"]}},
        {"type": KIND, "startDate": "yesterday"},
        {"type": KIND, "endDate": "2025-12-01T00:00:00"},
        [1, 2],
    ],
    ids=str,
)
def test_L1_a_list_body_that_breaks_L1_is_refused_400_naming_L1(
    mock: MockServer, sent: Any
) -> None:
    client = Account(mock)
    refused(client.list(sent), 400, "L1")


@needs_the_validator
def test_L1_undocumented_keys_and_empty_objects_are_allowed(mock: MockServer) -> None:
    client = Account(mock)
    client.create()
    for sent in (
        {"type": KIND, "extra": 1},
        {"type": KIND, "sortBy": {}, "filters": {}},
        {"type": KIND, "filters": {"other": ["x"]}},
    ):
        answer = client.list(sent)
        assert answer.status_code == 200, (sent, answer.text)
        assert answer.json()["data"]["totalResults"] == 1
