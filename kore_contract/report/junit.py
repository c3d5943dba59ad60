"""junit.xml: one test case per rule per call, for CI systems that read JUnit XML.

A failed rule carries its findings and each case's redacted "Reproduce with: curl ..."
line; a rule the run did not exercise is skipped; an errored case errors its rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from kore_contract.report.model import Report, RuleRow
from kore_contract.report.templates import render_template

SUITE_PREFIX = "kore-contract"
#: Findings written out per test case; the rest are counted.
MAX_FINDINGS = 50


@dataclass(frozen=True)
class TestCase:
    name: str
    time: float
    kind: str  # "passed", "failure", "error", "skipped"
    message: str = ""
    type: str = ""
    text: str = ""


@dataclass(frozen=True)
class Suite:
    name: str
    cases: tuple[TestCase, ...]

    def count(self, kind: str) -> int:
        return sum(case.kind == kind for case in self.cases)

    @property
    def tests(self) -> int:
        return len(self.cases)

    @property
    def failures(self) -> int:
        return self.count("failure")

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def time(self) -> float:
        return sum(case.time for case in self.cases)


def render(report: Report) -> str:
    calls = list(dict.fromkeys(row.call for row in report.rules))
    suites = [
        Suite(f"{SUITE_PREFIX}.{call}",
              tuple(_test_case(row) for row in report.rules if row.call == call))
        for call in calls
    ]
    if report.verdict == "error":
        suites.append(Suite(f"{SUITE_PREFIX}.run", (_run_error(report),)))
    totals = Suite(SUITE_PREFIX, tuple(case for suite in suites for case in suite.cases))
    return render_template(
        "xml", "junit.xml.j2",
        suites=suites,
        totals=totals,
        properties=(("verdict", report.verdict), *report.run),
        timestamp=_timestamp(dict(report.run).get("started at", "")),
    )


def _test_case(row: RuleRow) -> TestCase:
    name = f"{row.id}: {row.title}"
    if row.status == "failed":
        return TestCase(name, row.time_s, "failure", _failure_message(row), row.id,
                        _failure_text(row))
    if row.errors:
        first = row.errors[0]
        text = "\n\n".join(_case_block(case.id, [f"error: {case.error}"], case.curl)
                           for case in row.errors[:MAX_FINDINGS])
        return TestCase(name, row.time_s, "error", f"{first.id}: {first.error}", "error", text)
    if row.status == "not_exercised":
        return TestCase(name, 0.0, "skipped", "not exercised by this run")
    return TestCase(name, row.time_s, "passed")


def _failure_message(row: RuleRow) -> str:
    if row.findings:
        case, finding = row.findings[0]
        return f"{case.id}: {finding.line()}"
    return f"{row.failures} failures; first in {row.first_failure or 'an unnamed case'}"


def _failure_text(row: RuleRow) -> str:
    by_case: dict[str, tuple[list[str], str]] = {}
    for case, finding in row.findings[:MAX_FINDINGS]:
        lines, _ = by_case.setdefault(case.id, ([], case.curl))
        lines.append(finding.line())
    blocks = [_case_block(case_id, lines, curl) for case_id, (lines, curl) in by_case.items()]
    if len(row.findings) > MAX_FINDINGS:
        blocks.append(f"... and {len(row.findings) - MAX_FINDINGS} more findings")
    return "\n\n".join(blocks) or _failure_message(row)


def _case_block(case_id: str, lines: list[str], curl: str) -> str:
    text = f"case {case_id}:\n" + "\n".join(f"  {line}" for line in lines)
    return f"{text}\nReproduce with: {curl}" if curl else text


def _run_error(report: Report) -> TestCase:
    errored = [case for case in report.cases if case.error]
    if report.error:
        message = report.error
    elif errored:
        message = f"{errored[0].id}: {errored[0].error}"
    else:
        message = report.verdict_text
    text = "\n\n".join(_case_block(c.id, [f"error: {c.error}"], c.curl) for c in errored[:10])
    return TestCase("the run completed", 0.0, "error", message, "error", text or message)


def _timestamp(started_at: str) -> str:
    """The Ant/Jenkins schema wants `YYYY-MM-DDThh:mm:ss`, no zone: UTC it is."""
    try:
        moment = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")
