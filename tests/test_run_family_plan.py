"""Issue 12 item 5: the default plan holds the family, and each lifecycle walks item 5's list
against the embedded mock (real HTTP to 127.0.0.1), in its order, finding nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kore_contract import auth
from kore_contract.contract import spec
from kore_contract.contract.fixture import load_fixture
from kore_contract.mock.server import MockServer, running_mock
from kore_contract.run import planning
from kore_contract.run.client import Exchange, KoreClient, Target
from kore_contract.run.ledger import Ledger
from kore_contract.run.outcome import CaseOutcome
from kore_contract.run.planning import PlannedCase, plan_cases
from kore_contract.run.runner import Runner, rule_results

PLANNING = Target("http://planning.invalid", "st", "acc", "app", "x.y.z")


def default_plan() -> list[PlannedCase]:
    return plan_cases(
        PLANNING, load_fixture(), max_examples=3, seed=0, client_id="c", client_secret="s" * 32
    )


def lifecycles(plan: list[PlannedCase]) -> list[PlannedCase]:
    return [case for case in plan if "family" in case.notes]


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with running_mock(stream_id="st", account_id="acc", iid="app") as server:
        yield server


def run(server: MockServer, cases: list[PlannedCase], tmp_path: Path) -> Runner:
    token = auth.mint_token(auth.DEFAULT_CLIENT_ID, auth.DEFAULT_CLIENT_SECRET)
    client = KoreClient(
        Target(server.base_url, "st", "acc", "app", token), ledger=Ledger(tmp_path / "l.jsonl")
    )
    runner = Runner(client, flows=load_fixture().experience_flows)
    runner.run_plan(cases)
    client.close()
    return runner


def label(call: str, exchange: Exchange) -> str:
    """`call status`, a start saying its URL shape: "start:trigger 200", "start:page 409"."""
    if call in ("start", "stop"):
        call += ":trigger" if "/trigger/" in exchange.url else ":page"
    return f"{call} {exchange.status}"


def in_order(labels: list[str], wanted: list[str]) -> list[str]:
    """The part of `wanted` not found in `labels` in that order (a subsequence)."""
    rest = iter(labels)
    return [step for step in wanted if not any(step == got for got in rest)]


# --- the plan ----------------------------------------------------------------------------


def test_C1_the_default_plan_walks_every_variant_with_the_bundled_fixture() -> None:
    """The bundled example names the docs' samples' experience flow, so the advanced
    variant is created by default (C3) beside the template and plain ones."""
    assert load_fixture().experience_flows
    assert [case.id for case in lifecycles(default_plan())] == [
        f"family-{variant}-lifecycle" for variant in spec.variant_names()
    ]


def test_C3_the_spec_advanced_example_names_a_flow_of_the_bundled_fixture() -> None:
    from kore_contract.validate import validate_request

    for name, body in spec.examples("create", "request").items():
        if spec.variant_of(body) == "advanced":
            result = validate_request(body, "create", "advanced", fixture=load_fixture())
            assert [v.rule for v in result.violations] == [], name


def test_T2_starts_use_both_documented_URL_shapes_across_the_cases() -> None:
    assert {case.notes["start_shape"] for case in lifecycles(default_plan())} == {
        "trigger",
        "start",
    }


def test_the_plan_breaks_each_new_clause_and_each_call_on_an_unknown_id() -> None:
    plan = default_plan()
    broken = {case.breaks for case in plan if case.expect == "refuse"}
    assert {"C2", "C3", "L1", "U3"} <= broken
    assert {case.call for case in plan if case.breaks == "U3"} == set(planning.U3_CALLS)
    for case in lifecycles(plan):  # U1 and T6 are broken inside each lifecycle
        assert case.notes["broken_update"] is not None


def test_the_family_is_planned_by_default_without_a_switch() -> None:
    assert not hasattr(planning, "FAMILY_LIFECYCLE")


# --- the walk, against the embedded mock -------------------------------------------------

#: Item 5's lifecycle, as (call, status) in order; the start's shape is the case's.
ITEM_5 = [
    "create 201",
    "get 200",
    "update 200",
    "get 200",
    "start:{shape} 200",
    "status 200",
    "get 200",  # T2: Active, with the start's updatedAt
    "list 200",
    "start:trigger 409",  # refused transitions while Active
    "update 409",
    "delete 409",
    "stop:trigger 200",
    "status 200",
    "stop:trigger 409",  # stop again
    "delete 200",
    "status 404",
    "update 404",
    "get 404",
    "list 200",
]


def walked(mock: MockServer, tmp_path: Path) -> list[CaseOutcome]:
    return run(mock, lifecycles(default_plan()), tmp_path).outcomes


def test_T_U_L_each_lifecycle_walks_item_5_in_order(mock: MockServer, tmp_path: Path) -> None:
    for outcome in walked(mock, tmp_path):
        labels = [label(call, exchange) for call, exchange in outcome.exchanges]
        shape = "page" if outcome.case.notes["start_shape"] == "start" else "trigger"
        wanted = [step.replace("{shape}", shape) for step in ITEM_5]
        assert in_order(labels, wanted) == [], (outcome.case.id, labels)
        assert outcome.findings == [], outcome.case.id


def test_T6_U1_bad_triggers_campaign_types_and_a_broken_update_are_refused(
    mock: MockServer, tmp_path: Path
) -> None:
    for outcome in walked(mock, tmp_path):
        refused = [
            (call, exchange)
            for call, exchange in outcome.exchanges
            if exchange.status is not None and 400 <= exchange.status < 500
        ]
        triggers = [e.url for call, e in refused if call in ("start", "stop")]
        assert any("campaignType=voice" in url and "trigger=play" in url for url in triggers)
        assert any("campaignType=voice" in url and "trigger=stop" in url for url in triggers)
        assert any("/trigger/" not in url for url in triggers)  # the start page's form too
        assert any(call == "update" and e.status == 400 for call, e in refused)  # U1


def test_L3_lists_page_with_a_small_limit_filter_and_sort_and_find_the_campaign_once(
    mock: MockServer, tmp_path: Path
) -> None:
    for outcome in walked(mock, tmp_path):
        campaign_id = outcome.exchanges[0][1].response_json["data"]["_id"]
        lists: list[tuple[dict[str, Any], dict[str, Any]]] = [
            (e.request_json, e.response_json["data"])
            for call, e in outcome.exchanges
            if call == "list" and e.status == 200
        ]
        assert all(body["limit"] == 2 for body, _ in lists)
        assert {next(iter(body["sortBy"])) for body, _ in lists} >= {"name", "createdAt"}
        assert any(body["filters"].get("status") == ["Active"] for body, _ in lists)
        found = [row for _, page in lists for row in page["results"] if row["id"] == campaign_id]
        assert len([row for row in found if row["status"] == "Active"]) == 1
        assert campaign_id not in [r["id"] for r in lists[-1][1]["results"]]  # deleted


def test_the_family_rules_pass_on_the_clean_mock(mock: MockServer, tmp_path: Path) -> None:
    runner = run(mock, [c for c in default_plan() if c.phase != "fuzz"], tmp_path)
    rows = {row.id: row.status for row in rule_results(runner.outcomes)}
    family = ("C1", "C2", "C3", "C4", "U1", "U2", "U3", "T1", "T2", "T3", "T4", "T5", "T6", "Q1")
    assert {rule: rows.get(rule) for rule in (*family, "L1", "L2", "L3")} == dict.fromkeys(
        (*family, "L1", "L2", "L3"), "passed"
    )
    assert runner.left_behind == []


# --- the run's campaigns listed together (L2, L3) ----------------------------------------


def listing(plan: list[PlannedCase]) -> PlannedCase:
    (case,) = [case for case in plan if "listing" in case.notes]
    return case


def test_L3_the_listing_case_creates_campaigns_named_out_of_creation_order() -> None:
    case = listing(default_plan())
    names = [body["name"] for body in [case.body, *case.notes["listing"]]]
    assert len(names) == len(planning.LISTING_NAMES) >= 3
    newest_first = names[::-1]
    assert sorted(names, key=str.lower) not in (names, newest_first)  # a sort shows
    assert {body["format"] for body in [case.body, *case.notes["listing"]]} >= {
        "simple",
        "advanced",
    }


def test_L2_L3_the_run_campaigns_are_paged_through_sorted_two_ways_then_not_listed(
    mock: MockServer, tmp_path: Path
) -> None:
    (outcome,) = run(mock, [listing(default_plan())], tmp_path).outcomes
    assert outcome.findings == []
    created = [e.response_json["data"]["_id"] for c, e in outcome.exchanges if c == "create"]
    assert len(created) == 3
    lists = [e for c, e in outcome.exchanges if c == "list"]
    assert all(e.status == 200 for e in lists)
    bodies = [e.request_json for e in lists]
    assert all("startDate" in b and "endDate" in b for b in bodies)  # the createdAt window
    deleted_at = max(i for i, (c, _) in enumerate(outcome.exchanges) if c == "delete")
    for sort in ("name", "createdAt"):
        pages = [
            e.response_json["data"]
            for c, e in outcome.exchanges[:deleted_at]
            if c == "list" and next(iter(e.request_json.get("sortBy") or {}), None) == sort
        ]
        assert len(pages) >= 2 and pages[0]["hasMore"] is True  # paged: 3 by 2
        listed = [row["id"] for page in pages for row in page["results"]]
        assert sorted(listed) == sorted(created)  # each exactly once
    filtered = [b for b in bodies if (b.get("filters") or {}).get("status")]
    assert filtered and filtered[0]["filters"]["status"] == [planning_state()]
    last = outcome.exchanges[-1][1].response_json["data"]["results"]
    assert not {row["id"] for row in last} & set(created)


def planning_state() -> str:
    from kore_contract.run.family import OTHER_STATE

    return OTHER_STATE
