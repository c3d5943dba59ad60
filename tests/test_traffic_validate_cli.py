"""Issue 13 item 2: `kore-contract validate --traffic FILE...` (commands/traffic.py).

Text: one line per exchange (FILE#INDEX) and a summary; `--format json`: validate's JSON shape,
one result per exchange; `--format junit`; `--report-dir` writes the four reports. Exit 0 no
violation, 1 violations, 2 nothing readable or a usage error; unreadable entries are reported
with their index without changing the exit status when others were read. No secret anywhere.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_mock_faults import family_fixture
from traffic_testing import TOKEN, App, body, har_document, write_har

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token
from kore_contract.cli import run
from kore_contract.mock.server import MockServer, running_mock
from kore_contract.run.client import Exchange

FIXTURE_FILE = "fixture.json"


def run_line(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["validate", "--traffic", *argv], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with running_mock(family_fixture()) as server:
        yield server


@pytest.fixture(scope="module")
def clean(mock: MockServer) -> list[Exchange]:
    app = App(mock.base_url)
    app.clean_session()
    return app.exchanges


@pytest.fixture(scope="module")
def broken(mock: MockServer) -> list[Exchange]:
    """A create the server must refuse (R7), refused, and a create with a foreign token."""
    app = App(mock.base_url)
    app.create(body(priority="6"))
    app.created_id()
    app.create(headers={**app.headers, "auth": mint_token(DEFAULT_CLIENT_ID, "x" * 20)})
    return app.exchanges


@pytest.fixture
def fixture_file(tmp_path: Path) -> str:
    path = tmp_path / FIXTURE_FILE
    path.write_text(json.dumps(family_fixture().to_json()))
    return str(path)


def test_a_clean_recording_exits_0_with_a_line_per_exchange(
    clean: list[Exchange], tmp_path: Path
) -> None:
    har = write_har(tmp_path / "clean.har", clean)
    code, out, err = run_line(str(har))
    lines = out.splitlines()
    assert code == 0, out + err
    assert lines[0] == f"{har}#0  create 201 ok"
    assert len(lines) == len(clean) + 1
    assert (
        lines[-1]
        == f"{len(clean)} exchanges, {len(clean)} ok, 0 with violations, 0 not in the contract"
    )


def test_violations_exit_1_naming_rules_and_the_secret_never_shows(
    broken: list[Exchange], tmp_path: Path
) -> None:
    har = write_har(tmp_path / "broken.har", broken)
    code, out, _ = run_line(str(har), "--client-secret", DEFAULT_CLIENT_SECRET)
    assert code == 1
    assert f"{har}#0  create 400 violations R7" in out
    assert f"{har}#2  create 401 violations A2" in out
    assert "rules broken: A2, R7" in out
    assert "    /priority: priority:" in out
    assert DEFAULT_CLIENT_SECRET not in out and TOKEN not in out


def test_without_the_client_secret_a_signature_is_not_judged(
    broken: list[Exchange], tmp_path: Path
) -> None:
    har = write_har(tmp_path / "broken.har", broken)
    code, out, _ = run_line(str(har))
    assert f"{har}#2  create 401 ok" in out  # a refused token that looked right
    assert code == 1  # R7 still


def test_json_has_one_result_per_exchange_in_validate_s_shape(
    broken: list[Exchange], tmp_path: Path
) -> None:
    har = write_har(tmp_path / "broken.har", broken)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    code, out, _ = run_line(str(har), str(bad), "--format", "json", "--client-secret", "")
    document = json.loads(out)
    assert code == 1
    assert document["summary"] == {
        "files": 4,
        "valid": 2,
        "invalid": 1,
        "unreadable": 1,
        "exchanges": 3,
        "not_in_the_contract": 0,
    }
    first, second, _, last = document["results"]
    assert first["path"] == f"{har}#0" and first["status"] == "invalid"
    assert first["violations"][0]["rule"] == "R7"
    assert (first["call"], first["http_status"], first["verdict"]) == ("create", 400, "violations")
    assert second["status"] == "valid" and second["error"] is None
    assert last == {
        "path": f"{bad}#1",
        "status": "unreadable",
        "violations": [],
        "warnings": [],
        "error": "line 1: not JSON (Expecting value: line 1 column 1 (char 0))",
    }


def test_nothing_readable_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.har"
    empty.write_text("")
    code, out, err = run_line(str(empty), str(tmp_path / "missing.har"))
    assert code == 2
    assert f"{empty}#0  unreadable: the file is empty" in out
    assert "missing.har#0  unreadable: no such file" in out
    assert "no exchange could be read" in err


def test_a_truncated_recording_checks_what_it_can_and_says_where_it_stops(
    clean: list[Exchange], tmp_path: Path
) -> None:
    text = json.dumps(har_document(clean))
    path = tmp_path / "cut.har"
    path.write_text(text[: len(text) // 2])
    code, out, _ = run_line(str(path))
    assert code == 0  # what was read is clean; the unreadable rest is reported
    assert "unreadable: entry" in out and "truncated" in out
    assert "1 unreadable" in out.splitlines()[-1]


def test_report_dir_writes_the_four_reports_without_a_secret(
    broken: list[Exchange], tmp_path: Path, fixture_file: str
) -> None:
    har = write_har(tmp_path / "broken.har", broken)
    reports = tmp_path / "reports"
    code, _, _ = run_line(str(har), "--report-dir", str(reports), "--fixture", fixture_file)
    assert code == 1
    assert sorted(p.name for p in reports.iterdir()) == [
        "junit.xml",
        "report.html",
        "report.md",
        "results.json",
    ]
    results = json.loads((reports / "results.json").read_text())
    assert [case["id"] for case in results["cases"]] == [
        "traffic-0000-create",
        "traffic-0001-create",
        "traffic-0002-create",
    ]
    assert results["verdict"] == "fail"
    for report in reports.iterdir():
        text = report.read_text()
        assert TOKEN not in text and TOKEN.rsplit(".", 1)[-1] not in text


def test_junit_format_is_the_run_s_junit(broken: list[Exchange], tmp_path: Path) -> None:
    har = write_har(tmp_path / "broken.har", broken)
    code, out, _ = run_line(str(har), "--format", "junit")
    assert code == 1
    assert ET.fromstring(out).tag in ("testsuites", "testsuite")
    assert TOKEN not in out


def test_a_recording_without_a_call_of_the_contract_says_so(
    clean: list[Exchange], tmp_path: Path
) -> None:
    document = har_document(clean[:2])
    for entry in document["log"]["entries"]:
        entry["request"]["url"] = "http://127.0.0.1:1/static/app.js"
    path = tmp_path / "static.har"
    path.write_text(json.dumps(document))
    code, out, err = run_line(str(path))
    assert code == 0 and "2 not in the contract" in out
    assert "none of the 2 exchanges is a call of the contract" in err
    assert "/campaign/api/v2/public/" in err


def test_standard_input_is_read_as_a_recording(
    clean: list[Exchange], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    har = write_har(tmp_path / "clean.har", clean)

    class Stdin:
        buffer = io.BytesIO(har.read_bytes())

    monkeypatch.setattr("sys.stdin", Stdin)
    code, out, _ = run_line("-")
    assert code == 0 and out.startswith("-#0  create 201 ok\n")


def test_traffic_and_jsonl_together_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "x.har"
    path.write_text("{}")
    code, _, err = run_line(str(path), "--jsonl")
    assert code == 2 and "--traffic" in err and "--jsonl" in err


def test_files_are_one_session_in_the_order_given(clean: list[Exchange], tmp_path: Path) -> None:
    """A session split over two recordings keeps its state: a get in the second file is
    compared with the create of the first (S10)."""
    create, get = clean[0], clean[1]
    first = write_har(tmp_path / "1.har", [create])
    changed = json.loads(get.response_text)
    changed["data"]["description"] = "another"
    document = har_document([get])
    document["log"]["entries"][0]["response"]["content"]["text"] = json.dumps(changed)
    second = tmp_path / "2.har"
    second.write_text(json.dumps(document))
    code, out, _ = run_line(str(first), str(second))
    assert code == 1 and f"{second}#0  get 200 violations S10" in out


@pytest.mark.parametrize(
    "options",
    [["--kind", "response"], ["--call", "list"], ["--variant", "plain"], ["--strict"]],
)
def test_options_traffic_cannot_honour_are_a_usage_error_not_ignored(
    clean: list[Exchange], tmp_path: Path, options: list[str]
) -> None:
    har = write_har(tmp_path / "clean.har", clean)
    code, out, err = run_line(str(har), *options)
    assert code == 2 and out == ""
    assert options[0] in err and "do not apply to --traffic" in err
    assert run_line(str(har), "--call", "create")[0] == 0  # the default, given: harmless
