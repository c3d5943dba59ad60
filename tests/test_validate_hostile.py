"""`kore-contract validate` under hostile input (issue 10, items 2, 6, 13 and 14).

Every path gets a result however it fails; a payload built to multiply violations costs
little and reports a bounded list; odd inputs (a device, a pipe, a socket) are named as
such; names and properties with control characters never reach the terminal raw.
"""

from __future__ import annotations

import copy
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kore_contract.cli import run
from kore_contract.contract import loader
from kore_contract.validate import (
    MAX_VIOLATIONS,
    Result,
    validate_request,
    validate_response,
    validate_text,
)
from kore_contract.validate.engine import reference_schema_violations, schema_violations
from kore_contract.validate.semantic import calling_hours_warnings

PAYLOADS = Path(__file__).parent / "payloads"
VALID = PAYLOADS / "valid" / "docs-sample-corrected.json"
R7 = PAYLOADS / "invalid" / "R7-priority-number.json"
FIXTURE = Path(__file__).parents[1] / "kore_contract" / "contract" / "data" / "example-fixture.json"


def run_line(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def kore(*args: str) -> subprocess.CompletedProcess[bytes]:
    """A real process, so that a read that would block fails the test instead of hanging it."""
    return subprocess.run(
        [sys.executable, "-m", "kore_contract", *args],
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def sample() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(VALID.read_text())
    return body


# --- item 2: a folder walk reports every entry it cannot read ---------------------------


def test_2_a_folder_reports_a_symlink_loop_and_still_checks_the_rest(tmp_path: Path) -> None:
    shutil.copy(VALID, tmp_path / "good.json")
    shutil.copy(R7, tmp_path / "b-bad.json")
    (tmp_path / "loop.json").symlink_to(tmp_path / "loop.json")
    code, out, _ = run_line("validate", "--format", "json", str(tmp_path))
    report = json.loads(out)
    assert code == 2
    assert report["summary"] == {"files": 3, "valid": 1, "invalid": 1, "unreadable": 1}
    assert [(Path(r["path"]).name, r["status"]) for r in report["results"]] == [
        ("b-bad.json", "invalid"),
        ("good.json", "valid"),
        ("loop.json", "unreadable"),
    ]
    assert report["results"][2]["error"] == "a symbolic link loop (it never reaches a file)"


def test_2_a_dangling_symlink_is_reported_unreadable(tmp_path: Path) -> None:
    shutil.copy(VALID, tmp_path / "good.json")
    (tmp_path / "gone.json").symlink_to(tmp_path / "nowhere.json")
    code, out, _ = run_line("validate", str(tmp_path))
    assert code == 2
    assert out.splitlines() == [
        f"error   {tmp_path / 'gone.json'}: a symbolic link to nothing "
        f"({tmp_path / 'nowhere.json'} does not exist)",
        f"ok      {tmp_path / 'good.json'} (template variant)",
        "2 files: 1 valid, 0 invalid, 1 unreadable",
    ]


def test_2_an_unreadable_sub_folder_is_reported_and_the_others_are_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "locked").mkdir()
    (tmp_path / "z").mkdir()
    shutil.copy(VALID, tmp_path / "a" / "one.json")
    shutil.copy(VALID, tmp_path / "locked" / "hidden.json")
    shutil.copy(R7, tmp_path / "z" / "two.json")
    scandir = os.scandir

    def refusing(path: Any = ".") -> Any:  # tests run as root: chmod 000 would not refuse
        if os.fspath(path) == str(tmp_path / "locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    code, out, _ = run_line("validate", str(tmp_path))
    assert code == 2
    assert out.splitlines() == [
        f"ok      {tmp_path / 'a' / 'one.json'} (template variant)",
        f"error   {tmp_path / 'locked'}: folder not readable (permission denied); "
        "its files were not checked",
        f"invalid {tmp_path / 'z' / 'two.json'} (template variant): 1 violation",
        out.splitlines()[3],  # R7's line
        "3 files: 1 valid, 1 invalid, 1 unreadable",
    ]


def test_2_a_pipe_named_json_in_a_folder_is_reported_not_read(tmp_path: Path) -> None:
    shutil.copy(VALID, tmp_path / "good.json")
    os.mkfifo(tmp_path / "pipe.json")
    done = kore("validate", str(tmp_path))
    assert done.returncode == 2
    assert done.stdout.decode().splitlines() == [
        f"ok      {tmp_path / 'good.json'} (template variant)",
        f"error   {tmp_path / 'pipe.json'}: not a regular file (a named pipe)",
        "2 files: 1 valid, 0 invalid, 1 unreadable",
    ]


# --- item 13: inputs that are no regular file, numbers and nesting no parser should take --


@pytest.fixture
def odd_files(tmp_path: Path) -> Iterator[dict[str, Path]]:
    os.mkfifo(tmp_path / "fifo.json")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(tmp_path / "s.json"))
    try:
        yield {"fifo": tmp_path / "fifo.json", "socket": tmp_path / "s.json"}
    finally:
        server.close()


def test_13_a_device_a_pipe_and_a_socket_are_not_regular_files(
    odd_files: dict[str, Path],
) -> None:
    done = kore(
        "validate", "/dev/zero", str(odd_files["fifo"]), str(odd_files["socket"]), str(VALID)
    )
    assert (done.returncode, done.stderr) == (2, b"")
    assert done.stdout.decode().splitlines() == [
        "error   /dev/zero: not a regular file (a character device)",
        f"error   {odd_files['fifo']}: not a regular file (a named pipe)",
        f"error   {odd_files['socket']}: not a regular file (a socket)",
        f"ok      {VALID} (template variant)",
        "4 files: 1 valid, 0 invalid, 3 unreadable",
    ]


def test_13_a_fixture_that_is_no_regular_file_is_one_line_exit_2(
    tmp_path: Path, odd_files: dict[str, Path]
) -> None:
    for path, kind in [
        (odd_files["fifo"], "a named pipe"),
        (Path("/dev/zero"), "a character device"),
        (tmp_path, "a folder"),
    ]:
        done = kore("validate", "--fixture", str(path), str(VALID))
        assert (done.returncode, done.stdout) == (2, b"")
        assert done.stderr.decode() == (
            f"kore-contract validate: {path}: cannot use the fixture: not a regular file ({kind})\n"
        )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"contactLists": ' * 100_000, "not usable JSON: nested too deeply"),
        (
            b'{"contactLists": [], "x": ' + b"7" * 5_000 + b"}",
            "not usable JSON: a number with more than 4300 digits",
        ),
        (b'{"contactLists": [NaN]}', "not JSON: NaN is not allowed in JSON"),
    ],
    ids=["deep", "long-number", "nan"],
)
def test_13_a_fixture_nested_too_deeply_or_with_a_huge_number_is_one_line_exit_2(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    fixture = tmp_path / "account.json"
    fixture.write_bytes(content)
    assert run_line("validate", "--fixture", str(fixture), str(VALID)) == (
        2,
        "",
        f"kore-contract validate: {fixture}: cannot use the fixture: {problem}\n",
    )


def test_13_a_payload_with_a_5000_digit_integer_is_unreadable_in_one_line(tmp_path: Path) -> None:
    body = json.dumps(sample())[:-1] + ', "x": ' + "7" * 5_000 + "}"
    (tmp_path / "long.json").write_text(body)
    code, out, err = run_line("validate", str(tmp_path / "long.json"), str(VALID))
    assert (code, err) == (2, "")
    assert out.splitlines()[0] == (
        f"error   {tmp_path / 'long.json'}: not usable JSON: a number with more than 4300 digits"
    )


def test_13_a_huge_integer_given_to_the_api_is_a_violation_not_a_crash() -> None:
    result = validate_request({**sample(), "priority": 10**5_000})
    assert [(v.rule, v.pointer) for v in result.violations] == [("R7", "/priority")]
    assert "priority: got a number with more than 4300 digits;" in result.violations[0].message


def test_13_read_json_file_reads_what_a_command_is_given_safely(
    tmp_path: Path, odd_files: dict[str, Path]
) -> None:
    good = loader.read_json_file(VALID)
    assert isinstance(good, loader.Parsed) and good.payload == sample()
    assert loader.read_json_file(odd_files["fifo"]) == loader.Unreadable(
        "not a regular file (a named pipe)"
    )
    assert loader.read_json_file(tmp_path / "none.json") == loader.Unreadable(
        "no such file or folder"
    )
    (tmp_path / "big.json").write_bytes(b"[" + b"1," * 600 + b"1]")
    assert loader.read_json_file(tmp_path / "big.json", limit=1000) == loader.Unreadable(
        "1,203 bytes is larger than the limit of 1,000 bytes"
    )
    (tmp_path / "deep.json").write_bytes(b"[" * 100_000)
    assert loader.read_json_file(tmp_path / "deep.json") == loader.Unreadable(
        "not usable JSON: nested too deeply"
    )


# --- item 6: a payload built to multiply violations --------------------------------------


def test_6_a_long_list_of_wrong_items_lists_the_cap_and_says_there_are_more() -> None:
    result = validate_request({"contactLists": [0] * 524_288})
    assert len(result.violations) == MAX_VIOLATIONS
    assert result.more_violations > 0 and not result.more_exact
    pointers = [v.pointer for v in result.violations]
    assert "/name" in pointers and "/contactLists/0" in pointers  # the root's first
    assert len(set(pointers)) == MAX_VIOLATIONS


def test_6_a_list_of_empty_days_lists_the_cap() -> None:
    body = sample()
    body["dialingStrategy"]["callingHours"]["days"] = [{}] * 200_000
    result = validate_request(body)
    assert len(result.violations) == MAX_VIOLATIONS
    assert {v.rule for v in result.violations} == {"R13"}
    assert result.violations[0].pointer == "/dialingStrategy/callingHours/days/0/day"
    assert result.more_violations > 0


def test_6_the_memory_of_checking_a_1_mb_hostile_body_is_small() -> None:
    """Memory past the parsed payload is measured (deterministic); time belongs to
    tests/benchmarks/bench_validate_worst.py. (Before the cap: over 1 GB.)"""
    from kore_contract.contract.fixture import load_fixture

    fixture = load_fixture(FIXTURE)
    bodies = [
        b'{"contactLists":[' + b"0," * 524_000 + b"0]}",
        b'{"dialingStrategy":{"callingHours":{"days":[' + b"{}," * 349_000 + b"{}]}}}",
    ]
    for body in bodies:
        parsed = loader.parse_json(body)
        assert isinstance(parsed, loader.Parsed)
        tracemalloc.start()
        try:
            result = validate_request(parsed.payload, fixture=fixture, strict=True)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert len(result.violations) == MAX_VIOLATIONS
        assert peak < 5 * 2**20, f"{peak / 2**20:.1f} MB"


def test_6_an_error_beyond_the_first_window_is_found_by_both_engines() -> None:
    body = sample()
    body["contactLists"] = ["list"] * 1_000
    body["contactLists"][150] = 0
    body["contactLists"][999] = ""
    for found in (schema_violations(body, "request"), reference_schema_violations(body, "request")):
        assert [(v.rule, v.pointer) for v in found] == [
            ("R4", "/contactLists/150"),
            ("R4", "/contactLists/999"),
        ]
    result = validate_request(body)
    assert (len(result.violations), result.more_violations) == (2, 0)


def test_6_both_engines_list_the_same_capped_violations() -> None:
    body = sample()
    body["dialingStrategy"]["callingHours"]["days"] = [{"day": "XX"}] * 300 + [5] * 300
    body["contactLists"] = [0] * 300
    assert schema_violations(body, "request") == reference_schema_violations(body, "request")
    assert len(schema_violations(body, "request")) == MAX_VIOLATIONS


def test_6_duplicated_keys_beyond_the_cap_are_counted_exactly() -> None:
    keys = ", ".join(f'"k{i}": 1, "k{i}": 2' for i in range(150))
    result = validate_text(json.dumps(sample())[:-1] + ", " + keys + "}")
    assert isinstance(result, Result)
    assert (len(result.violations), result.more_violations, result.more_exact) == (100, 50, True)


def test_6_a_key_repeated_many_times_is_one_violation() -> None:
    result = validate_text(json.dumps(sample())[:-1] + ', "k": 1' * 1000 + "}")
    assert isinstance(result, Result)
    assert [v.pointer for v in result.violations] == ["/k"]


def test_6_unknown_contact_lists_stop_at_the_cap() -> None:
    from kore_contract.contract.fixture import load_fixture

    body = sample()
    body["contactLists"] = [f"list {i}" for i in range(100_000)]
    result = validate_request(body, fixture=load_fixture(FIXTURE))
    assert len(result.violations) == MAX_VIOLATIONS and {v.rule for v in result.violations} == {
        "R4"
    }
    assert result.more_violations > 0


def test_6_overlapping_calling_hours_warn_up_to_the_cap() -> None:
    block = {"day": "MO", "start": "9:00 AM", "end": "5:00 PM"}
    body = sample()
    body["dialingStrategy"]["callingHours"]["days"] = [block] * 20_000
    result = validate_request(body)
    assert result.violations == []
    assert len(result.warnings) == MAX_VIOLATIONS and result.more_warnings > 0
    assert result.warnings[0].message == "days[1]: MO 9:00 AM-5:00 PM overlaps days[0]"


def test_6_the_overlap_walk_gives_the_same_warnings_in_index_order() -> None:
    days = [
        {"day": "MO", "start": "9:00 AM", "end": "11:00 AM"},
        {"day": "TU", "start": "9:00 AM", "end": "11:00 AM"},
        {"day": "MO", "start": "10:00 AM", "end": "12:00 PM"},
        {"day": "MO", "start": "8:00 AM", "end": "9:30 AM"},
        {"day": "MO", "start": "5:00 PM", "end": "4:00 PM"},
    ]
    found = calling_hours_warnings({"dialingStrategy": {"callingHours": {"days": days}}})
    assert [w.message for w in found] == [
        "days[2]: MO 10:00 AM-12:00 PM overlaps days[0]",
        "days[3]: MO 8:00 AM-9:30 AM overlaps days[0]",
        "days[4]: starts at 5:00 PM but ends at 4:00 PM; start should be before end",
    ]


def test_6_many_undocumented_properties_warn_up_to_the_cap() -> None:
    body = {**sample(), **{f"x{i}": i for i in range(50_000)}}
    result = validate_request(body, strict=True)
    assert result.violations == []
    assert len(result.warnings) == MAX_VIOLATIONS and result.more_warnings > 0


def test_6_deep_legal_nesting_is_validated() -> None:
    body = json.dumps(sample())[:-1] + ', "x": ' + '{"a": ' * 500 + "1" + "}" * 500 + "}"
    result = validate_text(body, strict=True)
    assert isinstance(result, Result) and result.ok
    assert [w.pointer for w in result.warnings] == ["/x"]


def test_6_a_response_with_a_long_wrong_list_is_capped() -> None:
    from kore_contract.contract import spec

    answer = copy.deepcopy(spec.examples("create", "response")["docsSample"])
    answer["data"]["contactLists"] = [0] * 100_000
    result = validate_response(answer)
    assert len(result.violations) == MAX_VIOLATIONS and result.more_violations > 0


def test_6_the_text_and_json_output_say_how_many_more(tmp_path: Path) -> None:
    keys = ", ".join(f'"k{i}": 1, "k{i}": 2' for i in range(130))
    (tmp_path / "dup.json").write_text(json.dumps(sample())[:-1] + ", " + keys + "}")
    (tmp_path / "list.json").write_text(json.dumps({**sample(), "contactLists": [0] * 5_000}))
    code, out, _ = run_line("validate", str(tmp_path))
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == f"invalid {tmp_path / 'dup.json'} (template variant): 130 violations"
    assert lines[101] == "  ... and 30 more violations"
    assert lines[102] == (
        f"invalid {tmp_path / 'list.json'} (template variant): more than 100 violations"
    )
    assert lines[203] == "  ... and more violations (the listing stops at 100)"
    code, out, _ = run_line("validate", "--format", "json", str(tmp_path))
    dup, many = json.loads(out)["results"]
    assert (len(dup["violations"]), dup["more_violations"], dup["more_exact"]) == (100, 30, True)
    assert (len(many["violations"]), many["more_exact"]) == (100, False)
    assert many["more_violations"] > 0
    code, out, _ = run_line("validate", "--format", "junit", str(tmp_path))
    failure = ET.fromstring(out).find("testsuite/testcase/failure")
    assert failure is not None and (failure.text or "").endswith("... and 30 more violations")


def test_6_a_payload_without_more_keeps_designs_shape() -> None:
    code, out, _ = run_line("validate", "--format", "json", str(R7))
    assert code == 1
    assert set(json.loads(out)["results"][0]) == {
        "path",
        "status",
        "violations",
        "warnings",
        "error",
    }


# --- item 14: what reaches a terminal, a JSON reader or an XML parser --------------------


def test_14_text_output_escapes_control_characters_in_file_names(tmp_path: Path) -> None:
    shutil.copy(R7, tmp_path / "osc\x1b]0;pwned\x07.json")
    shutil.copy(VALID, tmp_path / "new\nline.json")
    shutil.copy(VALID, tmp_path / "bidi\u202etxt.json")
    code, out, _ = run_line("validate", str(tmp_path))
    assert code == 1
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    lines = out.splitlines()
    assert len(lines) == 5
    assert lines[0] == f"ok      {tmp_path}/bidi\\u202etxt.json (template variant)"
    assert lines[1] == f"ok      {tmp_path}/new\\nline.json (template variant)"
    assert lines[2] == (
        f"invalid {tmp_path}/osc\\x1b]0;pwned\\x07.json (template variant): 1 violation"
    )


def test_14_text_output_escapes_control_characters_in_property_names(tmp_path: Path) -> None:
    body = json.dumps(sample())[:-1] + ', "\\u001b[2J\\u009b": 1, "\\u001b[2J\\u009b": 2}'
    (tmp_path / "keys.json").write_text(body)
    code, out, _ = run_line("validate", "--strict", str(tmp_path / "keys.json"))
    assert code == 1
    assert "\x1b" not in out and "\x9b" not in out
    assert "  R1 /\\x1b[2J\\x9b  \\x1b[2J\\x9b: key appears more than once" in out
    code, out, _ = run_line("validate", "--format", "json", str(tmp_path / "keys.json"))
    violation = json.loads(out)["results"][0]["violations"][0]
    assert violation["pointer"] == "/\x1b[2J\x9b"  # a pointer names the key exactly
    assert violation["message"].startswith("\\x1b[2J\\x9b: key appears")


def test_14_json_and_junit_stay_valid_for_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9\x1b.json")
    shutil.copy(R7, tmp_path / name)
    for fmt in ("json", "junit", "text"):
        code, out, _ = run_line("validate", "--format", fmt, str(tmp_path))
        assert code == 1
        data = out.encode("utf-8")  # every character encodes: no lone surrogate
        if fmt == "json":
            assert json.loads(data)["results"][0]["path"] == f"{tmp_path}/caf\\xe9\x1b.json"
        elif fmt == "junit":
            case = ET.fromstring(data).find("testsuite/testcase")
            assert case is not None and case.get("name") == f"{tmp_path}/caf\\xe9\\x1b.json"
        else:
            assert f"{tmp_path}/caf\\xe9\\x1b.json (template variant): 1 violation" in out


def test_14_json_output_escapes_c1_controls_and_lone_surrogates() -> None:
    from kore_contract.validate.output import render

    results = [
        {
            "path": "a\x9b\ud800",
            "status": "unreadable",
            "violations": [],
            "warnings": [],
            "error": "e\x85",
        },
    ]
    out = render(results, "json")
    assert not any("\x7f" <= c <= "\x9f" or "\ud800" <= c <= "\udfff" for c in out)
    assert json.loads(out.encode("utf-8"))["results"][0]["error"] == "e\x85"
