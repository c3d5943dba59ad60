"""junit.xml: one test case per rule per call, for CI systems that read JUnit XML.

A failed rule carries its findings and each case's redacted "Reproduce with: curl ..."
line; a rule the run did not exercise is skipped; an errored case errors its rules.
"""

from __future__ import annotations

from datetime import datetime, timezone

from kore_contract.common import junit
from kore_contract.common.junit import JUnitCase, JUnitSuite
from kore_contract.report.model import Report, RuleRow

SUITE_PREFIX = "kore-contract"
#: Findings written out per test case; the rest are counted.
MAX_FINDINGS = 50


def render(report: Report) -> str:
    """One suite per call (its rules as test cases), and a `run` suite when the run errored;
    written by the one JUnit writer."""
    calls = list(dict.fromkeys(row.call for row in report.rules))
    properties = (("verdict", report.verdict), *report.run)
    timestamp = _timestamp(dict(report.run).get("started at", ""))
    suites = []
    for call in calls:
        name = f"{SUITE_PREFIX}.{call}"
        cases = tuple(_test_case(row, name) for row in report.rules if row.call == call)
        suites.append(JUnitSuite(name, cases, properties, timestamp))
    if report.verdict == "error":
        name = f"{SUITE_PREFIX}.run"
        suites.append(JUnitSuite(name, (_run_error(report, name),), properties, timestamp))
    return junit.render(SUITE_PREFIX, suites)


def _test_case(row: RuleRow, suite: str) -> JUnitCase:
    name = f"{row.id}: {row.title}"
    if row.status == "failed":
        return JUnitCase(
            name, suite, "failure", _failure_message(row), row.id, _failure_text(row), row.time_s
        )
    if row.errors:
        first = row.errors[0]
        text = "\n\n".join(
            _case_block(case.id, [f"error: {case.error}"], case.curl)
            for case in row.errors[:MAX_FINDINGS]
        )
        return JUnitCase(
            name, suite, "error", f"{first.id}: {first.error}", "error", text, row.time_s
        )
    if row.status == "not_exercised":
        why = (
            f"not exercised by this run: {row.reason}"
            if row.reason
            else "not exercised by this run"
        )
        return JUnitCase(name, suite, "skipped", why, time=0.0)
    return JUnitCase(name, suite, time=row.time_s)


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


def _run_error(report: Report, suite: str) -> JUnitCase:
    errored = [case for case in report.cases if case.error]
    if report.error:
        message = report.error
    elif errored:
        message = f"{errored[0].id}: {errored[0].error}"
    else:
        message = report.verdict_text
    text = "\n\n".join(_case_block(c.id, [f"error: {c.error}"], c.curl) for c in errored[:10])
    return JUnitCase("the run completed", suite, "error", message, "error", text or message, 0.0)


def _timestamp(started_at: str) -> str:
    """The Ant/Jenkins schema wants `YYYY-MM-DDThh:mm:ss`, no zone: UTC it is."""
    try:
        moment = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")
