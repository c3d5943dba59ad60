"""The report writers: results.json, junit.xml, report.html and report.md from one results dict.

`render(results, fmt)` gives one report as text; `write_reports(results, out_dir)` writes all
four. Every writer redacts again (`redact.sanitize`) whatever it is given, and takes any text
(`common.escape`); each file is written whole or not at all (`common.files.write_atomic`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: The version of results.json's shape (results.schema.json); the runner writes it.
RESULTS_VERSION = 1
FORMATS = ("json", "junit", "html", "md")
FILE_NAMES = {
    "json": "results.json",
    "junit": "junit.xml",
    "html": "report.html",
    "md": "report.md",
}
SCHEMA_FILE = Path(__file__).with_name("results.schema.json")

__all__ = ["FILE_NAMES", "FORMATS", "RESULTS_VERSION", "SCHEMA_FILE", "ReportsNotWritten",
           "render", "write_reports"]


class ReportsNotWritten(Exception):
    """Some reports could not be written; the others were. `str()` is one line naming the
    first failure; each failed file kept what it held before."""

    def __init__(self, written: list[Path], failures: list[tuple[Path, str]]) -> None:
        path, why = failures[0]
        more = f" (and {len(failures) - 1} more reports)" if len(failures) > 1 else ""
        super().__init__(f"cannot write {path}: {why}{more}")
        self.written = written
        self.failures = failures


def render(results: dict[str, Any], fmt: str) -> str:
    """One report as text; `fmt` is one of json, junit, html, md."""
    if fmt == "json":
        from kore_contract.report import json_report

        return json_report.render(results)
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    from kore_contract.report import model

    return _render_view(model.build(results), fmt)


def write_reports(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write the four reports under `out_dir` (made if need be); their paths in FORMATS order.

    Each is written atomically, and one that fails does not stop the others: then
    `ReportsNotWritten` says which failed and why, and lists those written."""
    from kore_contract.common.files import write_atomic
    from kore_contract.report import model

    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReportsNotWritten([], [(out_dir, _reason(error))]) from None
    try:
        view: Any = model.build(results)  # built once for the three rendered formats
    except Exception as error:  # the JSON report does not need it
        view = error
    written, failures = [], []
    for fmt in FORMATS:
        path = out_dir / FILE_NAMES[fmt]
        try:
            if fmt == "json":
                text = _render_json(results)
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


def _render_json(results: dict[str, Any]) -> str:
    from kore_contract.report import json_report

    return json_report.render(results)


def _render_view(view: Any, fmt: str) -> str:
    from kore_contract.report import html, junit, markdown

    renderers = {"junit": junit.render, "html": html.render, "md": markdown.render}
    return renderers[fmt](view)
