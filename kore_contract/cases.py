"""Plan the cases of a contract run for a budget: what to send and what must come back.

Positive bodies (the docs' sample, edges, generated), bodies that break exactly one R rule,
missing headers and query parameters (A3), bad tokens (A2). Bodies come from the spec's
examples and the strategies; every value that must exist in the account comes from the
fixture.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from kore_contract.checks import Expectation
from kore_contract.client import Target
from kore_contract.fixture import Fixture

NAME_LIMIT = 48


@dataclass
class PlannedCase:
    id: str
    phase: str  # positive | negative | auth | lifecycle | fuzz
    expect: Expectation
    call: str = "create"
    body: Any = None  # a create body (dict); None with `raw`
    raw: bytes | None = None  # bytes sent as they are (not JSON, duplicated keys)
    headers: dict[str, str] | None = None  # None: the standard headers
    query: dict[str, str] | None = None  # None: the standard query
    breaks: str | None = None  # the rule the request breaks
    pointer: str = ""
    follow_lifecycle: bool = False
    notes: dict[str, Any] = field(default_factory=dict)


def with_run_prefix(body: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The body with its name prefixed by the run's id, still within the 48-character limit."""
    name = str(body.get("name", ""))
    named = dict(body)
    named["name"] = (prefix + name)[:NAME_LIMIT] if len(prefix + name) > NAME_LIMIT else prefix + name
    return named


def fitted_to_fixture(body: dict[str, Any], fixture: Fixture) -> dict[str, Any]:
    """A valid body whose account values (lists, template, caller id) exist in the fixture."""
    import base64

    fitted = json.loads(json.dumps(body))
    fitted["contactLists"] = [fixture.contact_lists[0]]
    template, text = next(iter(fixture.templates.items()))
    fitted["message"] = {**fitted.get("message", {}), "template_name": template,
                         "message": base64.b64encode(text.encode()).decode()}
    if fixture.caller_ids:
        fitted["dialingStrategy"]["callerId"]["phoneNumber"] = fixture.caller_ids[0]
    if "dncLists" in fitted and fixture.dnc_lists:
        fitted["dncLists"] = {"name": fixture.dnc_lists[0]}
    return fitted


def run_prefix() -> str:
    return f"kc{int(time.time()) % 100000:05d} "


# --- A3: headers, query parameters and content type --------------------------------------


def header_and_query_cases(target: Target, body: dict[str, Any]) -> list[PlannedCase]:
    standard = {**target.standard_headers(), "Content-Type": "application/json"}
    query = {"accountId": target.account_id, "campaignType": "sms"}

    def without(mapping: dict[str, str], key: str) -> dict[str, str]:
        return {k: v for k, v in mapping.items() if k != key}

    cases = [
        ("a3-no-iid-header", without(standard, "iid"), query, "header iid missing"),
        ("a3-empty-iid-header", {**standard, "iid": ""}, query, "header iid empty"),
        ("a3-no-accountid-header", without(standard, "accountId"), query,
         "header accountId missing"),
        ("a3-no-accountid-query", standard, without(query, "accountId"),
         "query accountId missing"),
        ("a3-empty-accountid-query", standard, {**query, "accountId": ""}, "query accountId empty"),
        ("a3-text-plain-body", {**standard, "Content-Type": "text/plain"}, query,
         "a JSON body sent as text/plain"),
    ]
    planned = [PlannedCase(case_id, "negative", "refuse", body=body, headers=headers,
                           query=params, breaks="A3", notes={"what": what})
               for case_id, headers, params, what in cases]
    planned.append(PlannedCase("r6-query-campaigntype-voice", "negative", "refuse", body=body,
                               query={**query, "campaignType": "voice"}, breaks="R6",
                               pointer="/campaignType", notes={"what": "query campaignType=voice"}))
    planned.append(PlannedCase("r6-query-campaigntype-missing", "negative", "refuse", body=body,
                               query=without(query, "campaignType"), breaks="R6",
                               pointer="/campaignType",
                               notes={"what": "query campaignType missing"}))
    return planned


# --- A2: tokens the server must refuse --------------------------------------------------------


def auth_cases(target: Target, body: dict[str, Any], client_id: str | None,
               client_secret: str | None) -> list[PlannedCase]:
    import jwt

    base = {**target.standard_headers(), "Content-Type": "application/json"}
    tokens: list[tuple[str, str | None, str]] = [
        ("a2-no-auth-header", None, "no auth header"),
        ("a2-not-a-jwt", "not-a-jwt", "a value that is not a JWT"),
        ("a2-wrong-secret", _hs256({"sub": "kore-contract", "appId": client_id or "x"},
                                   "kore-contract-wrong-secret-0123456789abcdef"),
         "a token signed with another secret"),
        ("a2-alg-none", jwt.encode({"sub": "kore-contract", "appId": client_id or "x"}, None,
                                   algorithm="none"), "a token with alg none"),
    ]
    if client_id and client_secret:  # these need the real secret to be meaningful
        tokens += [
            ("a2-expired", _hs256({"sub": "kore-contract", "appId": client_id,
                                   "exp": int(time.time()) - 3600}, client_secret),
             "a token whose exp is an hour ago"),
            ("a2-missing-appid", _hs256({"sub": "kore-contract"}, client_secret),
             "a token without appId"),
            ("a2-wrong-appid", _hs256({"sub": "kore-contract", "appId": client_id + "-other"},
                                      client_secret), "a token for another appId"),
            ("a2-appid-misspelled", _hs256({"sub": "kore-contract", "appid": client_id},
                                           client_secret), "a token with appid, not appId"),
        ]
    cases = []
    for case_id, token, what in tokens:
        headers = {k: v for k, v in base.items() if k != "auth"}
        if token is not None:
            headers["auth"] = token
        cases.append(PlannedCase(case_id, "auth", "unauthorized", body=body, headers=headers,
                                 breaks="A2", notes={"what": what}))
    return cases


def _hs256(claims: dict[str, Any], secret: str) -> str:
    from kore_contract.auth import sign_claims

    return sign_claims(claims, secret)


# --- the whole plan ---------------------------------------------------------------------------


def docs_sample_case(target: Target, fixture: Fixture, prefix: str) -> PlannedCase:
    """The docs' sample request (completed, D11), sent with the sample's curl-like headers."""
    from kore_contract.spec import examples

    body = with_run_prefix(fitted_to_fixture(examples("create", "request")["docsSample"],
                                             fixture), prefix)
    headers = {"auth": target.token, "accountid": target.account_id, "iid": target.iid,
               "Content-Type": "application/json"}
    return PlannedCase("create-docs-sample", "positive", "accept", body=body, headers=headers,
                       follow_lifecycle=True)


def plan_cases(target: Target, fixture: Fixture, *, max_examples: int, seed: int,
               client_id: str | None, client_secret: str | None) -> list[PlannedCase]:
    """Every case of a run, positive first, for a budget of `max_examples` generated bodies."""
    from kore_contract import strategies

    prefix = run_prefix()
    sample = docs_sample_case(target, fixture, prefix)
    planned = [sample]
    for name, body in strategies.edge_campaigns(fixture):
        planned.append(PlannedCase(f"create-{name}", "positive", "accept",
                                   body=with_run_prefix(body, prefix), follow_lifecycle=True))
    for index, body in enumerate(strategies.sample_campaigns(fixture, count=max_examples,
                                                             seed=seed)):
        planned.append(PlannedCase(f"create-generated-{index + 1}", "positive", "accept",
                                   body=with_run_prefix(body, prefix), follow_lifecycle=True))
    for broken in strategies.broken_examples(fixture):
        raw = broken.payload if isinstance(broken.payload, (bytes, str)) else None
        planned.append(PlannedCase(
            f"create-breaks-{broken.rule.lower()}-{broken.name}", "negative", "refuse",
            body=None if raw is not None else broken.payload,
            raw=raw.encode() if isinstance(raw, str) else raw,
            breaks=broken.rule, pointer=broken.pointer, notes={"what": broken.name}))
    planned += header_and_query_cases(target, sample.body)
    planned += auth_cases(target, sample.body, client_id, client_secret)
    planned.append(PlannedCase("get-unknown-campaign", "negative", "refuse", call="get",
                               breaks="S10", notes={"campaign_id": "cd-kore-contract-unknown",
                                                    "what": "get of an id that does not exist"}))
    return planned
