"""The Hypothesis strategies: valid bodies pass, broken bodies break exactly their rule.

Budgets come from the Hypothesis profile (tests/conftest.py): `dev` keeps the default
suite fast, `tox -e deep` runs the same properties with many more examples.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from kore_contract import strategies
from kore_contract.contract import formats, rules, spec
from kore_contract.contract.fixture import Fixture, FixtureError, load_fixture
from kore_contract.contract.loader import Unreadable
from kore_contract.strategies import ABSENT, _valid, campaigns, edge_campaigns, generate
from kore_contract.strategies._broken import (
    Broken,
    breakable_rules,
    broken_campaigns,
    broken_examples,
    dump,
)
from kore_contract.validate import validate_request, validate_text

#: Part 1's breakable rules: the family's request clauses (C1-C3, U1, L1) get their
#: breakers with issue 12 item 3.
PART_1_BREAKABLE = tuple(r for r in rules.BREAKABLE_REQUEST_RULES if r not in rules.FAMILY_RULES)

FIXTURE = load_fixture()
BUDGET = settings().max_examples  # the loaded profile's
FEW = settings(max_examples=max(10, BUDGET // 4), suppress_health_check=[HealthCheck.too_slow])


def rules_at(broken: Broken, fixture: Fixture | None) -> list[tuple[str, str]]:
    """(rule, pointer) of every violation the validator finds; unreadable input is R1 at ""."""
    if broken.raw:
        result = validate_text(broken.payload, fixture=fixture)
        if isinstance(result, Unreadable):
            return [("R1", "")]
        return sorted((v.rule, v.pointer) for v in result.violations)
    return sorted(
        (v.rule, v.pointer) for v in validate_request(broken.payload, fixture=fixture).violations
    )


def assert_valid(body: Any, fixture: Fixture | None) -> None:
    result = validate_request(body, fixture=fixture, strict=True)
    assert result.violations == [], body
    assert result.warnings == [], body  # no R14 advice, no R16 unknown property


# --- valid bodies -------------------------------------------------------------------


@given(campaigns())
def test_R_every_valid_body_passes_the_validator(body: dict[str, Any]) -> None:
    assert_valid(body, None)
    assert json.loads(dump(body)) == body  # survives a JSON round trip
    assert_valid(json.loads(dump(body)), None)
    assert formats.decode_base64_text(body["message"]["message"]) is not None  # real UTF-8 text


@given(campaigns(FIXTURE))
def test_R4_R10_every_valid_body_with_a_fixture_passes_against_the_account(
    body: dict[str, Any],
) -> None:
    assert_valid(body, FIXTURE)
    assert set(body["contactLists"]) <= set(FIXTURE.contact_lists)
    template = body["message"]["template_name"]
    assert formats.decode_base64_text(body["message"]["message"]) == FIXTURE.templates[template]
    assert body["dialingStrategy"]["callerId"]["phoneNumber"] in FIXTURE.caller_ids
    assert_valid(json.loads(dump(body)), FIXTURE)


def test_R2_R3_R7_R13_edges_are_reached_in_any_1000_bodies() -> None:
    bodies = generate(campaigns(), 1000, seed=20251205)
    counts = edge_counts(bodies)
    for edge, found in counts.items():
        assert found > 0, f"{edge}: never reached in 1000 bodies; {counts}"


def edge_counts(bodies: list[dict[str, Any]]) -> Counter[str]:
    """What the issue asks to reach: max lengths, each priority and weekday, AM and PM..."""
    schema = spec.request_body_schema()["properties"]
    counts: Counter[str] = Counter()
    for key in ("name", "description"):
        counts[f"{key}-max"] = 0
        counts[f"{key}-min"] = 0
    for value in schema["priority"]["enum"]:
        counts[f"priority-{value}"] = 0
    for day in _valid.schema_at("dialingStrategy", "callingHours", "days", "[]", "day")["enum"]:
        counts[f"day-{day}"] = 0
    for body in bodies:
        for key in ("name", "description"):
            length = len(body[key])
            counts[f"{key}-max"] += length == schema[key]["maxLength"]
            counts[f"{key}-min"] += length == schema[key].get("minLength", 0)
        counts[f"priority-{body['priority']}"] += 1
        hours = body["dialingStrategy"]["callingHours"]
        times = [t for block in hours["days"] for t in (block["start"], block["end"])]
        for block in hours["days"]:
            counts[f"day-{block['day']}"] += 1
        counts["AM"] += any(t.endswith("AM") for t in times)
        counts["PM"] += any(t.endswith("PM") for t in times)
        counts["12:xx AM"] += any(t.startswith(("12:", "012:")) and t.endswith("AM") for t in times)
        counts["12:xx PM"] += any(t.startswith("12:") and t.endswith("PM") for t in times)
        counts["leading zero"] += any(t.startswith("0") for t in times)
        counts["odd-offset zone"] += hours["timezone"] in strategies.edge_time_zones()
        phone = body["dialingStrategy"]["callerId"]["phoneNumber"]
        counts["E.164"] += phone.startswith("+")
        counts["E.164 15 digits"] += phone.startswith("+") and len(phone) == 16
        counts["sender id"] += not phone.startswith("+")
        counts["non-ASCII name"] += not body["name"].isascii()
        text = formats.decode_base64_text(body["message"]["message"])
        counts["message UTF-8"] += text is not None
        for optional in ("dncLists", "schedule"):
            counts[f"{optional} present"] += optional in body
            counts[f"{optional} absent"] += optional not in body
    return counts


def test_R_generate_is_the_same_for_the_same_seed() -> None:
    first = generate(campaigns(FIXTURE), 40, seed=7)
    assert first == generate(campaigns(FIXTURE), 40, seed=7)
    assert first != generate(campaigns(FIXTURE), 40, seed=8)
    assert len(first) == 40


def test_R_generate_returns_the_count_even_from_a_tiny_search_space() -> None:
    assert len(generate(st.sampled_from(["1", "2"]), 10, seed=1, unique=False)) == 10
    assert sorted(generate(st.sampled_from(["1", "2"]), 10, seed=1)) == ["1", "2"]


def test_R_generate_keeps_each_body_once_and_differs_by_seed_from_the_second_on() -> None:
    first, other = generate(campaigns(), 30, seed=1), generate(campaigns(), 30, seed=2)
    assert len({json.dumps(b) for b in first}) == 30
    assert first[0] == other[0]  # Hypothesis starts with its simplest case, whatever the seed
    assert first[1:] != other[1:]


def test_R7_overrides_replace_a_field_and_ABSENT_leaves_it_out() -> None:
    bodies = generate(campaigns(priority="5", schedule=ABSENT, dncLists=st.just({})), 30, seed=3)
    assert {b["priority"] for b in bodies} == {"5"}
    assert not any("schedule" in b for b in bodies)
    assert all(b["dncLists"] == {} for b in bodies)
    with pytest.raises(TypeError, match="priorty"):
        campaigns(priorty="5")


def test_R4_R10_an_empty_fixture_raises_a_clear_error() -> None:
    with pytest.raises(FixtureError, match="no contact list"):
        campaigns(Fixture(contact_lists=()))
    with pytest.raises(FixtureError, match="no template"):
        campaigns(Fixture(contact_lists=("A list",)))


def test_R2_R3_limits_come_from_the_spec() -> None:
    name, description = _valid.schema_at("name"), _valid.schema_at("description")
    names_ = strategies.text_pool(name["minLength"], name["maxLength"], "name")
    assert {len(n) for n in names_} <= set(range(name["minLength"], name["maxLength"] + 1))
    assert max(len(n) for n in names_) == name["maxLength"]
    descriptions = strategies.text_pool(0, description["maxLength"], "description")
    assert min(len(d) for d in descriptions) == 0
    with pytest.raises(AssertionError, match="lack one"):
        _valid._object({"properties": {"a": {}, "b": {}}}, {"a": st.just(1)})


def test_R11_every_pooled_caller_id_is_a_caller_id() -> None:
    for value in _valid._e164_pool() + _valid._sender_id_pool():
        assert formats.is_caller_id(value), value
    lengths = {len(v) - 1 for v in _valid._e164_pool()}
    assert {2, 15} <= lengths


def test_R13_clock_times_round_trip_through_the_format_check() -> None:
    for minutes in range(_valid.MINUTES_PER_DAY):
        for zero in (False, True):
            shown = _valid.clock_time(minutes, leading_zero=zero)
            assert formats.clock_minutes(shown) == minutes


@given(strategies.clock_times(), strategies.day_blocks(), strategies.time_zones())
def test_R12_R13_format_pieces_pass_their_format_checks(
    clock: str, block: dict[str, str], zone: str
) -> None:
    assert formats.is_clock_12h(clock)
    assert formats.clock_minutes(block["start"]) < formats.clock_minutes(block["end"])  # type: ignore[operator]
    assert formats.is_iana_time_zone(zone)


def test_R12_odd_offset_zones_are_found_from_the_tz_database() -> None:
    zones = strategies.edge_time_zones()
    for zone in ("Asia/Kathmandu", "Asia/Kolkata", "Australia/Eucla", "Pacific/Chatham"):
        assert zone in zones
    assert "Europe/Madrid" not in zones


def test_R_texts_are_utf8_without_surrogates_or_controls() -> None:
    for low, high, label in ((1, 48, "name"), (0, 256, "description"), (1, 320, "message")):
        for text in strategies.text_pool(low, high, label):
            text.encode("utf-8")
            assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text)


def test_R_shrinking_gives_a_readable_minimal_body() -> None:
    minimal = find(
        campaigns(),
        lambda body: body["priority"] == "5",
        settings=settings(database=None, max_examples=200),
    )
    assert minimal == {
        "name": "a",
        "description": "",
        "contactLists": ["a"],
        "campaignType": "sms",
        "priority": "5",
        "format": "simple",
        "message": {"template_name": "a", "message": "YQ=="},
        "dialingStrategy": {
            "callerId": {"phoneNumber": "+10"},
            "callingHours": {
                "frequency": "WEEKLY",
                "timezone": "Africa/Abidjan",
                "days": [{"day": "MO", "start": "12:00 AM", "end": "12:01 AM"}],
            },
        },
    }


# --- edge bodies --------------------------------------------------------------------


@pytest.mark.parametrize("fixture", [None, FIXTURE], ids=["no-fixture", "fixture"])
def test_R_every_edge_body_is_valid_and_named_once(fixture: Fixture | None) -> None:
    edges = edge_campaigns(fixture)
    names_ = [name for name, _ in edges]
    assert len(names_) == len(set(names_))
    for name, body in edges:
        result = validate_request(body, fixture=fixture, strict=True)
        assert result.violations == [] and result.warnings == [], name
    for expected in (
        "edge-name-48-chars",
        "edge-description-256-chars",
        "edge-12-am",
        "edge-12-pm",
        "edge-zone-asia-kathmandu",
        "edge-no-optional-fields",
        *(f"edge-priority-{p}" for p in "12345"),
        *(f"edge-day-{d}" for d in ("mo", "tu", "we", "th", "fr", "sa", "su")),
    ):
        assert expected in names_


# --- broken bodies ------------------------------------------------------------------


def test_R_every_catalogued_rule_has_a_breaking_strategy() -> None:
    assert set(PART_1_BREAKABLE) == {*(f"R{n}" for n in range(1, 14)), "R15"}
    assert breakable_rules(FIXTURE) == PART_1_BREAKABLE
    assert breakable_rules(None) == tuple(r for r in PART_1_BREAKABLE if r != "R10")
    for rule in PART_1_BREAKABLE:
        assert any(b.rule == rule for b in broken_examples(FIXTURE, rule)), rule


def test_R10_breaking_needs_a_fixture() -> None:
    with pytest.raises(ValueError, match="R10: breaking it needs a fixture"):
        broken_campaigns(None, "R10")
    with pytest.raises(ValueError, match="R14: not a rule"):
        broken_campaigns(FIXTURE, "R14")


@pytest.mark.parametrize("rule", PART_1_BREAKABLE)
@FEW
@given(data=st.data())
def test_R_broken_bodies_fail_with_exactly_their_rule_and_pointer(
    rule: str, data: st.DataObject
) -> None:
    broken = data.draw(broken_campaigns(FIXTURE, rule))
    assert broken.rule == rule
    assert rules_at(broken, FIXTURE) == [(rule, broken.pointer)], broken
    if not broken.raw:  # survives a JSON round trip
        again = Broken(json.loads(dump(broken.payload)), rule, broken.pointer)
        assert again.payload == broken.payload
        assert rules_at(again, FIXTURE) == [(rule, broken.pointer)]


@pytest.mark.parametrize("rule", [r for r in PART_1_BREAKABLE if r != "R10"])
@FEW
@given(data=st.data())
def test_R_broken_bodies_without_a_fixture_fail_with_exactly_their_rule(
    rule: str, data: st.DataObject
) -> None:
    broken = data.draw(broken_campaigns(None, rule))
    assert rules_at(broken, None) == [(rule, broken.pointer)], broken


@FEW
@given(broken_campaigns(FIXTURE))
def test_R_any_rule_broken_bodies_fail_with_exactly_their_rule(broken: Broken) -> None:
    assert rules_at(broken, FIXTURE) == [(broken.rule, broken.pointer)], broken


@pytest.mark.parametrize("fixture", [None, FIXTURE], ids=["no-fixture", "fixture"])
def test_R_every_broken_example_fails_with_exactly_its_rule_and_pointer(
    fixture: Fixture | None,
) -> None:
    examples = broken_examples(fixture)
    cases = [(b.rule, b.case) for b in examples]
    assert len(cases) == len(set(cases))
    for broken in examples:
        assert rules_at(broken, fixture) == [(broken.rule, broken.pointer)], broken.case


def named(rule: str) -> dict[str, Broken]:
    return {b.case: b for b in broken_examples(FIXTURE, rule)}


def test_R7_broken_priority_examples_include_0_6_and_the_number_5() -> None:
    values = {json.dumps(b.payload.get("priority")) for b in named("R7").values()}
    assert {'"0"', '"6"', "5", "null"} <= values
    assert named("R7")["priority-missing"].pointer == "/priority"
    assert "priority" not in named("R7")["priority-missing"].payload


def test_R13_broken_day_and_clock_examples() -> None:
    cases = named("R13")
    day = cases["dialingStrategy.callingHours.days[].day-not-in-enum-XX"]
    assert day.pointer == "/dialingStrategy/callingHours/days/0/day"
    start = cases["dialingStrategy.callingHours.days[].start-not-clock-12h-13-pm"]
    assert start.payload["dialingStrategy"]["callingHours"]["days"][0]["start"] == "13:00 PM"


def test_R12_unknown_zone_and_R9_percent_encoded_padding_examples() -> None:
    zone = named("R12")["dialingStrategy.callingHours.timezone-not-iana-time-zone-unknown"]
    assert zone.payload["dialingStrategy"]["callingHours"]["timezone"] == "Asia/Mumbai"
    padding = named("R9")["message.message-not-base64-utf8-percent-encoded-padding"]
    assert padding.payload["message"]["message"].endswith("%3D")
    [violation] = validate_request(padding.payload, fixture=FIXTURE).violations
    assert "%3D" in violation.message and "=" in violation.message


def test_R1_raw_examples_are_a_duplicated_key_or_no_json() -> None:
    cases = named("R1")
    duplicated = cases["duplicated-key-name"]
    assert duplicated.raw and duplicated.pointer == "/name"
    name = json.dumps(strategies.base_campaign(FIXTURE)["name"]).encode()
    assert duplicated.to_bytes().startswith(b'{"name": ' + name + b', "name": ' + name + b", ")
    assert isinstance(validate_text(cases["not-json-truncated"].payload), Unreadable)
    assert cases["body-not-an-object-list-of-bodies"].payload == [strategies.base_campaign(FIXTURE)]


def test_R4_a_contact_list_the_account_lacks_needs_a_fixture() -> None:
    unknown = named("R4")["contactLists-unknown"]
    assert unknown.pointer == "/contactLists/0"
    assert rules_at(unknown, None) == []  # without the account it is a fine list name
    assert "contactLists-unknown" not in {b.case for b in broken_examples(None, "R4")}


def test_the_facade_exports_exactly_its_public_names() -> None:
    """`kore_contract.strategies` is a facade over private modules (_valid, _broken)."""
    public = {
        name for name in vars(strategies) if name.isidentifier() and not name.startswith("_")
    } - {"annotations"}
    assert set(strategies.__all__) == public
