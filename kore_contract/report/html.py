"""report.html: one self-contained page (inline CSS and SVG, no script, no network)."""

from __future__ import annotations

from kore_contract.report.fields import COLUMNS
from kore_contract.report.model import Report
from kore_contract.report.templates import render_template

MARKS = {"yes": "✓", "no": "✗", "na": "n/a", "untested": "\u2013"}  # an en dash
COLOURS = {"passed": "#1a7f37", "failed": "#cf222e", "not_exercised": "#8c959f"}


def render(report: Report) -> str:
    return render_template(
        "html", "report.html.j2", r=report, columns=COLUMNS, colours=COLOURS, marks=MARKS
    )
