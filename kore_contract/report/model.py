"""A run's results (a `RunResult`, or its JSON form) turned into what every writer shows:
verdict, rule rows, cases, chart.

Writers only render a `Report` (STYLE 6): they share its wording, its counts and its
anchors, so the HTML, the Markdown and the JUnit XML never disagree.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kore_contract.contract.rules import RULES
from kore_contract.report.fields import FieldRow, field_matrix
from kore_contract.report.json_report import Results, sanitized
from kore_contract.run.headline import headline
from kore_contract.run.results import CaseResult, Finding, RequestRecord, ResponseRecord, RunResult
from kore_contract.run.results import RuleResult as RuleEntry

RULE_STATUSES = ("passed", "failed", "not_exercised")
STATUS_LABELS = {"passed": "passed", "failed": "failed", "not_exercised": "not exercised"}
CALL_ORDER = (
    "create",
    "get",
    "update",
    "start",
    "trigger",
    "stop",
    "status",
    "list",
    "delete",
    "any",
)
#: Rule families in the order a reader meets them (part 1's R, S, A; part 2's C, U, T, Q, L).
RULE_FAMILIES = "RSACUTQL"
#: Failing rules first, then the rules that passed, then those not exercised.
STATUS_ORDER = {"failed": 0, "passed": 1, "not_exercised": 2}
#: Longer request or response bodies are cut in the reports (the results file keeps all).
MAX_BODY_CHARS = 20_000
#: In a run of more cases, passed cases show their bodies as compact JSON (indenting is slow
#: in Python's json; failed and errored cases are always indented).
MAX_INDENTED_RUN = 200


@dataclass(frozen=True)
class CaseView:
    id: str
    anchor: str
    phase: str
    call: str
    rules: tuple[str, ...]
    expect: str
    status: str
    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: str
    response_status: int | None
    response_headers: tuple[tuple[str, str], ...]
    response_body: str
    elapsed_ms: float | None
    error: str | None
    findings: tuple[Finding, ...]
    curl: str


@dataclass(frozen=True)
class RuleRow:
    id: str
    title: str
    source: str
    call: str
    status: str
    status_label: str
    checks: int
    failures: int
    first_failure: str | None
    first_failure_anchor: str | None
    anchor: str
    findings: tuple[tuple[CaseView, Finding], ...]
    errors: tuple[CaseView, ...]
    time_s: float
    #: Why a row not exercised was not (results.json's `reason`), or None.
    reason: str | None = None


@dataclass(frozen=True)
class Bar:
    """One stacked bar of the rules chart (coordinates in the SVG's user units)."""

    label: str
    y: float
    segments: tuple[tuple[str, int, float, float], ...]  # (status, count, x, width)
    total: int


@dataclass(frozen=True)
class DefectView:
    anchor: str
    kind: str
    fields: tuple[str, ...]
    documents: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Report:
    version: int
    tool: str
    verdict: str
    verdict_text: str
    error: str | None
    run: tuple[tuple[str, str], ...]
    counts: dict[str, int]
    rules: tuple[RuleRow, ...]
    bars: tuple[Bar, ...]
    fields: tuple[FieldRow, ...]
    cases: tuple[CaseView, ...]
    case_counts: dict[str, int]
    defects: tuple[DefectView, ...] | None
    results: dict[str, Any] = field(repr=False)

    @property
    def failed_cases(self) -> tuple[CaseView, ...]:
        return tuple(c for c in self.cases if c.status in ("failed", "error"))


def build(results: Results) -> Report:
    """The view of a run's results (redacted first; secrets never reach a template)."""
    return view_of(sanitized(results))


def view_of(data: dict[str, Any]) -> Report:
    """The view of results already in redacted JSON form (`json_report.sanitized`)."""
    result = RunResult.from_json(data)
    cases = _cases(result.cases)
    anchors = {case.id: case.anchor for case in reversed(cases)}
    rules = _rules(result.rules, cases, anchors)
    counts = Counter(row.status for row in rules)
    tool = result.tool
    return Report(
        version=int(result.version),
        tool=f"{tool.get('name', 'kore-contract')} {tool.get('version', '')}".strip(),
        verdict=result.verdict,
        verdict_text=": ".join(headline(result)),
        error=str(result.error) if result.error else None,
        run=_run(result.run.to_json()),
        counts={status: counts.get(status, 0) for status in RULE_STATUSES},
        rules=rules,
        bars=_bars(rules),
        fields=field_matrix(data, anchors, {row.id: row.anchor for row in reversed(rules)}),
        cases=cases,
        case_counts=dict(Counter(case.status for case in cases)),
        defects=_defects(result.trace),
        results=data,
    )


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def pretty(value: Any, indent: int | None = 2) -> str:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    if len(text) > MAX_BODY_CHARS:
        cut = len(text) - MAX_BODY_CHARS
        text = f"{text[:MAX_BODY_CHARS]}\n... ({cut} more characters in results.json)"
    return text


def _run(run: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    keys = (
        "target",
        "base_url",
        "stream_id",
        "account_id",
        "seed",
        "max_examples",
        "requests",
        "started_at",
        "finished_at",
        "duration_s",
    )
    shown = [(key, run[key]) for key in keys if key in run]
    shown += [(key, value) for key, value in run.items() if key not in keys]
    return tuple((key.replace("_", " "), _scalar(value)) for key, value in shown)


def _scalar(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _headers(headers: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(headers, dict):
        return ()
    return tuple((str(k), v if isinstance(v, str) else _scalar(v)) for k, v in headers.items())


def _body(record: RequestRecord | ResponseRecord | None, indent: int | None) -> str:
    if record is None:
        return ""
    if record.body is not None:
        return pretty(record.body, indent)
    text = record.body_text
    return text[:MAX_BODY_CHARS] if isinstance(text, str) else ""


def _cases(raw: tuple[CaseResult, ...]) -> tuple[CaseView, ...]:
    seen: set[str] = set()
    views = []
    for number, case in enumerate(raw):
        case_id = case.id or f"case-{number}"
        anchor = f"case-{slug(case_id)}"
        if anchor in seen:
            anchor = f"{anchor}-{number}"
        seen.add(anchor)
        request, response = case.request, case.response
        indent = 2 if case.status != "passed" or len(raw) <= MAX_INDENTED_RUN else None
        views.append(
            CaseView(
                id=case_id,
                anchor=anchor,
                phase=case.phase,
                call=case.call,
                rules=case.rules,
                expect=case.expect,
                status=case.status,
                method=request.method,
                url=request.url,
                request_headers=_headers(request.headers),
                request_body=_body(request, indent),
                response_status=response.status if response else None,
                response_headers=_headers(response.headers) if response else (),
                response_body=_body(response, indent),
                elapsed_ms=response.elapsed_ms if response else None,
                error=case.error,
                findings=case.findings,
                curl=case.curl,
            )
        )
    return tuple(views)


def _rules(
    raw: tuple[RuleEntry, ...], cases: tuple[CaseView, ...], anchors: dict[str, str]
) -> tuple[RuleRow, ...]:
    findings: dict[tuple[str, str], list[tuple[CaseView, Finding]]] = {}
    covering: dict[tuple[str, str], list[CaseView]] = {}
    for case in cases:
        for finding in case.findings:
            findings.setdefault((finding.rule, finding.call), []).append((case, finding))
            findings.setdefault((finding.rule, "any"), []).append((case, finding))
        for rule_id in case.rules:
            covering.setdefault((rule_id, case.call), []).append(case)
            covering.setdefault((rule_id, "any"), []).append(case)
    rows = []
    for entry in raw:
        rule_id, call = entry.id, entry.call
        known = RULES.get(rule_id)
        first = entry.first_failure
        cover = covering.get((rule_id, call), [])
        rows.append(
            RuleRow(
                id=rule_id,
                title=known.title if known else "(not in the rule catalogue)",
                source=known.source if known else "",
                call=call,
                status=entry.status,
                status_label=STATUS_LABELS.get(entry.status, entry.status),
                checks=entry.checks,
                failures=entry.failures,
                first_failure=first,
                first_failure_anchor=anchors.get(first) if first else None,
                anchor=f"rule-{slug(rule_id)}-{slug(call)}",
                findings=tuple(findings.get((rule_id, call), ())),
                errors=tuple(c for c in cover if c.status == "error"),
                time_s=sum(c.elapsed_ms or 0.0 for c in cover) / 1000,
                reason=entry.reason if entry.status == "not_exercised" else None,
            )
        )
    order = {call: index for index, call in enumerate(CALL_ORDER)}
    return tuple(
        sorted(
            rows,
            key=lambda r: (
                STATUS_ORDER.get(r.status, 1),
                order.get(r.call, len(order)),
                _rule_key(r.id),
            ),
        )
    )


def _rule_key(rule_id: str) -> tuple[int, str, int]:
    match = re.fullmatch(r"([A-Z]+)(\d+)", rule_id)
    if not match:
        return (9, rule_id, 0)
    return (RULE_FAMILIES.find(match[1][0]) % 9, match[1], int(match[2]))


CHART_LEFT, CHART_WIDTH, BAR_HEIGHT, BAR_GAP = 70.0, 300.0, 18.0, 8.0


def _bars(rules: tuple[RuleRow, ...]) -> tuple[Bar, ...]:
    groups: list[tuple[str, list[RuleRow]]] = [("all", list(rules))]
    for call in dict.fromkeys(row.call for row in rules):
        groups.append((call, [row for row in rules if row.call == call]))
    bars = []
    for index, (label, rows) in enumerate(groups):
        counts = Counter(row.status for row in rows)
        total = len(rows)
        x = CHART_LEFT
        segments = []
        for status in RULE_STATUSES:
            width = CHART_WIDTH * counts.get(status, 0) / total if total else 0.0
            segments.append((status, counts.get(status, 0), round(x, 2), round(width, 2)))
            x += width
        bars.append(Bar(label, index * (BAR_HEIGHT + BAR_GAP), tuple(segments), total))
    return tuple(bars)


def _defects(trace: Any) -> tuple[DefectView, ...] | None:
    if not isinstance(trace, dict):
        return None
    defects = []
    for number, raw in enumerate(trace.get("defects") or (), start=1):
        if not isinstance(raw, dict):
            continue
        defects.append(
            DefectView(
                anchor=f"defect-{number}",
                kind=str(raw.get("kind", "")),
                fields=tuple(str(f) for f in _as_list(raw.get("fields"))),
                documents=tuple(str(d) for d in _as_list(raw.get("documents"))),
                message=str(raw.get("message", "")),
            )
        )
    return tuple(defects)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
