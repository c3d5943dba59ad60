"""The validator on the SMS campaign v2 family (issue 12, item 2): every C, U and L1 clause on
both sides of its boundary, the answers' shapes (T2, T3, Q1, L2, L3's figures, C4), the
fixture's experience flows, the family's payload files, and C1 against the spec's `oneOf`.

Tests are named after the rule they prove.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kore_contract.contract import formats, spec
from kore_contract.contract.fixture import FixtureError, fixture_from_json, load_fixture
from kore_contract.validate import Result, validate_request, validate_response, validate_text

FLOW = "SMS Support Flow"
#: The example fixture with the experience flow of the family's samples (C3).
FIXTURE = fixture_from_json(
    {
        **load_fixture().to_json(),
        "experienceFlows": {FLOW: "cf-67447605-115e-5dd2-a676-e158cf312345"},
    }
)
#: ... knowing the DNC list and caller id of the family's samples too.
FAMILY_FIXTURE = fixture_from_json(
    {
        **FIXTURE.to_json(),
        "dncLists": [*FIXTURE.dnc_lists, "DNC CL Dec 4"],
        "callerIds": [*FIXTURE.caller_ids, "+919860712345"],
    }
)
PAYLOADS = Path(__file__).parent / "payloads" / "family"


def example(call: spec.Call, where: str, name: str) -> Any:
    return copy.deepcopy(spec.examples(call, where)[name])  # type: ignore[arg-type]


def template() -> dict[str, Any]:
    return example("create", "request", "docsSample")  # type: ignore[no-any-return]


def plain() -> dict[str, Any]:
    return example("create", "request", "plainDocsSample")  # type: ignore[no-any-return]


def advanced() -> dict[str, Any]:
    return example("create", "request", "advancedDocsSample")  # type: ignore[no-any-return]


def found(result: Result) -> list[tuple[str, str]]:
    return [(v.rule, v.pointer) for v in result.violations]


def request(body: Any, **how: Any) -> list[tuple[str, str]]:
    return found(validate_request(body, **how))


def answer(body: Any, call: str) -> list[tuple[str, str]]:
    return found(validate_response(body, call))


# --- C1: the variant is read from the body ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "variant"),
    [("docsSample", "template"), ("plainDocsSample", "plain"), ("advancedDocsSample", "advanced")],
)
def test_C1_each_docs_sample_reads_as_its_own_variant_and_is_valid(name: str, variant: str) -> None:
    result = validate_request(
        example("create", "request", name), fixture=FAMILY_FIXTURE, strict=True
    )
    assert (result.variant, result.violations, result.warnings) == (variant, [], [])


@pytest.mark.parametrize("variant", ["template", "plain", "advanced"])
def test_C1_insisting_on_the_variant_a_body_is_passes(variant: str) -> None:
    body = {"template": template, "plain": plain, "advanced": advanced}[variant]()
    assert request(body, variant=variant) == []


@pytest.mark.parametrize(
    ("body", "asked"),
    [
        (template, "plain"),
        (template, "advanced"),
        (plain, "template"),
        (plain, "advanced"),
        (advanced, "template"),
        (advanced, "plain"),
    ],
)
def test_C1_insisting_on_another_variant_is_one_violation_at_the_root(
    body: Any, asked: str
) -> None:
    result = validate_request(body(), variant=asked)
    assert found(result) == [("C1", "")]
    message = result.violations[0].message
    assert f"reads as the {result.variant} variant" in message
    assert f"the {asked} variant was asked for" in message


def test_C1_the_message_says_what_makes_each_variant() -> None:
    message = validate_request(plain(), variant="advanced").violations[0].message
    assert 'format is not "advanced" and message.template_name is absent' in message
    assert 'where format is "advanced"' in message


def test_C1_format_advanced_wins_over_a_template_name() -> None:
    body = advanced()
    body["message"] = {"template_name": "Welcome", "message": template()["message"]["message"]}
    result = validate_request(body)
    assert (result.variant, found(result)) == ("advanced", [])


def test_C1_a_template_name_key_makes_a_template_body_even_when_null() -> None:
    body = plain()
    body["message"]["template_name"] = None
    result = validate_request(body)
    assert (result.variant, found(result)) == ("template", [("R9", "/message/template_name")])


def test_C1_a_simple_body_without_template_name_is_plain_and_valid() -> None:
    body = template()
    del body["message"]["template_name"]
    result = validate_request(body)
    assert (result.variant, found(result)) == ("plain", [])


@pytest.mark.parametrize("body", [[], "text", 5, None])
def test_C1_a_body_that_is_no_object_has_no_variant_and_is_R1(body: Any) -> None:
    for asked in (None, "plain"):
        result = validate_request(body, variant=asked)
        assert (result.variant, found(result)) == (None, [("R1", "")])


def test_C1_an_unknown_variant_or_call_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="unknown variant 'simple'"):
        validate_request(template(), variant="simple")
    with pytest.raises(ValueError, match="no request body to check for call 'get'"):
        validate_request(template(), "get")
    with pytest.raises(ValueError, match="unknown call 'trigger'"):
        validate_response({}, "trigger")


# C1 and the spec's oneOf agree: exactly one variant schema accepts each valid body, and it
# is the one C1 reads; a body C1 refuses is accepted by no variant schema.

FORMATS = st.sampled_from([None, "simple", "advanced", "plain", 5])
MESSAGES = st.sampled_from(
    [
        None,
        "text",
        {},
        {"message": "SGVsbG8="},
        {"message": "SGVsbG8=", "templateId": "t-1"},
        {"message": "SGVsbG8=", "templateId": 7},
        {"template_name": "Welcome", "message": "SGVsbG8="},
        {"template_name": None, "message": "SGVsbG8="},
        {"template_name": "Welcome"},
    ]
)
FLOWS = st.sampled_from([None, FLOW, "", 3])
OPTIONAL = st.sampled_from([None, "description", "priority", "both"])


@st.composite
def family_bodies(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = draw(st.sampled_from([template, plain, advanced]))()
    for key, value in (
        ("format", draw(FORMATS)),
        ("message", draw(MESSAGES)),
        ("experienceFlowName", draw(FLOWS)),
    ):
        body.pop(key, None)
        if value is not None:
            body[key] = copy.deepcopy(value)
    dropped = draw(OPTIONAL)
    for key in ("description", "priority"):
        if dropped in (key, "both"):
            body.pop(key, None)
    return body


def _accepts(schema: dict[str, Any], body: Any) -> bool:
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())
    for name, predicate in formats.predicates().items():
        checker.checks(name)(predicate)
    return bool(Draft202012Validator(schema, format_checker=checker).is_valid(body))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family_bodies())
def test_C1_the_variant_read_agrees_with_the_oneOf(body: dict[str, Any]) -> None:
    accepting = [v for v in spec.variant_names() if _accepts(spec.variant_schema(v), body)]
    assert len(accepting) <= 1, accepting  # the variants exclude each other
    assert _accepts(spec.create_body_schema(), body) == (len(accepting) == 1)
    result = validate_request(body)
    assert result.ok == (len(accepting) == 1), (found(result), accepting)
    if accepting:
        assert accepting == [result.variant]


# --- C2: the plain variant --------------------------------------------------------------


def test_C2_plain_message_is_a_required_object_with_base64_text() -> None:
    body = plain()
    del body["message"]
    assert request(body) == [("C2", "/message")]
    body["message"] = {}
    assert request(body) == [("C2", "/message/message")]
    body["message"] = {"message": "SGVsbG8=%3D"}
    assert request(body) == [("C2", "/message/message")]
    body["message"] = {"message": base64_of("Hola 👋")}
    assert request(body) == []


def base64_of(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def test_C2_plain_template_id_is_an_optional_string() -> None:
    body = plain()
    body["message"]["templateId"] = "cmt-1"
    assert request(body) == []
    body["message"]["templateId"] = 12345
    assert request(body) == [("C2", "/message/templateId")]


def test_C2_plain_format_is_simple() -> None:
    body = plain()
    body["format"] = "Simple"
    result = validate_request(body)
    assert found(result) == [("R8", "/format")]
    assert '(exact case: "simple")' in result.violations[0].message


def test_C2_plain_with_an_insisted_template_is_C1_not_a_missing_template_name() -> None:
    assert request(plain(), variant="template") == [("C1", "")]


def test_C2_plain_checks_R2_to_R16_as_the_template_body_does() -> None:
    body = plain()
    body["name"] = "x" * 49
    body["priority"] = 5
    assert sorted(request(body)) == [("R2", "/name"), ("R7", "/priority")]


# --- C3: the advanced variant -----------------------------------------------------------


def test_C3_experience_flow_name_is_a_required_non_empty_string() -> None:
    body = advanced()
    del body["experienceFlowName"]
    assert request(body) == [("C3", "/experienceFlowName")]
    body["experienceFlowName"] = ""
    assert request(body) == [("C3", "/experienceFlowName")]
    body["experienceFlowName"] = 7
    assert request(body) == [("C3", "/experienceFlowName")]
    body["experienceFlowName"] = "x"
    assert request(body) == []


def test_C3_the_fixture_checks_the_flow_as_it_checks_contact_lists() -> None:
    body = advanced()
    assert request(body, fixture=FIXTURE) == []
    body["experienceFlowName"] = "No Such Flow"
    assert request(body) == []  # the account is not known
    result = validate_request(body, fixture=FIXTURE)
    assert found(result) == [("C3", "/experienceFlowName")]
    assert result.violations[0].message == (
        f"experienceFlowName: no experience flow 'No Such Flow' in the account; known: {FLOW!r}"
    )


def test_C3_a_fixture_that_names_no_flow_does_not_check_it() -> None:
    """The account's flows are known only where the fixture names some (a part 1 fixture
    has no experienceFlows)."""
    body = advanced()
    body["experienceFlowName"] = "No Such Flow"
    part_1 = {k: v for k, v in load_fixture().to_json().items() if k != "experienceFlows"}
    assert request(body, fixture=fixture_from_json(part_1)) == []
    assert request(body, fixture=FIXTURE) == [("C3", "/experienceFlowName")]


def test_C3_message_description_and_priority_are_optional() -> None:
    body = advanced()
    for key in ("message", "description", "priority"):
        body.pop(key, None)
    assert request(body) == []


def test_C3_a_message_where_present_has_base64_message() -> None:
    body = advanced()
    body["message"] = {"templateId": "cmt-1"}
    assert request(body) == [("C3", "/message/message")]
    body["message"] = {"message": "not base64!"}
    assert request(body) == [("C3", "/message/message")]
    body["message"] = "text"
    assert request(body) == [("C3", "/message")]
    body["message"] = {"message": base64_of("Hello"), "templateId": 1}  # no rule for it
    assert request(body) == []


def test_C3_description_and_priority_where_present_keep_R3_and_R7() -> None:
    body = advanced()
    body["description"] = "d" * 257
    body["priority"] = "9"
    assert sorted(request(body)) == [("R3", "/description"), ("R7", "/priority")]


def test_C3_format_is_advanced_and_R8_is_amended() -> None:
    body = advanced()
    body["format"] = "ADVANCED"  # not "advanced": C1 reads a plain body, which lacks its message
    assert sorted(request(body)) == [("C2", "/message"), ("R8", "/format")]


# --- U1: the update body is a whole campaign of any variant -------------------------------


@pytest.mark.parametrize("body", [template, plain, advanced])
def test_U1_an_update_body_of_any_variant_is_valid(body: Any) -> None:
    assert request(body(), call="update", fixture=FAMILY_FIXTURE) == []


def test_U1_the_update_pages_sample_is_valid() -> None:
    result = validate_request(
        example("update", "request", "docsSample"), "update", fixture=FAMILY_FIXTURE, strict=True
    )
    assert (result.variant, result.violations, result.warnings) == ("advanced", [], [])


def test_U1_a_partial_update_is_refused_as_a_create_body_would_be() -> None:
    partial = {"name": "Renamed"}
    as_update = request(partial, call="update")
    assert as_update == request(partial)
    assert ("C2", "/message") in as_update and ("R4", "/contactLists") in as_update


def test_U1_an_update_body_breaks_the_rules_a_create_body_does() -> None:
    body = template()
    body["name"] = ""
    body["dialingStrategy"]["callingHours"]["timezone"] = "Mars/Olympus"
    for call in ("create", "update"):
        assert request(body, call=call) == [
            ("R2", "/name"),
            ("R12", "/dialingStrategy/callingHours/timezone"),
        ]


def test_U1_insisting_on_a_variant_works_on_update_too() -> None:
    assert request(plain(), call="update", variant="advanced") == [("C1", "")]


def test_U1_R6_the_update_query_names_the_campaign_type() -> None:
    assert request(template(), call="update", query={"campaignType": "sms"}) == []
    assert request(template(), call="update", query={"campaignType": "voice"}) == [
        ("R6", "/campaignType")
    ]


# --- L1: the list body ------------------------------------------------------------------


def listing(**fields: Any) -> list[tuple[str, str]]:
    return request({"type": "sms", **fields}, call="list")


@pytest.mark.parametrize("name", ["smsDocsSample", "voiceDocsSample", "emptyStringsMeanAbsent"])
def test_L1_the_list_pages_samples_are_valid(name: str) -> None:
    result = validate_request(example("list", "request", name), "list", strict=True)
    assert (result.variant, result.violations, result.warnings) == (None, [], [])


def test_L1_type_is_required_sms_or_voice() -> None:
    assert request({}, call="list") == [("L1", "/type")]
    assert listing(type="email") == [("L1", "/type")]
    assert listing(type="SMS") == [("L1", "/type")]
    assert listing(type="voice") == []


@pytest.mark.parametrize(("key", "least"), [("skip", 0), ("page", 1), ("limit", 1)])
def test_L1_paging_is_an_integer_at_least_its_minimum_or_empty(key: str, least: int) -> None:
    assert listing(**{key: least}) == []
    assert listing(**{key: 10**18}) == []  # no cap in the contract, and never slow
    assert listing(**{key: ""}) == []  # "" means absent
    for bad in (least - 1, 2.5, "5", " ", True, None, [1]):
        assert listing(**{key: bad}) == [("L1", f"/{key}")], bad


def test_L1_a_paging_value_is_told_what_is_expected() -> None:
    message = validate_request({"type": "sms", "limit": "50"}, "list").violations[0].message
    assert message == (
        'limit: got the string "50"; expected an integer at least 1 or the string ""'
    )


def test_L1_dates_are_date_times_with_a_zone() -> None:
    assert listing(startDate="2025-12-01T00:00:00.000Z", endDate="2025-12-08T00:00:00+05:30") == []
    assert listing(startDate="2025-12-01T00:00:00") == [("L1", "/startDate")]
    assert listing(endDate="yesterday") == [("L1", "/endDate")]
    assert listing(endDate="") == [("L1", "/endDate")]


def test_L1_sort_by_keys_are_among_name_created_at_updated_at() -> None:
    assert listing(sortBy={"createdAt": "desc"}) == []  # name is not required (D18)
    assert listing(sortBy={"name": "asc", "updatedAt": "desc"}) == []
    assert listing(sortBy={}) == []
    result = validate_request({"type": "sms", "sortBy": {"title": "asc", "lname": "up"}}, "list")
    assert found(result) == [("L1", "/sortBy/title"), ("L1", "/sortBy/lname")]
    assert result.violations[0].message == (
        "sortBy.title: not allowed here; the keys allowed are name, createdAt, updatedAt"
    )
    assert listing(sortBy={"name": "ascending"}) == [("L1", "/sortBy/name")]
    assert listing(sortBy=["name"]) == [("L1", "/sortBy")]


def test_L1_filters_status_priority_and_dialing_mode() -> None:
    assert (
        listing(
            filters={
                "status": ["Active", "Rescheduled"],
                "priority": [1, 5],
                "dialingMode": ["Progressive"],
            }
        )
        == []
    )
    assert listing(filters={"status": []}) == []  # valid; it matches nothing (L3)
    assert listing(filters={"status": ["Running"]}) == [("L1", "/filters/status/0")]
    assert listing(filters={"status": "Active"}) == [("L1", "/filters/status")]
    assert listing(filters={"priority": [0]}) == [("L1", "/filters/priority/0")]
    assert listing(filters={"priority": [6]}) == [("L1", "/filters/priority/0")]
    assert listing(filters={"dialingMode": ["Auto"]}) == [("L1", "/filters/dialingMode/0")]


def test_L1_filter_priority_as_strings_says_send_the_number() -> None:
    result = validate_request({"type": "sms", "filters": {"priority": ["5"]}}, "list")
    assert found(result) == [("L1", "/filters/priority/0")]
    assert result.violations[0].message.endswith("; send the number 5")


def test_L1_undocumented_keys_are_allowed_and_warned_under_strict() -> None:
    body = {"type": "sms", "search": "x", "filters": {"channel": ["a"]}}
    assert request(body, call="list") == []
    warned = validate_request(body, "list", strict=True).warnings
    assert [(w.rule, w.pointer) for w in warned] == [("L1", "/search"), ("L1", "/filters/channel")]


def test_L1_a_body_that_is_no_object_is_refused() -> None:
    assert request([{"type": "sms"}], call="list") == [("L1", "")]


def test_L1_100000_filter_values_are_checked_within_the_cap() -> None:
    valid = {"type": "sms", "filters": {"status": ["Ready"] * 100_000, "priority": [5] * 100_000}}
    assert request(valid, call="list") == []
    result = validate_request({"type": "sms", "filters": {"status": ["Running"] * 100_000}}, "list")
    assert len(result.violations) == 100 and result.more_violations > 0
    assert result.violations[-1].pointer == "/filters/status/99"


def test_L1_a_limit_beyond_any_machine_integer_is_still_an_integer() -> None:
    assert listing(limit=10**400) == []
    assert listing(limit=-(10**400)) == [("L1", "/limit")]


def test_L1_R1_duplicated_keys_of_a_list_body() -> None:
    result = validate_text(b'{"type": "sms", "limit": 5, "limit": 6}', call="list")
    assert isinstance(result, Result)
    assert found(result) == [("R1", "/limit")]


# --- answers: T2, T3, Q1, L2, L3's figures, C4 ------------------------------------------


@pytest.mark.parametrize(
    "call", ["create", "get", "update", "delete", "start", "stop", "status", "list"]
)
def test_the_docs_samples_of_every_answer_validate(call: str) -> None:
    checked = 0
    for operation, _, _ in spec.actions()[call]:  # type: ignore[index]
        for name, body in spec.examples(operation, "response").items():
            other_action = operation == "trigger" and (call == "start") != (
                body.get("status") == "Active"
            )
            if other_action:
                continue  # the trigger's sample of its other action
            assert answer(body, call) == [], (operation, name)
            checked += 1
    assert checked >= 1


def test_T2_a_start_answers_active_a_message_and_an_updated_at() -> None:
    body = example("start", "response", "docsSample")
    assert answer(body, "start") == []
    assert answer({**body, "status": "Stopped"}, "start") == [("T2", "/status")]
    assert answer({**body, "updatedAt": "2025-12-05 12:05"}, "start") == [("T2", "/updatedAt")]
    assert answer({k: v for k, v in body.items() if k != "message"}, "start") == [
        ("T2", "/message")
    ]
    assert answer({**body, "data": {"x": 1}}, "start") == []  # "no data": not forbidden


def test_T3_a_stop_answers_stopped_with_an_execution_type() -> None:
    body = example("trigger", "response", "stopDocsSample")
    assert answer(body, "stop") == []
    assert answer({**body, "campaignExecutionType": ""}, "stop") == [
        ("T3", "/campaignExecutionType")
    ]
    assert answer({**body, "status": "Active"}, "stop") == [("T3", "/status")]
    start = example("trigger", "response", "startDocsSample")
    assert ("T3", "/campaignExecutionType") in answer(start, "stop")


def test_Q1_status_answers_id_status_and_name() -> None:
    body = example("status", "response", "docsSample")
    assert answer(body, "status") == []
    del body["data"]["id"]
    body["data"]["_id"] = "cd-1"  # D19: the status answer names it id
    assert answer(body, "status") == [("Q1", "/data/id")]
    body["data"]["id"] = "cd-1"
    body["data"]["status"] = ""
    assert answer(body, "status") == [("Q1", "/data/status")]
    assert answer({"status": "failure", "data": body["data"] | {"status": "Ready"}}, "status") == [
        ("Q1", "/status")
    ]
    assert sorted(answer({"status": "success", "data": {}, "message": 5}, "status")) == [
        ("Q1", "/data/id"),
        ("Q1", "/data/name"),
        ("Q1", "/data/status"),
        ("Q1", "/message"),
    ]


def list_answer() -> dict[str, Any]:
    return example("list", "response", "smsDocsSample")  # type: ignore[no-any-return]


def test_L2_list_answer_shape() -> None:
    body = list_answer()
    assert answer(body, "list") == []
    del body["data"]["totalPages"]
    body["data"]["hasMore"] = "no"
    assert answer(body, "list") == [("L2", "/data/totalPages"), ("L2", "/data/hasMore")]


def test_L2_each_result_names_its_id_and_its_fields_typed() -> None:
    body = list_answer()
    first = body["data"]["results"][0]
    first["_id"] = first.pop("id")
    first["priority"] = 5
    first["format"] = "rich"
    assert sorted(answer(body, "list")) == [
        ("L2", "/data/results/0/format"),
        ("L2", "/data/results/0/id"),
        ("L2", "/data/results/0/priority"),
    ]


def test_L2_a_simple_result_carries_its_message_an_advanced_one_its_flow() -> None:
    body = list_answer()
    results = body["data"]["results"]
    simple = next(i for i, r in enumerate(results) if r["format"] == "simple")
    fancy = next(i for i, r in enumerate(results) if r["format"] == "advanced")
    del results[simple]["message"]
    del results[fancy]["experienceFlow"]
    results[fancy]["priority"] = "7"
    assert sorted(answer(body, "list")) == sorted(
        [
            ("L2", f"/data/results/{simple}/message"),
            ("L2", f"/data/results/{fancy}/experienceFlow"),
            ("C4", f"/data/results/{fancy}/priority"),
        ]
    )


def test_L3_has_more_total_pages_and_the_page_size_agree() -> None:
    body = list_answer()
    data = body["data"]
    count = len(data["results"])
    assert data["hasMore"] == (data["skip"] + count < data["totalResults"])
    data["hasMore"] = not data["hasMore"]
    assert answer(body, "list") == [("L3", "/data/hasMore")]
    data["hasMore"] = not data["hasMore"]
    data["totalPages"] += 1
    assert answer(body, "list") == [("L3", "/data/totalPages")]
    data["totalPages"] -= 1
    data["limit"] = count - 1
    data["totalPages"] = -(-data["totalResults"] // data["limit"])
    assert answer(body, "list") == [("L3", "/data/results")]


def test_L3_each_campaign_is_listed_once_on_a_page() -> None:
    body = list_answer()
    results = body["data"]["results"]
    results[2]["id"] = results[0]["id"]
    violations = validate_response(body, "list").violations
    assert [(v.rule, v.pointer) for v in violations] == [("L3", "/data/results/2/id")]
    assert "listed already at data.results[0]" in violations[0].message


def test_L3_S7_a_result_updated_before_it_was_created_D20() -> None:
    body = list_answer()
    body["data"]["results"][1]["updatedAt"] = "2000-01-01T00:00:00Z"
    assert answer(body, "list") == [("S7", "/data/results/1/updatedAt")]


def test_L3_a_huge_page_is_checked_within_the_cap() -> None:
    body = list_answer()
    first = body["data"]["results"][0]
    body["data"].update(
        results=[dict(first, updatedAt="2000-01-01T00:00:00Z")] * 5000,
        limit=5000,
        totalResults=5000,
        totalPages=1,
        hasMore=False,
    )
    result = validate_response(body, "list")
    assert len(result.violations) == 100 and result.more_violations >= 1


def test_C4_an_advanced_answer_names_its_flow_and_a_priority() -> None:
    body = example("create", "response", "advancedDocsSample")
    assert answer(body, "create") == []
    del body["data"]["experienceFlow"]
    assert answer(body, "create") == [("C4", "/data/experienceFlow")]
    body["data"]["experienceFlow"] = "cf-1"
    body["data"]["priority"] = "0"
    assert answer(body, "get") == [("C4", "/data/priority")]


def test_C4_S6_a_simple_answer_has_its_message() -> None:
    body = example("create", "response", "plainDocsSample")
    del body["data"]["message"]["message"]
    assert answer(body, "create") == [("S6", "/data/message/message")]


def test_U2_an_update_answer_is_the_campaign_envelope() -> None:
    body = example("update", "response", "docsSample")
    assert answer(body, "update") == []
    body["data"]["lname"] = body["data"]["name"]
    assert answer(body, "update") == [("S4", "/data/lname")]


# --- the fixture's experience flows and sendable contact lists --------------------------


def test_C3_fixture_reads_experience_flows_and_sendable_contact_lists() -> None:
    data = {
        "contactLists": ["A", "B"],
        "experienceFlows": {FLOW: "cf-1"},
        "sendableContactLists": ["B"],
    }
    fixture = fixture_from_json(data)
    assert fixture.experience_flows == {FLOW: "cf-1"}
    assert fixture.sendable_contact_lists == ("B",)
    assert fixture_from_json(fixture.to_json()) == fixture
    bundled = load_fixture()  # the docs' samples' flow (C3); no list is marked sendable
    assert bundled.experience_flows and set(bundled.sendable_contact_lists) <= set(
        bundled.contact_lists
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"experienceFlows": [FLOW]},
            "/experienceFlows must map experience flow names to their ids",
        ),
        ({"experienceFlows": {FLOW: ""}}, "/experienceFlows must map"),
        ({"sendableContactLists": "B"}, "/sendableContactLists must be a list"),
        ({"sendableContactLists": ["Z"]}, "/sendableContactLists names ['Z'], which /contactLists"),
    ],
)
def test_C3_a_fixture_with_bad_flows_or_sendable_lists_is_refused(
    data: dict[str, Any], message: str
) -> None:
    with pytest.raises(FixtureError, match=message.replace("[", r"\[").replace("]", r"\]")):
        fixture_from_json({"contactLists": ["A"], **data})


# --- the family's payload files: tests/payloads/family/{valid,invalid}/<how>/ ------------
#
# <how> is "<kind>-<call>" or "<kind>-<call>-as-<variant>" (what the file is checked as);
# an invalid file's name starts with the one rule it breaks.


def _how(path: Path) -> dict[str, Any]:
    kind, call, *rest = path.parent.name.split("-", 2)
    return {"kind": kind, "call": call, "variant": rest[0].removeprefix("as-") if rest else None}


def _files(folder: str) -> list[Path]:
    return sorted((PAYLOADS / folder).glob("*/*.json"))


def _checked(path: Path, strict: bool) -> Result:
    result = validate_text(path.read_bytes(), fixture=FAMILY_FIXTURE, strict=strict, **_how(path))
    assert isinstance(result, Result)
    return result


@pytest.mark.parametrize("path", _files("invalid"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_invalid_family_payload_breaks_exactly_the_rule_its_name_gives(path: Path) -> None:
    rule = path.name.split("-", 1)[0]
    result = _checked(path, strict=False)
    assert [v.rule for v in result.violations] == [rule]
    assert result.warnings == []


@pytest.mark.parametrize("path", _files("valid"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_valid_family_payload_is_valid(path: Path) -> None:
    # strict for requests; answers carry undocumented fields S8 allows (isImported, ...)
    result = _checked(path, strict=_how(path)["kind"] == "request")
    assert result.violations == []
    assert [w.rule for w in result.warnings] == (
        ["L1", "L1"] if path.stem == "undocumented-keys-are-allowed" else []
    )
    how = _how(path)
    if how["kind"] == "request" and how["call"] != "list":
        assert result.variant == (how["variant"] or result.variant)
        assert str(result.variant) in path.stem or how["call"] == "update"


def test_every_family_rule_a_file_can_break_has_an_invalid_file() -> None:
    named = {p.name.split("-", 1)[0] for p in _files("invalid")}
    assert {"C1", "C2", "C3", "C4", "L1", "L2", "L3", "T2", "T3", "Q1"} <= named
    calls = {_how(p)["call"] for p in _files("valid")}
    assert calls == {"create", "update", "list", "start", "stop", "status"}


def test_the_payload_files_parse_as_json() -> None:
    for path in PAYLOADS.rglob("*.json"):
        json.loads(path.read_bytes())
