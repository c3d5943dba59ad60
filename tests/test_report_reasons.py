"""Issue 12 item 5: a rule row that is not exercised says why, in results.json (an optional
`reason`), the console table, the HTML and Markdown reports and the JUnit file
(`<skipped message=...>`); the run gives every such row a reason."""

from __future__ import annotations

import copy
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from report_samples import sample_results

from kore_contract.cli import run as cli_run
from kore_contract.contract.fixture import load_fixture
from kore_contract.report import render
from kore_contract.report.json_report import schema_problem
from kore_contract.run.outcome import CaseOutcome
from kore_contract.run.planning import PlannedCase, plan_gaps
from kore_contract.run.results import RuleResult, RunResult
from kore_contract.run.runner import CUT_SHORT, NOT_PLANNED, NOT_REACHED, rule_results

REASON = 'needs --allow-sends on a live URL <b>"5" | 6</b>'


@pytest.fixture
def results() -> dict[str, Any]:
    """The sample results, with one row not exercised for a reason and one without."""
    data = sample_results()
    data["rules"] = [row for row in data["rules"] if row["id"] not in ("T2", "T3")]
    data["rules"] += [
        {
            "id": "T2",
            "call": "any",
            "status": "not_exercised",
            "checks": 0,
            "failures": 0,
            "first_failure": None,
            "reason": REASON,
        },
        {
            "id": "T3",
            "call": "any",
            "status": "not_exercised",
            "checks": 0,
            "failures": 0,
            "first_failure": None,
        },
    ]
    return data


# --- results.json ----------------------------------------------------------------------------


def test_a_reason_round_trips_and_is_written_only_where_there_is_one() -> None:
    row = RuleResult("T2", "any", "not_exercised", 0, 0, None, {"reason": REASON})
    assert row.to_json()["reason"] == REASON
    assert RuleResult.from_json(row.to_json()) == row
    assert RuleResult.from_json(row.to_json()).reason == REASON
    plain = RuleResult("S4", "create", "passed", 3, 0, None)
    assert "reason" not in plain.to_json()
    assert RuleResult.from_json(plain.to_json()).reason is None


def test_results_schema_takes_a_reason_on_a_rule_row(results: dict[str, Any]) -> None:
    assert schema_problem(results) is None
    assert RunResult.from_json(results).to_json()["rules"] == results["rules"]


@pytest.mark.parametrize("reason", ["", 5, None, ["x"]])
def test_results_schema_refuses_a_reason_that_is_no_text(
    results: dict[str, Any], reason: Any
) -> None:
    broken = copy.deepcopy(results)
    broken["rules"][-2]["reason"] = reason
    assert schema_problem(broken) is not None


# --- the reports -----------------------------------------------------------------------------


def test_html_rule_row_says_why_it_was_not_exercised(results: dict[str, Any]) -> None:
    html = render(results, "html")
    row = html[html.index('<tr id="rule-T2-any">') :]
    row = row[: row.index("</tr>")]
    assert (
        "&lt;b&gt;&#34;5&#34; | 6&lt;/b&gt;" in row or "&lt;b&gt;&quot;5&quot; | 6&lt;/b&gt;" in row
    )
    assert "<b>" not in row
    t3 = html[html.index('<tr id="rule-T3-any">') :]
    assert 'class="muted reason"' not in t3[: t3.index("</tr>")]


def test_markdown_rule_row_says_why_it_was_not_exercised(results: dict[str, Any]) -> None:
    markdown = render(results, "md")
    (line,) = [ln for ln in markdown.splitlines() if ln.startswith("| **T2** |")]
    assert "not exercised: needs --allow-sends on a live URL" in line
    assert line.count(" | ") == 6  # the reason's own | is escaped: the row keeps 7 cells
    (t3,) = [ln for ln in markdown.splitlines() if ln.startswith("| **T3** |")]
    assert "not exercised |" in t3


def test_junit_skipped_message_says_why(results: dict[str, Any]) -> None:
    root = ET.fromstring(render(results, "junit"))
    skipped = {
        case.get("name", "").split(":")[0]: case.find("skipped")
        for case in root.iter("testcase")
        if case.find("skipped") is not None
    }
    t2, t3 = skipped["T2"], skipped["T3"]
    assert t2 is not None and t2.get("message") == f"not exercised by this run: {REASON}"
    assert t3 is not None and t3.get("message") == "not exercised by this run"


def test_console_table_says_why(results: dict[str, Any]) -> None:
    from kore_contract.run.console import print_summary

    out = io.StringIO()
    print_summary(RunResult.from_json(results), out, [])
    text = out.getvalue()
    table = " ".join(text.split("Contract by rule", 1)[1].split())
    assert "(why: needs --allow-sends on a live URL" in table
    assert f"\nnot exercised (T2): {REASON}" in text  # on a line of its own
    assert "\\n" not in text  # a newline, not an escaped one


# --- the run gives every row not exercised a reason ------------------------------------------


def outcome(case_id: str, exercised: set[tuple[str, str]], **case: Any) -> CaseOutcome:
    ran = CaseOutcome(PlannedCase(case_id, "positive", "accept", **case))
    ran.exercised |= exercised
    return ran


def test_every_row_not_exercised_has_a_reason() -> None:
    ran = [outcome("create-1", {("S4", "create")}, follow_lifecycle=True)]
    rows = rule_results(ran, {"T2": "needs --allow-sends"})
    missing = [row for row in rows if row.status == "not_exercised"]
    assert missing and all(row.reason for row in missing)
    reasons = {row.id: row.reason for row in missing}
    assert reasons["T2"] == "needs --allow-sends"  # the run's own reason wins
    assert reasons["S10"] == NOT_REACHED  # its case ran; no answer reached the check
    assert reasons["L1"] == NOT_PLANNED  # no case of the plan
    assert all(row.reason is None for row in rows if row.status != "not_exercised")


def test_a_cut_short_run_says_so_for_the_rules_it_did_not_reach() -> None:
    rows = rule_results([outcome("create-1", {("S4", "create")})], cut_short=True)
    assert {row.id: row.reason for row in rows}["L1"] == CUT_SHORT


def test_C3_a_fixture_without_experience_flows_is_why_C3_is_not_exercised() -> None:
    assert plan_gaps(load_fixture()) == {}
    data = load_fixture().to_json()
    data.pop("experienceFlows")
    from kore_contract.contract.fixture import fixture_from_json

    gaps = plan_gaps(fixture_from_json(data))
    assert list(gaps) == ["C3"] and "experience flow" in gaps["C3"]


def test_C3_the_reason_reaches_every_report_of_a_real_run(tmp_path: Path) -> None:
    data = load_fixture().to_json()
    data.pop("experienceFlows")
    fixture = tmp_path / "no-flows.json"
    fixture.write_text(json.dumps(data), "utf-8")
    out, err = io.StringIO(), io.StringIO()
    args = ["test", "--fixture", str(fixture), "--report-dir", str(tmp_path / "r")]
    code = cli_run([*args, "--max-examples", "2", "--no-fuzz"], out, err)
    assert code == 0, out.getvalue() + err.getvalue()
    results = json.loads((tmp_path / "r" / "results.json").read_text("utf-8"))
    rows = {row["id"]: row for row in results["rules"] if row["status"] == "not_exercised"}
    assert "experience flow" in rows["C3"]["reason"]
    assert all(row.get("reason") for row in rows.values())
    for name in ("junit.xml", "report.md", "report.html"):
        assert "names no experience flow" in (tmp_path / "r" / name).read_text("utf-8"), name
    assert "names no experience flow" in out.getvalue()
