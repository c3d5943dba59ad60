"""One JUnit writer (issue 11, item 5): `kore_contract.common.junit` writes the XML for both
`kore-contract validate --format junit` and the run's junit.xml, in the form
tests/data/junit.xsd describes (Jenkins, GitLab, Ant)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from lxml import etree

from kore_contract import cli
from kore_contract.common import junit
from kore_contract.common.junit import JUnitCase, JUnitSuite

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kore_contract"
DATA = Path(__file__).parent / "data"
VALID = Path(__file__).parent / "payloads" / "valid" / "docs-sample-corrected.json"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(DATA / "junit.xsd")))


def validate_junit(*paths: Path) -> str:
    out, err = io.StringIO(), io.StringIO()
    cli.run(["validate", "--format", "junit", *map(str, paths)], out, err)
    return out.getvalue()


def test_item5_one_junit_writer_in_the_package() -> None:
    """Only common/junit.py writes a `<testsuites>` element: no second, hand-escaped writer,
    no template of its own."""
    writers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*")
        if path.is_file()
        and path.suffix in (".py", ".j2")
        and re.search(r"<testsuites\b", path.read_text(encoding="utf-8"))
    )
    assert writers == ["common/junit.py"]


def test_item5_validate_junit_keeps_the_jenkins_junit_schema(
    tmp_path: Path, schema: etree.XMLSchema
) -> None:
    body = json.loads(VALID.read_text(encoding="utf-8"))
    (tmp_path / "a-valid.json").write_bytes(VALID.read_bytes())
    (tmp_path / "b-invalid.json").write_text(json.dumps({**body, "priority": 5}))
    (tmp_path / "c-broken.json").write_text("{not json")
    document = etree.fromstring(validate_junit(tmp_path).encode("utf-8"))
    schema.assertValid(document)
    suite = document.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    outcomes = [[child.tag for child in case] for case in suite.iter("testcase")]
    assert outcomes == [[], ["failure"], ["error"]]


def test_item5_the_writer_keeps_line_breaks_and_quotes_in_attributes() -> None:
    case = JUnitCase(
        'a "name"\nwith a break', "k", "failure", "first\nsecond\t<&>", "R7", "text <&> ]]>"
    )
    document = etree.fromstring(junit.render("t", [JUnitSuite("s", (case,))]).encode("utf-8"))
    testcase = document.find("testsuite/testcase")
    failure = document.find("testsuite/testcase/failure")
    assert testcase is not None and failure is not None
    assert testcase.get("name") == 'a "name"\nwith a break'
    assert failure.get("message") == "first\nsecond\t<&>"
    assert failure.text == "text <&> ]]>"


def test_item5_the_writer_replaces_what_xml_cannot_carry(schema: etree.XMLSchema) -> None:
    hostile = "nul \x00 esc \x1b lone \ud800 end"
    case = JUnitCase(hostile, hostile, "error", hostile, hostile, hostile)
    suite = JUnitSuite(hostile, (case,), properties=((hostile, hostile),))
    text = junit.render(hostile, [suite])
    document = etree.fromstring(text.encode("utf-8"))  # encodes: no lone surrogate is left
    schema.assertValid(document)
    error = document.find("testsuite/testcase/error")
    assert error is not None
    assert error.text == "nul \ufffd esc \ufffd lone \ufffd end"


def test_item5_the_writer_counts_each_outcome_and_adds_up_the_time(schema: etree.XMLSchema) -> None:
    cases = (
        JUnitCase("passed", "k", time=0.25),
        JUnitCase("failed", "k", "failure", "m", "R1", "t", time=0.5),
        JUnitCase("errored", "k", "error", "m", "error", "t", time=1.0),
        JUnitCase("skipped", "k", "skipped", "not exercised", time=0.0),
    )
    suites = [
        JUnitSuite("one", cases, (("verdict", "fail"),), "2024-05-01T10:00:00"),
        JUnitSuite("two", cases[:1]),
    ]
    document = etree.fromstring(junit.render("all", suites).encode("utf-8"))
    schema.assertValid(document)
    counts = ("tests", "failures", "errors", "skipped", "time")
    assert [document.get(name) for name in counts] == ["5", "1", "1", "1", "2.000"]
    first = document.find("testsuite")
    assert first is not None
    assert [first.get(name) for name in counts] == ["4", "1", "1", "1", "1.750"]
    assert first.get("timestamp") == "2024-05-01T10:00:00"
    skipped = document.find("testsuite/testcase/skipped")
    assert skipped is not None and skipped.get("message") == "not exercised"


def test_item5_untimed_cases_write_no_time() -> None:
    text = junit.render("v", [JUnitSuite("payloads", (JUnitCase("a.json", "k"),))])
    assert "time=" not in text
