"""The family's strategies (issue 12, item 3): valid bodies of each create variant, of
update and of list requests pass the validator; broken ones break exactly their rule.

Budgets come from the Hypothesis profile (tests/conftest.py), as in test_strategies.py.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from strategy_testing import (
    FIXTURE,
    FLOWS,
    VARIANTS,
    assert_broken,
    assert_valid,
    judged,
)

from kore_contract import strategies
from kore_contract.contract import formats, spec
from kore_contract.contract.fixture import Fixture, FixtureError
from kore_contract.strategies import (
    Broken,
    _list,
    base_campaign,
    breakable_list_rules,
    breakable_rules,
    broken_campaigns,
    broken_examples,
    broken_list_examples,
    broken_list_requests,
    campaigns,
    edge_campaigns,
    edge_list_requests,
    generate,
    list_requests,
    updates,
)
from kore_contract.strategies._broken import C1_POINTER

BUDGET = settings().max_examples
FEW = settings(max_examples=max(10, BUDGET // 4), suppress_health_check=[HealthCheck.too_slow])


# --- valid create bodies of each variant ------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@FEW
@given(data=st.data())
def test_C1_every_valid_body_of_a_variant_passes_and_reads_as_that_variant(
    variant: str, data: st.DataObject
) -> None:
    body = data.draw(campaigns(variant=variant))  # type: ignore[arg-type]
    assert spec.variant_of(body) == variant
    assert_valid(body, variant=variant)
    assert_valid(body)  # insisted on or read by C1: the same


@pytest.mark.parametrize("variant", VARIANTS)
@FEW
@given(data=st.data())
def test_C3_R4_every_valid_body_with_a_fixture_passes_against_the_account(
    variant: str, data: st.DataObject
) -> None:
    body = data.draw(campaigns(FIXTURE, variant))  # type: ignore[arg-type]
    assert_valid(body, variant=variant, fixture=FIXTURE)
    assert set(body["contactLists"]) <= set(FIXTURE.contact_lists)
    if variant == "advanced":
        assert body["experienceFlowName"] in FLOWS


@FEW
@given(updates())
def test_U1_every_update_body_of_any_variant_passes_as_an_update(body: dict[str, Any]) -> None:
    assert_valid(body, call="update")


def test_U1_update_bodies_are_of_every_variant() -> None:
    read = Counter(spec.variant_of(b) for b in generate(updates(), 60, seed=12))
    assert set(read) == set(VARIANTS), read


@given(campaigns(variant="plain"))
def test_C2_plain_bodies_carry_a_base64_message_and_no_template_name(body: dict[str, Any]) -> None:
    assert "template_name" not in body["message"]
    assert formats.decode_base64_text(body["message"]["message"]) is not None
    assert body["format"] in spec.variant_schema("plain")["properties"]["format"]["enum"]


def test_C3_advanced_bodies_reach_their_edges_in_200_bodies() -> None:
    bodies = generate(campaigns(variant="advanced"), 200, seed=5)
    optional = [
        k
        for k in spec.variant_schema("advanced")["properties"]
        if k not in spec.variant_schema("advanced")["required"]
    ]
    counts: Counter[str] = Counter()
    for body in bodies:
        assert body["format"] == "advanced" and body["experienceFlowName"]
        for key in optional:
            counts[f"{key} present"] += key in body
            counts[f"{key} absent"] += key not in body
    assert all(counts[f"{key} {how}"] > 0 for key in optional for how in ("present", "absent")), (
        counts
    )


def test_C1_default_bodies_are_part_1s_template_bodies() -> None:
    assert generate(campaigns(), 40, seed=3) == generate(campaigns(variant="template"), 40, seed=3)
    assert base_campaign() == spec.examples("create", "request")["docsSample"]
    assert edge_campaigns() == edge_campaigns(None, "template")


def test_C1_an_unknown_variant_is_an_invalid_argument() -> None:
    with pytest.raises(InvalidArgument, match="variant='simple'"):
        campaigns(variant="simple")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="experienceFlowName"):
        campaigns(variant="plain", experienceFlowName="x")


def test_C3_a_fixture_without_experience_flows_cannot_make_advanced_bodies() -> None:
    bare = Fixture(contact_lists=("A list",), templates={"T": "text"})
    with pytest.raises(FixtureError, match=r"names no experience flow.*\(C3\)"):
        campaigns(bare, "advanced")
    campaigns(bare, "plain")  # plain needs no template and no flow
    campaigns(Fixture(contact_lists=("A list",)), "plain")


@pytest.mark.parametrize("variant", VARIANTS)
def test_C1_each_variant_has_a_sample_and_edges_all_valid_and_named_once(variant: str) -> None:
    for fixture in (None, FIXTURE):
        edges = edge_campaigns(fixture, variant)  # type: ignore[arg-type]
        names = [name for name, _ in edges]
        assert len(names) == len(set(names))
        for name, body in edges:
            assert spec.variant_of(body) == variant, name
            assert judged(body, variant=variant, fixture=fixture) == ([], []), name
        assert {"edge-sample", "edge-no-optional-fields", "edge-name-48-chars"} <= set(names)


# --- broken create and update bodies ----------------------------------------------------


def _variant_rules(variant: str, fixture: Fixture | None) -> list[tuple[str, str]]:
    return [(variant, rule) for rule in breakable_rules(fixture, variant)]  # type: ignore[arg-type]


PLAIN_RULES = breakable_rules(None, "plain")
ADVANCED_RULES = breakable_rules(None, "advanced")


def test_C1_C2_C3_each_variant_breaks_its_own_clauses() -> None:
    assert "C2" in PLAIN_RULES and "C3" not in PLAIN_RULES and "R9" not in PLAIN_RULES
    assert "C3" in ADVANCED_RULES and "C2" not in ADVANCED_RULES and "R8" not in ADVANCED_RULES
    for variant in VARIANTS:
        assert "C1" in breakable_rules(None, variant)
    assert "C1" not in breakable_rules(None)  # no variant insisted on: no C1


@pytest.mark.parametrize(
    ("variant", "rule"),
    [
        *_variant_rules("template", None),
        *_variant_rules("plain", None),
        *_variant_rules("advanced", None),
    ],
)
@FEW
@given(data=st.data())
def test_C_broken_bodies_of_each_variant_fail_with_exactly_their_rule_and_pointer(
    variant: str, rule: str, data: st.DataObject
) -> None:
    broken = data.draw(broken_campaigns(None, rule, variant))  # type: ignore[arg-type]
    assert (broken.rule, broken.variant) == (rule, variant)
    if rule == "C1":
        assert spec.variant_of(broken.payload) != variant
    elif isinstance(broken.payload, dict):
        assert spec.variant_of(broken.payload) == variant  # still of its variant
    assert_broken(broken)


@pytest.mark.parametrize(
    ("variant", "rule"),
    [
        *_variant_rules("plain", FIXTURE),
        *_variant_rules("advanced", FIXTURE),
    ],
)
@FEW
@given(data=st.data())
def test_C3_R4_broken_bodies_with_a_fixture_fail_with_exactly_their_rule(
    variant: str, rule: str, data: st.DataObject
) -> None:
    broken = data.draw(broken_campaigns(FIXTURE, rule, variant))  # type: ignore[arg-type]
    assert_broken(broken, fixture=FIXTURE)


@pytest.mark.parametrize("variant", VARIANTS)
def test_C_every_broken_example_of_a_variant_fails_with_exactly_its_rule(variant: str) -> None:
    examples = broken_examples(None, None, variant)  # type: ignore[arg-type]
    cases = [(b.rule, b.case) for b in examples]
    assert len(cases) == len(set(cases))
    for broken in examples:
        assert_broken(broken)


def test_U1_broken_update_bodies_fail_as_create_bodies_do() -> None:
    for variant in VARIANTS:
        for broken in broken_examples(None, None, variant):
            assert_broken(broken, call="update")


def named(rule: str, variant: str, fixture: Fixture | None = None) -> dict[str, Broken]:
    return {b.case: b for b in broken_examples(fixture, rule, variant)}  # type: ignore[arg-type]


def test_C1_insisting_on_a_variant_refuses_the_samples_of_the_others() -> None:
    for variant in VARIANTS:
        cases = named("C1", variant)
        others = [v for v in VARIANTS if v != variant]
        assert sorted(cases) == sorted(f"variant-{v}-sample" for v in others)
        for other in others:
            broken = cases[f"variant-{other}-sample"]
            assert broken.payload == base_campaign(None, other)
            assert (broken.pointer, broken.variant) == (C1_POINTER, variant)
    with pytest.raises(ValueError, match="C1: breaking it needs a variant to insist on"):
        broken_campaigns(None, "C1")


def test_C2_plain_message_examples() -> None:
    cases = named("C2", "plain")
    assert cases["message-missing"].pointer == "/message"
    assert "message" not in cases["message-missing"].payload
    assert cases["message-wrong-type-string"].payload["message"] == "text"
    padding = cases["message.message-not-base64-utf8-percent-encoded-padding"]
    assert padding.payload["message"]["message"].endswith("%3D")
    assert cases["message.templateId-wrong-type-number"].pointer == "/message/templateId"


def test_C2_C3_a_family_rule_without_a_variant_draws_the_variant_it_belongs_to() -> None:
    assert {b.variant for b in broken_examples(None, "C2")} == {"plain"}
    assert {b.variant for b in broken_examples(None, "C3")} == {"advanced"}
    drawn = generate(broken_campaigns(None, "C3"), 10, seed=1)
    assert {(b.rule, b.variant) for b in drawn} == {("C3", "advanced")}


def test_C3_missing_and_empty_experience_flow_name() -> None:
    cases = named("C3", "advanced")
    assert cases["experienceFlowName-missing"].pointer == "/experienceFlowName"
    assert "experienceFlowName" not in cases["experienceFlowName-missing"].payload
    assert cases["experienceFlowName-too-short-empty"].payload["experienceFlowName"] == ""
    assert cases["message.message-missing"].payload["message"] == {}  # C3: where present


def test_C3_an_unknown_experience_flow_needs_a_fixture() -> None:
    unknown = named("C3", "advanced", FIXTURE)["experienceFlowName-unknown"]
    assert unknown.payload["experienceFlowName"] not in FLOWS
    assert unknown.pointer == "/experienceFlowName"
    assert "experienceFlowName-unknown" not in named("C3", "advanced")
    assert judged(unknown.payload, variant="advanced") == ([], [])  # fine without it
    assert_broken(unknown, fixture=FIXTURE)


def test_C1_R9_a_template_body_that_would_read_as_plain_is_no_broken_template_body() -> None:
    """C1: a template body without `message.template_name`, or whose `message` is no
    object, is a plain body; R9 keeps only the changes that leave it a template body."""
    cases = {b.case for b in broken_examples(None, "R9")}
    assert "message.template_name-missing" not in cases
    assert not any(case.startswith(("message-wrong-type", "message-missing")) for case in cases)
    assert "message.template_name-wrong-type-null" in cases  # the key is there: template
    r8 = {b.payload["format"] for b in broken_examples(None, "R8") if "format" in b.payload}
    assert "advanced" not in r8  # "advanced" is the advanced variant, not a wrong format


# --- list request bodies ---------------------------------------------------------------


@given(list_requests())
def test_L1_every_valid_list_body_passes_the_validator(body: dict[str, Any]) -> None:
    assert_valid(body, call="list")


def test_L1_list_bodies_reach_their_edges_in_500_bodies() -> None:
    bodies = generate(list_requests(), 500, seed=20251205)
    schema = _list.list_request_schema()["properties"]
    counts: Counter[str] = Counter()
    start, end = _list.window_fields()
    for body in bodies:
        for key, child in schema.items():
            counts[f"{key} present"] += key in body
            if "anyOf" in child:
                minimum = child["anyOf"][0]["minimum"]
                counts[f"{key} empty string"] += body.get(key) == ""
                counts[f"{key} at its minimum"] += body.get(key) == minimum
        counts["type " + body["type"]] += 1
        counts["window both"] += start in body and end in body
        counts["window start only"] += start in body and end not in body
        counts["window end only"] += end in body and start not in body
        counts["date with an offset"] += any(
            k in body and body[k][-6] in "+-" for k in (start, end)
        )
        sort = body.get("sortBy", {})
        counts["sort by several keys"] += len(sort) > 1
        counts["sort keys out of the spec's order"] += list(sort) != [
            k for k in schema["sortBy"]["properties"] if k in sort
        ]
        counts["sort empty"] += body.get("sortBy") == {}
        for name, found in body.get("filters", {}).items():
            counts[f"filter {name} empty"] += found == []
            counts[f"filter {name} several"] += len(found) > 1
        if "startDate" in body and "endDate" in body:
            first = formats.parse_date_time(body[start])
            last = formats.parse_date_time(body[end])
            assert first is not None and last is not None and first <= last, body
    for key in ("skip", "page", "limit"):
        assert counts[f"{key} empty string"] and counts[f"{key} at its minimum"], counts
    for edge in (
        "type sms",
        "type voice",
        "window both",
        "window start only",
        "window end only",
        "date with an offset",
        "sort by several keys",
        "sort empty",
        "sort keys out of the spec's order",
        "filter status empty",
        "filter priority several",
        "filter dialingMode empty",
    ):
        assert counts[edge] > 0, (edge, counts)


def test_L1_edge_list_bodies_are_valid_and_named_once() -> None:
    edges = edge_list_requests()
    names = [name for name, _ in edges]
    assert len(names) == len(set(names))
    for name, body in edges:
        assert judged(body, call="list") == ([], []), name
    for expected in (
        "list-sample",
        "list-smallest",
        "list-limit-empty-string",
        "list-page-min",
        "list-skip-and-page",
        "list-sortby-createdat-desc",
        "list-filters-status-empty",
        "list-filters-priority-5",
        "list-window-one-instant",
        "list-window-enddate-only",
    ):
        assert expected in names


def test_L1_overrides_replace_a_list_field() -> None:
    bodies = generate(
        list_requests(limit=2, filters=strategies.ABSENT, sortBy=st.just({"name": "asc"})),
        20,
        seed=1,
    )
    assert all(
        b["limit"] == 2 and "filters" not in b and b["sortBy"] == {"name": "asc"} for b in bodies
    )
    with pytest.raises(TypeError, match="limt"):
        list_requests(limt=2)


def test_L1_date_times_pass_their_format() -> None:
    for text in generate(strategies.date_times(), 200, seed=1):
        assert formats.is_date_time_with_zone(text), text
    assert _list.date_time(_list.EDGE_INSTANTS[1], 330) == "2024-03-01T05:29:59.999+05:30"


def test_L1_every_list_clause_has_a_breaker() -> None:
    assert breakable_list_rules() == ("L1",)
    cases = {b.case.split("-")[0] for b in broken_list_examples()}
    assert set(_list.list_request_schema()["properties"]) | {"body"} <= {
        c.split(".")[0].split("[")[0] for c in cases
    }
    with pytest.raises(InvalidArgument, match="rule='R2'"):
        broken_list_requests(rule="R2")


@FEW
@given(broken_list_requests(rule="L1"))
def test_L1_broken_list_bodies_fail_with_exactly_L1_at_their_pointer(broken: Broken) -> None:
    assert broken.rule == "L1"
    assert_broken(broken, call="list")


def test_L1_every_broken_list_example_fails_with_exactly_its_pointer() -> None:
    examples = broken_list_examples()
    assert len({b.case for b in examples}) == len(examples)
    for broken in examples:
        assert_broken(broken, call="list")


def test_L1_broken_list_examples_name_what_is_wrong() -> None:
    cases = {b.case: b for b in broken_list_examples("L1")}
    assert cases["limit-below-minimum-0"].payload["limit"] == 0
    assert cases["skip-below-minimum-minus-1"].pointer == "/skip"
    assert cases["page-string-not-in-enum-1"].payload["page"] == "1"  # a number in a string
    assert cases["filters.priority[]-wrong-type-string"].payload["filters"]["priority"][0] == "5"
    assert cases["filters.priority[]-above-maximum-6"].pointer == "/filters/priority/0"
    assert cases["type-missing"].pointer == "/type"
    unknown = cases["sortBy-unknown-key-created-at"]
    assert unknown.payload["sortBy"]["created_at"] == "asc"
    assert unknown.pointer == "/sortBy/created_at"


def test_C1_U1_L1_a_rule_a_variant_cannot_break_says_what_can() -> None:
    with pytest.raises(ValueError, match="C2: not a rule a template body can break"):
        broken_campaigns(None, "C2", "template")
    with pytest.raises(ValueError, match="U1: an update body is checked as a create body"):
        broken_campaigns(None, "U1")
    with pytest.raises(ValueError, match="a list body's: broken_list_requests"):
        broken_campaigns(None, "L1")


def test_R_generate_is_the_same_whatever_the_process_imported(tmp_path: Path) -> None:
    """Hypothesis mixes constants of the loaded local modules into its draws; `generate`
    does not, so a seed draws the same bodies before and after another module is loaded
    (the L1 edge test above once failed only after the whole suite had run)."""
    before = generate(list_requests(), 200, seed=7), generate(campaigns(), 50, seed=7)
    module = tmp_path / "kore_many_constants.py"
    numbers = ", ".join(str(n) for n in range(0, 600, 3))
    module.write_text(f"VALUES = ({numbers})\nWORDS = ('desc', 'Ready', 'MO')\n")
    found = importlib.util.spec_from_file_location("kore_many_constants", module)
    assert found is not None and found.loader is not None
    loaded = importlib.util.module_from_spec(found)
    sys.modules["kore_many_constants"] = loaded
    try:
        found.loader.exec_module(loaded)
        after = generate(list_requests(), 200, seed=7), generate(campaigns(), 50, seed=7)
    finally:
        del sys.modules["kore_many_constants"]
    assert after == before
