"""Each named fault breaks the rule it names (and the fault-free mock breaks none).

A small probe runs the same exchanges against the app in process (no socket: fast) and
says which rules the answers break; the contract run does this properly over HTTP.
"""

from __future__ import annotations

import base64
import copy
import json
import time
from typing import Any

import pytest
from mock_testing import (
    ACCOUNT,
    Reply,
    call,
    campaign_path,
    create_path,
    curl_headers,
)

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token, sign_claims
from kore_contract.contract import spec
from kore_contract.mock.app import MockApp
from kore_contract.mock.faults import FAULTS, fault
from kore_contract.mock.server import make_app
from kore_contract.validate import validate_response

TOKEN = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
CREATE_QUERY = f"accountId={ACCOUNT}&campaignType=sms"


def sample(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(spec.examples("create", "request")["docsSample"])
    body.update(changes)
    return body


def create(app: MockApp, body: Any = None, *, raw: bytes | None = None,
           headers: dict[str, str] | None = None, query: str = CREATE_QUERY) -> Reply:
    data = raw if raw is not None else json.dumps(sample() if body is None else body).encode()
    return call(app, "POST", create_path(), query=query, body=data,
                headers=curl_headers(TOKEN) if headers is None else headers)


def fetch(app: MockApp, method: str, campaign_id: str,
          query: str = f"accountId={ACCOUNT}") -> Reply:
    return call(app, method, campaign_path(campaign_id), query=query,
                headers=curl_headers(TOKEN))


def refused_as_json(reply: Reply) -> bool:
    if not 400 <= reply.status < 500 or not reply.headers["content-type"].startswith(
            "application/json"):
        return False
    try:
        return isinstance(reply.json(), dict)
    except ValueError:
        return False


def probe(app: MockApp) -> set[str]:
    """The rules the app's answers break, over a fixed set of exchanges."""
    broken: set[str] = set()
    sent = sample(name="ÉTÉ Billing Campaign")
    first = create(app, sent)
    second = create(app, sample(name="Second"))
    if TOKEN in (first.body + second.body).decode("utf-8", "replace"):
        broken.add("S11")
    if first.status not in (200, 201) or second.status not in (200, 201):
        broken.add("S1" if first.status < 500 else "S9")
        return broken | probe_refusals(app)
    if not first.headers["content-type"].startswith("application/json"):
        broken.add("S1")
    content = first.json()
    if "data" not in content:
        return broken | {"S1"} | probe_refusals(app)
    broken |= validate_response(content).rules
    data = content["data"]
    for field in ("name", "description", "priority", "contactLists", "format",
                  "dialingStrategy"):
        if data.get(field) != sent[field]:
            broken.add("S3")
    if data.get("message", {}).get("template_name") != sent["message"]["template_name"]:
        broken.add("S6")
    if data.get("dncLists") != sent["dncLists"]:
        broken.add("S8")
    if data.get("_id") == second.json()["data"].get("_id"):
        broken.add("S2")
    got = fetch(app, "GET", data["_id"])
    if got.status != 200 or got.json().get("data") != data:
        broken.add("S10")
    deleted = fetch(app, "DELETE", data["_id"])  # no campaignType: it is optional
    if deleted.status != 200 or fetch(app, "GET", data["_id"]).status != 404:
        broken.add("S10")
    return broken | probe_refusals(app)


def probe_refusals(app: MockApp) -> set[str]:
    broken: set[str] = set()
    unknown = fetch(app, "GET", "cd-unknown")
    if unknown.status >= 500:
        broken.add("S10")
    for bad in (sample(priority="6"), sample(contactLists=["No such list"]),
                sample(message={"template_name": "Nope", "message": "SGk="})):
        if not refused_as_json(create(app, bad)):
            broken.add("S9")
    duplicated = json.dumps(sample())[:-1] + ', "name": "twice"}'
    for raw in (duplicated.encode(), b"{oops"):
        if not refused_as_json(create(app, raw=raw)):
            broken.add("S9")
    if create(app).status in (401, 403):
        broken.add("A1")
    expired = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, ttl=10, now=time.time() - 60)
    none = (base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode() + "."
            + base64.urlsafe_b64encode(json.dumps({"appId": DEFAULT_CLIENT_ID}).encode())
            .rstrip(b"=").decode() + ".")
    for token in (None, none, mint_token(DEFAULT_CLIENT_ID, "wrong-secret-here"), expired,
                  sign_claims({"sub": "1"}, DEFAULT_CLIENT_SECRET)):
        headers = curl_headers(TOKEN)
        if token is None:
            del headers["auth"]
        else:
            headers["auth"] = token
        reply = create(app, headers=headers)
        if reply.status not in (401, 403):
            broken.add("A2")
        if DEFAULT_CLIENT_SECRET in reply.body.decode("utf-8", "replace"):
            broken.add("S11")
    no_iid = curl_headers(TOKEN)
    del no_iid["iid"]
    text = {**curl_headers(TOKEN), "Content-Type": "text/plain"}
    for reply in (create(app, headers=no_iid), create(app, query="campaignType=sms"),
                  create(app, headers=text)):
        if not 400 <= reply.status < 500:
            broken.add("A3")
    return broken


def test_the_fault_free_mock_breaks_no_rule() -> None:
    assert probe(make_app()) == set()


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_each_fault_breaks_the_rule_it_names(name: str) -> None:
    app = make_app(fault=name)
    assert FAULTS[name].rule in probe(app), name


def test_faults_cover_every_S_and_A_rule() -> None:
    covered = {f.rule for f in FAULTS.values()}
    assert covered >= {f"S{i}" for i in range(1, 12)} | {"A1", "A2", "A3"}
    assert len(FAULTS) >= 20
    assert all(f.description and f.name.startswith(f.rule + "-") for f in FAULTS.values())


def test_unknown_fault_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="S4-wrong-lname"):
        fault("S4-typo")


#: Faults whose one defect shows through a second rule too, by nature.
KNOCK_ON = {
    "A1-refuse-valid-token": {"S1"},  # nothing gets created
    "S2-duplicate-id": {"S10"},  # the second campaign replaces the first
    "S2-empty-id": {"S10"},  # no campaign can be fetched by an empty id
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_each_fault_breaks_only_its_rule(name: str) -> None:
    assert probe(make_app(fault=name)) - {FAULTS[name].rule} == KNOCK_ON.get(name, set())
