"""The one JUnit XML writer: `kore-contract validate --format junit` and the run's junit.xml.

It writes the form Jenkins, GitLab and Ant read (tests/data/junit.xsd): `<testsuites>`, then
per suite its counts, optional properties and test cases, each passed, failed, errored or
skipped. Any text is welcome: what XML 1.0 cannot carry even escaped becomes U+FFFD
(`escape.xml_safe`); `&`, `<`, `>` are escaped, and in attributes also quotes and line
breaks (as character references, so that a parser keeps them). Callers decide how a control
character is shown before it gets here (validate writes `\\x1b`, a report U+FFFD).

Plain string building, no xml.sax or Jinja2: `validate` imports this on a one-file run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from kore_contract.common.escape import xml_safe

Outcome = Literal["passed", "failure", "error", "skipped"]

#: In an attribute, besides `&`, `<`, `>`: the quote, and the line breaks and tab that a
#: parser would otherwise read as spaces. (`str.replace` in turn: much faster than
#: `str.translate` on long texts, which a failure's findings are.)
_ATTRIBUTE_ESCAPES = (('"', "&quot;"), ("\n", "&#10;"), ("\r", "&#13;"), ("\t", "&#9;"))
#: Text that goes out as it is: printable ASCII but `&`, `<`, `>` (and, in attributes, `"`).
_PLAIN_TEXT = re.compile(r"[ -%'-;=?-~\n\t]*")
_PLAIN_ATTRIBUTE = re.compile(r"[ !#-%'-;=?-~]*")


@dataclass(frozen=True)
class JUnitCase:
    """One `<testcase>`. `message`, `type` and `text` describe a failure, an error or a skip;
    `time` in seconds, or None where nothing was timed (then no `time` attribute)."""

    name: str
    classname: str
    outcome: Outcome = "passed"
    message: str = ""
    type: str = ""
    text: str = ""
    time: float | None = None


@dataclass(frozen=True)
class JUnitSuite:
    """One `<testsuite>`: its cases, the run's properties, when it started (`YYYY-MM-DDThh:mm:ss`
    in UTC, or "")."""

    name: str
    cases: tuple[JUnitCase, ...]
    properties: tuple[tuple[str, str], ...] = ()
    timestamp: str = ""

    def count(self, outcome: Outcome) -> int:
        return sum(case.outcome == outcome for case in self.cases)

    @property
    def time(self) -> float | None:
        """The cases' time added up, or None when no case was timed."""
        times = [case.time for case in self.cases if case.time is not None]
        return sum(times) if times else None


def render(name: str, suites: Sequence[JUnitSuite]) -> str:
    """The whole JUnit XML document, its totals the suites' totals."""
    everything = JUnitSuite(name, tuple(case for suite in suites for case in suite.cases))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f"<testsuites{_counts(everything)}>"]
    for suite in suites:
        stamp = f" timestamp={_attribute(suite.timestamp)}" if suite.timestamp else ""
        lines.append(f"  <testsuite{_counts(suite)}{stamp}>")
        if suite.properties:
            lines.append("    <properties>")
            lines += [
                f"      <property name={_attribute(key)} value={_attribute(value)}/>"
                for key, value in suite.properties
            ]
            lines.append("    </properties>")
        lines += [_case(case) for case in suite.cases]
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def _counts(suite: JUnitSuite) -> str:
    text = (
        f' name={_attribute(suite.name)} tests="{len(suite.cases)}"'
        f' failures="{suite.count("failure")}" errors="{suite.count("error")}"'
        f' skipped="{suite.count("skipped")}"'
    )
    return text + _time(suite.time)


def _case(case: JUnitCase) -> str:
    head = (
        f"    <testcase name={_attribute(case.name)} classname={_attribute(case.classname)}"
        f"{_time(case.time)}"
    )
    if case.outcome == "passed":
        return head + "/>"
    detail = f" message={_attribute(case.message)}"
    if case.type:
        detail += f" type={_attribute(case.type)}"
    element = case.outcome
    if case.text:
        inner = f"      <{element}{detail}>{_text(case.text)}</{element}>"
    else:
        inner = f"      <{element}{detail}/>"
    return f"{head}>\n{inner}\n    </testcase>"


def _time(seconds: float | None) -> str:
    return "" if seconds is None else f' time="{seconds:.3f}"'


def _text(value: str) -> str:
    if _PLAIN_TEXT.fullmatch(value):  # most names and messages: nothing to do
        return value
    text: str = xml_safe(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str) -> str:
    if _PLAIN_ATTRIBUTE.fullmatch(value):
        return f'"{value}"'
    text = _text(value)
    for char, reference in _ATTRIBUTE_ESCAPES:
        if char in text:
            text = text.replace(char, reference)
    return f'"{text}"'
