"""Issue 11, items 3, 5 and 6: one contract session, the suite's cases per rule from the
checks, typed run results.

`kore-contract test` and the pytest plugin run the contract through one `ContractSession`:
the same defaults, probe, phases, ledger and credentials. The suite runs a rule's test over
the cases in which the run exercises the rule, as the check registry says. The run's results
are a `RunResult` whose JSON form is results.json, checked against its schema when written
and when read.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import io
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from report_samples import sample_results

from kore_contract import auth
from kore_contract.cli import run as cli_run
from kore_contract.mock.server import MockServer, running_mock
from kore_contract.run.options import CannotRun, SessionOptions
from kore_contract.run.results import ResultsShapeError, RunResult

KORE_VARIABLES = (
    "KORE_BASE_URL",
    "KORE_STREAM_ID",
    "KORE_ACCOUNT_ID",
    "KORE_IID",
    "KORE_CLIENT_ID",
    "KORE_CLIENT_SECRET",
    "KORE_TOKEN",
    "KORE_FIXTURE",
    "KORE_MAX_EXAMPLES",
    "KORE_SEED",
    "KORE_REPORT_DIR",
    "KORE_ALLOW_WRITES",
    "KORE_ALLOW_SENDS",
    "KORE_NO_FUZZ",
)


@pytest.fixture(autouse=True)
def no_kore_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KORE_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with running_mock() as server:
        yield server


def command_options(*argv: str) -> SessionOptions:
    """The session options `kore-contract test ARGV` runs with."""
    from kore_contract.commands import test

    parser = argparse.ArgumentParser()
    test.add_arguments(parser)
    return test.session_options(parser.parse_args(list(argv)))


def plugin_options(tmp_path: Path, **given: Any) -> SessionOptions:
    """The session options the pytest plugin runs with, given these `--kore-*` options."""
    from kore_contract.integrations.pytest_plugin import read_settings

    def getoption(name: str) -> Any:
        return given.get(name)

    config = SimpleNamespace(
        getoption=getoption, rootpath=tmp_path, invocation_params=SimpleNamespace(dir=tmp_path)
    )
    return read_settings(config)  # type: ignore[arg-type]


# --- item 3: one orchestration ----------------------------------------------------------------


def test_item3_command_and_plugin_share_every_default(tmp_path: Path) -> None:
    command, plugin = command_options(), plugin_options(tmp_path)
    assert plugin.report_dir == tmp_path / "reports"  # the plugin's own: under the rootdir
    assert plugin.flags == "--kore-"
    assert dataclasses.replace(plugin, report_dir=command.report_dir, flags="--") == command
    assert command == SessionOptions()  # nothing restated: the session's defaults


def test_item3_plugin_options_reach_the_session(tmp_path: Path) -> None:
    options = plugin_options(
        tmp_path, kore_max_examples="3", kore_seed="7", kore_no_fuzz=True, kore_stream_id="st-1"
    )
    assert (options.max_examples, options.seed, options.fuzz, options.stream_id) == (
        3,
        7,
        False,
        "st-1",
    )


def run_command(mock: MockServer, report_dir: Path) -> tuple[int, RunResult]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_run(
        [
            "test",
            "--base-url",
            mock.base_url,
            "--max-examples",
            "1",
            "--no-fuzz",
            "--client-id",
            auth.DEFAULT_CLIENT_ID,
            "--client-secret",
            auth.DEFAULT_CLIENT_SECRET,
            "--report-dir",
            str(report_dir),
        ],
        out,
        err,
    )
    data = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    return code, RunResult.from_json(data)


def run_plugin(mock: MockServer, tmp_path: Path) -> Any:
    """The plugin's contract run, as its `kore_contract_results` fixture makes it."""
    from kore_contract.contract.fixture import load_fixture
    from kore_contract.integrations.pytest_plugin import run_session
    from kore_contract.run.client import Target

    options = plugin_options(
        tmp_path,
        kore_base_url=mock.base_url,
        kore_max_examples="1",
        kore_no_fuzz=True,
        kore_client_id=auth.DEFAULT_CLIENT_ID,
        kore_client_secret=auth.DEFAULT_CLIENT_SECRET,
    )
    token = auth.mint_token(auth.DEFAULT_CLIENT_ID, auth.DEFAULT_CLIENT_SECRET)
    target = Target(mock.base_url, options.stream_id, options.account_id, options.iid, token)
    return run_session(
        options, target, load_fixture(), (auth.DEFAULT_CLIENT_ID, auth.DEFAULT_CLIENT_SECRET)
    )


def test_item3_suite_and_command_run_the_same_contract(mock: MockServer, tmp_path: Path) -> None:
    from kore_contract.report.json_report import sanitized

    code, command = run_command(mock, tmp_path / "command")
    suite = run_plugin(mock, tmp_path).result
    assert code == 0 and command.verdict == suite.verdict == "pass"
    written = RunResult.from_json(sanitized(suite))  # as results.json would hold it
    assert [c.id for c in written.cases] == [c.id for c in command.cases]
    assert suite.run.requests == command.run.requests  # the reachability probe included
    assert (tmp_path / "reports" / "ledger.jsonl").is_file()  # the plugin's report dir
    assert mock.store.count() == 0


def test_item3_suite_cannot_run_against_an_unreachable_server(tmp_path: Path) -> None:
    from kore_contract.contract.fixture import load_fixture
    from kore_contract.integrations.pytest_plugin import run_session
    from kore_contract.run.client import Target

    options = plugin_options(
        tmp_path, kore_base_url="http://127.0.0.1:9", kore_token="x.y.z", kore_no_fuzz=True
    )
    target = Target(
        "http://127.0.0.1:9", options.stream_id, options.account_id, options.iid, "x.y.z"
    )
    with pytest.raises(CannotRun, match=r"^cannot reach http://127\.0\.0\.1:9: "):
        run_session(options, target, load_fixture(), (None, None))


def test_item3_a_live_server_gets_the_rate_cap_and_the_stop_in_both_shells(tmp_path: Path) -> None:
    from kore_contract.run.client import MAX_CONSECUTIVE_FAILURES, Target
    from kore_contract.run.session import ContractSession

    for options in (
        plugin_options(
            tmp_path,
            kore_base_url="https://platform.kore.ai",
            kore_allow_writes=True,
            kore_token="x.y.z",
        ),
        command_options(
            "--base-url", "https://platform.kore.ai", "--allow-writes", "--token", "x.y.z"
        ),
    ):
        target = Target("https://platform.kore.ai", "st", "acc", "app", "x.y.z")
        session = ContractSession(options, target=target)
        with session:  # no request is sent: the target is given
            client = session.client()
        assert client.limiter.interval == 1 / 5.0  # five requests a second
        assert client.max_failures == MAX_CONSECUTIVE_FAILURES
        client.close()


def test_item3_both_shells_refuse_a_live_url_without_allow_writes(tmp_path: Path) -> None:
    from kore_contract.run.session import check_base_url

    for options, flag in (
        (plugin_options(tmp_path, kore_base_url="https://platform.kore.ai"), "--kore-allow-writes"),
        (command_options("--base-url", "https://platform.kore.ai"), "--allow-writes"),
    ):
        with pytest.raises(CannotRun, match=f"not a loopback address.*pass {flag} to go"):
            check_base_url(options)


def test_item3_the_suite_plans_the_schemathesis_phase_unless_told_not_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kore_contract.contract.fixture import load_fixture
    from kore_contract.run import fuzz_phase
    from kore_contract.run.client import Target
    from kore_contract.run.planning import PlannedCase
    from kore_contract.run.session import plan_session

    fuzzed = PlannedCase("fuzz-create-positive-1", "fuzz", "accept")
    monkeypatch.setattr(fuzz_phase, "plan_fuzz_cases", lambda *args, **kwargs: [fuzzed])
    target = Target("http://planning.invalid", "st", "acc", "app", "planning")

    def plan(options: SessionOptions) -> list[str]:
        return [
            case.id
            for case in plan_session(
                options, target, load_fixture(), client_id="c", client_secret=None
            )
        ]

    stubbed = SessionOptions(max_examples=1, seed=918273)  # a draw no other test makes
    assert plan(stubbed)[-1] == "fuzz-create-positive-1"  # the default
    assert "fuzz-create-positive-1" not in plan(dataclasses.replace(stubbed, fuzz=False))


def test_item3_the_schemathesis_phase_asks_no_negative_get_it_cannot_draw() -> None:
    """A negative get has nothing to break once its headers and query are fixed: the draw
    comes back empty after about a second of trying, so the plan does not ask for it."""
    import schemathesis
    from schemathesis import GenerationMode

    from kore_contract.contract.fixture import load_fixture
    from kore_contract.contract.spec import operations
    from kore_contract.run import fuzz_phase
    from kore_contract.run.client import Target

    target = Target("http://planning.invalid", "st", "acc", "app", "planning")
    fuzz_phase._register_formats(load_fixture())
    schema = schemathesis.openapi.from_dict(fuzz_phase.planned_spec())
    get = schema[operations()["get"]["path"]][operations()["get"]["method"]]
    fixed = {
        "path_parameters": {"streamId": "st"},
        "headers": target.standard_headers(),
        "query": {"accountId": "acc"},
    }
    assert fuzz_phase.draw_cases(get, GenerationMode.NEGATIVE, 2, 0, fixed) == []
    planned = fuzz_phase.plan_fuzz_cases(target, load_fixture(), max_examples=5, seed=0)
    assert {case.id.rsplit("-", 1)[0] for case in planned} == {
        "fuzz-create-positive",
        "fuzz-create-negative",
        "fuzz-get-positive",
        "fuzz-delete-positive",
        "fuzz-delete-negative",
    }


def test_item3_collection_and_run_share_one_schemathesis_draw(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kore_contract.contract.fixture import load_fixture
    from kore_contract.run import fuzz_phase
    from kore_contract.run.client import Target
    from kore_contract.run.session import fuzz_plan

    draws: list[str] = []

    def drawn(target: Any, *args: Any, **kwargs: Any) -> list[Any]:
        draws.append(target.token)
        return []

    monkeypatch.setattr(fuzz_phase, "plan_fuzz_cases", drawn)
    fixture = load_fixture()
    collected = Target("http://planning.invalid", "st", "acc", "app", "planning")
    running = Target("http://127.0.0.1:8080", "st", "acc", "app", "the-real-token")
    fuzz_plan(collected, fixture, max_examples=1, seed=918274)
    fuzz_plan(running, fixture, max_examples=1, seed=918274)
    assert draws == ["planning"]  # drawn once: the run's cases are the ones collected
    fuzz_plan(running, fixture, max_examples=2, seed=918274)
    assert len(draws) == 2


# --- item 5: what a check applies to, once ------------------------------------------------------


def test_item5_the_suite_runs_a_rule_over_the_cases_the_run_exercises_it_in(
    mock: MockServer, tmp_path: Path
) -> None:
    from kore_contract.run.runner import planned_rules
    from kore_contract.run.session import offline_plan

    outcome = run_plugin(mock, tmp_path)
    result = outcome.result
    options = plugin_options(
        tmp_path,
        kore_base_url=mock.base_url,
        kore_max_examples="1",
        kore_no_fuzz=True,
        kore_client_id=auth.DEFAULT_CLIENT_ID,
        kore_client_secret=auth.DEFAULT_CLIENT_SECRET,
    )
    planned = {case.id: case for case in offline_plan(options)}  # what the suite collects
    assert set(planned) == {case.id for case in result.cases}
    for case in result.cases:
        assert set(case.rules) == planned_rules(planned[case.id]), case.id


def test_item5_a_registered_check_reaches_the_suite_with_no_other_edit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kore_contract.run import checks
    from kore_contract.run.planning import PlannedCase
    from kore_contract.run.runner import planned_rules

    refused = PlannedCase("r7-case", "negative", "refuse", breaks="R7")
    accepted = PlannedCase("ok-case", "positive", "accept")
    assert "S12" not in planned_rules(refused)
    monkeypatch.setattr(
        checks,
        "CHECKS",
        [
            *checks.CHECKS,
            checks.RegisteredCheck(("S12",), ("refuse",), lambda obs: iter(())),
        ],
    )
    assert "S12" in planned_rules(refused)
    assert "S12" not in planned_rules(accepted)
    assert {"R7", "S9", "S11"} <= planned_rules(refused)


def test_item5_every_suite_test_names_a_catalogue_rule() -> None:
    from kore_contract.contract.rules import RULES
    from kore_contract.run.checks import SUITE_TESTS

    assert set(SUITE_TESTS) <= set(RULES)
    judged = {
        rule_id
        for rule_id, rule in RULES.items()
        if rule_id[0] in "RSA" and rule.severity == "violation"
    }
    assert judged - set(SUITE_TESTS) == set()  # R14 and R16 only warn


# --- item 6: typed run results ------------------------------------------------------------------


def test_item6_results_json_reads_and_writes_back_unchanged() -> None:
    sample = sample_results()
    sample["run"]["server"] = "an extra key a reader keeps"
    sample["cases"][0]["steps"] = []
    sample["cases"][0]["breaks"] = None
    sample["cases"][1]["response"]["body_text"] = None
    sample["error"] = None
    for data in (sample_results(), sample_results(trace=False), sample):
        assert RunResult.from_json(copy.deepcopy(data)).to_json() == data


def test_item6_results_are_typed() -> None:
    result = RunResult.from_json(sample_results())
    case = result.case("create-edge-48-chars")
    assert case is not None and case.response is not None
    assert (case.response.status, case.findings[0].rule, case.findings[0].pointer) == (
        201,
        "S4",
        "/data/lname",
    )
    assert result.rules[0].status in ("passed", "failed", "not_exercised")
    assert result.run.seed == 1234


def test_item6_a_results_document_without_a_case_id_names_where() -> None:
    data = sample_results()
    del data["cases"][2]["id"]
    with pytest.raises(ResultsShapeError, match=r"^/cases/2: 'id' is missing$"):
        RunResult.from_json(data)


def test_item6_results_that_break_the_schema_are_not_written(tmp_path: Path) -> None:
    from kore_contract.report import ReportsNotWritten, write_reports

    data = sample_results()
    data["cases"][0]["status"] = "skipped"
    with pytest.raises(ReportsNotWritten) as raised:
        write_reports(RunResult.from_json(data), tmp_path)
    assert str(raised.value).startswith(
        f"cannot write {tmp_path / 'results.json'}: the results break results.schema.json: "
        "/cases/0/status: "
    )
    assert not (tmp_path / "results.json").exists()
    assert [path.name for path in raised.value.written] == ["junit.xml", "report.html", "report.md"]


def test_item6_report_reads_results_as_a_run_result(tmp_path: Path) -> None:
    from kore_contract.commands.report import load_results

    path = tmp_path / "results.json"
    path.write_text(json.dumps(sample_results()), encoding="utf-8")
    result = load_results(path)
    assert isinstance(result, RunResult)
    assert result.to_json() == sample_results()


def test_item6_both_shells_read_allow_sends_from_the_option_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert plugin_options(tmp_path).allow_sends is False
    assert command_options().allow_sends is False
    assert plugin_options(tmp_path, kore_allow_sends=True).allow_sends is True
    assert command_options("--allow-sends").allow_sends is True
    monkeypatch.setenv("KORE_ALLOW_SENDS", "1")
    assert plugin_options(tmp_path).allow_sends is True
    assert command_options().allow_sends is True
