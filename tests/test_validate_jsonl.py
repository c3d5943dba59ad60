"""`kore-contract validate --jsonl` (issue 13, item 3): each line of a JSON Lines file is one
request body, checked exactly as a file holding it would be, at `FILE:LINE`.

Both verdicts per line, line numbers (blank lines, CRLF, a last line without a break),
unreadable lines among good ones, standard input, the JSON shape, JUnit, exit codes, the
over-long line, the pool's order, and the property that each line's result is the file's.
"""

from __future__ import annotations

import copy
import io
import json
import os
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kore_contract.cli import run
from kore_contract.contract import spec
from kore_contract.contract.loader import MAX_BYTES
from kore_contract.strategies import (
    broken_campaigns,
    broken_list_requests,
    campaigns,
    list_requests,
    updates,
)
from kore_contract.validate import jsonl
from kore_contract.validate.batch import Checking, _check, check_bytes
from kore_contract.validate.sinks import JsonSink

PAYLOADS = Path(__file__).parent / "payloads"
FIXTURE = Path(__file__).parents[1] / "kore_contract" / "contract" / "data" / "example-fixture.json"
R7_MESSAGE = (
    'priority: got the number 5; expected a string, one of "1" "2" "3" "4" "5"; send the string "5"'
)


def valid_body() -> dict[str, Any]:
    return json.loads((PAYLOADS / "valid" / "docs-sample-corrected.json").read_text())  # type: ignore[no-any-return]


def r7_body() -> dict[str, Any]:
    return {**valid_body(), "priority": 5}


def line(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False)


def run_line(argv: list[str]) -> tuple[int, str, str]:
    """Run `kore-contract ...` in this process: (exit code, stdout, stderr)."""
    assert argv[0] == "kore-contract"
    out, err = io.StringIO(), io.StringIO()
    code = run(argv[1:], out, err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str | bytes, name: str = "bodies.jsonl") -> str:
    path = tmp_path / name
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return str(path)


def results(out: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(path, status, [(rule, pointer)]) of each result of JSON output."""
    return [
        (r["path"], r["status"], [(v["rule"], v["pointer"]) for v in r["violations"]])
        for r in json.loads(out)["results"]
    ]


# --- both verdicts, line numbers ----------------------------------------------------------


def test_each_line_gets_its_verdict_and_a_violation_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, f"{line(valid_body())}\n{line(r7_body())}\n{line(valid_body())}\n")
    assert run_line(["kore-contract", "validate", "--jsonl", path]) == (
        1,
        f"{path}:2: R7 /priority: {R7_MESSAGE}\n"
        "3 lines in 1 file: 2 valid, 1 invalid, 0 unreadable\n",
        "",
    )


def test_every_line_valid_exits_0_with_the_summary_only(tmp_path: Path) -> None:
    path = write(tmp_path, f"{line(valid_body())}\n" * 3)
    assert run_line(["kore-contract", "validate", "--jsonl", path]) == (
        0,
        "3 lines in 1 file: 3 valid, 0 invalid, 0 unreadable\n",
        "",
    )


def test_line_numbers_count_blank_lines_and_CRLF_and_a_last_line_without_break(
    tmp_path: Path,
) -> None:
    text = "\r\n".join(
        [line(valid_body()), "", line(r7_body()), "  \t", line(valid_body()), line(r7_body())]
    )
    path = write(tmp_path, text)  # no line break after the last line
    code, out, err = run_line(["kore-contract", "validate", "--jsonl", path, "--format", "json"])
    assert code == 1
    assert results(out) == [
        (f"{path}:1", "valid", []),
        (f"{path}:3", "invalid", [("R7", "/priority")]),
        (f"{path}:5", "valid", []),
        (f"{path}:6", "invalid", [("R7", "/priority")]),
    ]
    assert err == "kore-contract validate: 2 blank lines skipped\n"


def test_blank_lines_are_counted_once_in_the_text_summary(tmp_path: Path) -> None:
    path = write(tmp_path, f"\n{line(valid_body())}\n\n\n")
    assert run_line(["kore-contract", "validate", "--jsonl", path]) == (
        0,
        "1 line in 1 file: 1 valid, 0 invalid, 0 unreadable; 3 blank lines skipped\n",
        "",
    )


# --- unreadable lines -----------------------------------------------------------------------


def test_unreadable_lines_are_reported_by_number_and_the_others_still_checked(
    tmp_path: Path,
) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    text = b"\n".join(
        [
            line(valid_body()).encode(),
            b"{not json",
            b'{"name": "caf\xe9"}',
            deep,
            line(r7_body()).encode(),
            b"",
        ]
    )
    path = write(tmp_path, text)
    code, out, _ = run_line(["kore-contract", "validate", "--jsonl", path])
    assert code == 2  # something unreadable, as for files
    assert out.splitlines() == [
        f"{path}:2: unreadable: not JSON: Expecting property name enclosed in double quotes "
        "(line 1, column 2)",
        f"{path}:3: unreadable: not UTF-8 (byte 13: 0xe9)",
        f"{path}:4: unreadable: not usable JSON: nested too deeply",
        f"{path}:5: R7 /priority: {R7_MESSAGE}",
        "5 lines in 1 file: 1 valid, 1 invalid, 3 unreadable",
    ]


def test_a_file_that_cannot_be_read_is_reported_by_its_name_and_exits_2(tmp_path: Path) -> None:
    good = write(tmp_path, line(valid_body()) + "\n")
    missing = str(tmp_path / "nope.jsonl")
    empty = write(tmp_path, b"", "empty.jsonl")
    code, out, _ = run_line(["kore-contract", "validate", "--jsonl", missing, good, empty])
    assert code == 2
    assert out.splitlines() == [
        f"{missing}: unreadable: no such file or folder",
        f"{empty}: unreadable: empty: expected JSON Lines, one body a line",
        "1 line in 3 files: 1 valid, 0 invalid, 0 unreadable; 2 files not read",
    ]


def test_a_folder_is_not_a_jsonl_file(tmp_path: Path) -> None:
    code, out, _ = run_line(["kore-contract", "validate", "--jsonl", str(tmp_path)])
    assert code == 2
    assert out.splitlines()[0] == f"{tmp_path}: unreadable: not a regular file (a folder)"


def test_a_pipe_is_read_as_it_is_written(tmp_path: Path) -> None:
    """`--jsonl <(zcat log.gz)`: the shell names a pipe; it is read to its end."""
    read, written = os.pipe()
    data = f"{line(valid_body())}\n{line(r7_body())}\n".encode()

    def write_then_close() -> None:
        os.write(written, data)
        os.close(written)

    writer = threading.Thread(target=write_then_close)
    writer.start()
    try:
        code, out, _ = run_line(["kore-contract", "validate", "--jsonl", f"/dev/fd/{read}"])
    finally:
        writer.join()
        os.close(read)
    assert code == 1
    assert out.splitlines() == [
        f"/dev/fd/{read}:2: R7 /priority: {R7_MESSAGE}",
        "2 lines in 1 file: 1 valid, 1 invalid, 0 unreadable",
    ]


def test_a_device_is_not_read() -> None:
    code, out, _ = run_line(["kore-contract", "validate", "--jsonl", "/dev/zero"])
    assert code == 2
    assert out.splitlines()[0] == "/dev/zero: unreadable: not a regular file (a character device)"


def test_a_line_over_the_body_limit_is_unreadable_and_never_held(tmp_path: Path) -> None:
    long = b'{"name": "' + b"x" * (MAX_BYTES + 10) + b'"}'
    path = write(tmp_path, b"\n".join([line(r7_body()).encode(), long, line(r7_body()).encode()]))
    code, out, _ = run_line(["kore-contract", "validate", "--jsonl", path])
    assert code == 2
    lines = out.splitlines()
    assert lines[0] == f"{path}:1: R7 /priority: {R7_MESSAGE}"
    assert lines[1] == f"{path}:2: unreadable: 10.5 MB is larger than the 10 MB limit " + (
        "(a create body is a few KB)"
    )
    assert lines[2] == f"{path}:3: R7 /priority: {R7_MESSAGE}"


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b""])
def test_a_line_of_exactly_the_limit_is_read_and_one_byte_more_is_not(ending: bytes) -> None:
    limit = 50
    at_limit = b'"' + b"x" * (limit - 2) + b'"'
    over = b'"' + b"x" * (limit - 1) + b'"'
    stream = io.BytesIO(at_limit + b"\r\n" + over + b"\n" + at_limit + ending)
    items = list(jsonl._chunks("f", stream, limit=limit))
    chunks = [item for item in items if isinstance(item, jsonl.Lines)]
    problems = [(p.line, p.unreadable.reason) for p in items if isinstance(p, jsonl.Problem)]
    assert b"".join(c.data for c in chunks).count(at_limit) == 2
    # Within one block the line reaches the worker, whose parse refuses it as a file's would.
    assert problems == [] or problems == [(2, "51 bytes is larger than the limit of 50 bytes")]


def test_an_over_long_line_across_blocks_is_dropped_as_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jsonl, "BLOCK", 8)
    stream = io.BytesIO(b"[1]\n" + b"7" * 100 + b"\r\n[2]\n" + b"8" * 100)
    items = list(jsonl._chunks("f", stream, limit=30))
    assert [(type(i).__name__, getattr(i, "first", getattr(i, "line", None))) for i in items] == [
        ("Lines", 1),
        ("Problem", 2),
        ("Lines", 3),
        ("Problem", 4),
    ]
    problems = [i.unreadable.reason for i in items if isinstance(i, jsonl.Problem)]
    assert problems == [
        "100 bytes is larger than the limit of 30 bytes",
        "100 bytes is larger than the limit of 30 bytes",
    ]


# --- standard input, formats, options -------------------------------------------------------


def test_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    data = f"{line(r7_body())}\n{line(valid_body())}\n".encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert run_line(["kore-contract", "validate", "--jsonl", "-"]) == (
        1,
        f"-:1: R7 /priority: {R7_MESSAGE}\n2 lines in 1 file: 1 valid, 1 invalid, 0 unreadable\n",
        "",
    )


def test_json_output_is_designs_shape_with_one_result_per_line(tmp_path: Path) -> None:
    path = write(tmp_path, f"{line(valid_body())}\n{line(r7_body())}\n[\n")
    code, out, err = run_line(["kore-contract", "validate", "--jsonl", "--format", "json", path])
    assert (code, err) == (2, "")
    assert list(json.loads(out)) == ["summary", "results"]
    assert json.loads(out) == {
        "summary": {"files": 3, "valid": 1, "invalid": 1, "unreadable": 1},
        "results": [
            {
                "path": f"{path}:1",
                "status": "valid",
                "violations": [],
                "warnings": [],
                "error": None,
            },
            {
                "path": f"{path}:2",
                "status": "invalid",
                "violations": [{"rule": "R7", "pointer": "/priority", "message": R7_MESSAGE}],
                "warnings": [],
                "error": None,
            },
            {
                "path": f"{path}:3",
                "status": "unreadable",
                "violations": [],
                "warnings": [],
                "error": "not JSON: Expecting value (line 1, column 2)",
            },
        ],
    }


def test_junit_has_one_test_case_per_line_and_parses(tmp_path: Path) -> None:
    path = write(tmp_path, f"{line(valid_body())}\n\n{line(r7_body())}\n{{\n")
    code, out, _ = run_line(["kore-contract", "validate", "--jsonl", "--format", "junit", path])
    assert code == 2
    cases = ET.fromstring(out).findall(".//testcase")
    assert [case.get("name") for case in cases] == [f"{path}:1", f"{path}:3", f"{path}:4"]
    assert [[child.tag for child in case] for case in cases] == [[], ["failure"], ["error"]]
    assert cases[1].find("failure").get("message") == f"R7: {R7_MESSAGE}"  # type: ignore[union-attr]


def test_a_body_past_the_violations_cap_says_how_many_more(tmp_path: Path) -> None:
    body = {**valid_body(), "contactLists": list(range(130))}
    path = write(tmp_path, line(body) + "\n")
    code, out, _ = run_line(["kore-contract", "validate", "--jsonl", path])
    assert code == 1
    lines = out.splitlines()
    assert len([x for x in lines if x.startswith(f"{path}:1: R")]) == 100
    assert lines[-2] == f"{path}:1: ... and 30 more violations"


def test_strict_warnings_carry_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "\n" + line({**valid_body(), "colour": "red"}) + "\n")
    code, out, _ = run_line(["kore-contract", "validate", "--jsonl", "--strict", path])
    assert code == 0
    assert out.splitlines()[0].startswith(f"{path}:2: warning R16 /colour: ")


def test_R4_the_fixture_checks_each_line(tmp_path: Path) -> None:
    body = {**valid_body(), "contactLists": ["No such list"]}
    path = write(tmp_path, f"{line(valid_body())}\n{line(body)}\n")
    code, out, _ = run_line(
        [
            "kore-contract",
            "validate",
            "--jsonl",
            "--fixture",
            str(FIXTURE),
            "--format",
            "json",
            path,
        ]
    )
    assert code == 1
    assert results(out)[1][1:] == ("invalid", [("R4", "/contactLists/0")])


def test_C1_an_insisted_variant_applies_to_every_line(tmp_path: Path) -> None:
    path = write(tmp_path, line(valid_body()) + "\n")
    code, out, _ = run_line(
        ["kore-contract", "validate", "--jsonl", "--variant", "plain", "--format", "json", path]
    )
    assert code == 1
    assert results(out) == [(f"{path}:1", "invalid", [("C1", "")])]


def test_L1_list_bodies_line_by_line(tmp_path: Path) -> None:
    good = copy.deepcopy(next(iter(spec.examples("list", "request").values())))
    bad = {**good, "type": 7}
    path = write(tmp_path, f"{line(good)}\n{line(bad)}\n")
    code, out, _ = run_line(
        ["kore-contract", "validate", "--jsonl", "--call", "list", "--format", "json", path]
    )
    assert code == 1
    assert [(p, s, {rule for rule, _ in v}) for p, s, v in results(out)] == [
        (f"{path}:1", "valid", set()),
        (f"{path}:2", "invalid", {"L1"}),
    ]


def test_U1_update_bodies_line_by_line(tmp_path: Path) -> None:
    path = write(tmp_path, f"{line(valid_body())}\n{line(r7_body())}\n")
    code, out, _ = run_line(
        ["kore-contract", "validate", "--jsonl", "--call", "update", "--format", "json", path]
    )
    assert code == 1
    assert results(out) == [
        (f"{path}:1", "valid", []),
        (f"{path}:2", "invalid", [("R7", "/priority")]),
    ]


def test_a_call_without_a_body_is_a_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path, line(valid_body()) + "\n")
    code, out, err = run_line(["kore-contract", "validate", "--jsonl", "--call", "start", path])
    assert (code, out) == (2, "")
    assert err.startswith("kore-contract validate: --call start: it sends no body to check")


def test_jsonl_and_traffic_together_is_a_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path, line(valid_body()) + "\n")
    assert run_line(["kore-contract", "validate", "--jsonl", "--traffic", path]) == (
        2,
        "",
        "kore-contract validate: --jsonl and --traffic: one kind of file at a time\n",
    )


def test_a_repeated_line_gets_the_same_answer_at_each_of_its_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, f"{line(r7_body())}\n{line(valid_body())}\n{line(r7_body())}\r\n")
    code, out, _ = run_line(["kore-contract", "validate", "--jsonl", path])
    assert code == 1
    assert out.splitlines() == [
        f"{path}:1: R7 /priority: {R7_MESSAGE}",
        f"{path}:3: R7 /priority: {R7_MESSAGE}",
        "3 lines in 1 file: 1 valid, 2 invalid, 0 unreadable",
    ]


def test_R14_advice_on_a_line_is_a_warning_and_the_line_stays_valid(tmp_path: Path) -> None:
    body = valid_body()
    body["dialingStrategy"]["callingHours"]["days"] = [
        {"day": "MO", "start": "5:00 PM", "end": "9:00 AM"}
    ]
    path = write(tmp_path, f"{line(valid_body())}\n{line(body)}\n")
    code, out, _ = run_line(["kore-contract", "validate", "--jsonl", path])
    assert code == 0
    assert out.splitlines()[0].startswith(
        f"{path}:2: warning R14 /dialingStrategy/callingHours/days/0"
    )
    assert out.splitlines()[-1] == "2 lines in 1 file: 2 valid, 0 invalid, 0 unreadable"


def test_captured_answers_line_by_line_with_kind_response(tmp_path: Path) -> None:
    answer = spec.examples("get", "response")
    good = copy.deepcopy(next(iter(answer.values())))
    path = write(tmp_path, f"{line(good)}\n{line([])}\n")
    code, out, _ = run_line(
        ["kore-contract", "validate", "--jsonl", "--kind", "response", "--call", "get", path]
    )
    assert code == 1
    assert out.splitlines()[0].startswith(f"{path}:2: S1 /: ")
    assert out.splitlines()[-1] == "2 lines in 1 file: 1 valid, 1 invalid, 0 unreadable"


# --- the pool ---------------------------------------------------------------------------------


def test_the_pool_keeps_line_order_across_many_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonl, "BLOCK", 4096)  # many chunks from a small file
    bodies = [r7_body() if i % 5 == 0 else valid_body() for i in range(120)]
    for index, body in enumerate(bodies):
        body["name"] = f"Campaign {index}"  # every line its own (no answer remembered)
    text = "\n".join(line(body) if i != 57 else "{" for i, body in enumerate(bodies)) + "\n"
    path = write(tmp_path, text)
    pooled = run_line(["kore-contract", "validate", "--jsonl", "--format", "json", path])
    alone = run_line(
        ["kore-contract", "validate", "--jsonl", "--format", "json", "--jobs", "1", path]
    )
    assert pooled == alone
    assert pooled[0] == 2
    assert [r[1] for r in results(pooled[1])] == [
        "unreadable" if i == 57 else "invalid" if i % 5 == 0 else "valid" for i in range(120)
    ]


# --- the quick proof of a clean line is the full check ---------------------------------------

ODD_LINES = {
    "a duplicated key": b'{"name": "a", "name": "b"}',
    "a duplicated key with a colon in a string": b'{"name": "a:b", "name": "c"}',
    "an escape": b'{"name": "caf\\u00e9"}',
    "a 19-digit number": b'{"priority": 1234567890123456789}',
    "null": b"null",
    "a string": b'"x"',
    "deeper than orjson writes": b'{"a": ' * 300 + b"1" + b"}" * 300,
    "not JSON": b"{",
}


@pytest.mark.parametrize("odd", list(ODD_LINES))
@pytest.mark.parametrize("call", ["create", "update", "list"])
def test_a_chunk_with_an_odd_line_gets_each_lines_own_answer(odd: str, call: str) -> None:
    """The quick proof works on a whole chunk: an odd line among clean ones (one that loses
    a pair to a duplicated key, one orjson does not take) must not change any answer."""
    checking = Checking(call=call)
    clean = line(valid_body()) if call != "list" else line(_list_body())
    lines = [clean.encode(), ODD_LINES[odd], line(r7_body()).encode(), clean.encode() + b" "]
    jsonl._seen.clear()
    count, blanks, said = jsonl.check_chunk(b"\n".join(lines) + b"\n", checking)
    expected = [(offset, _check(body, checking)) for offset, body in enumerate(lines)]
    assert (count, blanks) == (4, [])
    assert said == [(o, c) for o, c in expected if c is not None and not isinstance(c, str)]


def test_an_odd_line_leaves_the_others_of_its_chunk_proved_the_quick_way() -> None:
    clean = line(valid_body()).encode()
    lines = [clean, ODD_LINES["a duplicated key"], clean, ODD_LINES["a 19-digit number"]]
    lines += [ODD_LINES["deeper than orjson writes"], clean, line(r7_body()).encode()]
    proved = jsonl._proved_clean(lines, b"\n".join(lines), Checking())
    assert proved == [True, False, True, False, False, True, False]


def _list_body() -> Any:
    return copy.deepcopy(next(iter(spec.examples("list", "request").values())))


# --- the property: a line's result is the file's --------------------------------------------


def _as_file(body_line: bytes, checking: Checking, name: str) -> dict[str, Any]:
    result = check_bytes(name, body_line, checking)
    result.pop("variant", None)
    return result


def _jsonl_results(data: bytes, checking: Checking) -> list[dict[str, Any]]:
    out = io.StringIO()
    jsonl.check_jsonl(["-"], checking, JsonSink(out), jobs=1, stdin=lambda: io.BytesIO(data))
    return json.loads(out.getvalue())["results"]  # type: ignore[no-any-return]


def _one_line(body: Any) -> bytes:
    """A body as one line: JSON text, or a broken body's own bytes with line breaks as spaces
    (both sides of the comparison read the same bytes)."""
    if isinstance(body, bytes):
        return body.replace(b"\r", b" ").replace(b"\n", b" ")
    return json.dumps(body, ensure_ascii=False).encode()


BODIES = {
    "create": st.one_of(campaigns(), broken_campaigns().map(lambda broken: broken.payload)),
    "update": st.one_of(updates(), broken_campaigns().map(lambda broken: broken.payload)),
    "list": st.one_of(list_requests(), broken_list_requests().map(lambda broken: broken.payload)),
}


@pytest.mark.parametrize("call", list(BODIES))
def test_each_line_gets_exactly_the_result_of_its_body_as_a_file(call: str) -> None:
    checking = Checking(call=call)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(BODIES[call], min_size=1, max_size=6))
    def each_line_as_its_file(bodies: list[Any]) -> None:
        lines = [_one_line(body) for body in bodies]
        lines = [body_line for body_line in lines if body_line.strip(b" \t")]
        got = _jsonl_results(b"\n".join(lines) + b"\n", checking)
        assert got == [
            _as_file(body_line, checking, f"-:{number}")
            for number, body_line in enumerate(lines, 1)
        ]

    each_line_as_its_file()
