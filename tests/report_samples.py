"""Realistic results dicts (results.json, version 1) for the report tests and benchmark.

`sample_results()` is a small failed run against the mock: the sample create passes, a
48-character name breaks S4 (lname), a priority sent as a number is refused as it should
be, a missing token gets 401, the lifecycle passes, and some rules are not exercised.
`TOKEN` and `CLIENT_SECRET` sit unredacted in its headers and curl lines, as if auth.py's
redaction had been skipped: no report may print them.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from kore_contract.contract.rules import RULES

TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhcHBJZCI6ImNzLWFwcCJ9.c2VjcmV0LXNpZ25hdHVyZQ"
CLIENT_SECRET = "s3cr3t-client-KEY-0042"
BASE_URL = "http://127.0.0.1:8765"
STREAM = "st-0d1b2c3a-4f5e-6a7b-8c9d-0e1f2a3b4c5d"
ACCOUNT = "63f1a2b3c4d5e6f708192a3b"
CAMPAIGN_PATH = f"/campaign/api/v2/public/{STREAM}/campaign"
MESSAGE_B64 = "SGVsbG8gPEZpcnN0IE5hbWU+LCB5b3VyIGJpbGwgaXMgZHVlLg=="


def body(name: str = "Billing Alert Template Campaign-21", **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": name,
        "description": "Alerts customers about pending bills",
        "contactLists": ["CL Only 2020 Dec 4"],
        "dncLists": {"name": "testdnc"},
        "campaignType": "sms",
        "priority": "5",
        "format": "simple",
        "message": {"template_name": "Welcome", "message": MESSAGE_B64},
        "dialingStrategy": {
            "callerId": {"phoneNumber": "+919561612345"},
            "callingHours": {
                "frequency": "WEEKLY",
                "timezone": "Asia/Kolkata",
                "days": [
                    {"day": "MO", "start": "9:00 AM", "end": "6:00 PM"},
                    {"day": "TU", "start": "9:00 AM", "end": "6:00 PM"},
                ],
            },
        },
        "schedule": {"isSchedulingEnabled": False},
    }
    payload.update(changes)
    return payload


def campaign(sent: dict[str, Any], campaign_id: str, lname: str | None = None) -> dict[str, Any]:
    data = {k: v for k, v in sent.items() if k != "campaignType"}
    data.update(
        _id=campaign_id,
        lname=sent["name"].lower() if lname is None else lname,
        status="Ready",
        createdAt="2025-12-05T08:08:45.668Z",
        updatedAt="2025-12-05T08:08:57.490Z",
        isImported=False,
    )
    return {
        "status": "success",
        "message": f"Campaign {sent['name']} creation in progress",
        "data": data,
    }


def headers(token: str = TOKEN) -> dict[str, str]:
    return {
        "auth": token,
        "iid": "cs-app-1",
        "accountId": ACCOUNT,
        "Content-Type": "application/json",
    }


def curl(method: str, url: str, sent: Any = None, token: str = TOKEN) -> str:
    line = (
        f"curl -X {method} '{url}' -H 'auth: {token}' -H 'iid: cs-app-1' -H 'accountId: {ACCOUNT}'"
    )
    if sent is not None:
        line += f" -H 'Content-Type: application/json' --data-raw '{json.dumps(sent)}'"
    return line


def case(
    case_id: str,
    phase: str,
    call: str,
    rules: list[str],
    expect: str,
    *,
    sent: Any = None,
    status: int = 200,
    answer: Any = None,
    findings: list[dict[str, Any]] | None = None,
    campaign_id: str = "",
    token: str = TOKEN,
    error: str | None = None,
) -> dict[str, Any]:
    method = {"create": "POST", "get": "GET", "delete": "DELETE"}[call]
    path = CAMPAIGN_PATH + (f"/{campaign_id}" if call != "create" else "")
    query = "campaignType=sms&" if call != "get" else ""
    url = f"{BASE_URL}{path}?{query}accountId={ACCOUNT}"
    response = (
        None
        if error
        else {
            "status": status,
            "headers": {"Content-Type": "application/json", "Set-Cookie": f"session={token}"},
            "body": answer,
            "elapsed_ms": 12.5,
        }
    )
    return {
        "id": case_id,
        "phase": phase,
        "call": call,
        "rules": rules,
        "expect": expect,
        "request": {
            "method": method,
            "url": url,
            "headers": headers(token),
            "body": sent,
            "body_text": None,
        },
        "response": response,
        "error": error,
        "findings": findings or [],
        "curl": curl(method, url, sent, token),
        "status": "error" if error else ("failed" if findings else "passed"),
    }


def sample_cases() -> list[dict[str, Any]]:
    sample, edge = body(), body("Ünïcode Straße " + "X" * 33)
    refused = {
        "errors": [
            {
                "msg": "priority: got the number 5; expected a string",
                "code": 400,
                "rule": "R7",
                "pointer": "/priority",
            }
        ]
    }
    cid = "cd-99f05887-5638-59ef-90d9-5dc9ebd12345"
    return [
        case(
            "create-docs-sample",
            "positive",
            "create",
            ["S1", "S2", "S3", "S5", "S6", "S7"],
            "accept",
            sent=sample,
            status=201,
            answer=campaign(sample, cid),
        ),
        case(
            "create-edge-48-chars",
            "positive",
            "create",
            ["S1", "S3", "S4"],
            "accept",
            sent=edge,
            status=201,
            answer=campaign(edge, "cd-2", lname=edge["name"]),
            findings=[
                {
                    "rule": "S4",
                    "call": "create",
                    "pointer": "/data/lname",
                    "message": f"got {edge['name']!r}; expected {edge['name'].lower()!r}"
                    " <name lowercased>",
                }
            ],
        ),
        case(
            "create-invalid-R7-priority-number",
            "negative",
            "create",
            ["R7", "S9"],
            "refuse",
            sent=body(priority=5),
            status=400,
            answer=refused,
        ),
        case(
            "auth-missing-token",
            "auth",
            "create",
            ["A2"],
            "unauthorized",
            sent=sample,
            status=401,
            answer={"errors": [{"msg": "unauthorized", "code": 401}]},
        ),
        case(
            "lifecycle-get",
            "lifecycle",
            "get",
            ["S10"],
            "accept",
            status=200,
            answer=campaign(sample, cid),
            campaign_id=cid,
        ),
        case(
            "lifecycle-delete",
            "lifecycle",
            "delete",
            ["S10"],
            "accept",
            status=200,
            answer=campaign(sample, cid),
            campaign_id=cid,
        ),
        case(
            "lifecycle-get-after-delete",
            "lifecycle",
            "get",
            ["S10"],
            "refuse",
            status=404,
            answer={"errors": [{"msg": "campaign not found", "code": 404}]},
            campaign_id=cid,
        ),
    ]


def sample_rules(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A rule row per rule and call the cases cite; every other catalogue rule not exercised."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for item in cases:
        for rule_id in item["rules"]:
            row = rows.setdefault(
                (rule_id, item["call"]),
                {
                    "id": rule_id,
                    "call": item["call"],
                    "status": "passed",
                    "checks": 0,
                    "failures": 0,
                    "first_failure": None,
                },
            )
            row["checks"] += 1
            if any(f["rule"] == rule_id for f in item["findings"]):
                row["failures"] += 1
                row["status"] = "failed"
                row["first_failure"] = row["first_failure"] or item["id"]
    cited = {rule_id for rule_id, _ in rows}
    for rule_id in RULES:
        if rule_id not in cited:
            rows[(rule_id, "any")] = {
                "id": rule_id,
                "call": "any",
                "status": "not_exercised",
                "checks": 0,
                "failures": 0,
                "first_failure": None,
            }
    return list(rows.values())


def results_for(cases: list[dict[str, Any]], *, trace: bool = True) -> dict[str, Any]:
    rules = sample_rules(cases)
    failed = any(r["status"] == "failed" for r in rules)
    errored = any(c["status"] == "error" for c in cases)
    results: dict[str, Any] = {
        "version": 1,
        "tool": {"name": "kore-contract", "version": "0.1.0"},
        "run": {
            "base_url": BASE_URL,
            "target": "mock",
            "stream_id": STREAM,
            "account_id": ACCOUNT,
            "seed": 1234,
            "max_examples": 25,
            "started_at": "2025-12-05T08:08:40+00:00",
            "finished_at": "2025-12-05T08:08:47.250000+00:00",
            "duration_s": 7.25,
            "requests": len(cases),
        },
        "verdict": "error" if errored else ("fail" if failed else "pass"),
        "rules": rules,
        "cases": cases,
    }
    if trace:
        results["trace"] = {
            "fields": [
                {
                    "document": "create-sms-campaign-using-template-v2.md",
                    "section": "response-parameters",
                    "field": "campaignInstanceId",
                }
            ],
            "defects": [
                {
                    "kind": "D1",
                    "fields": ["data.dncLists", "dncLists"],
                    "documents": ["create-sms-campaign-using-template-v2.md"],
                    "message": "the body table names data.dncLists; the sample request "
                    "sends dncLists at the top level",
                }
            ],
        }
    return results


def sample_results(*, trace: bool = True) -> dict[str, Any]:
    return results_for(sample_cases(), trace=trace)


def synthetic_results(count: int = 1000) -> dict[str, Any]:
    """A run of `count` cases (the sample's, repeated with fresh ids) for the benchmark."""
    template = sample_cases()
    cases = []
    for number in range(count):
        item = copy.deepcopy(template[number % len(template)])
        item["id"] = f"{item['id']}-{number}"
        cases.append(item)
    return results_for(cases)
