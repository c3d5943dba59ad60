"""The verdict's line (run/headline.py), in the console, the reports and JUnit.

A contract run judges the server. Checked traffic judges both sides, so a failing request
rule is not blamed on the server, and traffic with no exchange of the contract is "NOTHING
CHECKED", not a PASS (a proxy nobody sent traffic through proves nothing).
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_traffic_checker import FIXTURE, checker, verdicts
from traffic_testing import App

from kore_contract.mock.server import MockServer, running_mock
from kore_contract.report import write_reports
from kore_contract.run.console import print_summary
from kore_contract.run.headline import headline
from kore_contract.run.results import RunResult


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with running_mock(FIXTURE) as server:
        yield server


def traffic_result(mock: MockServer, steps: str) -> RunResult:
    app = App(mock.base_url)
    getattr(app, steps)()
    judge = checker()
    verdicts(app.exchanges, judge)
    return judge.result()


def test_traffic_without_an_exchange_of_the_contract_is_nothing_checked() -> None:
    result = checker().result()
    assert headline(result) == ("NOTHING CHECKED", "no exchange of the contract was seen")
    assert result.verdict == "pass"  # exit 0: no violation, but the line says why


def test_a_clean_session_is_a_pass_of_the_traffic(mock: MockServer) -> None:
    assert headline(traffic_result(mock, "clean_session")) == (
        "PASS",
        "the traffic keeps the contract",
    )


def test_R7_a_bad_request_is_blamed_on_the_request_not_the_server(
    mock: MockServer, tmp_path: Path
) -> None:
    app = App(mock.base_url)
    app.clean_session()
    create = next(e for e in app.exchanges if e.method == "POST" and e.status == 201)
    bad = copy.copy(create)
    bad.__dict__.pop("_parsed_response", None)
    bad.body = create.body.replace(b'"priority": "', b'"priority": "9', 1).replace(
        b'"priority":"', b'"priority":"9', 1
    )
    judge = checker()
    verdicts([bad], judge)
    result = judge.result()
    label, sentence = headline(result)
    assert label == "FAIL" and "request rules R7 (what the application sent)" in sentence
    assert "server breaks" not in sentence
    out = io.StringIO()
    print_summary(result, out, [])
    assert "FAIL: the traffic breaks the contract: request rules R7" in out.getvalue()
    written = write_reports(result, tmp_path)
    for path in written:
        if path.suffix in (".md", ".html"):
            assert "the traffic breaks the contract" in path.read_text(encoding="utf-8"), path


def test_S4_a_bad_answer_is_blamed_on_the_server_side() -> None:
    with running_mock(FIXTURE, fault="S4-wrong-lname") as faulty:
        result = traffic_result(faulty, "clean_session")
    label, sentence = headline(result)
    assert label == "FAIL" and "answer rules S4 (what the server answered)" in sentence
    assert "request rules" not in sentence


def test_a_contract_run_keeps_its_words() -> None:
    result = RunResult.from_json(
        {**checker().result().to_json(), "verdict": "fail"} | {"source": None}
    )
    assert headline(result) == ("FAIL", "the server breaks the contract")
