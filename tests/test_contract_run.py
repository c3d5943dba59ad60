"""`kore-contract test`: the clean mock passes; every injected defect is caught by its rule."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kore_contract.cli import run as cli_run
from kore_contract.mock.faults import FAULTS
from kore_contract.mock.server import running_mock
from kore_contract.run.client import KoreClient, Target
from kore_contract.run.ledger import Ledger

SECRET = "kore-contract-secret-for-the-leak-test"
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


def run_line(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_run(args, out, err)
    return code, out.getvalue(), err.getvalue()


def results_of(report_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((report_dir / "results.json").read_text("utf-8"))
    return loaded


def failed_rules(results: dict[str, Any]) -> set[str]:
    return {row["id"] for row in results["rules"] if row["status"] == "failed"}


#: Issue 12 item 5's budget for the default run against the embedded mock (a count; the
#: time is measured by tests/benchmarks/bench_default_run.py).
REQUEST_BUDGET = 600


@pytest.fixture(scope="module")
def default_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """The default `kore-contract test`, the real command, run twice in a row in one report
    directory: (the directory, [(completed process, its results.json), ...])."""
    report_dir = tmp_path_factory.mktemp("default-run")
    runs = []
    for _ in range(2):
        completed = subprocess.run(
            [sys.executable, "-m", "kore_contract", "test", "--report-dir", str(report_dir)],
            capture_output=True,
            text=True,
            timeout=120,
            env={"NO_COLOR": "1", "PATH": "/usr/bin"},
        )
        runs.append((completed, results_of(report_dir)))
    return report_dir, runs


def test_clean_mock_passes_with_the_real_command(default_runs: tuple[Path, list[Any]]) -> None:
    report_dir, [(completed, results), _] = default_runs
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "PASS" in completed.stdout
    assert results["verdict"] == "pass"
    assert failed_rules(results) == set()
    assert not [c for c in results["cases"] if c["findings"]]
    assert {p.name for p in report_dir.iterdir()} >= {
        "results.json",
        "junit.xml",
        "report.html",
        "report.md",
    }


def test_budget_the_default_run_stays_under_600_requests(
    default_runs: tuple[Path, list[Any]],
) -> None:
    _, runs = default_runs
    for _, results in runs:
        assert results["run"]["requests"] < REQUEST_BUDGET


def test_the_default_run_exercises_every_rule_family_included(
    default_runs: tuple[Path, list[Any]],
) -> None:
    from kore_contract.contract.rules import RULES

    _, [(_, results), _] = default_runs
    rows = results["rules"]
    assert [row["id"] for row in rows if row["status"] == "not_exercised"] == []
    assert {row["id"] for row in rows} == set(RULES)
    assert {c["id"] for c in results["cases"]} >= {
        "family-template-lifecycle",
        "family-plain-lifecycle",
        "family-advanced-lifecycle",
        "family-list-paging",
    }


def test_the_default_run_twice_in_one_report_dir_passes_and_leaves_the_ledger_empty(
    default_runs: tuple[Path, list[Any]],
) -> None:
    report_dir, runs = default_runs
    for completed, results in runs:
        assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr
        assert results["verdict"] == "pass"
    assert Ledger.read_pending(report_dir / "ledger.jsonl") == []


def test_every_rule_is_exercised_on_the_clean_mock(tmp_path: Path) -> None:
    code, _, err = run_line(
        ["test", "--report-dir", str(tmp_path), "--max-examples", "3", "--no-fuzz"]
    )
    assert code == 0, err
    exercised = {row["id"] for row in results_of(tmp_path)["rules"] if row["status"] == "passed"}
    missing = (
        {f"R{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15)}
        | {f"S{n}" for n in range(1, 12)}
        | {"A1", "A2", "A3"}
    )
    assert missing - exercised == set()


@pytest.fixture
def results_json_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run writes results.json alone (checked against its schema, as always): the fault
    sweep reads only that, and rendering the other three reports 77 times cost a minute of
    CI. test_S4_a_faulted_run_writes_the_four_reports_naming_the_rule writes them all."""
    from kore_contract import report
    from kore_contract.common.files import write_atomic
    from kore_contract.report import json_report

    def write_json(results: Any, out_dir: Path) -> list[Path]:
        path = Path(out_dir) / report.FILE_NAMES["json"]
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json_report.checked_text(json_report.sanitized(results)))
        return [path]

    monkeypatch.setattr(report, "write_reports", write_json)


def test_S4_a_faulted_run_writes_the_four_reports_naming_the_rule(tmp_path: Path) -> None:
    code, out, err = run_line(
        ["test", "--fault", "S4-wrong-lname", "--report-dir", str(tmp_path), "--no-fuzz"]
    )
    assert code == 1, out + err
    assert "S4" in failed_rules(results_of(tmp_path))
    for name in ("junit.xml", "report.html", "report.md"):
        assert "S4" in (tmp_path / name).read_text(encoding="utf-8"), name


@pytest.mark.usefixtures("results_json_only")
@pytest.mark.parametrize("fault", sorted(FAULTS), ids=str)
def test_injected_defect_is_caught_by_its_rule(fault: str, tmp_path: Path) -> None:
    code, out, err = run_line(
        [
            "test",
            "--fault",
            fault,
            "--report-dir",
            str(tmp_path),
            "--max-examples",
            "3",
            "--no-fuzz",
        ]
    )
    results = results_of(tmp_path)
    assert code == 1, out + err
    assert FAULTS[fault].rule in failed_rules(results), failed_rules(results)


def test_non_loopback_base_url_needs_allow_writes(tmp_path: Path) -> None:
    code, _, err = run_line(
        [
            "test",
            "--base-url",
            "https://platform.kore.ai",
            "--token",
            "x.y.z",
            "--report-dir",
            str(tmp_path),
        ]
    )
    assert code == 2
    assert "not a loopback address" in err and "--allow-writes" in err
    assert not (tmp_path / "results.json").exists()


def test_unreachable_server_is_exit_2_with_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run_line(
        [
            "test",
            "--base-url",
            "http://127.0.0.1:9",
            "--token",
            "x.y.z",
            "--report-dir",
            str(tmp_path),
            "--timeout",
            "2",
        ]
    )
    assert code == 2
    assert err.startswith("kore-contract test: cannot reach http://127.0.0.1:9")
    assert "Traceback" not in err


@pytest.mark.parametrize("option", ["--max-examples=0", "--timeout=0", "--rate=-1"])
def test_bad_options_are_exit_2_and_echo_the_input(option: str, tmp_path: Path) -> None:
    code, _, err = run_line(["test", option, "--report-dir", str(tmp_path)])
    assert code == 2
    assert option.split("=")[0] in err


def test_S11_no_secret_in_any_file_written(tmp_path: Path) -> None:
    code, out, err = run_line(
        [
            "test",
            "--client-id",
            "leak-test-client",
            "--client-secret",
            SECRET,
            "--report-dir",
            str(tmp_path),
            "--max-examples",
            "3",
        ]
    )
    assert code == 0, out + err
    for path in tmp_path.iterdir():
        text = path.read_text("utf-8", "replace")
        assert SECRET not in text, path
        assert "eyJ" not in text or "[redacted]" in text, path
    assert SECRET not in out + err


def test_cleanup_deletes_what_a_crashed_run_left(tmp_path: Path) -> None:
    from kore_contract import auth
    from kore_contract.contract.fixture import load_fixture
    from kore_contract.strategies import base_campaign

    ledger_path = tmp_path / "ledger.jsonl"
    with running_mock(stream_id="st", account_id="acc", iid="app") as server:
        token = auth.mint_token(auth.DEFAULT_CLIENT_ID, auth.DEFAULT_CLIENT_SECRET)
        target = Target(server.base_url, "st", "acc", "app", token)
        client = KoreClient(target, ledger=Ledger(ledger_path))
        created = [client.create(base_campaign(load_fixture())) for _ in range(3)]
        assert [c.status for c in created] == [201, 201, 201]
        assert len(Ledger.read_pending(ledger_path)) == 3  # the run "crashes" here
        code, out, _ = run_line(
            [
                "cleanup",
                "--ledger",
                str(ledger_path),
                "--base-url",
                server.base_url,
                "--client-id",
                auth.DEFAULT_CLIENT_ID,
                "--client-secret",
                auth.DEFAULT_CLIENT_SECRET,
            ]
        )
        assert code == 0, out
        assert Ledger.read_pending(ledger_path) == []
        for exchange in created:
            campaign_id = exchange.response_json["data"]["_id"]
            assert client.get(campaign_id).status == 404


def test_interrupted_run_still_deletes_what_it_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kore_contract.run import runner as runner_module

    original = runner_module.Runner.run_case
    calls = {"n": 0}

    def interrupting(self: Any, case: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return original(self, case)

    monkeypatch.setattr(runner_module.Runner, "run_case", interrupting)
    code, _, _ = run_line(["test", "--report-dir", str(tmp_path), "--max-examples", "3"])
    assert code == 130
    assert Ledger.read_pending(tmp_path / "ledger.jsonl") == []
    assert results_of(tmp_path)["verdict"] == "error"


def test_results_json_keeps_its_published_schema(tmp_path: Path) -> None:
    import jsonschema

    from kore_contract.report import SCHEMA_FILE

    code, _, err = run_line(
        [
            "test",
            "--report-dir",
            str(tmp_path),
            "--max-examples",
            "3",
            "--docs",
            *map(str, sorted(REFERENCE.glob("*.md"))),
        ]
    )
    assert code == 0, err
    results = results_of(tmp_path)
    schema = json.loads(Path(SCHEMA_FILE).read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(results)
    assert results["version"] == 1
    assert results["trace"]["defects"], "the reference documents have known defects (D1-D12)"
