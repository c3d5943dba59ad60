"""The report writers: results.json, junit.xml, report.html and report.md from one results dict.

`render(results, fmt)` gives one report as text; `write_reports(results, out_dir)` writes all
four. Every writer redacts again (`redact.sanitize`) whatever it is given.
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

__all__ = ["FILE_NAMES", "FORMATS", "RESULTS_VERSION", "SCHEMA_FILE", "render", "write_reports"]


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
    """Write the four reports under `out_dir` (made if need be); their paths in FORMATS order."""
    from kore_contract.report import json_report, model

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    view = model.build(results)  # built once for the three rendered formats
    written = []
    for fmt in FORMATS:
        text = json_report.render(results) if fmt == "json" else _render_view(view, fmt)
        path = out_dir / FILE_NAMES[fmt]
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _render_view(view: Any, fmt: str) -> str:
    from kore_contract.report import html, junit, markdown

    renderers = {"junit": junit.render, "html": html.render, "md": markdown.render}
    return renderers[fmt](view)
