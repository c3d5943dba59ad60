"""report.md: the verdict and the tables, sized for a pull-request comment."""

from __future__ import annotations

from kore_contract.report.fields import COLUMNS
from kore_contract.report.model import Report
from kore_contract.report.templates import render_template

#: Failing cases shown in full; the rest are counted (a PR comment has a size limit).
MAX_FAILURES = 20


def render(report: Report) -> str:
    failures = report.failed_cases
    return render_template(
        "md",
        "report.md.j2",
        r=report,
        columns=COLUMNS,
        failures=failures[:MAX_FAILURES],
        more_failures=max(0, len(failures) - MAX_FAILURES),
    )
