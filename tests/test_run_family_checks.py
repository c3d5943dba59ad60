"""Issue 12 item 5: the family's checks (run/family_checks.py), both sides of each rule."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kore_contract.run import family_checks as _family_checks  # noqa: F401 (registers them)
from kore_contract.run.checks import (
    Expectation,
    Observation,
    RunState,
    rules_checked,
    run_checks,
)
from kore_contract.run.client import Exchange

PLAIN = {
    "name": "Plain one",
    "format": "simple",
    "contactLists": ["CL"],
    "priority": "5",
    "message": {"message": "aGVsbG8="},
}
ADVANCED = {
    "name": "Adv one",
    "format": "advanced",
    "contactLists": ["CL"],
    "experienceFlowName": "SMS Support Flow",
}
FLOWS = {"SMS Support Flow": "cf-1"}
CAMPAIGN = {
    "_id": "cd-1",
    "name": "Plain one",
    "lname": "plain one",
    "status": "Ready",
    "createdAt": "2025-12-05T08:00:00.000Z",
    "updatedAt": "2025-12-05T08:00:00.000Z",
}


def exchange(status: int, body: Any) -> Exchange:
    return Exchange(
        "POST",
        "http://127.0.0.1/x",
        {},
        b"{}",
        status=status,
        response_headers={"content-type": "application/json"},
        response_text=json.dumps(body),
    )


def rules_found(
    call: str,
    ex: Exchange,
    *,
    sent: Any = None,
    before: Any = None,
    request: Any = None,
    state: RunState | None = None,
    expect: Expectation = "accept",
) -> set[str]:
    observation = Observation(
        "case-1",
        call,
        expect,
        ex,
        state or RunState(flows=FLOWS),
        sent=sent,
        before=before,
        request=request,
    )
    return {finding.rule for finding in run_checks(observation)[1]}


def created(sent: dict[str, Any], **data: Any) -> Exchange:
    answer = {
        **copy.deepcopy(sent),
        **CAMPAIGN,
        "name": sent["name"],
        "lname": sent["name"].lower(),
        **data,
    }
    return exchange(201, {"status": "success", "message": "created", "data": answer})


# --- C1: the campaign answered is of the variant the body is read as ------------------------

TEMPLATE = {**PLAIN, "message": {"template_name": "Welcome", "message": "aGVsbG8="}}


@pytest.mark.parametrize("sent", [PLAIN, TEMPLATE, ADVANCED], ids=["plain", "template", "advanced"])
def test_C1_a_create_answered_as_the_variant_sent_passes(sent: dict[str, Any]) -> None:
    answer = created(sent, experienceFlow="cf-1", priority="3")
    assert "C1" not in rules_found("create", answer, sent=sent)
    assert "C1" not in rules_found("update", exchange(200, answer.response_json), sent=sent)


@pytest.mark.parametrize(
    ("sent", "change"),
    [
        (PLAIN, {"message": {"template_name": "Welcome", "message": "aGVsbG8="}}),
        (TEMPLATE, {"message": {"message": "aGVsbG8="}}),
        (ADVANCED, {"format": "simple", "message": {"message": "aGVsbG8="}}),
        (PLAIN, {"format": "advanced"}),
    ],
    ids=["plain-as-template", "template-as-plain", "advanced-as-plain", "plain-as-advanced"],
)
def test_C1_a_create_answered_as_another_variant_fails(
    sent: dict[str, Any], change: dict[str, Any]
) -> None:
    assert "C1" in rules_found("create", created(sent, **change), sent=sent)


def test_C1_is_planned_for_accepted_creates_and_updates_only() -> None:
    assert "C1" in rules_checked("accept", call="create")
    assert "C1" in rules_checked("accept", call="update")
    assert "C1" not in rules_checked("refuse", call="create")


# --- C4 and T1 on a create ------------------------------------------------------------------


def test_C4_plain_create_echoing_its_message_passes() -> None:
    assert "C4" not in rules_found("create", created(PLAIN), sent=PLAIN)


def test_C4_plain_create_answering_another_message_fails() -> None:
    assert "C4" in rules_found(
        "create", created(PLAIN, message={"message": "b3RoZXI="}), sent=PLAIN
    )


def test_C4_advanced_create_with_the_flows_id_and_a_priority_passes() -> None:
    answer = created(ADVANCED, experienceFlow="cf-1", priority="3")
    assert "C4" not in rules_found("create", answer, sent=ADVANCED)


@pytest.mark.parametrize(
    "change",
    [
        {"experienceFlow": "cf-other", "priority": "3"},
        {"experienceFlow": "cf-1", "priority": 3},
        {"experienceFlow": "cf-1", "priority": "3", "format": "simple"},
        {"experienceFlow": "cf-1", "priority": "3", "message": "x"},
    ],
)
def test_C4_advanced_create_answering_wrongly_fails(change: dict[str, Any]) -> None:
    assert "C4" in rules_found("create", created(ADVANCED, **change), sent=ADVANCED)


def test_T1_created_campaign_ready_passes_and_other_state_fails() -> None:
    assert "T1" not in rules_found("create", created(PLAIN), sent=PLAIN)
    assert "T1" in rules_found("create", created(PLAIN, status="Active"), sent=PLAIN)


def test_T1_and_C4_are_planned_for_accepted_creates_only() -> None:
    assert {"T1", "C4"} <= rules_checked("accept")
    assert "T1" not in rules_checked("refuse")
    assert "T2" in rules_checked("accept", call="start")
    assert "T2" not in rules_checked("accept")


# --- U2 -----------------------------------------------------------------------------------------


def updated(**data: Any) -> Exchange:
    answer = {
        **PLAIN,
        **CAMPAIGN,
        "name": "New name",
        "lname": "new name",
        "updatedAt": "2025-12-05T09:00:00.000Z",
        **data,
    }
    return exchange(200, {"status": "success", "message": "updated", "data": answer})


UPDATE = {**PLAIN, "name": "New name"}


def test_U2_update_answering_the_same_campaign_passes() -> None:
    assert "U2" not in rules_found("update", updated(), sent=UPDATE, before=CAMPAIGN)


@pytest.mark.parametrize(
    "change",
    [
        {"_id": "cd-2"},
        {"createdAt": "2025-12-06T08:00:00.000Z"},
        {"updatedAt": "2025-12-05T07:00:00.000Z"},
        {"lname": "plain one"},
    ],
)
def test_U2_update_changing_what_it_must_keep_fails(change: dict[str, Any]) -> None:
    assert "U2" in rules_found("update", updated(**change), sent=UPDATE, before=CAMPAIGN)


def test_U2_valid_update_refused_fails() -> None:
    assert "U2" in rules_found(
        "update", exchange(409, {"errors": []}), sent=UPDATE, before=CAMPAIGN
    )


# --- T2, T3 -------------------------------------------------------------------------------------

STARTED = {
    "status": "Active",
    "message": "Campaign Started",
    "updatedAt": "2025-12-05T12:05:23.765Z",
}
STOPPED = {
    "status": "Stopped",
    "message": "Campaign Stopped",
    "updatedAt": "2025-12-05T12:07:54.225Z",
    "campaignExecutionType": "NORMAL",
}


def test_T2_start_answering_active_passes() -> None:
    assert "T2" not in rules_found("start", exchange(200, STARTED))


@pytest.mark.parametrize(
    "change", [{"status": "Ready"}, {"message": 1}, {"updatedAt": "2025-12-05T12:05:23"}]
)
def test_T2_start_answering_wrongly_fails(change: dict[str, Any]) -> None:
    assert "T2" in rules_found("start", exchange(200, {**STARTED, **change}))
    assert "T2" in rules_found("start", exchange(409, {"errors": []}))


def test_T3_stop_answering_stopped_passes_and_without_execution_type_fails() -> None:
    assert "T3" not in rules_found("stop", exchange(200, STOPPED))
    assert "T3" in rules_found("stop", exchange(200, {**STOPPED, "campaignExecutionType": ""}))
    assert "T3" in rules_found("stop", exchange(200, {**STOPPED, "status": "Active"}))


# --- Q1 -----------------------------------------------------------------------------------------


def test_Q1_status_naming_id_state_and_name_passes() -> None:
    answer = {"status": "success", "data": {"id": "cd-1", "status": "Ready", "name": "Plain one"}}
    assert "Q1" not in rules_found("status", exchange(200, answer), before=CAMPAIGN)


@pytest.mark.parametrize(
    "data",
    [
        {"_id": "cd-1", "status": "Ready", "name": "Plain one"},
        {"id": "cd-1", "status": "Active", "name": "Plain one"},
        {"id": "cd-1", "status": "Ready", "name": "Other"},
    ],
)
def test_Q1_status_answering_another_id_key_state_or_name_fails(data: dict[str, Any]) -> None:
    answer = {"status": "success", "data": data}
    assert "Q1" in rules_found("status", exchange(200, answer), before=CAMPAIGN)


# --- L2, L3 -------------------------------------------------------------------------------------


def listed(results: list[dict[str, Any]], **page: Any) -> Exchange:
    data = {
        "results": results,
        "skip": 0,
        "limit": 2,
        "hasMore": False,
        "totalPages": 1,
        "totalResults": len(results),
        **page,
    }
    return exchange(200, {"status": "success", "message": "ok", "data": data})


ROW = {
    "id": "cd-1",
    "name": "b",
    "status": "Ready",
    "priority": "5",
    "contactLists": ["CL"],
    "format": "simple",
    "createdAt": "2025-12-05T08:00:00.000Z",
    "updatedAt": "2025-12-05T08:00:00.000Z",
}
ROW2 = {**ROW, "id": "cd-2", "name": "a", "createdAt": "2025-12-05T07:00:00.000Z"}
QUERY = {
    "type": "sms",
    "limit": 2,
    "skip": 0,
    "sortBy": {"createdAt": "desc"},
    "filters": {"status": ["Ready"]},
}


def test_L2_L3_a_conforming_page_passes() -> None:
    state = RunState(known={"cd-1": dict(ROW)})
    assert not {"L2", "L3"} & rules_found("list", listed([ROW, ROW2]), request=QUERY, state=state)


def test_L2_result_with_id_underscore_or_numeric_priority_fails() -> None:
    assert "L2" in rules_found("list", listed([{**ROW, "id": None, "_id": "cd-1"}]), request=QUERY)
    assert "L2" in rules_found("list", listed([{**ROW, "priority": 5}]), request=QUERY)


def test_L2_result_differing_from_get_fails() -> None:
    state = RunState(known={"cd-1": {**ROW, "name": "other"}})
    assert "L2" in rules_found("list", listed([ROW]), request=QUERY, state=state)


@pytest.mark.parametrize(
    "page,results",
    [
        ({}, [ROW2, ROW]),  # not createdAt desc
        ({}, [{**ROW, "status": "Active"}]),  # outside the status filter
        ({"hasMore": True}, [ROW, ROW2]),  # hasMore with nothing left
        ({"totalResults": 5, "hasMore": True}, [ROW, ROW2]),  # totalPages 1 for 5 by 2
        ({"totalResults": 3, "totalPages": 2, "hasMore": True}, [ROW, ROW2, ROW2]),  # > limit
    ],
)
def test_L3_page_breaking_filters_order_or_paging_fails(
    page: dict[str, Any], results: list[dict[str, Any]]
) -> None:
    assert "L3" in rules_found("list", listed(results, **page), request=QUERY)


def test_L3_deleted_campaign_listed_fails() -> None:
    assert "L3" in rules_found(
        "list", listed([ROW]), request=QUERY, state=RunState(deleted={"cd-1"})
    )


# --- L3's paging arithmetic over its space ------------------------------------------------------


@given(total=st.integers(0, 500), limit=st.integers(1, 60), skip=st.integers(0, 600))
def test_L3_paging_of_a_conforming_page_passes_and_a_wrong_hasmore_fails(
    total: int, limit: int, skip: int
) -> None:
    count = max(0, min(limit, total - skip))
    rows = [
        {**ROW, "id": f"cd-{skip + n}", "createdAt": f"2025-12-05T08:00:{59 - n % 60:02d}.000Z"}
        for n in range(count)
    ]
    rows.sort(key=lambda row: str(row["createdAt"]), reverse=True)
    page = {
        "skip": skip,
        "limit": limit,
        "totalResults": total,
        "totalPages": -(-total // limit),
        "hasMore": skip + count < total,
    }
    query = {"type": "sms", "limit": limit, "skip": skip, "sortBy": {"createdAt": "desc"}}
    assert "L3" not in rules_found("list", listed(rows, **page), request=query)
    wrong = {**page, "hasMore": not page["hasMore"]}
    assert "L3" in rules_found("list", listed(rows, **wrong), request=query)
