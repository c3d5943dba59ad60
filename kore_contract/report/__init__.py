"""The report writers: results.json, junit.xml, report.html and report.md from one run's results.

The results are a `RunResult` (kore_contract.run.results) or its JSON form, a results.json
document. `render(results, fmt)` gives one report as text; `write_reports(results, out_dir)`
writes all four: the one function the shells (`kore-contract test`) write a run's reports
with. Every writer redacts again (`redact.sanitize`) whatever it is given, and takes any text
(`common.escape`); results.json is checked against results.schema.json before it is written;
each file is written whole or not at all (`common.files.write_atomic`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kore_contract.run.results import RESULTS_VERSION

if TYPE_CHECKING:
    from kore_contract.report.json_report import Results

FORMATS = ("json", "junit", "html", "md")
FILE_NAMES = {
    "json": "results.json",
    "junit": "junit.xml",
    "html": "report.html",
    "md": "report.md",
}
SCHEMA_FILE = Path(__file__).with_name("results.schema.json")

__all__ = [
    "FILE_NAMES",
    "FORMATS",
    "RESULTS_VERSION",
    "SCHEMA_FILE",
    "ReportsNotWritten",
    "render",
    "write_reports",
]


class ReportsNotWritten(Exception):
    """Some reports could not be written; the others were. `str()` is one line naming the
    first failure; each failed file kept what it held before."""

    def __init__(self, written: list[Path], failures: list[tuple[Path, str]]) -> None:
        path, why = failures[0]
        more = f" (and {len(failures) - 1} more reports)" if len(failures) > 1 else ""
        super().__init__(f"cannot write {path}: {why}{more}")
        self.written = written
        self.failures = failures


def render(results: Results, fmt: str) -> str:
    """One report as text; `fmt` is one of json, junit, html, md."""
    from kore_contract.report import json_report

    if fmt == "json":
        return json_report.render(results)
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    from kore_contract.report import model

    return _render_view(model.build(results), fmt)


def write_reports(results: Results, out_dir: Path) -> list[Path]:
    """Write the four reports under `out_dir` (made if need be); their paths in FORMATS order.

    Each is written atomically, and one that fails does not stop the others: then
    `ReportsNotWritten` says which failed and why, and lists those written. results.json
    is written only if it keeps results.schema.json."""
    from kore_contract.common.files import write_atomic
    from kore_contract.report import json_report, model

    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReportsNotWritten([], [(out_dir, _reason(error))]) from None
    try:
        data = json_report.sanitized(results)  # redacted once, for the four reports
    except Exception as error:  # data no report can take
        reason = _reason(error)
        raise ReportsNotWritten([], [(out_dir / FILE_NAMES[f], reason) for f in FORMATS]) from None
    try:
        view: Any = model.view_of(data)  # built once for the three rendered formats
    except Exception as error:  # the JSON report does not need it
        view = error
    written, failures = [], []
    for fmt in FORMATS:
        path = out_dir / FILE_NAMES[fmt]
        try:
            if fmt == "json":
                text = json_report.checked_text(data)
            elif isinstance(view, Exception):
                raise view
            else:
                text = _render_view(view, fmt)
            write_atomic(path, text)
        except Exception as error:  # a bulkhead: one report's failure costs only that report
            failures.append((path, _reason(error)))
            continue
        written.append(path)
    if failures:
        raise ReportsNotWritten(written, failures)
    return written


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return " ".join(str(error).split()) or type(error).__name__


def _render_view(view: Any, fmt: str) -> str:
    from kore_contract.report import html, junit, markdown

    renderers = {"junit": junit.render, "html": html.render, "md": markdown.render}
    return renderers[fmt](view)
