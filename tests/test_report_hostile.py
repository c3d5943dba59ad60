"""Reports and traces under hostile input (issue 10, items 11, 13 and 14).

A server may answer any text (lone surrogates, NUL, terminal escapes, `]]>`, `</script>`);
a results file or a documentation page may be nested 100,000 deep, hold a 5,000-digit
integer, or not be a regular file at all. Reports are still written, whole and valid;
commands answer one line and exit 2; text output never carries a control character.
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from report_samples import sample_results

from kore_contract import cli
from kore_contract.commands import test as contract_run
from kore_contract.report import FILE_NAMES, FORMATS, ReportsNotWritten, render, write_reports

HOSTILE = "lone \ud800 nul \x00 ansi \x1b[31m cdata ]]> script </script> osc \x1b]0;title\x07 end"


def hostile_results() -> dict[str, Any]:
    results = sample_results()
    case = results["cases"][1]
    case["response"]["body"] = {"echo": HOSTILE, HOSTILE: "as a key"}
    case["response"]["headers"]["X-Echo"] = HOSTILE
    case["findings"][0]["message"] = f"got {HOSTILE!s}; expected a name"
    case["error"] = None
    results["cases"][2]["response"]["body"] = None
    results["cases"][2]["response"]["body_text"] = HOSTILE
    results["run"]["server"] = HOSTILE
    return results


def run_line(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(argv[1:], out, err)
    return code, out.getvalue(), err.getvalue()


# --- item 11: every report is written, whole, whatever the server said ---------------------


def test_item11_reports_survive_any_text_a_server_can_send(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text('{"previous": "run"}\n', encoding="utf-8")
    paths = write_reports(hostile_results(), tmp_path)
    assert [p.name for p in paths] == [FILE_NAMES[f] for f in FORMATS]
    for path in paths:
        data = path.read_bytes()
        assert data, f"{path.name} is empty"
        data.decode("utf-8")  # strict: no lone surrogate written as CESU or surrogateescape
        assert b"\x00" not in data and b"\x1b" not in data, path.name
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    # kept but the lone surrogate, which no strict JSON parser reads even escaped
    assert results["cases"][1]["response"]["body"]["echo"] == HOSTILE.replace("\ud800", "\ufffd")
    junit = etree.fromstring((tmp_path / "junit.xml").read_bytes())
    assert junit.tag == "testsuites"
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "</script>" not in html and "&lt;/script&gt;" in html
    assert "<script" not in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


def test_item11_control_characters_show_as_escapes_in_html_and_markdown() -> None:
    html, md = render(hostile_results(), "html"), render(hostile_results(), "md")
    for text in (html, md):
        assert "\\x1b" in text and "\\x00" in text and "\\ud800" in text


def test_item11_a_failing_writer_leaves_the_previous_file_and_the_others_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kore_contract.report import junit

    previous = '<?xml version="1.0"?><testsuites name="previous"/>\n'
    (tmp_path / "junit.xml").write_text(previous, encoding="utf-8")
    (tmp_path / "results.json").write_text("{}\n", encoding="utf-8")

    def broken(report: object) -> str:
        raise RuntimeError("the writer broke")

    monkeypatch.setattr(junit, "render", broken)
    with pytest.raises(ReportsNotWritten) as raised:
        write_reports(sample_results(), tmp_path)
    assert (tmp_path / "junit.xml").read_text(encoding="utf-8") == previous
    assert [p.name for p in raised.value.written] == ["results.json", "report.html", "report.md"]
    assert json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["version"] == 1
    assert str(raised.value) == f"cannot write {tmp_path / 'junit.xml'}: the writer broke"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_item11_a_write_that_fails_midway_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kore_contract.common import files

    target = tmp_path / "results.json"
    target.write_text('{"previous": true}\n', encoding="utf-8")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        files.write_atomic(target, "x" * 100)
    assert target.read_text(encoding="utf-8") == '{"previous": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_item11_the_test_command_says_which_report_failed_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kore_contract.report import html

    def broken(report: object) -> str:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(html, "render", broken)
    with pytest.raises(contract_run.CannotRun) as raised:
        contract_run.write_reports(sample_results(), tmp_path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"cannot write {tmp_path / 'report.html'}: maximum recursion")
    assert "results.json" in message  # the reports that were written are named
    assert (tmp_path / "report.md").stat().st_size > 0


def test_item11_report_reads_back_what_a_hostile_run_wrote(tmp_path: Path) -> None:
    (source, *_) = write_reports(hostile_results(), tmp_path / "run")
    target = tmp_path / "report.md"
    target.write_text("previous\n", encoding="utf-8")
    code, out, err = run_line(
        [
            "kore-contract",
            "report",
            "--results",
            str(source),
            "--format",
            "md",
            "--out",
            str(target),
        ]
    )
    assert (code, out, err) == (0, "", "")
    text = target.read_text(encoding="utf-8")
    assert "\ufffd" in text and "\\x1b" in text and "\x1b" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md", "run"]  # no temp file


def test_item14_the_run_summary_prints_no_control_character() -> None:
    from kore_contract.run.console import print_summary
    from kore_contract.run.results import RunResult

    results = hostile_results()
    results["cases"][1]["id"] = "case-\x1b]8;;http://x\x07[bold]"
    results["rules"][0]["first_failure"] = results["cases"][1]["id"]
    results.update(verdict="error", error=f"server said {HOSTILE}")
    out = io.StringIO()
    print_summary(RunResult.from_json(results), out, [Path("reports/\x1b[2Jresults.json")])
    text = out.getvalue()
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]", text)
    assert "\\x1b[31m" in text and "reports/\\x1b[2Jresults.json" in text


# --- item 13: `report --results` with a file that is not a results file ----------------------


def report_on(path: Path | str) -> tuple[int, str, str]:
    return run_line(["kore-contract", "report", "--results", str(path), "--format", "md"])


def one_line_exit_2(code: int, out: str, err: str, path: Path | str, problem: str) -> None:
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"kore-contract report: {path}: "), err
    assert problem in err, err


def test_item13_report_refuses_deeply_nested_results(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    one_line_exit_2(*report_on(path), path, "nested too deeply")


def test_item13_report_refuses_results_nested_past_what_a_writer_can_take(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"version": 1, "x": ' + "[" * 900 + "]" * 900 + "}")  # json parses it
    one_line_exit_2(*report_on(path), path, "nested too deeply")


def test_item13_report_refuses_a_5000_digit_integer(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text('{"version": 1, "seed": ' + "7" * 5000 + "}")
    one_line_exit_2(*report_on(path), path, "a number with more than 4300 digits")


def test_item13_report_refuses_nan(tmp_path: Path) -> None:
    path = tmp_path / "nan.json"
    path.write_text('{"version": 1, "x": NaN}')
    one_line_exit_2(*report_on(path), path, "not JSON: NaN is not allowed in JSON")


def test_item11_a_number_json_cannot_write_is_written_as_text(tmp_path: Path) -> None:
    results = sample_results()
    results["cases"][1]["response"]["body"] = {"big": 1e999, "nan": float("nan")}
    (path, *_) = write_reports(results, tmp_path)
    body = json.loads(path.read_text(encoding="utf-8"))["cases"][1]["response"]["body"]
    assert body == {"big": "Infinity", "nan": "NaN"}


def test_item13_report_refuses_dev_zero() -> None:
    one_line_exit_2(*report_on("/dev/zero"), "/dev/zero", "not a regular file")


def test_item13_report_refuses_a_fifo_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "results.json"
    os.mkfifo(fifo)
    outcome: list[tuple[int, str, str]] = []
    worker = threading.Thread(target=lambda: outcome.append(report_on(fifo)), daemon=True)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # unblock the reader so that the test run can end
        with open(fifo, "w"):  # a writer lets the reader return
            pass
        pytest.fail("report waited for a writer on the FIFO")
    one_line_exit_2(*outcome[0], fifo, "not a regular file")


def test_item13_report_refuses_a_folder(tmp_path: Path) -> None:
    one_line_exit_2(*report_on(tmp_path), tmp_path, "not a regular file")


def test_item14_report_errors_escape_control_characters_in_file_names(tmp_path: Path) -> None:
    path = tmp_path / "results\x1b[31m.json"
    code, out, err = report_on(path)
    assert (code, out) == (2, "")
    assert "\x1b" not in err and "results\\x1b[31m.json" in err
