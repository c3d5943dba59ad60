"""Each R rule on both sides of its boundary; tests are named after the rule they prove."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from kore_contract.contract import spec
from kore_contract.contract.fixture import Fixture, load_fixture
from kore_contract.contract.loader import Unreadable
from kore_contract.validate import Result, Violation, validate_request, validate_text


def sample() -> dict[str, Any]:
    """The documentation's sample request as corrected in the spec (a fresh copy)."""
    return copy.deepcopy(spec.examples("create", "request")["docsSample"])


def with_(pointer: str, value: Any) -> dict[str, Any]:
    """The sample with the field at `pointer` set to `value` (deleted if value is DELETE)."""
    body = sample()
    *parents, last = pointer.lstrip("/").split("/")
    node: Any = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


DELETE = object()


def only_violation(payload: Any, **options: Any) -> Violation:
    result = validate_request(payload, **options)
    assert len(result.violations) == 1, result.violations
    return result.violations[0]


def valid(payload: Any, **options: Any) -> Result:
    result = validate_request(payload, **options)
    assert result.violations == [], result.violations
    return result


def b64(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return base64.b64encode(data).decode()


def test_the_corrected_sample_is_valid() -> None:
    assert valid(sample()).warnings == []


# --- R1 the root: a JSON object, UTF-8, no duplicated key ---------------------------


def test_R1_an_object_is_valid() -> None:
    assert isinstance(validate_text(json.dumps(sample())), Result)


@pytest.mark.parametrize("root", ["[]", '"text"', "5", "null", "true"])
def test_R1_a_root_that_is_not_an_object_is_a_violation(root: str) -> None:
    result = validate_text(root)
    assert isinstance(result, Result)
    assert [(v.rule, v.pointer) for v in result.violations] == [("R1", "")]
    assert "expected an object" in result.violations[0].message


def test_R1_a_duplicated_key_is_a_violation() -> None:
    text = json.dumps(sample())[:-1] + ', "name": "Other"}'
    result = validate_text(text)
    assert isinstance(result, Result)
    assert result.violations == [
        Violation("R1", "/name", "name: key appears more than once in its object; keep one")
    ]


def test_R1_a_duplicated_key_in_a_nested_object_is_a_violation() -> None:
    text = json.dumps(sample()).replace('"day": "MO"', '"day": "MO", "day": "TU"')
    result = validate_text(text)
    assert isinstance(result, Result)
    assert [(v.rule, v.pointer) for v in result.violations] == [
        ("R1", "/dialingStrategy/callingHours/days/0/day")
    ]


def test_R1_the_same_key_in_two_objects_is_valid() -> None:
    result = validate_text(json.dumps(sample()))  # "day" in every block, "message" twice
    assert isinstance(result, Result) and result.ok


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_R1_nan_is_unreadable_not_a_number(constant: str) -> None:
    text = json.dumps(sample()).replace('"schedule": {', f'"x": {constant}, "schedule": {{')
    result = validate_text(text)
    assert isinstance(result, Unreadable)
    assert result.reason == f"not JSON: {constant} is not allowed in JSON"


def test_R1_text_that_is_not_utf8_is_unreadable() -> None:
    result = validate_text(json.dumps(sample()).replace("Billing", "Caf\xe9").encode("latin-1"))
    assert isinstance(result, Unreadable)
    assert result.reason.startswith("not UTF-8 (byte ")


def test_R1_a_lone_surrogate_escape_is_unreadable() -> None:
    result = validate_text(json.dumps(sample()).replace("Billing", "\\ud800"))
    assert result == Unreadable("not UTF-8 text: a \\uXXXX escape is half of a surrogate pair")


def test_R1_a_surrogate_pair_escape_is_valid() -> None:
    result = validate_text(json.dumps(sample()).replace("Billing", "\\ud83d\\ude00"))
    assert isinstance(result, Result) and result.ok


# --- R2 name: 1 to 48 code points -----------------------------------------------------


def test_R2_name_of_48_characters_is_valid() -> None:
    valid(with_("/name", "n" * 48))


def test_R2_name_of_49_characters_is_a_violation() -> None:
    assert only_violation(with_("/name", "n" * 49)) == Violation(
        "R2", "/name", "name: 49 characters, at most 48 allowed"
    )


def test_R2_name_of_48_emoji_code_points_is_valid() -> None:
    valid(with_("/name", "\U0001f4e3" * 48))  # 48 code points, 96 UTF-16 units, 192 bytes


def test_R2_name_of_49_accented_code_points_is_a_violation() -> None:
    assert only_violation(with_("/name", "é" * 49)).rule == "R2"


def test_R2_name_of_1_character_is_valid() -> None:
    valid(with_("/name", "n"))


def test_R2_empty_name_is_a_violation() -> None:
    assert only_violation(with_("/name", "")) == Violation(
        "R2", "/name", "name: empty; at least 1 character required"
    )


def test_R2_missing_name_is_a_violation() -> None:
    assert only_violation(with_("/name", DELETE)) == Violation(
        "R2", "/name", "name: missing; required a string"
    )


def test_R2_name_as_a_number_is_a_violation() -> None:
    assert only_violation(with_("/name", 21)) == Violation(
        "R2", "/name", "name: got the number 21; expected a string"
    )


# --- R3 description: at most 256 ------------------------------------------------------


def test_R3_description_of_256_characters_is_valid() -> None:
    valid(with_("/description", "d" * 256))


def test_R3_description_of_257_characters_is_a_violation() -> None:
    assert only_violation(with_("/description", "d" * 257)) == Violation(
        "R3", "/description", "description: 257 characters, at most 256 allowed"
    )


def test_R3_empty_description_is_valid() -> None:
    valid(with_("/description", ""))


def test_R3_missing_description_is_a_violation() -> None:
    assert only_violation(with_("/description", DELETE)).pointer == "/description"


# --- R4 contactLists ------------------------------------------------------------------


def test_R4_one_contact_list_is_valid() -> None:
    valid(with_("/contactLists", ["CL Only 2020 Dec 4"]))


def test_R4_no_contact_list_is_a_violation() -> None:
    assert only_violation(with_("/contactLists", [])) == Violation(
        "R4", "/contactLists", "contactLists: empty list; at least 1 item required"
    )


def test_R4_an_empty_list_name_is_a_violation() -> None:
    violation = only_violation(with_("/contactLists", ["CL Only 2020 Dec 4", ""]))
    assert (violation.rule, violation.pointer) == ("R4", "/contactLists/1")


def test_R4_a_list_the_fixture_names_is_valid() -> None:
    valid(with_("/contactLists", ["Clientes España"]), fixture=load_fixture())


def test_R4_a_list_the_fixture_lacks_is_a_violation() -> None:
    fixture = Fixture(contact_lists=("CL Only 2020 Dec 4",), templates={"Welcome": WELCOME})
    assert only_violation(with_("/contactLists", ["Nope"]), fixture=fixture) == Violation(
        "R4",
        "/contactLists/0",
        "contactLists[0]: no contact list 'Nope' in the account; known: 'CL Only 2020 Dec 4'",
    )


def test_R4_a_list_the_fixture_lacks_is_valid_without_a_fixture() -> None:
    valid(with_("/contactLists", ["Nope"]))


# --- R5 dncLists ----------------------------------------------------------------------


def test_R5_dnc_lists_may_be_left_out() -> None:
    valid(with_("/dncLists", DELETE))


def test_R5_dnc_lists_without_a_name_is_valid() -> None:
    valid(with_("/dncLists", {}))


def test_R5_dnc_lists_as_a_string_is_a_violation() -> None:
    violation = only_violation(with_("/dncLists", "testdnc"))
    assert (violation.rule, violation.pointer) == ("R5", "/dncLists")


def test_R5_dnc_list_name_as_a_number_is_a_violation() -> None:
    violation = only_violation(with_("/dncLists/name", 7))
    assert (violation.rule, violation.pointer) == ("R5", "/dncLists/name")


def test_R5_a_dnc_list_the_fixture_lacks_is_only_a_warning() -> None:
    result = valid(with_("/dncLists/name", "other"), fixture=load_fixture())
    assert [(w.rule, w.pointer) for w in result.warnings] == [("R5", "/dncLists/name")]


# --- R6 campaignType, body and query --------------------------------------------------


def test_R6_campaign_type_sms_is_valid() -> None:
    valid(sample(), query={"campaignType": "sms", "accountId": "a-1"})


def test_R6_campaign_type_voice_is_a_violation() -> None:
    assert only_violation(with_("/campaignType", "voice")) == Violation(
        "R6", "/campaignType", 'campaignType: got the string "voice"; expected the string "sms"'
    )


def test_R6_campaign_type_in_capitals_is_a_violation_naming_the_exact_case() -> None:
    assert only_violation(with_("/campaignType", "SMS")).message.endswith('(exact case: "sms")')


def test_R6_query_campaign_type_voice_is_a_violation() -> None:
    assert only_violation(sample(), query={"campaignType": "voice"}) == Violation(
        "R6",
        "/campaignType",
        "query parameter campaignType: got 'voice'; expected campaignType=sms like the body",
    )


def test_R6_query_without_campaign_type_is_a_violation() -> None:
    assert only_violation(sample(), query={"accountId": "a-1"}).message.startswith(
        "query parameter campaignType: missing"
    )


# --- R7 priority: a string "1".."5" ---------------------------------------------------


@pytest.mark.parametrize("priority", ["1", "5"])
def test_R7_priority_string_1_to_5_is_valid(priority: str) -> None:
    valid(with_("/priority", priority))


@pytest.mark.parametrize("priority", ["0", "6", "05", " 5", ""])
def test_R7_priority_string_outside_1_to_5_is_a_violation(priority: str) -> None:
    violation = only_violation(with_("/priority", priority))
    assert (violation.rule, violation.pointer) == ("R7", "/priority")


def test_R7_priority_as_number_is_a_violation() -> None:
    assert only_violation(with_("/priority", 5)) == Violation(
        "R7",
        "/priority",
        'priority: got the number 5; expected a string, one of "1" "2" "3" "4" "5"; '
        'send the string "5"',
    )


# --- R8 format ------------------------------------------------------------------------


def test_R8_format_simple_is_valid() -> None:
    valid(with_("/format", "simple"))


def test_R8_format_neither_simple_nor_advanced_is_a_violation() -> None:
    assert only_violation(with_("/format", "plain")) == Violation(
        "R8", "/format", 'format: got the string "plain"; expected the string "simple"'
    )


def test_R8_C1_format_advanced_makes_the_body_an_advanced_one() -> None:
    """Part 2 amends R8: "advanced" is the advanced variant (C1), which names a flow (C3)."""
    result = validate_request(with_("/format", "advanced"))
    assert result.variant == "advanced"
    assert [(v.rule, v.pointer) for v in result.violations] == [("C3", "/experienceFlowName")]


# --- R9 message: template name, strict base64 of UTF-8 ---------------------------------

WELCOME = load_fixture().templates["Welcome"]


def message(encoded: str) -> dict[str, Any]:
    return with_("/message/message", encoded)


def r9(encoded: str) -> str:
    violation = only_violation(message(encoded))
    assert (violation.rule, violation.pointer) == ("R9", "/message/message")
    return violation.message


@pytest.mark.parametrize("text", ["a", "ab", "abc", "Hola 👋 ¡Gracias!"])
def test_R9_standard_base64_of_utf8_is_valid(text: str) -> None:
    valid(message(b64(text)))  # no padding, "==", "=" and multi-byte UTF-8


def test_R9_percent_encoded_padding_is_a_violation_that_says_replace_with_equals() -> None:
    assert r9(b64("ab").replace("=", "%3D")).endswith(
        "percent-encoded padding: replace each %3D with = (send plain base64, not URL-encoded)"
    )


def test_R9_lowercase_percent_encoded_padding_is_a_violation() -> None:
    assert "replace each %3D with =" in r9(b64("ab").replace("=", "%3d"))


def test_R9_url_safe_base64_is_a_violation() -> None:
    encoded = base64.urlsafe_b64encode(b"\xfb\xff\xfe").decode()  # "-__-"
    assert r9(encoded).endswith(
        "URL-safe base64 ('-' or '_'): use the standard alphabet with '+' and '/'"
    )


@pytest.mark.parametrize("where", [" ", "\n", "\r\n", "\t"])
def test_R9_whitespace_inside_base64_is_a_violation(where: str) -> None:
    encoded = b64(WELCOME)
    assert r9(encoded[:8] + where + encoded[8:]).endswith(
        "contains whitespace or line breaks: send base64 on one line with none"
    )


def test_R9_a_trailing_newline_is_a_violation() -> None:
    assert "whitespace" in r9(b64(WELCOME) + "\n")


def test_R9_bad_length_is_a_violation() -> None:
    assert r9(b64("abc")[:-1]).endswith("length 3 is not a multiple of 4: add '=' padding")


def test_R9_padding_in_the_middle_is_a_violation() -> None:
    r9("YQ==YQ==")


def test_R9_bytes_that_are_not_utf8_are_a_violation() -> None:
    assert r9(b64(b"caf\xe9")).endswith("decodes to bytes that are not UTF-8 text")


def test_R9_empty_message_is_a_violation() -> None:
    assert r9("") == (
        'message.message: the string "" is not valid: empty; '
        "expected the base64 of the template's text"
    )


def test_R9_redacted_sample_message_is_a_violation() -> None:
    r9("VGhpcyBpcyBhIHJlbWluZGVyxxxxx")


def test_R9_empty_template_name_is_a_violation() -> None:
    violation = only_violation(with_("/message/template_name", ""))
    assert (violation.rule, violation.pointer) == ("R9", "/message/template_name")


def test_R9_missing_message_object_is_a_violation() -> None:
    """Without a message there is no template_name: C1 reads the plain variant (C2)."""
    assert only_violation(with_("/message", DELETE)) == Violation(
        "C2", "/message", "message: missing; required an object with message"
    )


def test_R9_missing_message_object_of_an_insisted_template_body() -> None:
    result = validate_request(with_("/message", DELETE), variant="template")
    assert [(v.rule, v.pointer) for v in result.violations] == [("C1", ""), ("C2", "/message")]


# --- R10 template match (with a fixture) ----------------------------------------------


def test_R10_message_equal_to_the_registered_body_is_valid() -> None:
    valid(message(b64(WELCOME)), fixture=load_fixture())


def test_R10_message_differing_by_one_character_is_a_violation() -> None:
    violation = only_violation(message(b64(WELCOME + ".")), fixture=load_fixture())
    assert (violation.rule, violation.pointer) == ("R10", "/message/message")
    assert f"at character {len(WELCOME)}" in violation.message


def test_R10_unknown_template_name_is_a_violation() -> None:
    fixture = Fixture(contact_lists=("CL Only 2020 Dec 4",), templates={"Welcome": WELCOME})
    assert only_violation(with_("/message/template_name", "Nope"), fixture=fixture) == Violation(
        "R10",
        "/message/template_name",
        "message.template_name: no template 'Nope' in the account; known: 'Welcome'",
    )


def test_R10_unknown_template_name_is_valid_without_a_fixture() -> None:
    valid(with_("/message/template_name", "Nope"))


# --- R11 caller id: E.164 or a sender id ----------------------------------------------

PHONE = "/dialingStrategy/callerId/phoneNumber"


@pytest.mark.parametrize("number", ["+12", "+1" + "2" * 14, "+919561612345"])
def test_R11_e164_of_2_to_15_digits_is_valid(number: str) -> None:
    valid(with_(PHONE, number))


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("+1", "an E.164 number has 2 to 15 digits after the +; this one has 1"),
        ("+1" + "2" * 15, "an E.164 number has 2 to 15 digits after the +; this one has 16"),
        ("+0123456789", "an E.164 number's first digit (the country code) is 1 to 9, not 0"),
        ("+1 415 555", "an E.164 number is + then digits only (no spaces, dashes or letters)"),
        (
            "14155550123",
            "a phone number needs a leading + and its country code (E.164: +14155550123)",
        ),
        ("KoreAlerts12", "a sender id is 1 to 11 letters, digits and spaces; this one has 12"),
        ("+91956161xxxx", "an E.164 number is + then digits only (no spaces, dashes or letters)"),
        ("+٤١٥٥٥٥", "an E.164 number is + then digits only (no spaces, dashes or letters)"),
    ],
)
def test_R11_a_caller_id_that_is_neither_is_a_violation(number: str, why: str) -> None:
    violation = only_violation(with_(PHONE, number))
    assert (violation.rule, violation.pointer) == ("R11", PHONE)
    assert violation.message.endswith(why)


@pytest.mark.parametrize("sender", ["A", "KoreAlerts1", "Kore Alerts", "1a"])
def test_R11_sender_id_of_1_to_11_characters_with_a_letter_is_valid(sender: str) -> None:
    valid(with_(PHONE, sender))


def test_R11_sender_id_of_12_characters_is_a_violation() -> None:
    assert only_violation(with_(PHONE, "KoreAlerts12")).rule == "R11"


@pytest.mark.parametrize("sender", ["", "   ", "Koré", "Kore-Alerts", "Kore\n"])
def test_R11_sender_id_outside_its_alphabet_is_a_violation(sender: str) -> None:
    assert only_violation(with_(PHONE, sender)).rule == "R11"


def test_R11_missing_caller_id_names_the_missing_field() -> None:
    assert only_violation(with_("/dialingStrategy/callerId", DELETE)) == Violation(
        "R11",
        "/dialingStrategy/callerId",
        "dialingStrategy.callerId: missing; required an object with phoneNumber",
    )


def test_R11_a_caller_id_the_fixture_lacks_is_only_a_warning() -> None:
    result = valid(with_(PHONE, "+14155550199"), fixture=load_fixture())
    assert [(w.rule, w.pointer) for w in result.warnings] == [("R11", PHONE)]


# --- R12 calling hours ----------------------------------------------------------------

HOURS = "/dialingStrategy/callingHours"


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/Argentina/Buenos_Aires", "UTC"])
def test_R12_a_zone_the_tz_database_knows_is_valid(zone: str) -> None:
    valid(with_(f"{HOURS}/timezone", zone))


def test_R12_a_zone_in_the_wrong_case_is_a_violation_naming_the_exact_case() -> None:
    assert only_violation(with_(f"{HOURS}/timezone", "asia/kolkata")) == Violation(
        "R12",
        f"{HOURS}/timezone",
        'dialingStrategy.callingHours.timezone: the string "asia/kolkata" is not valid: '
        "the tz database spells it 'Asia/Kolkata' (exact case)",
    )


@pytest.mark.parametrize("zone", ["Asia/Mumbai", "IST", "Mars/Olympus", "", "Asia/Kolkata\n"])
def test_R12_an_unknown_zone_is_a_violation(zone: str) -> None:
    violation = only_violation(with_(f"{HOURS}/timezone", zone))
    assert (violation.rule, violation.pointer) == ("R12", f"{HOURS}/timezone")


@pytest.mark.parametrize("frequency", ["WEEKLY", "DAILY", "CUSTOM"])
def test_R12_frequency_in_capitals_is_valid(frequency: str) -> None:
    valid(with_(f"{HOURS}/frequency", frequency))


@pytest.mark.parametrize("frequency", ["weekly", "MONTHLY"])
def test_R12_other_frequency_is_a_violation(frequency: str) -> None:
    assert only_violation(with_(f"{HOURS}/frequency", frequency)).rule == "R12"


def test_R12_one_day_is_valid() -> None:
    valid(with_(f"{HOURS}/days", [{"day": "SU", "start": "9:00 AM", "end": "5:00 PM"}]))


def test_R12_no_day_is_a_violation() -> None:
    assert only_violation(with_(f"{HOURS}/days", [])) == Violation(
        "R12",
        f"{HOURS}/days",
        "dialingStrategy.callingHours.days: empty list; at least 1 item required",
    )


def test_R12_missing_calling_hours_names_the_missing_field() -> None:
    violation = only_violation(with_(HOURS, DELETE))
    assert (violation.rule, violation.pointer) == ("R12", HOURS)


# --- R13 days[]: weekday codes and the 12-hour clock ---------------------------------

START = f"{HOURS}/days/0/start"


@pytest.mark.parametrize(
    "clock", ["12:00 AM", "12:59 PM", "1:00 AM", "01:00 AM", "9:00 AM", "06:30 PM", "11:59 PM"]
)
def test_R13_a_12_hour_clock_time_is_valid(clock: str) -> None:
    valid(with_(START, clock))


@pytest.mark.parametrize(
    ("clock", "why"),
    [
        ("0:00 AM", "hour 0 is not on a 12-hour clock (1 to 12), as 9:00 AM or 6:00 PM"),
        ("13:00 PM", "hour 13 is not on a 12-hour clock (1 to 12), as 9:00 AM or 6:00 PM"),
        ("9:00 AM\n", "remove the surrounding whitespace; expected h:mm AM or h:mm PM, as 9:00 AM"),
        (" 9:00 AM", "remove the surrounding whitespace; expected h:mm AM or h:mm PM, as 9:00 AM"),
        ("9:00 am", "write AM/PM in capitals: '9:00 AM'"),
        ("9:00AM", "expected a 12-hour clock time h:mm AM or h:mm PM, as 9:00 AM or 06:30 PM"),
        ("9:60 AM", "expected a 12-hour clock time h:mm AM or h:mm PM, as 9:00 AM or 06:30 PM"),
        ("9:0 AM", "expected a 12-hour clock time h:mm AM or h:mm PM, as 9:00 AM or 06:30 PM"),
        ("21:00", "hour 21 is not on a 12-hour clock (1 to 12), as 9:00 AM or 6:00 PM"),
        ("009:00 AM", "expected a 12-hour clock time h:mm AM or h:mm PM, as 9:00 AM or 06:30 PM"),
        ("9:00  AM", "expected a 12-hour clock time h:mm AM or h:mm PM, as 9:00 AM or 06:30 PM"),
        ("٩:00 AM", "expected a 12-hour clock time h:mm AM or h:mm PM, as 9:00 AM or 06:30 PM"),
    ],
)
def test_R13_a_time_off_the_12_hour_clock_is_a_violation(clock: str, why: str) -> None:
    violation = only_violation(with_(START, clock))
    assert (violation.rule, violation.pointer) == ("R13", START)
    assert violation.message.endswith(why)


@pytest.mark.parametrize("day", ["MO", "TU", "WE", "TH", "FR", "SA", "SU"])
def test_R13_a_weekday_code_is_valid(day: str) -> None:
    valid(with_(f"{HOURS}/days/0/day", day))


@pytest.mark.parametrize("day", ["MON", "mo", "Monday", "", "XX"])
def test_R13_other_day_is_a_violation(day: str) -> None:
    violation = only_violation(with_(f"{HOURS}/days/0/day", day))
    assert (violation.rule, violation.pointer) == ("R13", f"{HOURS}/days/0/day")


def test_R13_missing_end_names_the_missing_field() -> None:
    assert only_violation(with_(f"{HOURS}/days/2/end", DELETE)) == Violation(
        "R13",
        f"{HOURS}/days/2/end",
        "dialingStrategy.callingHours.days[2].end: missing; required a string (clock-12h)",
    )


# --- R14 advisory: warnings, never violations -----------------------------------------


def test_R14_start_before_end_gives_no_warning() -> None:
    assert valid(sample()).warnings == []


def test_R14_start_after_end_is_a_warning_not_a_violation() -> None:
    result = valid(with_(f"{HOURS}/days/0/end", "8:00 AM"))
    assert result.warnings == [
        Violation(
            "R14",
            f"{HOURS}/days/0",
            "days[0]: starts at 9:00 AM but ends at 8:00 AM; start should be before end",
        )
    ]


def test_R14_start_equal_to_end_is_a_warning() -> None:
    assert [w.rule for w in valid(with_(f"{HOURS}/days/0/end", "9:00 AM")).warnings] == ["R14"]


def test_R14_12_am_is_midnight_and_12_pm_is_noon() -> None:
    body = with_(f"{HOURS}/days", [{"day": "MO", "start": "12:00 AM", "end": "12:00 PM"}])
    assert valid(body).warnings == []


def test_R14_overlapping_blocks_of_one_day_are_a_warning() -> None:
    body = with_(f"{HOURS}/days/1", {"day": "MO", "start": "5:00 PM", "end": "8:00 PM"})
    assert valid(body).warnings == [
        Violation("R14", f"{HOURS}/days/1", "days[1]: MO 5:00 PM-8:00 PM overlaps days[0]")
    ]


def test_R14_adjacent_blocks_of_one_day_do_not_overlap() -> None:
    body = with_(f"{HOURS}/days/1", {"day": "MO", "start": "6:00 PM", "end": "8:00 PM"})
    assert valid(body).warnings == []


# --- R15 schedule ---------------------------------------------------------------------


def test_R15_schedule_may_be_left_out() -> None:
    valid(with_("/schedule", DELETE))


def test_R15_is_scheduling_enabled_as_a_string_is_a_violation() -> None:
    violation = only_violation(with_("/schedule/isSchedulingEnabled", "false"))
    assert (violation.rule, violation.pointer) == ("R15", "/schedule/isSchedulingEnabled")


def test_R15_schedule_as_a_boolean_is_a_violation() -> None:
    assert only_violation(with_("/schedule", True)).rule == "R15"


# --- R16 other properties: warnings only under strict --------------------------------


def test_R16_an_undocumented_property_is_valid_and_silent_by_default() -> None:
    assert valid(with_("/campaignName", "x")).warnings == []


def test_R16_an_undocumented_property_is_a_warning_under_strict() -> None:
    result = valid(with_("/dialingStrategy/callerId/label", "x"), strict=True)
    assert result.warnings == [
        Violation(
            "R16",
            "/dialingStrategy/callerId/label",
            "dialingStrategy.callerId.label: not a documented property "
            "(allowed; check its spelling)",
        )
    ]


def test_R16_strict_on_the_sample_gives_no_warning() -> None:
    assert valid(sample(), strict=True).warnings == []


# --- the payload files: tests/payloads/{valid,invalid}/<rule>-<what>.json ---------------

PAYLOADS = Path(__file__).parent / "payloads"


@pytest.mark.parametrize(
    "path", sorted((PAYLOADS / "invalid").glob("*.json")), ids=lambda p: p.stem
)
def test_each_invalid_payload_file_breaks_exactly_the_rule_its_name_gives(path: Path) -> None:
    rule = path.name.split("-", 1)[0]
    result = validate_text(path.read_bytes(), fixture=load_fixture())
    assert isinstance(result, Result)
    assert [v.rule for v in result.violations] == [rule]
    assert result.warnings == []


@pytest.mark.parametrize("path", sorted((PAYLOADS / "valid").glob("*.json")), ids=lambda p: p.stem)
def test_each_valid_payload_file_is_valid(path: Path) -> None:
    result = validate_text(path.read_bytes(), fixture=load_fixture(), strict=True)
    assert isinstance(result, Result)
    assert result.violations == []
    expected = path.name.split("-", 1)[0]
    assert {w.rule for w in result.warnings} == (
        {expected} if expected in ("R14", "R16") else set()
    )


def test_every_breakable_request_rule_has_an_invalid_payload_file() -> None:
    named = {p.name.split("-", 1)[0] for p in (PAYLOADS / "invalid").glob("*.json")}
    assert named == {f"R{n}" for n in range(1, 16)} - {"R14"}  # the family's: family/


def test_R14_day_that_is_not_a_string_gives_R13_and_no_crash() -> None:
    import copy

    from kore_contract.contract import spec
    from kore_contract.validate import validate_request

    body = copy.deepcopy(spec.examples("create", "request")["docsSample"])
    body["dialingStrategy"]["callingHours"]["days"][0]["day"] = {}
    result = validate_request(body)
    assert [(v.rule, v.pointer) for v in result.violations] == [
        ("R13", "/dialingStrategy/callingHours/days/0/day")
    ]
    assert result.warnings == []


@pytest.mark.parametrize(
    "payload", [b"{}", {"name": {1, 2}}, object()], ids=["bytes", "set", "object"]
)
def test_R1_values_json_has_no_form_for_are_violations_not_crashes(payload: object) -> None:
    from kore_contract.validate import validate_request

    result = validate_request(payload)
    assert result.violations  # reported, never raised
