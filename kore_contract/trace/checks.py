"""Documentation defects, found by comparing a page's tables, samples and endpoint line
with each other and with sibling pages. Generic: no field of this API is named here.

Each finder yields `Defect`s of one or two kinds (see `DEFECT_KINDS`); `find_defects` runs them
all and merges the same defect found on several pages into one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kore_contract.trace.docs import BrokenSample, Document, Role, Row, Sample, Table
from kore_contract.trace.paths import (
    Resolved,
    ResolvedTable,
    normalise,
    record_root,
    resolve,
    sample_paths,
)

DEFECT_KINDS = (
    "table-field-missing-from-sample",
    "sample-field-missing-from-table",
    "path-prefix-mismatch",
    "type-mismatch",
    "sample-value-breaks-rule",
    "parameter-missing-from-table",
    "description-contradicts-sample",
    "description-contradicts-description",
    "sample-not-json",
    "endpoint-differs-from-spec",
    "name-mismatch",
)
BODY_ROLES: tuple[Role, ...] = ("request", "response")
JSON_TYPES = {
    "string": "string",
    "number": "number",
    "integer": "number",
    "boolean": "boolean",
    "object": "object",
    "array": "array",
    "null": "null",
}
# Words a description uses to restrict a value; each with the test a sample value must pass.
CASE_CLAIMS = (
    (re.compile(r"\blower[- ]?case(d)?\b", re.I), "lowercase", str.lower),
    (re.compile(r"\bupper[- ]?case(d)?\b", re.I), "uppercase", str.upper),
    (re.compile(r"\btitle[- ]?case(d)?\b", re.I), "title case", str.title),
)
# The formats the contract itself defines (R9 base64, R11 E.164, S7 date-times).
FORMAT_CLAIMS = (
    (re.compile(r"\bE\.?164\b", re.I), "E.164"),
    (re.compile(r"\bISO\b"), "ISO 8601"),
    (re.compile(r"\bbase-?64\b", re.I), "base64"),
)
ALTERNATIVE = re.compile(r"\w or \w", re.I)  # "phone number or ID"


@dataclass(frozen=True)
class Defect:
    kind: str
    fields: tuple[str, ...]  # as spelled where found: a table cell, or a sample path
    documents: tuple[str, ...]
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "fields": list(self.fields),
            "documents": list(self.documents),
            "message": self.message,
        }


@dataclass(frozen=True)
class SampleView:
    sample: Sample
    paths: dict[str, list[Any]]
    root: str  # record_root of the payload


@dataclass
class Analysed:
    """One page, its tables resolved against its own samples."""

    doc: Document
    call: str | None  # the spec's x-call this page documents, when its endpoint says
    samples: dict[Role, SampleView] = field(default_factory=dict)
    tables: list[ResolvedTable] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.doc.name

    def where(self, section: str) -> str:
        return f"{self.doc.name}#{section}"

    def row_path(self, table: ResolvedTable, resolved: Resolved) -> str:
        return resolved.path if resolved.path is not None else table.apply_dominant(resolved.row)

    def record_key(self, role: Role, path: str) -> tuple[str, str]:
        """A field's identity across pages: request bodies and response records share
        one namespace ("record"), an envelope's own fields another."""
        if role not in BODY_ROLES:
            return (f"{role}:{self.doc.name}", path)
        view = self.samples.get(role)
        root = view.root if view else ""
        if not root and role == "response" and self.call is not None:
            return ("envelope", path)  # an answer without a record: its own fields
        if not root or path.startswith(f"{root}."):
            return ("record", path.removeprefix(f"{root}.") if root else path)
        return ("envelope", path)


def analyse(doc: Document, call: str | None) -> Analysed:
    found = Analysed(doc, call)
    for role in BODY_ROLES:
        sample = doc.sample_of(role)
        if sample is not None:
            found.samples[role] = SampleView(
                sample,
                sample_paths(sample.payload),
                record_root(sample.payload) if role == "response" else "",
            )
        for table in doc.tables_of(role):
            view = found.samples.get(role)
            found.tables.append(resolve(table, view.paths if view else {}))
    return found


def find_defects(pages: list[Analysed], *, has_request_body: set[str]) -> list[Defect]:
    found: list[Defect] = []
    for page in pages:
        found += broken_samples(page)
        found += prefix_mismatches(page)
        found += missing_fields(page)
        found += parameters(page)
        broken: set[tuple[str, str]] = set()  # (sample section, path) a rule already names
        found += sample_rule_breaks(page, page.call in has_request_body, broken)
        found += descriptions_vs_sample(page, broken)
    found += type_mismatches(pages)
    found += item_type_mismatches(pages)
    found += name_mismatches(pages)
    found += descriptions_vs_descriptions(pages)
    return merge(found)


def merge(defects: Iterable[Defect]) -> list[Defect]:
    """The same defect on several pages (same kind, fields and message) is one defect."""
    merged: dict[tuple[str, tuple[str, ...], str], list[str]] = {}
    for defect in defects:
        documents = merged.setdefault((defect.kind, defect.fields, defect.message), [])
        documents += [d for d in defect.documents if d not in documents]
    return [
        Defect(kind, fields, tuple(docs), message)
        for (kind, fields, message), docs in merged.items()
    ]


def quoted(items: Iterable[str], limit: int = 8) -> str:
    items = list(dict.fromkeys(items))
    shown = ", ".join(f'"{item}"' for item in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def shorten(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else f"{value[: limit - 15]}...{value[-12:]}"


def table_label(page: Analysed, table: Table) -> str:
    return f'the "{table.heading}" table ({page.where(table.section)})'


def sample_label(page: Analysed, view: SampleView) -> str:
    return f"the sample {view.sample.role} ({page.where(view.sample.section)})"


# --- samples that are no usable JSON ------------------------------------------------------


def broken_samples(page: Analysed) -> Iterator[Defect]:
    """A sample that looks like JSON but does not parse (or nests too deeply to trace): the
    page's readers cannot use it either, and the trace cannot compare it."""
    for broken in page.doc.broken_samples:
        yield Defect(
            "sample-not-json", (), (page.name,), f"{broken_label(page, broken)} is {broken.reason}"
        )


def broken_label(page: Analysed, broken: BrokenSample) -> str:
    what = f"sample {broken.role}" if broken.role in BODY_ROLES else "JSON sample"
    return f"the {what} ({page.where(broken.section)})"


# --- tables against their own page's sample ----------------------------------------------


def prefix_mismatches(page: Analysed) -> Iterator[Defect]:
    for table in page.tables:
        view = page.samples.get(table.table.role)
        if view is None:
            continue
        groups: dict[tuple[str, str], list[Resolved]] = defaultdict(list)
        for row in table.rows:
            if row.offset is not None and row.offset != table.dominant:
                groups[row.offset].append(row)
        for offset, rows in groups.items():
            yield _prefix_defect(page, table, view, offset, rows)


def _prefix_defect(
    page: Analysed,
    table: ResolvedTable,
    view: SampleView,
    offset: tuple[str, str],
    rows: list[Resolved],
) -> Defect:
    names = [r.row.name for r in rows]
    paths = [r.path or "" for r in rows]
    how, prefix = offset
    if how == "strip":
        message = (
            f"{table_label(page, table.table)} names {quoted(names)}; "
            f'{sample_label(page, view)} has them without "{prefix}.": {quoted(paths)}'
        )
        return Defect("path-prefix-mismatch", (*names, *paths), (page.name,), message)
    example = next(r for r in table.rows if r.offset == table.dominant)
    if table.dominant[0] == "add":
        convention = f'relative to "{table.dominant[1]}"'
    else:
        convention = "by their full path"
    message = (
        f"{table_label(page, table.table)} names most fields {convention} "
        f'("{example.row.name}" is "{example.path}" in {sample_label(page, view)}), '
        f"but writes {quoted(names)} "
        + (
            f'with the "{paths[0].split(".")[0]}." prefix'
            if how == "exact"
            else f'without "{prefix}." ({quoted(paths)} in the sample)'
        )
    )
    return Defect("path-prefix-mismatch", (*names, example.row.name), (page.name,), message)


def missing_fields(page: Analysed) -> Iterator[Defect]:
    for role, view in page.samples.items():
        tables = [t for t in page.tables if t.table.role == role]
        if not tables:
            continue
        for table in tables:
            absent = [r.row.name for r in table.rows if r.path is None]
            if absent:
                yield Defect(
                    "table-field-missing-from-sample",
                    tuple(absent),
                    (page.name,),
                    f"{table_label(page, table.table)} lists {quoted(absent)}, "
                    f"which {sample_label(page, view)} does not have",
                )
        uncovered = _uncovered(tables, view)
        if uncovered:
            labels = " and ".join(table_label(page, t.table) for t in tables)
            yield Defect(
                "sample-field-missing-from-table",
                tuple(uncovered),
                (page.name,),
                f"{sample_label(page, view)} has {quoted(uncovered)}, which {labels} does not list",
            )


def _uncovered(tables: list[ResolvedTable], view: SampleView) -> list[str]:
    """The top-most sample paths no table row documents: not listed, no listed descendant,
    not named in code (`day`) by the description of its listed parent; outside the object
    a table names its fields relative to, nothing is expected."""
    listed = {r.path: r.row for t in tables for r in t.rows if r.path is not None}
    scope = next((t.dominant[1] for t in tables if t.dominant[0] == "add"), "")
    reported: list[str] = []
    for path in view.paths:
        if scope and not path.startswith(f"{scope}."):
            continue
        parent, _, last = path.rpartition(".")
        if (
            path in listed
            or any(p.startswith(f"{path}.") for p in listed)
            or (parent in listed and last in listed[parent].code_spans)
            or any(path.startswith(f"{r}.") for r in reported)
        ):
            continue
        reported.append(path)
    return reported


# --- the endpoint line and the curl command against the parameter tables ------------------


def parameters(page: Analysed) -> Iterator[Defect]:
    endpoint = page.doc.endpoint
    headers = {r.name.lower() for t in page.doc.tables_of("header") for r in t.rows}
    if endpoint is not None:
        by_role: tuple[tuple[Role, tuple[str, ...]], ...] = (
            ("path", endpoint.path_params),
            ("query", endpoint.query_params),
        )
        for role, names in by_role:
            listed = [r.name for t in page.doc.tables_of(role) for r in t.rows]
            missing = [n for n in names if n not in listed]
            if not missing:
                continue
            extra = [n for n in listed if n not in names]
            if not page.doc.tables_of(role):
                side = f"no {role} parameter table lists {_them(missing)}"
            else:
                side = f"the {role} parameter table does not list {_them(missing)}"
                side += (
                    f"; it names {quoted(extra)} instead, which the endpoint does not have"
                    if extra
                    else f" (it lists only {quoted(listed)})"
                )
            also = [n for n in missing if n.lower() in headers]
            if also:
                side += f"; the header table lists {quoted(also)} as a header"
            yield Defect(
                "parameter-missing-from-table",
                (*missing, *extra),
                (page.name,),
                f"the endpoint's {role} has {quoted(missing)}, but {side}",
            )
    if page.doc.tables_of("header"):
        for section, name in page.doc.sent_headers:
            if name.lower() not in headers:
                yield Defect(
                    "parameter-missing-from-table",
                    (name,),
                    (page.name,),
                    f"the sample request ({page.where(section)}) sends the header "
                    f'"{name}", which the header table does not list',
                )


def _them(names: list[str]) -> str:
    return "it" if len(names) == 1 else "them"


# --- sample values against the contract's rules -------------------------------------------


def sample_rule_breaks(
    page: Analysed, has_request_body: bool, broken: set[tuple[str, str]]
) -> Iterator[Defect]:
    """The page's samples checked against the page's own call (only for a call the spec
    knows: a request sample only where that call has a body): by the project's validator
    where the call's body or answer is the one it checks, else by the spec's JSON Schema of
    that call, and every record a sample holds by the record rules. Adds what it reports to
    `broken`, so that a description's claim about the same value is not said twice."""
    if page.call is None:
        return
    from kore_contract.trace.rules import sample_violations

    for role, view in page.samples.items():
        if role == "request" and not has_request_body:
            continue
        for rule, pointer, message in sample_violations(page.call, role, view.sample):
            path = normalise(".".join(p for p in pointer.split("/") if p and not p.isdigit()))
            broken.add((view.sample.section, path))
            yield Defect(
                "sample-value-breaks-rule",
                (path,) if path else (),
                (page.name,),
                f"{sample_label(page, view)} breaks {rule}: {message}",
            )


# --- descriptions ---------------------------------------------------------------------------


def descriptions_vs_sample(page: Analysed, broken: set[tuple[str, str]]) -> Iterator[Defect]:
    """A description that claims a letter case or a format the contract defines, and a
    sample value at that field which does not have it."""
    from kore_contract.contract import formats

    checks = {
        "E.164": lambda v: bool(formats.E164.match(v)),
        "ISO 8601": lambda v: formats.parse_date_time(v) is not None,
        "base64": formats.is_base64_utf8,
    }
    for table in page.tables:
        view = page.samples.get(table.table.role)
        if view is None:
            continue
        for row in table.rows:
            if (view.sample.section, row.path) in broken:
                continue
            values = [v for v in view.paths.get(row.path or "", []) if isinstance(v, str)]
            for value in values:
                problem = _contradiction(row, value, checks)
                if problem:
                    spelled = tuple(dict.fromkeys((row.row.name, row.path or "")))
                    yield Defect(
                        "description-contradicts-sample",
                        spelled,
                        (page.name,),
                        f'{table_label(page, table.table)} describes "{row.row.name}" '
                        f'as "{row.row.description}", but {sample_label(page, view)} '
                        f'has "{shorten(value)}" at "{row.path}", {problem}',
                    )
                    break


def _contradiction(row: Resolved, value: str, checks: dict[str, Any]) -> str:
    for pattern, name, convert in CASE_CLAIMS:
        if pattern.search(row.row.description) and convert(value) != value:
            return f'which is not {name} ("{convert(value)}" would be)'
    for pattern, name in FORMAT_CLAIMS:
        if pattern.search(row.row.description) and not checks[name](value):
            return f"which is not {name}"
    return ""


def descriptions_vs_descriptions(pages: list[Analysed]) -> Iterator[Defect]:
    """One field, two descriptions: one restricts it to a format the contract defines
    ("E.164"), another allows an alternative ("phone number or ID") without that format."""
    groups: dict[tuple[str, str], list[tuple[Analysed, Table, Row]]] = defaultdict(list)
    for page in pages:
        for table in page.tables:
            for resolved in table.rows:
                key = page.record_key(table.table.role, page.row_path(table, resolved))
                groups[key].append((page, table.table, resolved.row))
    for (_, path), rows in groups.items():
        for pattern, name in FORMAT_CLAIMS:
            strict = [r for r in rows if pattern.search(r[2].description)]
            loose = [
                r
                for r in rows
                if ALTERNATIVE.search(r[2].description)
                and not any(p.search(r[2].description) for p, _ in FORMAT_CLAIMS)
            ]
            if strict and loose:
                yield _description_defect(path, name, strict, loose)


def _description_defect(
    path: str,
    name: str,
    strict: list[tuple[Analysed, Table, Row]],
    loose: list[tuple[Analysed, Table, Row]],
) -> Defect:
    def said(rows: list[tuple[Analysed, Table, Row]]) -> str:
        return " and ".join(
            f'"{row.description}" in {page.where(table.section)} ("{row.name}")'
            for page, table, row in rows
        )

    everyone = strict + loose
    return Defect(
        "description-contradicts-description",
        tuple(dict.fromkeys(row.name for _, _, row in everyone)),
        tuple(dict.fromkeys(page.name for page, _, _ in everyone)),
        f'"{path}" is restricted to {name} by {said(strict)}, but offered an alternative '
        f'("or") by {said(loose)}',
    )


# --- types across tables, samples and pages ------------------------------------------------


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string" if isinstance(value, str) else "null"


def table_type(text: str) -> str | None:
    words = re.split(r"[\s,(]+", text.strip().lower())
    return JSON_TYPES.get(words[0]) if words and words[0] else None


def type_mismatches(pages: list[Analysed]) -> Iterator[Defect]:
    seen: dict[tuple[str, str], dict[str, list[tuple[str, str, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for page in pages:
        unparsed = {b.role for b in page.doc.broken_samples}
        for table in page.tables:
            if table.table.role in unparsed and table.table.role not in page.samples:
                continue  # its sample does not parse: where its rows sit is unknown
            for resolved in table.rows:
                kind = table_type(resolved.row.type)
                path = page.row_path(table, resolved)
                if kind:
                    seen[page.record_key(table.table.role, path)][kind].append(
                        (page.name, page.where(table.table.section), resolved.row.name)
                    )
        for role, view in page.samples.items():
            for path, values in view.paths.items():
                for kind in dict.fromkeys(json_type(v) for v in values):
                    if kind != "null":
                        seen[page.record_key(role, path)][kind].append(
                            (page.name, page.where(view.sample.section), path)
                        )
    for (_, path), kinds in seen.items():
        if len(kinds) > 1:
            yield _type_defect(path, kinds)


def _type_defect(path: str, kinds: dict[str, list[tuple[str, str, str]]]) -> Defect:
    ordered = sorted(kinds.items(), key=lambda item: len(item[1]))
    parts = []
    for kind, places in ordered:
        where = ", ".join(
            dict.fromkeys(
                place + (f' ("{spelled}")' if spelled != path else "")
                for _, place, spelled in places
            )
        )
        parts.append(f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} in {where}")
    everyone = [p for _, places in ordered for p in places]
    return Defect(
        "type-mismatch",
        tuple(dict.fromkeys(s for _, _, s in everyone)),
        tuple(dict.fromkeys(d for d, _, _ in everyone)),
        f'"{path}" is ' + ", but ".join(parts),
    )


ARRAY_OF = re.compile(r"^\s*array\s*(?:\[\s*(\w+)\s*\]|of\s+(\w+?)s?\b)", re.I)


def item_type_mismatches(pages: list[Analysed]) -> Iterator[Defect]:
    """A table that types a field as an array of one type (`array[number]`) where its own
    page's sample holds items of another."""
    for page in pages:
        for table in page.tables:
            view = page.samples.get(table.table.role)
            if view is None:
                continue
            for resolved in table.rows:
                match = ARRAY_OF.match(resolved.row.type)
                item = (
                    JSON_TYPES.get((match.group(1) or match.group(2) or "").lower())
                    if match
                    else None
                )
                if item is None or resolved.path is None:
                    continue
                found = [
                    json_type(v)
                    for value in view.paths.get(resolved.path, [])
                    if isinstance(value, list)
                    for v in value
                ]
                other = [k for k in dict.fromkeys(found) if k not in (item, "null")]
                if other:
                    yield Defect(
                        "type-mismatch",
                        (resolved.row.name,),
                        (page.name,),
                        f'{table_label(page, table.table)} types "{resolved.row.name}" '
                        f'as "{resolved.row.type}", but {sample_label(page, view)} '
                        f"has {' and '.join(k + ' items' for k in other)} there",
                    )


def name_mismatches(pages: list[Analysed]) -> Iterator[Defect]:
    """One field of the answers' records spelled two ways across pages (`_id` and `id`):
    names equal but for leading underscores and letter case."""
    spelled: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for page in pages:
        places: list[tuple[str, str]] = []
        for table in page.tables:
            if table.table.role == "response":
                places += [
                    (page.row_path(table, r), page.where(table.table.section)) for r in table.rows
                ]
        view = page.samples.get("response")
        if view is not None:
            places += [(path, page.where(view.sample.section)) for path in view.paths]
        for path, where in places:
            scope, key = page.record_key("response", normalise(path))
            if scope != "record":
                continue
            last = key.rsplit(".", 1)[-1]
            group = spelled[last.lstrip("_").lower()][last]
            if where not in group:
                group.append(where)
    for spellings in spelled.values():
        if len(spellings) > 1:
            ordered = sorted(spellings.items(), key=lambda item: len(item[1]))
            said = "; ".join(
                f'"{name}" in {", ".join(dict.fromkeys(where))}' for name, where in ordered
            )
            documents = tuple(dict.fromkeys(w.split("#")[0] for _, ws in ordered for w in ws))
            yield Defect(
                "name-mismatch",
                tuple(spellings),
                documents,
                f"the answers name one field of their records two ways: {said}",
            )
