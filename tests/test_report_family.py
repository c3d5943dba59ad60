"""Reports of the family's run (issue 12, item 7): a rule row per rule and call for every call,
failing rules first in the HTML, the Markdown and the console table, the field matrix over
every family page, and results.schema.json accepting part 2's rule ids (C, U, T, Q, L) and
calls, nothing looser."""

from __future__ import annotations

import copy
import io
import re
from pathlib import Path
from typing import Any

import pytest
from report_samples import sample_results

from kore_contract.contract import spec
from kore_contract.report import render
from kore_contract.report.json_report import schema_problem
from kore_contract.report.model import build

FAMILY_ROWS = [  # (rule, call, status): one row per rule and call, as the run writes them
    ("C1", "create", "passed"),
    ("C3", "create", "passed"),
    ("U2", "update", "failed"),
    ("U3", "update", "passed"),
    ("T1", "start", "passed"),
    ("T3", "trigger", "passed"),
    ("T5", "stop", "passed"),
    ("Q1", "status", "failed"),
    ("L2", "list", "passed"),
    ("L3", "list", "not_exercised"),
    ("S10", "delete", "passed"),
    ("T4", "start", "failed"),
]


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    data = sample_results()
    covered = {(rule, call) for rule, call, _ in FAMILY_ROWS}
    data["rules"] = [
        row
        for row in data["rules"]
        if (row["id"], row["call"]) not in covered
        and not (row["call"] == "any" and row["id"] in {r for r, _ in covered})
    ]
    for rule, call, status in FAMILY_ROWS:
        failed = status == "failed"
        data["rules"].append(
            {
                "id": rule,
                "call": call,
                "status": status,
                "checks": 0 if status == "not_exercised" else 2,
                "failures": 1 if failed else 0,
                "first_failure": data["cases"][0]["id"] if failed else None,
            }
        )
    return data


def statuses(rows: list[tuple[str, str, str]]) -> list[str]:
    return [status for _, _, status in rows]


def is_failing_first(order: list[str]) -> bool:
    failed = [s == "failed" for s in order]
    return failed == sorted(failed, reverse=True) and any(failed)


# --- a rule row per rule and call, for every call ------------------------------------------


def test_every_call_has_its_rule_rows_in_every_report(results: dict[str, Any]) -> None:
    html, markdown = render(results, "html"), render(results, "md")
    for rule, call, _ in FAMILY_ROWS:
        assert f'<tr id="rule-{rule}-{call}">' in html
        assert re.search(rf"\| \*\*{rule}\*\* \| [^\n]* \| {call} \|", markdown), (rule, call)
    assert {row.call for row in build(results).rules} >= set(spec.CALLS) - {"get"} | {"stop"}


def test_results_schema_accepts_the_family_rule_ids_and_calls(results: dict[str, Any]) -> None:
    assert schema_problem(results) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "X1"),
        ("id", "c1"),
        ("id", "C"),
        ("id", "CU1"),
        ("call", "restart"),
        ("call", "Create"),
    ],
)
def test_results_schema_still_refuses_what_is_no_rule_or_call(
    results: dict[str, Any], field: str, value: str
) -> None:
    broken = copy.deepcopy(results)
    broken["rules"][0][field] = value
    assert schema_problem(broken) is not None


def test_findings_and_cases_may_name_a_family_rule_and_call(results: dict[str, Any]) -> None:
    data = copy.deepcopy(results)
    data["cases"][0]["rules"] = ["U2", "L1", "T6", "Q1", "C4"]
    data["cases"][0]["call"] = "update"
    assert schema_problem(data) is None
    data["cases"][0]["rules"] = ["Z9"]
    assert schema_problem(data) is not None


# --- failing rules first -------------------------------------------------------------------


def test_html_rule_table_lists_failing_rules_first(results: dict[str, Any]) -> None:
    html = render(results, "html")
    table = html[html.index('<table class="rules">') :]
    order = re.findall(r'<span class="badge s-(\w+)">', table[: table.index("</table>")])
    assert is_failing_first(order)
    assert len(order) == len(results["rules"])


def test_markdown_rule_table_lists_failing_rules_first(results: dict[str, Any]) -> None:
    markdown = render(results, "md")
    rules = markdown[markdown.index("### Rules") :]
    order = re.findall(r"\b(passed|failed|not exercised) \|", rules.split("\n\n#")[0])
    assert is_failing_first(order)


def test_console_table_lists_failing_rules_first(results: dict[str, Any]) -> None:
    from kore_contract.run.console import print_summary
    from kore_contract.run.results import RunResult

    out = io.StringIO()
    print_summary(RunResult.from_json(results), out, [Path("report.html")])
    table = out.getvalue().split("Contract by rule", 1)[1]
    order = re.findall(r"\b(passed|failed|not exercised)\b", table.split("\n\n")[0])
    assert is_failing_first(order)


# --- the field matrix covers every family page ---------------------------------------------


def test_field_matrix_covers_every_page_the_spec_documents(results: dict[str, Any]) -> None:
    documented = spec.load_spec()["info"]["x-documents"]
    pages = {
        page
        for names in documented.values()
        for page in ([names] if isinstance(names, str) else names)
    }
    assert pages <= {row.document for row in build(results).fields}
