"""The mock keeps the contract, over real HTTP: every A, R and S rule it answers for,
both sides (what it accepts and what it refuses). Test names cite the rule."""

from __future__ import annotations

import base64
import copy
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from mock_testing import ACCOUNT, campaign_url, create_url, curl_headers

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token, sign_claims
from kore_contract.contract import spec
from kore_contract.contract.fixture import load_fixture
from kore_contract.mock import MockServer, running_mock
from kore_contract.strategies import _broken as broken
from kore_contract.validate import validate_response

TIMEOUT = 10
FIXTURE = load_fixture()
TOKEN = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with running_mock(FIXTURE) as server:
        yield server


@pytest.fixture(autouse=True)
def _no_error_inside_the_mock(mock: MockServer) -> Iterator[None]:
    yield
    mock.check()  # an exception inside the mock fails the test that caused it


def sample() -> dict[str, Any]:
    return copy.deepcopy(spec.examples("create", "request")["docsSample"])


def post(
    mock: MockServer,
    body: Any,
    *,
    headers: dict[str, str] | None = None,
    url: str | None = None,
    raw: bytes | None = None,
) -> requests.Response:
    data = raw if raw is not None else json.dumps(body).encode()
    return requests.post(
        url or create_url(mock.base_url),
        data=data,
        headers=curl_headers(TOKEN) if headers is None else headers,
        timeout=TIMEOUT,
    )


def created(mock: MockServer, body: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = post(mock, body or sample())
    assert answer.status_code == 201, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def refused(answer: requests.Response, status: int | tuple[int, ...], rule: str) -> list[Any]:
    """The answer is a JSON refusal with this status naming this rule (S9)."""
    statuses = (status,) if isinstance(status, int) else status
    assert answer.status_code in statuses, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    errors: list[Any] = answer.json()["errors"]
    assert rule in {e["rule"] for e in errors}, errors
    for error in errors:
        assert set(error) == {"msg", "code", "rule", "pointer"}
        assert error["code"] == answer.status_code and error["msg"]
    return errors


def with_token(token: str | None) -> dict[str, str]:
    headers = curl_headers(TOKEN)
    if token is None:
        del headers["auth"]
    else:
        headers["auth"] = token
    return headers


def unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


# --- the documentation's sample -------------------------------------------------------------


def test_docs_sample_request_with_curl_headers_is_accepted(mock: MockServer) -> None:
    answer = post(mock, sample())
    assert answer.status_code == 201, answer.text
    assert validate_response(answer.json()).violations == []


# --- A1, A2: the token ------------------------------------------------------------------------


def test_A1_documented_token_sub_and_appId_is_accepted(mock: MockServer) -> None:
    token = sign_claims({"sub": "1234567890", "appId": DEFAULT_CLIENT_ID}, DEFAULT_CLIENT_SECRET)
    assert post(mock, sample(), headers=with_token(token)).status_code == 201


def test_A1_token_with_exp_and_jti_is_accepted(mock: MockServer) -> None:
    token = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, ttl=60, jti=True)
    assert post(mock, sample(), headers=with_token(token)).status_code == 201


def test_A1_token_without_sub_is_accepted(mock: MockServer) -> None:
    token = sign_claims({"appId": DEFAULT_CLIENT_ID}, DEFAULT_CLIENT_SECRET)
    assert post(mock, sample(), headers=with_token(token)).status_code == 201


@pytest.mark.parametrize(
    ("case", "token", "status"),
    [
        ("no-auth-header", None, 401),
        ("empty", "", 401),
        ("not-a-jwt", "hello", 401),
        ("bearer-prefixed", f"Bearer {TOKEN}", 401),
        ("wrong-secret", mint_token(DEFAULT_CLIENT_ID, "another-secret-entirely"), 401),
        ("alg-none", unsigned({"sub": "1", "appId": DEFAULT_CLIENT_ID}), 401),
        ("alg-none-no-dot", unsigned({"sub": "1", "appId": DEFAULT_CLIENT_ID})[:-1], 401),
        ("missing-appId", sign_claims({"sub": "1"}, DEFAULT_CLIENT_SECRET), 401),
        (
            "appid-lowercase",
            sign_claims({"sub": "1", "appid": DEFAULT_CLIENT_ID}, DEFAULT_CLIENT_SECRET),
            401,
        ),
        (
            "App-ID-spaced",
            sign_claims({"sub": "1", "App ID": DEFAULT_CLIENT_ID}, DEFAULT_CLIENT_SECRET),
            401,
        ),
        ("wrong-appId", mint_token("another-client", DEFAULT_CLIENT_SECRET), 403),
        ("appId-not-a-string", sign_claims({"appId": 12}, DEFAULT_CLIENT_SECRET), 403),
        (
            "expired",
            mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, ttl=60, now=time.time() - 120),
            401,
        ),
        (
            "exp-not-a-number",
            sign_claims({"appId": DEFAULT_CLIENT_ID, "exp": "tomorrow"}, DEFAULT_CLIENT_SECRET),
            401,
        ),
        ("payload-not-an-object", "eyJhbGciOiJIUzI1NiJ9.WzFd.sig", 401),
    ],
)
def test_A2_bad_token_is_refused(
    mock: MockServer, case: str, token: str | None, status: int
) -> None:
    errors = refused(post(mock, sample(), headers=with_token(token)), status, "A2")
    assert errors[0]["pointer"] == "/headers/auth"


def test_A2_other_algorithm_is_refused(mock: MockServer) -> None:
    import jwt

    token = jwt.encode({"appId": DEFAULT_CLIENT_ID}, DEFAULT_CLIENT_SECRET * 4, algorithm="HS512")
    errors = refused(post(mock, sample(), headers=with_token(token)), 401, "A2")
    assert "HS512" in errors[0]["msg"]


def test_A2_token_checked_on_get_and_delete(mock: MockServer) -> None:
    campaign_id = created(mock)["_id"]
    for method in ("GET", "DELETE"):
        answer = requests.request(
            method,
            campaign_url(mock.base_url, campaign_id),
            headers=with_token("nope"),
            timeout=TIMEOUT,
        )
        refused(answer, 401, "A2")
    assert (
        requests.get(
            campaign_url(mock.base_url, campaign_id), headers=curl_headers(TOKEN), timeout=TIMEOUT
        ).status_code
        == 200
    )


def test_A2_token_is_checked_before_the_body(mock: MockServer) -> None:
    refused(post(mock, None, raw=b"{not json", headers=with_token(None)), 401, "A2")


# --- A3: headers, query, content type ---------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "header", "value", "pointer"),
    [
        ("iid-missing", "iid", None, "/headers/iid"),
        ("iid-empty", "iid", "", "/headers/iid"),
        ("accountId-header-missing", "accountid", None, "/headers/accountId"),
        ("accountId-header-empty", "accountid", "", "/headers/accountId"),
    ],
)
def test_A3_missing_or_empty_header_is_refused(
    mock: MockServer, case: str, header: str, value: str | None, pointer: str
) -> None:
    headers = curl_headers(TOKEN)
    if value is None:
        del headers[header]
    else:
        headers[header] = value
    errors = refused(post(mock, sample(), headers=headers), 400, "A3")
    assert [e["pointer"] for e in errors] == [pointer]


@pytest.mark.parametrize("query", ["?campaignType=sms", "?accountId=&campaignType=sms"])
def test_A3_missing_or_empty_accountId_query_is_refused(mock: MockServer, query: str) -> None:
    url = mock.base_url + "/campaign/api/v2/public/st-1/campaign" + query
    errors = refused(post(mock, sample(), url=url), 400, "A3")
    assert errors[0]["pointer"] == "/query/accountId"


def test_A3_missing_accountId_query_is_refused_on_get_and_delete(mock: MockServer) -> None:
    campaign_id = created(mock)["_id"]
    url = campaign_url(mock.base_url, campaign_id).split("?")[0]
    for method in ("GET", "DELETE"):
        refused(
            requests.request(method, url, headers=curl_headers(TOKEN), timeout=TIMEOUT), 400, "A3"
        )


def test_A3_every_missing_header_is_listed(mock: MockServer) -> None:
    headers = {"auth": TOKEN, "Content-Type": "application/json"}
    errors = refused(post(mock, sample(), headers=headers), 400, "A3")
    assert {e["pointer"] for e in errors} == {"/headers/iid", "/headers/accountId"}


def test_A3_header_and_query_accountId_need_not_be_equal(mock: MockServer) -> None:
    headers = curl_headers(TOKEN, account="header-account")
    assert post(mock, sample(), headers=headers).status_code == 201


@pytest.mark.parametrize("name", ["accountid", "accountId", "ACCOUNTID", "AccountId"])
def test_A3_header_names_are_case_insensitive(mock: MockServer, name: str) -> None:
    headers = curl_headers(TOKEN)
    headers[name] = headers.pop("accountid")
    headers["IID"] = headers.pop("iid")
    headers["Auth"] = headers.pop("auth")
    assert post(mock, sample(), headers=headers).status_code == 201


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/xml",
        "application/json; charset=latin-1",
        "multipart/form-data; boundary=x",
    ],
)
def test_A3_body_that_is_not_json_content_type_is_refused_415(
    mock: MockServer, content_type: str | None
) -> None:
    headers = curl_headers(TOKEN, json_body=False)
    if content_type is not None:
        headers["Content-Type"] = content_type
    errors = refused(post(mock, sample(), headers=headers), 415, "A3")
    assert errors[0]["pointer"] == "/headers/content-type"


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"],
)
def test_A3_json_content_types_are_accepted(mock: MockServer, content_type: str) -> None:
    headers = curl_headers(TOKEN)
    headers["Content-Type"] = content_type
    assert post(mock, sample(), headers=headers).status_code == 201


# --- R1 to R13: the body ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "raw"),
    [
        ("not-json", b'{"name": '),
        ("empty", b""),
        ("not-utf8", b'{"name": "\xff"}'),
        ("bom", b"\xef\xbb\xbf{}"),
        ("nan", b'{"priority": NaN}'),
        ("trailing-garbage", b"{} x"),
    ],
)
def test_R1_unreadable_body_is_refused_400(mock: MockServer, case: str, raw: bytes) -> None:
    errors = refused(post(mock, None, raw=raw), 400, "R1")
    assert errors[0]["pointer"] == ""


@pytest.mark.parametrize("payload", [[], "text", 5, None])
def test_R1_body_that_is_not_an_object_is_refused(mock: MockServer, payload: Any) -> None:
    refused(post(mock, payload), 400, "R1")


def test_R1_duplicated_key_is_refused(mock: MockServer) -> None:
    text = json.dumps(sample())
    raw = text[:-1] + ', "priority": "1"}'
    errors = refused(post(mock, None, raw=raw.encode()), 400, "R1")
    assert errors[0]["pointer"] == "/priority"


BROKEN = broken.broken_examples(FIXTURE)
BREAKABLE = sorted({b.rule for b in BROKEN}, key=lambda r: (len(r), r))


@pytest.mark.parametrize("rule", BREAKABLE)
def test_R_every_broken_body_is_refused_naming_its_rule(mock: MockServer, rule: str) -> None:
    cases = [b for b in BROKEN if b.rule == rule]
    assert cases
    for case in cases:
        answer = post(mock, None, raw=case.to_bytes())
        assert answer.status_code == 400, (case.case, answer.text)
        errors = answer.json()["errors"]
        assert any(e["rule"] == rule and e["pointer"] == case.pointer for e in errors), (
            case.case,
            errors,
        )


def test_R2_name_of_49_characters_names_rule_and_pointer(mock: MockServer) -> None:
    errors = refused(post(mock, {**sample(), "name": "x" * 49}), 400, "R2")
    assert errors == [
        {
            "msg": "name: 49 characters, at most 48 allowed",
            "code": 400,
            "rule": "R2",
            "pointer": "/name",
        }
    ]


def test_R4_contact_list_the_account_lacks_is_refused(mock: MockServer) -> None:
    errors = refused(post(mock, {**sample(), "contactLists": ["No such list"]}), 400, "R4")
    assert errors[0]["pointer"] == "/contactLists/0"


def test_R6_query_campaignType_other_than_sms_is_refused(mock: MockServer) -> None:
    for campaign_type in ("voice", None):
        url = create_url(mock.base_url, campaign_type=campaign_type)
        refused(post(mock, sample(), url=url), 400, "R6")


def test_R7_priority_as_number_is_refused(mock: MockServer) -> None:
    errors = refused(post(mock, {**sample(), "priority": 5}), 400, "R7")
    assert errors[0]["pointer"] == "/priority"


def test_R9_percent_encoded_padding_is_refused(mock: MockServer) -> None:
    body = sample()
    body["message"]["message"] = body["message"]["message"].replace("==", "%3D%3D")
    refused(post(mock, body), 400, "R9")


def test_R10_message_that_is_not_the_registered_body_is_refused(mock: MockServer) -> None:
    body = sample()
    body["message"]["message"] = base64.b64encode(b"Some other text").decode()
    errors = refused(post(mock, body), 400, "R10")
    assert errors[0]["pointer"] == "/message/message"


def test_R_all_violations_are_listed(mock: MockServer) -> None:
    body = {**sample(), "priority": 5, "name": "", "format": "rich"}
    errors = refused(post(mock, body), 400, "R7")
    assert {e["rule"] for e in errors} == {"R2", "R7", "R8"}


def test_R14_block_ending_before_it_starts_is_only_advisory(mock: MockServer) -> None:
    body = sample()
    body["dialingStrategy"]["callingHours"]["days"][0].update(start="6:00 PM", end="9:00 AM")
    assert post(mock, body).status_code == 201


def test_R15_schedule_flag_as_string_is_refused(mock: MockServer) -> None:
    refused(post(mock, {**sample(), "schedule": {"isSchedulingEnabled": "false"}}), 400, "R15")


def test_R16_other_properties_are_allowed(mock: MockServer) -> None:
    assert post(mock, {**sample(), "customField": {"x": 1}}).status_code == 201


def test_R_unknown_dnc_list_and_caller_id_are_accepted(mock: MockServer) -> None:
    body = sample()
    body["dncLists"] = {"name": "not in the fixture"}
    body["dialingStrategy"]["callerId"]["phoneNumber"] = "+14155550999"
    assert post(mock, body).status_code == 201


def test_R_every_fixture_template_is_accepted(mock: MockServer) -> None:
    for name, text in FIXTURE.templates.items():
        body = sample()
        body["message"] = {
            "template_name": name,
            "message": base64.b64encode(text.encode()).decode(),
        }
        assert post(mock, body).status_code == 201, name


# --- S1 to S8: the created campaign -----------------------------------------------------------


def test_S1_create_answers_201_json_envelope(mock: MockServer) -> None:
    answer = post(mock, sample())
    assert answer.status_code == 201
    assert answer.headers["Content-Type"] == "application/json"
    content = answer.json()
    assert content["status"] == "success" and isinstance(content["message"], str)
    assert isinstance(content["data"], dict)
    assert validate_response(content).violations == []


def test_S2_every_campaign_gets_its_own_id(mock: MockServer) -> None:
    ids = [created(mock)["_id"] for _ in range(20)]
    assert len(set(ids)) == 20 and all(isinstance(i, str) and i.startswith("cd-") for i in ids)


def test_S3_fields_are_echoed_with_their_types(mock: MockServer) -> None:
    body = sample()
    body["priority"] = "3"
    body["dialingStrategy"]["callingHours"]["days"].reverse()  # days stay in the order sent
    data = created(mock, body)
    for field in ("name", "description", "priority", "contactLists", "format", "dialingStrategy"):
        assert data[field] == body[field], field
    assert data["priority"] == "3"


def test_S4_lname_is_name_lowercased(mock: MockServer) -> None:
    data = created(mock, {**sample(), "name": "ÉTÉ İstanbul ΣΑΣ Campaign"})
    assert data["lname"] == "ÉTÉ İstanbul ΣΑΣ Campaign".lower()


def test_S5_status_is_a_non_empty_string(mock: MockServer) -> None:
    assert created(mock)["status"] == "Ready"


def test_S6_message_is_the_registered_template_body_in_base64(mock: MockServer) -> None:
    body = sample()
    body["message"] = {
        "template_name": "Recordatorio",
        "message": base64.b64encode(FIXTURE.templates["Recordatorio"].encode()).decode(),
    }
    message = created(mock, body)["message"]
    assert message["template_name"] == "Recordatorio"
    assert base64.b64decode(message["message"]).decode() == FIXTURE.templates["Recordatorio"]


def test_S7_timestamps_have_a_zone_and_updated_is_not_before_created(mock: MockServer) -> None:
    from datetime import datetime

    data = created(mock)
    created_at = datetime.fromisoformat(data["createdAt"].replace("Z", "+00:00"))
    updated_at = datetime.fromisoformat(data["updatedAt"].replace("Z", "+00:00"))
    assert data["createdAt"].endswith("Z") and created_at.tzinfo is not None
    assert updated_at >= created_at


def test_S8_schedule_flag_is_boolean_and_dnc_lists_are_echoed(mock: MockServer) -> None:
    data = created(mock, {**sample(), "schedule": {"isSchedulingEnabled": True}})
    assert data["schedule"] == {"isSchedulingEnabled": True}
    assert data["dncLists"] == {"name": "testdnc"}
    body = sample()
    del body["schedule"], body["dncLists"]
    data = created(mock, body)
    assert data["schedule"]["isSchedulingEnabled"] is False and "dncLists" not in data


# --- S9: refusals -----------------------------------------------------------------------------


def test_S9_unknown_path_and_method_are_json_4xx(mock: MockServer) -> None:
    answer = requests.get(mock.base_url + "/nope", timeout=TIMEOUT)
    refused(answer, 404, "S9")
    answer = requests.put(create_url(mock.base_url), headers=curl_headers(TOKEN), timeout=TIMEOUT)
    refused(answer, 405, "S9")
    assert answer.headers["Allow"] == "POST"


# --- S10: get and delete ----------------------------------------------------------------------


def test_S10_get_answers_the_campaign_create_answered(mock: MockServer) -> None:
    data = created(mock)
    answer = requests.get(
        campaign_url(mock.base_url, data["_id"]), headers=curl_headers(TOKEN), timeout=TIMEOUT
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == "success" and answer.json()["data"] == data
    assert validate_response(answer.json()).violations == []


@pytest.mark.parametrize("campaign_type", [None, "sms"])
def test_S10_delete_answers_the_campaign_then_get_answers_404(
    mock: MockServer, campaign_type: str | None
) -> None:
    data = created(mock)
    url = campaign_url(mock.base_url, data["_id"], campaign_type=campaign_type)
    answer = requests.delete(url, headers=curl_headers(TOKEN), timeout=TIMEOUT)
    assert answer.status_code == 200 and answer.json()["data"] == data
    again = requests.get(
        campaign_url(mock.base_url, data["_id"]), headers=curl_headers(TOKEN), timeout=TIMEOUT
    )
    refused(again, 404, "S10")
    refused(requests.delete(url, headers=curl_headers(TOKEN), timeout=TIMEOUT), 404, "S10")


def test_S10_delete_with_another_campaignType_is_refused(mock: MockServer) -> None:
    data = created(mock)
    url = campaign_url(mock.base_url, data["_id"], campaign_type="voice")
    refused(requests.delete(url, headers=curl_headers(TOKEN), timeout=TIMEOUT), 400, "S10")


def test_S10_campaign_of_another_account_or_stream_is_not_found(mock: MockServer) -> None:
    data = created(mock)
    for url in (
        campaign_url(mock.base_url, data["_id"], account="other-account"),
        campaign_url(mock.base_url, data["_id"], stream="st-other"),
    ):
        refused(requests.get(url, headers=curl_headers(TOKEN), timeout=TIMEOUT), 404, "S10")


def test_S10_unknown_campaign_is_404(mock: MockServer) -> None:
    url = campaign_url(mock.base_url, "cd-00000000-0000-4000-8000-000000000000")
    refused(requests.get(url, headers=curl_headers(TOKEN), timeout=TIMEOUT), 404, "S10")


# --- S11: no secret in any answer -------------------------------------------------------------


def test_S11_no_answer_holds_the_token_or_the_secret(mock: MockServer) -> None:
    data = created(mock)
    answers = [
        post(mock, sample()),
        post(mock, {**sample(), "priority": 5}),
        post(mock, {**sample(), "contactLists": [TOKEN]}),  # an error message naming the list
        requests.get(
            campaign_url(mock.base_url, data["_id"]), headers=curl_headers(TOKEN), timeout=TIMEOUT
        ),
        post(mock, sample(), headers=with_token(TOKEN + "x")),
    ]
    for answer in answers:
        assert TOKEN not in answer.text and DEFAULT_CLIENT_SECRET not in answer.text


def test_S11_a_body_holding_the_token_is_refused_not_echoed(mock: MockServer) -> None:
    errors = refused(post(mock, {**sample(), "description": f"token {TOKEN}"}), 400, "S11")
    assert TOKEN not in json.dumps(errors)
    refused(post(mock, {**sample(), "description": DEFAULT_CLIENT_SECRET}), 400, "S11")


def test_A3_pinned_ids_refuse_other_values(mock: MockServer) -> None:
    with running_mock(FIXTURE, stream_id="st-1", account_id=ACCOUNT, iid="app-1") as pinned:
        url = create_url(pinned.base_url, stream="st-1")
        ok = requests.post(
            url, json=sample(), headers=curl_headers(TOKEN, iid="app-1"), timeout=TIMEOUT
        )
        assert ok.status_code == 201, ok.text
        refused(
            requests.post(
                url, json=sample(), headers=curl_headers(TOKEN, iid="app-2"), timeout=TIMEOUT
            ),
            403,
            "A3",
        )
        refused(
            requests.post(
                create_url(pinned.base_url, stream="st-2"),
                json=sample(),
                headers=curl_headers(TOKEN, iid="app-1"),
                timeout=TIMEOUT,
            ),
            404,
            "S9",
        )
        pinned.check()
