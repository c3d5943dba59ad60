"""The response checks (S and A rules) as plain functions, on both sides of each rule."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kore_contract.contract import spec
from kore_contract.run import lifecycle
from kore_contract.run.checks import Observation, RunState, run_checks
from kore_contract.run.client import Exchange

SENT = spec.examples("create", "request")["docsSample"]
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJhcHBJZCI6ImNsaWVudCJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"


def answer_for(sent: dict[str, Any]) -> dict[str, Any]:
    """A conforming create answer for `sent`."""
    data = copy.deepcopy(sent)
    data.update(
        {
            "_id": "cd-1",
            "lname": sent["name"].lower(),
            "status": "Ready",
            "createdAt": "2025-12-05T08:08:45.668Z",
            "updatedAt": "2025-12-05T08:08:57.490Z",
        }
    )
    return {"status": "success", "message": "created", "data": data}


def exchange(status: int, body: Any, content_type: str = "application/json") -> Exchange:
    text = body if isinstance(body, str) else json.dumps(body)
    return Exchange(
        "POST",
        "http://127.0.0.1/x",
        {},
        b"{}",
        status=status,
        response_headers={"content-type": content_type},
        response_text=text,
    )


def findings(
    expect: str,
    ex: Exchange,
    *,
    sent: Any = SENT,
    breaks: str | None = None,
    state: RunState | None = None,
    case_id: str = "case-1",
) -> list[tuple[str, str]]:
    state = state or RunState((TOKEN, "s3cr3t-value"))
    observation = Observation(
        case_id,
        "create",
        expect,
        ex,
        state,  # type: ignore[arg-type]
        sent=sent,
        breaks=breaks,
    )
    return [(f.rule, f.pointer) for f in run_checks(observation)[1]]


def mutated(**changes: Any) -> dict[str, Any]:
    answer = answer_for(SENT)
    for pointer, value in changes.items():
        target = answer["data"]
        *parents, last = pointer.split("__")
        for part in parents:
            target = target[part]
        target[last] = value
    return answer


def test_conforming_create_answer_has_no_finding() -> None:
    assert findings("accept", exchange(201, answer_for(SENT))) == []
    assert findings("accept", exchange(200, answer_for(SENT))) == []


@pytest.mark.parametrize("status", [400, 422])
def test_S1_valid_create_refused_is_a_finding(status: int) -> None:
    assert ("S1", "") in findings("accept", exchange(status, {"errors": []}))


def test_S1_answer_not_json_content_type_is_a_finding() -> None:
    assert ("S1", "") in findings("accept", exchange(201, answer_for(SENT), "text/html"))


def test_S1_envelope_status_not_success_is_a_finding() -> None:
    answer = answer_for(SENT) | {"status": "ok"}
    assert ("S1", "/status") in findings("accept", exchange(201, answer))


def test_S2_same_id_for_two_campaigns_is_a_finding() -> None:
    state = RunState(())
    assert findings("accept", exchange(201, answer_for(SENT)), state=state, case_id="a") == []
    assert findings("accept", exchange(201, answer_for(SENT)), state=state, case_id="b") == [
        ("S2", "/data/_id")
    ]


def test_S3_name_not_echoed_is_a_finding() -> None:
    answer = mutated(name="Other", lname="other")
    assert findings("accept", exchange(201, answer)) == [("S3", "/data/name")]


def test_S3_priority_as_number_is_a_finding() -> None:
    assert ("S3", "/data/priority") in findings("accept", exchange(201, mutated(priority=5)))


def test_S3_days_out_of_order_is_a_finding() -> None:
    answer = answer_for(SENT)
    answer["data"]["dialingStrategy"]["callingHours"]["days"].reverse()
    assert findings("accept", exchange(201, answer)) == [
        ("S3", "/data/dialingStrategy/callingHours/days")
    ]


def test_S4_lname_not_lowercased_is_a_finding() -> None:
    answer = mutated(lname=SENT["name"])
    assert findings("accept", exchange(201, answer)) == [("S4", "/data/lname")]


def test_S5_empty_status_is_a_finding() -> None:
    assert findings("accept", exchange(201, mutated(status=""))) == [("S5", "/data/status")]


def test_S6_template_name_changed_is_a_finding() -> None:
    answer = mutated(message__template_name="Other")
    assert findings("accept", exchange(201, answer)) == [("S6", "/data/message/template_name")]


def test_S6_message_not_base64_is_a_finding() -> None:
    answer = mutated(message__message="not base64!")
    assert findings("accept", exchange(201, answer)) == [("S6", "/data/message/message")]


def test_S7_updated_before_created_is_a_finding() -> None:
    answer = mutated(updatedAt="2025-12-05T08:00:00.000Z")
    assert findings("accept", exchange(201, answer)) == [("S7", "/data/updatedAt")]


def test_S7_timestamp_without_zone_is_a_finding() -> None:
    answer = mutated(createdAt="2025-12-05T08:08:45.668")
    assert findings("accept", exchange(201, answer)) == [("S7", "/data/createdAt")]


def test_S8_schedule_flag_as_string_is_a_finding() -> None:
    answer = mutated(schedule={"isSchedulingEnabled": "false"})
    assert findings("accept", exchange(201, answer)) == [
        ("S8", "/data/schedule/isSchedulingEnabled")
    ]


def test_S8_dnc_lists_not_echoed_is_a_finding() -> None:
    answer = mutated(dncLists={"name": "other"})
    assert findings("accept", exchange(201, answer)) == [("S8", "/data/dncLists")]


def test_S9_refusal_with_json_4xx_has_no_finding() -> None:
    assert findings("refuse", exchange(400, {"errors": [{"msg": "x"}]}), breaks="R7") == []


def test_S9_bad_body_accepted_is_a_finding() -> None:
    assert ("S9", "") in findings("refuse", exchange(201, answer_for(SENT)), breaks="R7")


def test_S9_refusal_without_json_is_a_finding() -> None:
    assert findings("refuse", exchange(400, "Bad Request", "text/plain"), breaks="R7") == [
        ("S9", "")
    ]


def test_S9_server_error_is_a_finding_whatever_was_expected() -> None:
    assert ("S9", "") in findings("accept", exchange(500, {"errors": []}))
    assert ("S9", "") in findings("refuse", exchange(503, {"errors": []}), breaks="R2")


def test_S11_token_in_response_is_a_finding() -> None:
    answer = answer_for(SENT)
    answer["message"] = f"created with token {TOKEN}"
    assert ("S11", "") in findings("accept", exchange(201, answer))


def test_S11_token_signature_alone_in_response_is_a_finding() -> None:
    answer = answer_for(SENT)
    answer["data"]["debug"] = TOKEN.rsplit(".", 1)[1]
    assert ("S11", "") in findings("accept", exchange(201, answer))


def test_A1_valid_token_refused_is_a_finding() -> None:
    assert ("A1", "") in findings("accept", exchange(401, {"errors": []}))


@pytest.mark.parametrize("status", [401, 403])
def test_A2_bad_token_refused_with_401_or_403_has_no_finding(status: int) -> None:
    assert findings("unauthorized", exchange(status, {"errors": []}), breaks="A2") == []


@pytest.mark.parametrize("status", [200, 201, 400, 404])
def test_A2_bad_token_not_refused_with_401_or_403_is_a_finding(status: int) -> None:
    assert ("A2", "") in findings("unauthorized", exchange(status, {"errors": []}), breaks="A2")


def test_A3_missing_header_accepted_is_a_finding() -> None:
    assert findings("refuse", exchange(201, answer_for(SENT)), breaks="A3") == [("A3", "")]


def test_S10_get_equal_to_create_has_no_finding() -> None:
    created = answer_for(SENT)["data"]
    got = exchange(200, answer_for(SENT))
    assert list(lifecycle.get_answers_the_campaign(created, got)) == []


def test_S10_get_of_another_campaign_is_a_finding() -> None:
    created = answer_for(SENT)["data"]
    got = exchange(200, mutated(_id="cd-other"))
    assert [(f.rule, f.pointer) for f in lifecycle.get_answers_the_campaign(created, got)] == [
        ("S10", "/data/_id")
    ]


def test_S10_get_after_delete_that_still_answers_is_a_finding() -> None:
    assert [f.rule for f in lifecycle.deleted_campaign_is_gone(exchange(200, {}))] == ["S10"]
    assert list(lifecycle.deleted_campaign_is_gone(exchange(404, {"errors": []}))) == []


def test_S10_delete_answering_another_campaign_is_a_finding() -> None:
    created = answer_for(SENT)["data"]
    deleted = exchange(200, mutated(_id="cd-other"))
    assert [
        (f.rule, f.pointer) for f in lifecycle.delete_answers_the_campaign(created, deleted)
    ] == [("S10", "/data/_id")]


# --- issue 10 item 13: an answer nested 100,000 deep is a finding, not a crash ---------------


DEEP = "[" * 100_000 + "]" * 100_000


def messages(expect: str, ex: Exchange) -> list[tuple[str, str]]:
    observation = Observation(
        "case-1",
        "create",
        expect,
        ex,
        RunState(),  # type: ignore[arg-type]
        sent=SENT,
    )
    return [(f.rule, f.message) for f in run_checks(observation)[1]]


def test_deeply_nested_answer_is_not_parseable_json() -> None:
    answer = exchange(201, DEEP)
    assert answer.response_json is None
    assert answer.response_json_problem == "nested deeper than 100 levels"
    assert (
        exchange(201, "[" * 101 + "]" * 101).response_json_problem
        == "nested deeper than 100 levels"
    )
    assert exchange(201, "[" * 100 + "]" * 100).response_json_problem is None


def test_S1_deeply_nested_create_answer_is_a_finding() -> None:
    assert messages("accept", exchange(201, DEEP)) == [
        (
            "S1",
            "answered a body that is not parseable JSON (nested deeper than 100 levels); "
            "expected a JSON object",
        )
    ]


def test_S9_deeply_nested_refusal_is_a_finding() -> None:
    found = messages("refuse", exchange(400, DEEP))
    assert [rule for rule, _ in found] == ["S9"]
    assert found[0][1].startswith(
        "refused with 400 but the body is not parseable JSON (nested deeper than 100 levels): "
    )


def test_S9_answer_with_a_5000_digit_integer_is_not_parseable_json() -> None:
    found = messages("refuse", exchange(400, '{"n": ' + "9" * 5000 + "}"))
    assert [rule for rule, _ in found] == ["S9"]
    assert "integer string conversion" in found[0][1]


def test_an_answer_not_read_whole_is_not_judged() -> None:
    too_large = exchange(201, "")
    too_large.error = "response larger than 8388608 bytes"
    assert messages("accept", too_large) == []
