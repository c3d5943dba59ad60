"""The report writers (json, junit, html, md) and `kore-contract report`."""

from __future__ import annotations

import copy
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from report_samples import CLIENT_SECRET, TOKEN, sample_results

from kore_contract.cli import run
from kore_contract.contract import spec
from kore_contract.report import FILE_NAMES, FORMATS, SCHEMA_FILE, render, write_reports
from kore_contract.report.model import build
from kore_contract.report.redact import REDACTED, sanitize

DATA = Path(__file__).parent / "data"
XS = "{http://www.w3.org/2001/XMLSchema}"


def run_line(argv: list[str]) -> tuple[int, str, str]:
    assert argv[0] == "kore-contract"
    out, err = io.StringIO(), io.StringIO()
    code = run(argv[1:], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def results() -> dict[str, Any]:
    return sample_results()


@pytest.fixture
def leaky(results: dict[str, Any]) -> dict[str, Any]:
    """The sample with the client secret in an Authorization header, a curl line and an
    echoing response body (an S11 breach), and the token in a lower-case `AUTH` header."""
    leaky = copy.deepcopy(results)
    case = leaky["cases"][3]
    case["request"]["headers"]["Authorization"] = f"Bearer {CLIENT_SECRET}"
    case["request"]["headers"]["AUTH"] = TOKEN
    case["curl"] += f" -H 'Authorization: Bearer {CLIENT_SECRET}'"
    case["response"]["body"]["echo"] = f"you sent {CLIENT_SECRET} and {TOKEN}"
    case["findings"] = [
        {
            "rule": "S11",
            "call": "create",
            "pointer": "/echo",
            "message": f"the response contains the secret {CLIENT_SECRET}",
        }
    ]
    case["status"] = "failed"
    return leaky


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


# --- redaction (S11: a report never prints the token or the secret) ------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_S11_no_report_prints_the_token_or_the_client_secret(
    leaky: dict[str, Any], fmt: str
) -> None:
    text = render(leaky, fmt)
    assert TOKEN not in text
    assert CLIENT_SECRET not in text
    assert REDACTED in text


def test_S11_written_reports_hold_no_secret(leaky: dict[str, Any], tmp_path: Path) -> None:
    for path in write_reports(leaky, tmp_path):
        text = path.read_text(encoding="utf-8")
        assert TOKEN not in text and CLIENT_SECRET not in text, path.name


def test_secret_headers_are_redacted_whatever_their_case(leaky: dict[str, Any]) -> None:
    headers = sanitize(leaky)["cases"][3]["request"]["headers"]
    assert headers["auth"] == headers["AUTH"] == headers["Authorization"] == REDACTED
    assert headers["iid"] == "cs-app-1"


def test_sanitize_leaves_its_input_alone(results: dict[str, Any]) -> None:
    before = copy.deepcopy(results)
    sanitize(results)
    assert results == before


def test_short_token_values_do_not_eat_the_report(results: dict[str, Any]) -> None:
    results["cases"][3]["request"]["headers"]["auth"] = "x"
    text = render(results, "md")
    assert "| A2 |" not in text and "not exercised" in text and "Alerts" in render(results, "html")


# --- results.json and its schema ---------------------------------------------------------


def test_sample_results_keep_the_schema(results: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.Draft202012Validator(schema()).validate(results)


def test_results_json_is_pretty_redacted_and_versioned(leaky: dict[str, Any]) -> None:
    text = render(leaky, "json")
    assert text.startswith('{\n  "version": 1,\n')
    assert text.endswith("}\n")
    written = json.loads(text)
    assert written == sanitize(leaky)
    jsonschema.Draft202012Validator(schema()).validate(written)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda r: r.update(version=2), "version"),
        (lambda r: r.update(verdict="ok"), "verdict"),
        (lambda r: r["rules"][0].update(status="skipped"), "/rules/0/status"),
        (lambda r: r["cases"][1]["findings"][0].pop("pointer"), "/cases/1/findings/0"),
        (lambda r: r["run"].update(target="staging"), "/run/target"),
    ],
)
def test_schema_refuses_a_broken_results_file(
    results: dict[str, Any], tmp_path: Path, change: Any, where: str
) -> None:
    change(results)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    code, out, err = run_line(["kore-contract", "report", "--results", str(path), "--format", "md"])
    assert (code, out) == (2, "")
    assert err.startswith(f"kore-contract report: {path}: not a kore-contract results file: ")
    assert where in err
    assert err.count("\n") == 1


# --- JUnit XML ---------------------------------------------------------------------------


class MiniXsd:
    """Enough of XML Schema to check junit.xml without lxml: global elements referenced by
    sequences and choices, attributes (use, xs:int, pattern types), mixed content."""

    def __init__(self, path: Path) -> None:
        root = ET.parse(path).getroot()
        self.elements = {e.get("name"): e for e in root.findall(f"{XS}element")}
        self.patterns = {
            t.get("name"): [p.get("value") for p in t.iter(f"{XS}pattern")]
            for t in root.findall(f"{XS}simpleType")
        }

    def errors(self, node: ET.Element, where: str = "") -> list[str]:
        where = f"{where}/{node.tag}"
        declared = self.elements.get(node.tag)
        if declared is None:
            return [f"{where}: element not in the schema"]
        kind = declared.find(f"{XS}complexType")
        if kind is None:  # a simple string element
            return [f"{where}: has children"] if len(node) else []
        problems = self._attribute_errors(node, kind, where)
        if kind.get("mixed") != "true" and (node.text or "").strip():
            problems.append(f"{where}: text where only elements are allowed")
        problems += self._children_errors(node, kind, where)
        for child in node:
            problems += self.errors(child, where)
        return problems

    def _attribute_errors(self, node: ET.Element, kind: ET.Element, where: str) -> list[str]:
        problems = []
        declared = {a.get("name"): a for a in kind.findall(f"{XS}attribute")}
        for name, value in node.attrib.items():
            attribute = declared.get(name)
            if attribute is None:
                problems.append(f"{where}/@{name}: attribute not in the schema")
                continue
            kind_name = attribute.get("type", "xs:string")
            if kind_name == "xs:int" and not re.fullmatch(r"-?[0-9]+", value):
                problems.append(f"{where}/@{name}: {value!r} is not an xs:int")
            for pattern in self.patterns.get(kind_name, []):
                if not re.fullmatch(pattern, value):
                    problems.append(f"{where}/@{name}: {value!r} does not match {pattern}")
        for name, attribute in declared.items():
            if attribute.get("use") == "required" and name not in node.attrib:
                problems.append(f"{where}/@{name}: required attribute missing")
        return problems

    def _children_errors(self, node: ET.Element, kind: ET.Element, where: str) -> list[str]:
        group = next(iter(kind.findall(f"{XS}sequence") + kind.findall(f"{XS}choice")), None)
        refs = [] if group is None else [e.get("ref") for e in group.findall(f"{XS}element")]
        tags = [child.tag for child in node]
        problems = [f"{where}/{t}: not allowed here" for t in tags if t not in refs]
        if group is not None and group.tag == f"{XS}sequence":
            positions = [refs.index(t) for t in tags if t in refs]
            if positions != sorted(positions):
                problems.append(f"{where}: children out of order: {tags}")
            for item in group.findall(f"{XS}element"):
                count = tags.count(item.get("ref"))
                top = item.get("maxOccurs", "1")
                if count < int(item.get("minOccurs", "1")) or (
                    top != "unbounded" and count > int(top)
                ):
                    problems.append(f"{where}: {count} <{item.get('ref')}>")
        return problems


def junit_root(results: dict[str, Any]) -> ET.Element:
    return ET.fromstring(render(results, "junit").encode("utf-8"))


def test_junit_keeps_the_jenkins_junit_schema(results: dict[str, Any]) -> None:
    assert MiniXsd(DATA / "junit.xsd").errors(junit_root(results)) == []


def test_the_schema_checker_finds_a_broken_junit_file() -> None:
    broken = ET.fromstring(
        '<testsuites tests="x"><testsuite name="a"><testcase/>'
        "<properties/></testsuite></testsuites>"
    )
    assert MiniXsd(DATA / "junit.xsd").errors(broken) == [
        "/testsuites/@tests: 'x' is not an xs:int",
        "/testsuites/testsuite/@tests: required attribute missing",
        "/testsuites/testsuite: children out of order: ['testcase', 'properties']",
        "/testsuites/testsuite/testcase/@name: required attribute missing",
    ]


def test_junit_keeps_the_schema_by_lxml(results: dict[str, Any]) -> None:
    etree = pytest.importorskip("lxml.etree", reason="lxml is not installed (a test extra)")
    xsd = etree.XMLSchema(etree.parse(str(DATA / "junit.xsd")))
    document = etree.fromstring(render(results, "junit").encode("utf-8"))
    assert xsd.validate(document), xsd.error_log


def test_junit_has_one_test_case_per_rule_per_call(results: dict[str, Any]) -> None:
    root = junit_root(results)
    cases = root.findall("testsuite/testcase")
    assert len(cases) == len(results["rules"]) == int(root.get("tests", "0"))
    names = {(c.get("classname"), c.get("name", "").split(":")[0]) for c in cases}
    assert ("kore-contract.get", "S10") in names and ("kore-contract.delete", "S10") in names
    assert root.get("failures") == "1"
    assert root.get("skipped") == str(sum(r["status"] == "not_exercised" for r in results["rules"]))


def test_junit_failure_carries_the_finding_and_a_redacted_curl(results: dict[str, Any]) -> None:
    (failure,) = junit_root(results).iter("failure")
    assert failure.get("type") == "S4"
    assert failure.get("message", "").startswith("create-edge-48-chars: /data/lname: got ")
    assert "Reproduce with: curl -X POST 'http://127.0.0.1:8765/" in (failure.text or "")
    assert "-H 'auth: [redacted]'" in (failure.text or "")


def test_junit_errors_the_rules_of_an_errored_case(results: dict[str, Any]) -> None:
    case = results["cases"][4]
    case.update(status="error", error="connection reset by peer", response=None)
    results["verdict"] = "error"
    root = junit_root(results)
    errors = {e.get("message") for e in root.iter("error")}
    assert "lifecycle-get: connection reset by peer" in errors
    assert root.find("testsuite[@name='kore-contract.run']/testcase/error") is not None
    assert MiniXsd(DATA / "junit.xsd").errors(root) == []


def test_junit_survives_control_characters(results: dict[str, Any]) -> None:
    results["cases"][1]["findings"][0]["message"] = "got 'a\x00b\x1b[31m'; expected 'ab'"
    (failure,) = junit_root(results).iter("failure")
    assert "a\ufffdb\ufffd[31m" in failure.get("message", "")


# --- HTML --------------------------------------------------------------------------------


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src", "xlink:href", "action", "srcset", "poster", "data"):
                self.urls.append(value or "")


def parsed(text: str) -> Links:
    links = Links()
    links.feed(text)
    return links


def test_html_is_self_contained(results: dict[str, Any]) -> None:
    text = render(results, "html")
    links = parsed(text)
    assert [u for u in links.urls if not u.startswith("#")] == []
    assert not {"script", "link", "img", "iframe", "object"} & set(links.tags)
    assert "@import" not in text and "url(" not in text
    assert "default-src 'none'" in text  # and the page forbids itself any fetch


def test_html_every_link_has_its_target(results: dict[str, Any]) -> None:
    links = parsed(render(results, "html"))
    missing = [u for u in links.urls if u.startswith("#") and u[1:] not in links.ids]
    assert missing == []
    assert len([u for u in links.urls if u.startswith("#case-")]) > 10


def test_html_shows_verdict_chart_rules_and_matrix(results: dict[str, Any]) -> None:
    text = render(results, "html")
    assert '<header id="verdict" class="verdict verdict-fail">' in text
    assert "FAIL: the server breaks the contract" in text
    assert re.search(r"<svg class=\"chart\" role=\"img\"", text)
    assert "Rules passed 11, failed 1, not exercised 36" in text  # 19 + the family's 17
    assert '<tr id="rule-S4-create">' in text
    assert '<a href="#case-create-edge-48-chars">create-edge-48-chars</a>' in text
    assert text.count('class="field-row"') == len(build(results).fields)
    assert "data.lname is name lowercased" in text
    assert 'id="defects"' in text and "D1" in text


def test_html_has_no_defects_section_without_a_trace() -> None:
    assert 'id="defects"' not in render(sample_results(trace=False), "html")


def test_html_escapes_what_the_server_said(results: dict[str, Any]) -> None:
    results["cases"][1]["findings"][0]["message"] = "<script>alert(1)</script>"
    results["cases"][1]["response"]["body"]["data"]["name"] = "<img src=x onerror=alert(1)>"
    text = render(results, "html")
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_html_is_responsive(results: dict[str, Any]) -> None:
    text = render(results, "html")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert "@media (max-width: 600px)" in text and "overflow-x: auto" in text


# --- field matrix --------------------------------------------------------------------------

#: A part-1 call's page (the family has two more create pages and two more get pages).
PART_1_PAGE = {"create": "create-sms-campaign-using-template", "get": "get-sms-campaign-by-id"}


def row(results: dict[str, Any], document: str, field: str) -> dict[str, str]:
    from kore_contract.report.fields import COLUMNS

    (found,) = [
        r
        for r in build(results).fields
        if r.document.startswith(PART_1_PAGE.get(document, document)) and r.field == field
    ]
    return {
        column: f"{cell.state} {cell.href}".strip()
        for column, cell in zip(COLUMNS, found.cells, strict=True)
    }


def test_matrix_has_a_row_per_documented_field(results: dict[str, Any]) -> None:
    rows = {(r.document, r.field) for r in build(results).fields}
    expected = {
        (f.document, f.field)
        for f in spec.documented_fields()
        if f.field and f.field not in ("GET", "POST", "PUT", "DELETE")
    }
    assert expected <= rows
    assert len(rows) == len(build(results).fields)  # deduplicated by document and field


def test_matrix_S4_lname_does_not_conform(results: dict[str, Any]) -> None:
    cells = row(results, "create", "lname")
    anchor = next(r.anchor for r in build(results).fields if r.field == "lname")
    assert cells == {
        "documented": f"yes #{anchor}-spec",
        "in the spec": f"yes #{anchor}-spec",
        "validated": "yes #rule-S4-create",
        "exercised": "na",
        "seen in responses": "yes #case-create-docs-sample",
        "conforming": "no #case-create-edge-48-chars",
    }


def test_matrix_request_field_is_exercised_and_echoed(results: dict[str, Any]) -> None:
    cells = row(results, "create", "name")
    assert cells["exercised"] == cells["seen in responses"] == "yes #case-create-docs-sample"
    assert cells["validated"] == "yes #rule-R2-any"  # the first of its rules, R2 and S3
    assert cells["conforming"] == "yes #case-create-docs-sample"


def test_matrix_parameters_and_headers(results: dict[str, Any]) -> None:
    assert row(results, "create", "iid")["exercised"] == "yes #case-create-docs-sample"
    assert row(results, "get", "campaignId")["exercised"] == "yes #case-lifecycle-get"
    assert row(results, "jwt", "appId")["exercised"] == "yes #case-create-docs-sample"


def test_matrix_documented_but_never_answered(results: dict[str, Any]) -> None:
    cells = row(results, "create", "totalMessagesSent")
    assert (cells["seen in responses"], cells["conforming"]) == ("no", "untested")


def test_matrix_takes_trace_fields_missing_from_the_spec(results: dict[str, Any]) -> None:
    cells = row(results, "create", "campaignInstanceId")
    assert cells["in the spec"].startswith("no ")


# --- Markdown ------------------------------------------------------------------------------


def test_markdown_for_a_pull_request(results: dict[str, Any]) -> None:
    text = render(results, "md")
    assert text.startswith("## ❌ kore-contract: FAIL: the server breaks the contract\n")
    assert (
        "| **S4** | data.lname is name lowercased | create | ❌ failed | 1 | 1 | "
        "`create-edge-48-chars` |"
    ) in text
    assert "\n```sh\ncurl -X POST 'http://127.0.0.1:8765/" in text
    assert "| create-sms-campaign-using-template-v2 | `lname` |" in text
    assert "### Documentation defects (1)" in text


def test_markdown_escapes_cells(results: dict[str, Any]) -> None:
    results["cases"][1]["findings"][0]["message"] = "a | b <script>x</script>"
    text = render(results, "md")
    assert "a \\| b &lt;script&gt;x&lt;/script&gt;" in text
    assert "<script>" not in text


def test_markdown_caps_failures() -> None:
    from report_samples import synthetic_results

    text = render(synthetic_results(300), "md")
    assert "… and 23 more failing cases (see report.html)." in text


# --- the package API and the command ----------------------------------------------------


def test_write_reports_writes_the_four_files(results: dict[str, Any], tmp_path: Path) -> None:
    paths = write_reports(results, tmp_path / "out")
    assert [p.name for p in paths] == [FILE_NAMES[f] for f in FORMATS]
    assert [p.name for p in paths] == ["results.json", "junit.xml", "report.html", "report.md"]
    assert all(p.stat().st_size > 0 for p in paths)


def test_render_refuses_an_unknown_format(results: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="format 'pdf': expected one of json, junit, html, md"):
        render(results, "pdf")


@pytest.fixture
def results_file(results: dict[str, Any], tmp_path: Path) -> Path:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["html", "junit", "md", "json"])
def test_report_command_prints_to_stdout(
    results: dict[str, Any], results_file: Path, fmt: str
) -> None:
    code, out, err = run_line(
        ["kore-contract", "report", "--results", str(results_file), "--format", fmt]
    )
    assert (code, err) == (0, "")
    assert out == render(results, fmt)


def test_report_command_writes_out(results_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    code, out, err = run_line(
        [
            "kore-contract",
            "report",
            "--results",
            str(results_file),
            "--format",
            "html",
            "--out",
            str(target),
        ]
    )
    assert (code, out, err) == (0, "", "")
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "{path}: no such file or folder"),
        (b"\xff\xfe{}", "{path}: not UTF-8 (byte 0: 0xff)"),
        (
            b'{"version": 1,',
            "{path}: not JSON: Expecting property name enclosed in double quotes"
            " (line 1, column 15)",
        ),
        (b"[]", "{path}: not a kore-contract results file: expected a JSON object; got list"),
        (
            b'{"version": "1"}',
            '{path}: not a kore-contract results file: version: got "1"; expected 1',
        ),
    ],
)
def test_report_command_unreadable_results(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "results.json"
    if content is not None:
        path.write_bytes(content)
    code, out, err = run_line(
        ["kore-contract", "report", "--results", str(path), "--format", "html"]
    )
    assert (code, out) == (2, "")
    assert err == f"kore-contract report: {message.format(path=path)}\n"


def test_report_command_cannot_write_out(results_file: Path, tmp_path: Path) -> None:
    code, _, err = run_line(
        [
            "kore-contract",
            "report",
            "--results",
            str(results_file),
            "--format",
            "md",
            "--out",
            str(tmp_path / "no" / "dir.md"),
        ]
    )
    assert code == 2
    assert err.startswith("kore-contract report: cannot write ") and "Traceback" not in err


def test_a_secret_next_to_an_escape_is_still_redacted(results: dict[str, Any]) -> None:
    secret = "nSECRET-after-a-newline"
    results["cases"][3]["request"]["headers"]["auth"] = secret
    results["cases"][3]["response"]["body"] = {"echo": f"line\n{secret}", "quote": '"x"'}
    scrubbed = sanitize(results)
    assert scrubbed["cases"][3]["response"]["body"] == {"echo": "line\n[redacted]", "quote": '"x"'}


def test_a_run_that_could_not_be_made_says_why(results: dict[str, Any]) -> None:
    results.update(verdict="error", error="cannot reach http://127.0.0.1:9: connection refused")
    jsonschema.Draft202012Validator(schema()).validate(results)
    assert "<strong>cannot reach http://127.0.0.1:9: connection refused</strong>" in render(
        results, "html"
    )
    assert "\n**cannot reach http://127.0.0.1:9: connection refused**\n" in render(results, "md")
    run_suite = junit_root(results).find("testsuite[@name='kore-contract.run']/testcase/error")
    assert run_suite is not None
    assert run_suite.get("message") == "cannot reach http://127.0.0.1:9: connection refused"
