"""S rules that need only the response body, on both sides of their boundary."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest

from kore_contract.contract import spec
from kore_contract.validate import Violation, validate_response, validate_text


def answer() -> dict[str, Any]:
    """The create call's sample response as corrected in the spec (a fresh copy)."""
    return copy.deepcopy(spec.examples("create", "response")["docsSample"])


def only_violation(payload: Any) -> Violation:
    violations = validate_response(payload).violations
    assert len(violations) == 1, violations
    return violations[0]


def test_the_corrected_sample_response_is_valid() -> None:
    assert validate_response(answer()).violations == []


# --- S1 envelope -----------------------------------------------------------------------


def test_S1_envelope_status_other_than_success_is_a_violation() -> None:
    body = answer()
    body["status"] = "failure"
    assert only_violation(body) == Violation(
        "S1", "/status", 'status: got the string "failure"; expected the string "success"'
    )


def test_S1_missing_data_is_a_violation() -> None:
    body = answer()
    del body["data"]
    assert (only_violation(body).rule, only_violation(body).pointer) == ("S1", "/data")


def test_S1_message_as_a_number_is_a_violation() -> None:
    body = answer()
    body["message"] = 1
    assert only_violation(body).rule == "S1"


def test_S1_a_list_is_not_an_envelope() -> None:
    result = validate_text("[]", kind="response")
    assert [(v.rule, v.pointer) for v in result.violations] == [("S1", "")]  # type: ignore[union-attr]


# --- S2 _id ------------------------------------------------------------------------------


def test_S2_missing_id_is_a_violation() -> None:
    body = answer()
    del body["data"]["_id"]
    assert only_violation(body) == Violation(
        "S2", "/data/_id", "data._id: missing; required a string"
    )


def test_S2_empty_id_is_a_violation() -> None:
    body = answer()
    body["data"]["_id"] = ""
    assert only_violation(body).rule == "S2"


def test_S2_an_id_of_one_character_is_valid() -> None:
    body = answer()
    body["data"]["_id"] = "c"
    assert validate_response(body).ok


# --- S3 documented types -------------------------------------------------------------


def test_S3_priority_as_a_number_is_a_violation() -> None:
    body = answer()
    body["data"]["priority"] = 5
    assert only_violation(body) == Violation(
        "S3", "/data/priority", "data.priority: got the number 5; expected a string"
    )


def test_S3_days_out_of_shape_is_a_violation() -> None:
    body = answer()
    del body["data"]["dialingStrategy"]["callingHours"]["days"][0]["day"]
    assert only_violation(body).pointer == "/data/dialingStrategy/callingHours/days/0/day"


# --- S4 lname -----------------------------------------------------------------------------


def test_S4_lname_equal_to_name_lowercased_is_valid() -> None:
    body = answer()
    body["data"]["name"], body["data"]["lname"] = "Straße ÉTÉ", "straße été"
    assert validate_response(body).ok


def test_S4_lname_not_lowercased_is_a_violation() -> None:
    body = answer()
    body["data"]["lname"] = body["data"]["name"]
    assert only_violation(body) == Violation(
        "S4",
        "/data/lname",
        "data.lname: got 'Billing Alert Template Campaign-21'; expected "
        "'billing alert template campaign-21', data.name lowercased",
    )


# --- S5 status -----------------------------------------------------------------------


def test_S5_empty_status_is_a_violation() -> None:
    body = answer()
    body["data"]["status"] = ""
    assert only_violation(body) == Violation(
        "S5", "/data/status", "data.status: empty; at least 1 character required"
    )


def test_S5_any_non_empty_status_is_valid() -> None:
    body = answer()
    body["data"]["status"] = "Draft"
    assert validate_response(body).ok


# --- S6 message ----------------------------------------------------------------------


def test_S6_message_not_base64_is_a_violation() -> None:
    body = answer()
    body["data"]["message"]["message"] = "Hello there"
    violation = only_violation(body)
    assert (violation.rule, violation.pointer) == ("S6", "/data/message/message")


def test_S6_message_with_percent_encoded_padding_says_how_to_fix_it() -> None:
    body = answer()
    body["data"]["message"]["message"] = base64.b64encode(b"ab").decode().replace("=", "%3D")
    assert "replace each %3D with =" in only_violation(body).message


def test_S6_message_object_may_be_left_out() -> None:
    body = answer()
    del body["data"]["message"]
    assert validate_response(body).ok


# --- S7 timestamps -------------------------------------------------------------------


def test_S7_updated_equal_to_created_is_valid() -> None:
    body = answer()
    body["data"]["updatedAt"] = body["data"]["createdAt"]
    assert validate_response(body).ok


def test_S7_updated_before_created_is_a_violation() -> None:
    body = answer()
    body["data"]["createdAt"], body["data"]["updatedAt"] = (
        "2025-12-05T08:16:19.398Z",
        "2025-12-05T08:16:19.177Z",
    )  # the get sample's (D8)
    assert only_violation(body) == Violation(
        "S7",
        "/data/updatedAt",
        "data.updatedAt: 2025-12-05T08:16:19.177Z is before "
        "data.createdAt 2025-12-05T08:16:19.398Z",
    )


def test_S7_zones_are_compared_as_instants() -> None:
    body = answer()
    body["data"]["createdAt"], body["data"]["updatedAt"] = (
        "2025-12-05T10:00:00+02:00",
        "2025-12-05T08:30:00Z",
    )
    assert validate_response(body).ok


@pytest.mark.parametrize(
    "stamp",
    [
        "2025-12-05T08:08:45",
        "2025-12-05",
        "yesterday",
        "2025-13-05T08:08:45Z",
        "2025-12-05T08:08:45Z\n",
    ],
)
def test_S7_a_time_without_zone_or_not_a_date_time_is_a_violation(stamp: str) -> None:
    body = answer()
    body["data"]["createdAt"] = stamp
    violation = only_violation(body)
    assert (violation.rule, violation.pointer) == ("S7", "/data/createdAt")


# --- S8 optional documented fields ----------------------------------------------------


def test_S8_schedule_as_a_string_is_a_violation() -> None:
    body = answer()
    body["data"]["schedule"] = "none"
    assert only_violation(body) == Violation(
        "S8", "/data/schedule", 'data.schedule: got the string "none"; expected an object'
    )


def test_S8_negative_total_messages_sent_is_a_violation() -> None:
    body = answer()
    body["data"]["totalMessagesSent"] = -1
    assert only_violation(body) == Violation(
        "S8",
        "/data/totalMessagesSent",
        "data.totalMessagesSent: got the number -1; expected at least 0",
    )


def test_S8_zero_total_messages_sent_and_other_fields_are_valid() -> None:
    body = answer()
    body["data"].update(totalMessagesSent=0, direction="outbound", campaignInstanceId="x")
    assert validate_response(body).ok
