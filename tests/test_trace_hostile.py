"""`kore-contract trace` under hostile input (issue 10, items 13 and 14).

A page may hold a sample nested 100,000 deep or a 5,000-digit integer; a "document" may be
/dev/zero, a FIFO with no writer or a folder; file names and cells may hold `<script>`,
pipes, backticks, newlines and terminal escapes. Each is told in one line or reported as a
documentation defect, the other pages are still traced, and the output stays inert text.
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from kore_contract import cli
from kore_contract.trace.tracer import trace_documents

REFERENCE = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference"
JWT = str(REFERENCE / "jwt-token.md")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(["trace", *argv], out, err)
    return code, out.getvalue(), err.getvalue()


def page_with_sample(sample: str) -> str:
    return (
        "# Thing\n\n## Sample Response\n\n```json\n" + sample + "\n```\n\n"
        "## Response Parameters\n\n| Parameter | Type | Description |\n|---|---|---|\n"
        "| size | string | the size |\n"
    )


# --- item 13: samples that are no usable JSON are defects, not crashes ----------------------


@pytest.mark.parametrize(
    ("sample", "why"),
    [
        ('{"size": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ('{"size": ' + "[" * 900 + "]" * 900 + "}", "nested too deeply"),  # json reads this one
        ('{"size": ' + "9" * 5000 + "}", "a number with more than 4300 digits"),
        ('{"size": NaN}', "NaN"),
        ('{"size": "a", "size": "b"', "not JSON"),
    ],
    ids=["100000-deep", "900-deep", "5000-digits", "NaN", "cut-short"],
)
def test_item13_an_unusable_sample_is_a_sample_not_json_defect(
    tmp_path: Path, sample: str, why: str
) -> None:
    page = tmp_path / "thing.md"
    page.write_text(page_with_sample(sample), encoding="utf-8")
    code, out, err = run_cli(str(page), JWT, "--format", "json")
    assert (code, err) == (1, "")
    report = json.loads(out)
    (defect,) = [d for d in report["defects"] if d["kind"] == "sample-not-json"]
    assert defect["documents"] == ["thing.md"]
    assert defect["message"].startswith("the sample response (thing.md#sample-response) is ")
    assert why in defect["message"]
    assert any(f["document"] == "jwt-token.md" for f in report["fields"])  # still traced


def test_item13_a_curl_data_sample_nested_too_deeply_is_a_defect(tmp_path: Path) -> None:
    page = tmp_path / "thing.md"
    page.write_text(
        "## Sample Request\n\n```\ncurl -X POST 'https://x.test/a' \\\n--data '"
        + "[" * 100_000
        + "]" * 100_000
        + "'\n```\n\n"
        "## Body Parameters\n\n| Parameter | Description |\n|---|---|\n| a | b |\n",
        encoding="utf-8",
    )
    (defect,) = trace_documents([page]).defects
    assert defect.kind == "sample-not-json"
    assert defect.message.startswith("the sample request (thing.md#sample-request) is not")


def test_D15_the_without_template_sample_response_is_not_json() -> None:
    page = REFERENCE / "family" / "create-sms-campaign-without-template-v2.md"
    found = [d for d in trace_documents([page]).defects if d.kind == "sample-not-json"]
    assert [d.message for d in found] == [
        "the sample response (create-sms-campaign-without-template-v2.md#sample-response) is "
        "not JSON: Expecting ',' delimiter (line 63, column 9)"
    ]


# --- item 13: documents that are not regular files -----------------------------------------


def one_line_each(err: str, expected: dict[str, str]) -> None:
    assert "Traceback" not in err
    assert err.splitlines() == [
        f"kore-contract trace: {path}: {why}" for path, why in expected.items()
    ]


def test_item13_dev_zero_and_a_folder_are_refused_and_the_others_traced(tmp_path: Path) -> None:
    code, out, err = run_cli("/dev/zero", str(tmp_path), JWT, "--format", "json")
    assert code == 2
    one_line_each(
        err,
        {
            "/dev/zero": "not a regular file (a character device)",
            str(tmp_path): "not a regular file (a folder)",
        },
    )
    assert json.loads(out)["fields"], "the readable page is still traced"


def test_item13_a_fifo_without_a_writer_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "page.md"
    os.mkfifo(fifo)
    outcome: list[tuple[int, str, str]] = []
    worker = threading.Thread(target=lambda: outcome.append(run_cli(str(fifo), JWT)), daemon=True)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():
        with open(fifo, "w"):  # a writer lets the reader return
            pass
        pytest.fail("trace waited for a writer on the FIFO")
    code, out, err = outcome[0]
    assert code == 2
    one_line_each(err, {str(fifo): "not a regular file (a named pipe)"})
    assert "jwt-token.md" in out


# --- item 14: output hygiene ----------------------------------------------------------------

HOSTILE_NAME = "x<script>alert(1)<\\script>|`tick`\n\x1b[31mred.md"  # no "/" in a name
HOSTILE_PAGE = """# Thing

## Response Parameters

| Parameter | Type | Description |
|---|---|---|
| <img src=x onerror=alert(1)> | string | a `tick` \\| pipe |
| `a``b` | string | code |
| evil\x1b]0;title\x07 | number | osc |

## Sample Response

```json
{"<img src=x onerror=alert(1)>": 1, "evil\\u001b[2J": "x", "a`b": true}
```
"""


@pytest.fixture
def hostile_page(tmp_path: Path) -> Path:
    page = tmp_path / HOSTILE_NAME
    page.write_text(HOSTILE_PAGE, encoding="utf-8")
    return page


def test_item14_md_cells_render_as_literal_text_in_one_table(hostile_page: Path) -> None:
    code, out, _ = run_cli(str(hostile_page), "--format", "md")
    assert code == 1
    assert not CONTROL.search(out)
    parser = MarkdownIt("commonmark", {"html": True}).enable("table")
    html = parser.render(out)
    assert "<script" not in html and "<img" not in html  # no raw HTML got through
    tokens = parser.parse(out)
    tables = [t for t in tokens if t.type == "table_open"]
    assert len(tables) == 2  # defects and fields, each one table
    rows = [t for t in tokens if t.type == "tr_open"]
    result = trace_documents([hostile_page])
    assert len(rows) == 2 + len(result.defects) + len(result.fields)
    inline = " ".join(t.content for t in tokens if t.type == "inline")
    rendered = "".join(
        child.content for t in tokens if t.type == "inline" for child in t.children or []
    )
    assert "<img src=x onerror=alert(1)>" in rendered  # shown as text
    assert "x<script>alert(1)<\\script>|`tick` \\x1b[31mred.md" in rendered
    assert inline  # the parse saw the cells


def test_item14_text_output_escapes_control_characters(hostile_page: Path) -> None:
    code, out, err = run_cli(str(hostile_page), str(hostile_page.with_name("gone\x1b[2J.md")))
    assert code == 2
    assert not CONTROL.search(out) and not CONTROL.search(err)
    assert "|`tick`\\n\\x1b[31mred.md" in out  # the name's newline too: one line each
    assert "evil\\x1b]0;title\\x07" in out
    assert "gone\\x1b[2J.md: no such file" in err


def test_item14_json_output_stays_valid_for_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.md")  # a lone surrogate, as Python gives such a name
    (tmp_path / name).write_text(HOSTILE_PAGE, encoding="utf-8")
    code, out, _ = run_cli(str(tmp_path / name), "--format", "json")
    assert code == 1
    out.encode("utf-8")  # strict: it can be written to any UTF-8 stream
    report = json.loads(out)
    assert report["fields"][0]["document"] == "caf\ufffd.md"  # as every strict parser reads it
    code, out, _ = run_cli(str(tmp_path / name))
    assert "caf\\udce9.md#sample-response" in out  # the text output names the byte
