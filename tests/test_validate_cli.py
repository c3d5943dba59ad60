"""`kore-contract validate` as a user runs it: files, folders, stdin, formats, exit codes."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from kore_contract.cli import run

PAYLOADS = Path(__file__).parent / "payloads"
VALID = PAYLOADS / "valid" / "docs-sample-corrected.json"
R7 = PAYLOADS / "invalid" / "R7-priority-number.json"
FIXTURE = Path(__file__).parents[1] / "kore_contract" / "contract" / "data" / "example-fixture.json"
R7_LINE = (
    "    R7 /priority  priority: got the number 5; expected a string, one of "
    '"1" "2" "3" "4" "5"; send the string "5"'
)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_line(argv: list[str], stdout: io.StringIO | None = None) -> tuple[int, str, str]:
    """Run `kore-contract ...` in this process: (exit code, stdout, stderr)."""
    assert argv[0] == "kore-contract"
    out, err = stdout or io.StringIO(), io.StringIO()
    code = run(argv[1:], out, err)
    return code, out.getvalue(), err.getvalue()


def test_a_valid_file_exits_0_with_one_line_per_file() -> None:
    assert run_line(["kore-contract", "validate", str(VALID)]) == (
        0,
        f"ok      {VALID} (template variant)\n1 file: 1 valid, 0 invalid, 0 unreadable\n",
        "",
    )


def test_an_invalid_file_exits_1_with_its_violations_grouped_under_it() -> None:
    code, out, _ = run_line(["kore-contract", "validate", str(VALID), str(R7)])
    assert code == 1
    assert out.splitlines() == [
        f"ok      {VALID} (template variant)",
        f"invalid {R7} (template variant): 1 violation",
        R7_LINE,
        "2 files: 1 valid, 1 invalid, 0 unreadable",
    ]


def test_json_output_has_designs_shape_exactly() -> None:
    code, out, _ = run_line(
        [
            "kore-contract",
            "validate",
            "--format",
            "json",
            str(VALID),
            str(R7),
            str(PAYLOADS / "nope.json"),
        ]
    )
    assert code == 2
    assert json.loads(out) == {
        "summary": {"files": 3, "valid": 1, "invalid": 1, "unreadable": 1},
        "results": [
            {
                "path": str(VALID),
                "status": "valid",
                "violations": [],
                "warnings": [],
                "error": None,
            },
            {
                "path": str(R7),
                "status": "invalid",
                "violations": [
                    {
                        "rule": "R7",
                        "pointer": "/priority",
                        "message": "priority: got the number 5; expected a string, one of "
                        '"1" "2" "3" "4" "5"; send the string "5"',
                    }
                ],
                "warnings": [],
                "error": None,
            },
            {
                "path": str(PAYLOADS / "nope.json"),
                "status": "unreadable",
                "violations": [],
                "warnings": [],
                "error": "no such file or folder",
            },
        ],
    }


def test_junit_output_parses_with_one_testcase_per_file() -> None:
    part_1 = [str(PAYLOADS / "valid"), str(PAYLOADS / "invalid")]  # create bodies (not family/)
    code, out, _ = run_line(
        ["kore-contract", "validate", "--format", "junit", "--fixture", str(FIXTURE), *part_1]
    )
    assert code == 1
    suite = ET.fromstring(out).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    files = [*(PAYLOADS / "valid").rglob("*.json"), *(PAYLOADS / "invalid").rglob("*.json")]
    assert len(cases) == len(files) == int(suite.get("tests", "0"))
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == len(list((PAYLOADS / "invalid").glob("*.json")))
    assert int(suite.get("failures", "-1")) == len(failures)


def test_junit_escapes_what_xml_cannot_hold(tmp_path: Path) -> None:
    body = json.loads(VALID.read_text())
    body["name"] = '<&>"\x01' * 10
    (tmp_path / "odd.json").write_text(json.dumps(body))
    _, out, _ = run_line(["kore-contract", "validate", "--format", "junit", str(tmp_path)])
    failure = ET.fromstring(out).find("testsuite/testcase/failure")
    assert failure is not None and "R2 /name" in (failure.text or "")


def test_a_folder_is_every_json_file_below_it_sorted() -> None:
    code, out, _ = run_line(["kore-contract", "validate", "--format", "json", str(PAYLOADS)])
    paths = [r["path"] for r in json.loads(out)["results"]]
    assert paths == sorted(str(p) for p in PAYLOADS.rglob("*.json"))
    assert code == 1


def test_a_folder_without_json_is_unreadable_and_other_paths_are_still_checked(
    tmp_path: Path,
) -> None:
    (tmp_path / "notes.txt").write_text("{}")
    code, out, _ = run_line(["kore-contract", "validate", str(tmp_path), str(VALID)])
    assert code == 2
    assert out.splitlines()[:2] == [
        f"error   {tmp_path}: folder holds no *.json file",
        f"ok      {VALID} (template variant)",
    ]


UNREADABLE = {
    "latin1.json": ('{"name": "Caf\xe9"}'.encode("latin-1"), "not UTF-8 (byte 13: 0xe9)"),
    "empty.json": (b"", "empty: expected a JSON object"),
    "blank.json": (b" \n\t\n", "empty: expected a JSON object"),
    "truncated.json": (
        b'{"name": "Billing", "priority": "5"',
        "not JSON: Expecting ',' delimiter (line 1, column 36)",
    ),
    "deep.json": (b"[" * 100_000 + b"]" * 100_000, "not usable JSON: nested too deeply"),
    "nan.json": (b'{"priority": NaN}', "not JSON: NaN is not allowed in JSON"),
    "bom.json": (b"\xef\xbb\xbf{}", "starts with a byte-order mark; save it as UTF-8 without BOM"),
    "text.json": (b"name: Billing", "not JSON: Expecting value (line 1, column 1)"),
}


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_input_is_one_clear_line_and_other_paths_are_still_checked(
    tmp_path: Path, name: str
) -> None:
    data, reason = UNREADABLE[name]
    (tmp_path / name).write_bytes(data)
    code, out, err = run_line(["kore-contract", "validate", str(tmp_path / name), str(R7)])
    assert (code, err) == (2, "")
    assert out.splitlines() == [
        f"error   {tmp_path / name}: {reason}",
        f"invalid {R7} (template variant): 1 violation",
        R7_LINE,
        "2 files: 0 valid, 1 invalid, 1 unreadable",
    ]


def test_a_50_mb_file_is_unreadable_without_being_read(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: no 50 MB written
    code, out, _ = run_line(["kore-contract", "validate", str(big), str(VALID)])
    assert code == 2
    assert out.splitlines()[:2] == [
        f"error   {big}: 52.4 MB is larger than the 10 MB limit (a create body is a few KB)",
        f"ok      {VALID} (template variant)",
    ]


def test_a_missing_path_is_unreadable() -> None:
    code, out, _ = run_line(["kore-contract", "validate", "no/such.json"])
    assert (code, out.splitlines()[0]) == (2, "error   no/such.json: no such file or folder")


def test_standard_input_is_read_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(R7.read_bytes())))
    code, out, _ = run_line(["kore-contract", "validate", "-"])
    assert (code, out.splitlines()[:2]) == (
        1,
        ["invalid - (template variant): 1 violation", R7_LINE],
    )


def test_strict_reports_undocumented_properties_as_warnings_and_still_exits_0() -> None:
    path = PAYLOADS / "valid" / "R16-undocumented-property-is-allowed.json"
    assert run_line(["kore-contract", "validate", str(path)])[0:2] == (
        0,
        f"ok      {path} (template variant)\n1 file: 1 valid, 0 invalid, 0 unreadable\n",
    )
    code, out, _ = run_line(["kore-contract", "validate", "--strict", str(path)])
    assert code == 0
    assert out.splitlines()[1] == (
        "  warn R16 /campaignOwner  campaignOwner: not a documented "
        "property (allowed; check its spelling)"
    )


def test_kind_response_checks_s_rules(tmp_path: Path) -> None:
    from kore_contract.contract import spec

    answer = spec.examples("create", "response")["docsSample"]
    (tmp_path / "ok.json").write_text(json.dumps(answer))
    (tmp_path / "lname.json").write_text(
        json.dumps({**answer, "data": {**answer["data"], "lname": "X"}})
    )
    code, out, _ = run_line(
        ["kore-contract", "validate", "--kind", "response", "--format", "json", str(tmp_path)]
    )
    results = {Path(r["path"]).name: r for r in json.loads(out)["results"]}
    assert code == 1
    assert results["ok.json"]["status"] == "valid"
    assert [(v["rule"], v["pointer"]) for v in results["lname.json"]["violations"]] == [
        ("S4", "/data/lname")
    ]
    assert run_line(["kore-contract", "validate", str(tmp_path / "ok.json")])[0] == 1  # a request?


def test_fixture_adds_the_account_checks() -> None:
    path = PAYLOADS / "invalid" / "R4-contact-list-not-in-the-account.json"
    assert run_line(["kore-contract", "validate", str(path)])[0] == 0
    code, out, _ = run_line(["kore-contract", "validate", "--fixture", str(FIXTURE), str(path)])
    assert code == 1 and "  R4 /contactLists/0  contactLists[0]: no contact list" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "fixture file not found"),
        (
            "{",
            "cannot use the fixture: not JSON: Expecting property name enclosed in double "
            "quotes (line 1, column 2)",
        ),
        (
            '{"lists": []}',
            "unknown fixture keys ['lists']; expected contactLists, dncLists, templates, "
            "callerIds, experienceFlows, sendableContactLists",
        ),
    ],
)
def test_a_fixture_that_cannot_be_used_exits_2_naming_it(
    tmp_path: Path, content: str | None, message: str
) -> None:
    fixture = tmp_path / "account.json"
    if content is not None:
        fixture.write_text(content)
    code, out, err = run_line(["kore-contract", "validate", "--fixture", str(fixture), str(VALID)])
    assert (code, out, err) == (2, "", f"kore-contract validate: {fixture}: {message}\n")


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_line(["kore-contract", "validate"])[0] == 2
    assert run_line(["kore-contract", "validate", "--format", "yaml", str(VALID)])[0] == 2
    assert "invalid choice: 'yaml'" in capsys.readouterr().err


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert "\033[" not in run_line(["kore-contract", "validate", str(R7)])[1]
    assert "\033[31minvalid\033[0m" in run_line(["kore-contract", "validate", str(R7)], Tty())[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in run_line(["kore-contract", "validate", str(R7)], Tty())[1]


def test_a_large_folder_is_checked_in_parallel_with_the_same_results(tmp_path: Path) -> None:
    for index in range(300):  # above the pool's threshold (256)
        source = R7 if index % 10 == 0 else VALID
        shutil.copy(source, tmp_path / f"{index:03d}.json")
    outputs = [
        run_line(["kore-contract", "validate", "--format", "json", "--jobs", jobs, str(tmp_path)])
        for jobs in ("1", "2")
    ]
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0][1])["summary"] == {
        "files": 300,
        "valid": 270,
        "invalid": 30,
        "unreadable": 0,
    }


# --- a few real processes ------------------------------------------------------------


def kore(
    *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "kore_contract", *args]
    return subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_process_exit_codes_and_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_bytes(b'{"a":' * 100_000)
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe\x00")
    assert kore("validate", str(VALID)).returncode == 0
    assert kore("validate", str(R7)).returncode == 1
    done = kore("validate", str(tmp_path), str(VALID))
    assert done.returncode == 2
    assert b"Traceback" not in done.stdout + done.stderr
    assert done.stdout.decode().count("\nerror   ") + done.stdout.decode().startswith("error") == 2


def test_process_reads_stdin() -> None:
    done = kore("validate", "-", "--format", "json", stdin=R7.read_bytes())
    assert done.returncode == 1
    assert json.loads(done.stdout)["results"][0]["violations"][0]["rule"] == "R7"


def test_process_shows_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.json")
    shutil.copy(R7, tmp_path / name)
    done = kore("validate", str(tmp_path), env={"PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 1
    # the byte, as `ls -b` shows it
    assert b"caf\\xe9.json (template variant): 1 violation" in done.stdout


def test_validating_one_valid_file_imports_no_fuzzing_http_or_reference_engine(
    tmp_path: Path,
) -> None:
    code = (
        "import io, sys\n"
        "from kore_contract.cli import run\n"
        f"assert run(['validate', {str(VALID)!r}], io.StringIO(), sys.stderr) == 0\n"
        "heavy = {'hypothesis', 'requests', 'schemathesis', 'jsonschema', 'urllib3',"
        " 'http.client', 'multiprocessing', 'yaml'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, timeout=60, check=True, env=env
        ).stdout
        for _ in range(2)
    ]
    # The first run reads the YAML spec and caches the resolved schemas; later runs do not.
    assert runs == [b"['yaml']\n", b"[]\n"]
    assert len(list((tmp_path / "kore-contract").glob("schemas-*.json"))) == 1


def test_a_fuzz_corpus_folder_validates_without_its_manifest(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run(["fuzz", "--count", "5", "--out", str(tmp_path), "--seed", "3"], out, err) == 0
    assert (tmp_path / "manifest.json").exists()
    out = io.StringIO()
    assert run(["validate", str(tmp_path), "--format", "json"], out, err) == 0
    summary = json.loads(out.getvalue())["summary"]
    assert summary == {"files": 5, "valid": 5, "invalid": 0, "unreadable": 0}


def test_json_output_is_json_dumps_of_the_results() -> None:
    from kore_contract.validate.output import render, summary

    valid: dict[str, Any] = {
        "path": "a",
        "status": "valid",
        "violations": [],
        "warnings": [],
        "error": None,
    }
    results: list[dict[str, Any]] = [
        valid,
        {**valid, "path": 'q"\\\u2028\u00e9\ud800'},
        {**valid, "extra": 1},
        {"status": "valid", "path": "b", "violations": [], "warnings": [], "error": None},
        {**valid, "path": 1},
        {**valid, "warnings": [{"rule": "R14", "pointer": "/x", "message": "m"}]},
        {"path": "c", "status": "unreadable", "violations": [], "warnings": [], "error": "e"},
    ]
    shown: list[dict[str, Any]]
    for shown in (results, [], [valid]):
        expected = json.dumps({"summary": summary(shown), "results": shown}, ensure_ascii=False)
        # but a lone surrogate (UTF-8 cannot write it) as its JSON escape: the same string
        assert render(shown, "json") == expected.replace("\ud800", "\\ud800") + "\n"


# --- the family: --call and --variant (issue 12, item 2) --------------------------------

FAMILY = PAYLOADS / "family"
PLAIN = FAMILY / "valid" / "request-create" / "plain-docs-sample-corrected.json"
ADVANCED = FAMILY / "valid" / "request-create" / "advanced-docs-sample-corrected.json"
UPDATE = FAMILY / "valid" / "request-update" / "update-docs-sample-corrected.json"
LIST = FAMILY / "valid" / "request-list" / "sms-docs-sample.json"
STOP = FAMILY / "valid" / "response-stop" / "stop-docs-sample.json"
START = FAMILY / "valid" / "response-start" / "start-docs-sample.json"


def test_C1_the_text_output_names_the_variant_each_body_was_read_as() -> None:
    code, out, _ = run_line(["kore-contract", "validate", str(PLAIN), str(ADVANCED), str(VALID)])
    assert code == 0
    assert out.splitlines()[:3] == [
        f"ok      {PLAIN} (plain variant)",
        f"ok      {ADVANCED} (advanced variant)",
        f"ok      {VALID} (template variant)",
    ]


def test_C1_variant_insists_on_one_and_another_is_a_C1_violation() -> None:
    code, out, _ = run_line(["kore-contract", "validate", "--variant", "plain", str(PLAIN)])
    assert (code, out.splitlines()[0]) == (0, f"ok      {PLAIN} (plain variant)")
    code, out, _ = run_line(["kore-contract", "validate", "--variant", "template", str(PLAIN)])
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == f"invalid {PLAIN} (plain variant): 1 violation"
    assert lines[1].startswith("    C1 /  body: reads as the plain variant")


def test_C1_the_json_output_keeps_its_shape_and_names_no_variant() -> None:
    for argv in (
        ["--variant", "template", str(PLAIN)],
        [str(ADVANCED)],
        ["--call", "list", str(LIST)],
    ):
        _, out, _ = run_line(["kore-contract", "validate", "--format", "json", *argv])
        result = json.loads(out)["results"][0]
        assert set(result) == {"path", "status", "violations", "warnings", "error"}, argv
    assert json.loads(out)["results"][0]["status"] == "valid"


def test_U1_call_update_checks_an_update_body() -> None:
    code, out, _ = run_line(
        ["kore-contract", "validate", "--call", "update", "--fixture", str(FIXTURE), str(UPDATE)]
    )
    assert (code, out.splitlines()[0]) == (0, f"ok      {UPDATE} (advanced variant)")


def test_L1_call_list_checks_a_list_body_which_has_no_variant(tmp_path: Path) -> None:
    code, out, _ = run_line(["kore-contract", "validate", "--call", "list", str(LIST)])
    assert (code, out.splitlines()[0]) == (0, f"ok      {LIST}")
    bad = tmp_path / "list.json"
    bad.write_text('{"type": "sms", "limit": 0}')
    code, out, _ = run_line(["kore-contract", "validate", "--call", "list", str(bad)])
    assert code == 1
    assert (
        out.splitlines()[1] == "    L1 /limit  limit: got the number 0; expected an integer "
        'at least 1 or the string ""'
    )
    code, _, _ = run_line(["kore-contract", "validate", str(LIST)])  # as a create body
    assert code == 1


def test_T2_T3_kind_response_call_checks_that_calls_answer() -> None:
    assert (
        run_line(["kore-contract", "validate", "--kind", "response", "--call", "stop", str(STOP)])[
            0
        ]
        == 0
    )
    code, out, _ = run_line(
        ["kore-contract", "validate", "--kind", "response", "--call", "stop", str(START)]
    )
    assert code == 1
    assert {line.split()[0] for line in out.splitlines()[1:-1]} == {"T3"}
    code, out, _ = run_line(
        ["kore-contract", "validate", "--kind", "response", "--call", "start", str(START)]
    )
    assert (code, out.splitlines()[0]) == (0, f"ok      {START}")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--call", "get"], "--call get: it sends no body to check; request bodies: "),
        (["--call", "trigger"], "--call trigger: unknown call; calls: "),
        (["--kind", "response", "--call", "play"], "--call play: unknown call"),
        (
            ["--variant", "simple"],
            "--variant simple: unknown variant; variants: template, plain, advanced",
        ),
        (["--call", "list", "--variant", "plain"], "--variant plain: only a body of "),
        (["--kind", "response", "--variant", "plain"], "--variant plain: only a body of "),
    ],
)
def test_C1_call_and_variant_usage_errors_exit_2(argv: list[str], said: str) -> None:
    code, out, err = run_line(["kore-contract", "validate", *argv, str(VALID)])
    assert (code, out) == (2, "")
    assert err.startswith(f"kore-contract validate: {said}")
    assert err.count("\n") == 1


def test_C1_a_large_folder_of_family_bodies_is_checked_in_parallel(tmp_path: Path) -> None:
    for index in range(300):
        (tmp_path / f"{index:03}.json").write_bytes(PLAIN.read_bytes())
    (tmp_path / "999.json").write_bytes(ADVANCED.read_bytes())
    argv = ["kore-contract", "validate", "--variant", "plain", "--jobs", "2", str(tmp_path)]
    code, out, _ = run_line(argv)
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == f"ok      {tmp_path / '000.json'} (plain variant)"
    assert lines[300] == f"invalid {tmp_path / '999.json'} (advanced variant): 1 violation"
    assert lines[-1] == "301 files: 300 valid, 1 invalid, 0 unreadable"


def test_C1_process_validates_a_family_body_from_stdin() -> None:
    done = kore("validate", "--call", "update", "-", stdin=PLAIN.read_bytes())
    assert done.returncode == 0
    assert done.stdout.decode().splitlines()[0] == "ok      - (plain variant)"
