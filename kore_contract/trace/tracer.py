"""Documentation <-> spec traceability, and the documentation's own defects.

`trace_documents(paths)` reads the user's copies of the published pages and lists every
field each one documents (tables, samples, endpoint line, curl headers) with where the
spec has it and the rule ids that cover it; the defects come from `trace_checks`.
`trace_spec_only()` lists what the spec says it took from the documentation (`x-source`).

The project keeps no copy of the documentation: the spec records facts with their source,
and the pages are read at run time.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kore_contract.contract import spec
from kore_contract.trace.checks import DEFECT_KINDS, Analysed, Defect, analyse, find_defects
from kore_contract.trace.docs import Document, Role, UnreadablePage, read_document, role_of

__all__ = [
    "DEFECT_KINDS",
    "Defect",
    "DocPlace",
    "TraceResult",
    "TracedField",
    "trace_documents",
    "trace_spec_only",
]


@dataclass(frozen=True)
class DocPlace:
    document: str
    section: str
    field: str  # as spelled there

    def __str__(self) -> str:
        return f"{self.document}#{self.section}: {self.field}"

    def to_json(self) -> dict[str, str]:
        return {"document": self.document, "section": self.section, "field": self.field}


@dataclass(frozen=True)
class TracedField:
    path: str  # as first spelled
    role: str  # path, query, header, request, response, other
    documented: tuple[DocPlace, ...]
    spec_pointer: str | None
    rules: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        first = self.documented[0] if self.documented else None
        return {
            "field": self.path,
            "role": self.role,
            "document": first.document if first else None,
            "section": first.section if first else None,
            "documented": [place.to_json() for place in self.documented],
            "spec_pointer": self.spec_pointer,
            "rules": list(self.rules),
        }


@dataclass
class TraceResult:
    fields: list[TracedField] = field(default_factory=list)
    defects: list[Defect] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": [f.to_json() for f in self.fields],
            "defects": [d.to_json() for d in self.defects],
            "unreadable": [{"path": path, "error": why} for path, why in self.unreadable],
        }

    @property
    def exit_code(self) -> int:
        if self.unreadable:
            return 2
        return 1 if self.defects else 0


def trace_documents(paths: Iterable[str | Path]) -> TraceResult:
    result = TraceResult()
    pages: list[Analysed] = []
    for path in paths:
        try:
            document = read_document(Path(path))
        except UnreadablePage as error:
            result.unreadable.append((str(path), str(error)))
            continue
        call = call_of(document)
        pages += [analyse(part, call) for part in variants_of(document)]
    result.defects = find_defects(pages, has_request_body=calls_with_body())
    result.defects += endpoints_differ(pages)
    result.fields = traced_fields(pages)
    return result


def trace_spec_only() -> TraceResult:
    """The fields the spec says it took from the documentation, without reading it
    (not whole tables or samples, nor operations: their x-source names no field)."""
    fields = []
    for found in spec.documented_fields():
        node = spec.pointer_get(spec.load_spec(), found.spec_pointer)
        if not found.field or "responses" in node:
            continue
        role = str(node.get("in") or role_of(found.section))
        fields.append(
            TracedField(
                found.field,
                role,
                (DocPlace(found.document, found.section, found.field),),
                found.spec_pointer,
                found.rules,
            )
        )
    return TraceResult(fields=fields)


def endpoints_differ(pages: list[Analysed]) -> list[Defect]:
    """A page's endpoint path that is not its call's path in the spec (placeholders aside:
    `{{IID}}` and `{streamId}` are one place), or has an empty segment (`//`)."""
    import re

    placeholder = re.compile(r"\{+[^{}]*\}+")
    found: dict[tuple[str, str], list[str]] = {}
    for page in pages:
        endpoint = page.doc.endpoint
        if endpoint is None or page.call is None:
            continue
        documented = urlsplit(endpoint.url).path
        _, spec_path, _ = _operations()[page.call]
        if placeholder.sub("{}", documented) == placeholder.sub("{}", spec_path):
            continue
        why = ' (it has an empty segment, "//")' if "//" in documented else ""
        message = (
            f'the endpoint ({page.name}#endpoint) has the path "{documented}"{why}; '
            f'the spec\'s {page.call} call is "{spec_path}"'
        )
        documents = found.setdefault((documented, message), [])
        if page.name not in documents:
            documents.append(page.name)
    return [
        Defect("endpoint-differs-from-spec", (path,), tuple(documents), message)
        for (path, message), documents in found.items()
    ]


def variants_of(document: Document) -> list[Document]:
    """A page with several samples of one role, told apart by their headings ("Sample
    Response for X", "... for Y"), read as one page per variant: each variant's samples
    with its own tables and those no variant claims. Otherwise the page itself."""
    keys = [_variant_key(s.section) for s in document.samples]
    named = list(dict.fromkeys(k for k in keys if k))
    if len(named) < 2:
        return [document]
    return [
        dataclasses.replace(
            document,
            samples=[s for s in document.samples if _variant_key(s.section) in ("", key)],
            tables=[t for t in document.tables if _variant_key(t.section) in ("", key)],
        )
        for key in named
    ]


def _variant_key(section: str) -> str:
    return section.split("-for-", 1)[1] if "-for-" in section else ""


# --- which call a page documents -----------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _operations() -> dict[str, tuple[str, str, str]]:
    """x-call -> (method, path, pointer of the operation in the raw spec)."""
    found = {}
    for path, item in spec.load_spec()["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "x-call" in operation:
                pointer = f"/paths/{spec.escape_token(path)}/{method}"
                found[operation["x-call"]] = (method.upper(), path, pointer)
    return found


def calls_with_body() -> set[str]:
    return {
        call
        for call, (_, _, pointer) in _operations().items()
        if "requestBody" in spec.pointer_get(spec.load_spec(), pointer)
    }


def call_of(document: Document) -> str | None:
    """By the endpoint line (method and path), else by the file name the spec records."""
    if document.endpoint is not None:
        path = urlsplit(document.endpoint.url).path.replace("{{", "{").replace("}}", "}")
        for call, (method, spec_path, _) in _operations().items():
            if spec_path == path and method in (document.endpoint.method, ""):
                return call
    named = spec.load_spec().get("info", {}).get("x-documents", {})
    return next(
        (
            call
            for call, names in named.items()
            if document.name in _names(names) and call in _operations()
        ),
        None,
    )


def spec_name(page: Analysed) -> str:
    """The name the spec's x-source uses for this page (the user's copy may be renamed)."""
    names = _names(spec.load_spec().get("info", {}).get("x-documents", {}).get(page.call))
    return page.name if page.name in names or len(names) != 1 else names[0]


def _names(documented: Any) -> list[str]:
    """An `info.x-documents` value: a call's pages (a list; one name alone is read too)."""
    return [documented] if isinstance(documented, str) else list(documented or ())


# --- the field list --------------------------------------------------------------------------

Key = tuple[str, ...]


def traced_fields(pages: list[Analysed]) -> list[TracedField]:
    groups: dict[Key, list[tuple[Analysed, DocPlace]]] = {}
    for page in pages:
        for key, place in _occurrences(page):
            entries = groups.setdefault(key, [])
            if all(p != place for _, p in entries):
                entries.append((page, place))
    fields = []
    for key, entries in groups.items():
        pointer = _by_source(entries) or _by_location(key, entries)
        rules = _rules(pointer) if pointer else ()
        fields.append(
            TracedField(
                entries[0][1].field, key[0], tuple(place for _, place in entries), pointer, rules
            )
        )
    return fields


def _occurrences(page: Analysed) -> Iterable[tuple[Key, DocPlace]]:
    doc = page.doc
    parameter_roles: tuple[Role, ...] = ("path", "query", "header")
    for role in parameter_roles:
        for plain_table in doc.tables_of(role):
            for row in plain_table.rows:
                yield _param_key(role, row.name), DocPlace(doc.name, plain_table.section, row.name)
    if doc.endpoint is not None:
        for role, names in (
            ("path", doc.endpoint.path_params),
            ("query", doc.endpoint.query_params),
        ):
            for name in names:
                yield _param_key(role, name), DocPlace(doc.name, "endpoint", name)
    for section, name in doc.sent_headers:
        yield _param_key("header", name), DocPlace(doc.name, section, name)
    for table in page.tables:
        for resolved in table.rows:
            path = page.row_path(table, resolved)
            role = table.table.role
            yield (
                (role, *page.record_key(role, path)),
                DocPlace(doc.name, table.table.section, resolved.row.name),
            )
    for sample in doc.samples:
        view = page.samples.get(sample.role)
        paths = view.paths if view else _paths(sample.payload)
        for path in paths:
            yield (
                (sample.role, *page.record_key(sample.role, path)),
                DocPlace(doc.name, sample.section, path),
            )


def _paths(payload: Any) -> dict[str, list[Any]]:
    from kore_contract.trace.paths import sample_paths

    return sample_paths(payload)


def _param_key(role: str, name: str) -> Key:
    return (role, name.lower() if role == "header" else name)


@functools.lru_cache(maxsize=1)
def _sources() -> dict[tuple[str, str, str], list[str]]:
    index: dict[tuple[str, str, str], list[str]] = {}
    for found in spec.documented_fields():
        index.setdefault((found.document, found.section, found.field), []).append(
            found.spec_pointer
        )
    return index


def _by_source(entries: list[tuple[Analysed, DocPlace]]) -> str | None:
    """The spec node whose x-source names one of these places; where several do, the one
    named for the field's last segment (`.../phoneNumber`), deepest first."""
    for page, place in entries:
        pointers = _sources().get((spec_name(page), place.section, place.field))
        if pointers:
            last = spec.escape_token(place.field.rsplit(".", 1)[-1])
            return max(pointers, key=lambda p: (p.endswith(f"/{last}"), len(p)))
    return None


def _by_location(key: Key, entries: list[tuple[Analysed, DocPlace]]) -> str | None:
    call = next((page.call for page, _ in entries if page.call), None)
    if call is None:
        return None
    role, rest = key[0], key[1:]
    operation = _operations()[call][2]
    if role in ("path", "query", "header"):
        return _parameter(operation, role, rest[0])
    if role == "request":
        media = _media(operation + "/requestBody")
        return _walk(media, rest[1].split(".")) if media else None
    if role == "response":
        media = _media(_response(operation))
        if media is None:
            return None
        scope, path = rest
        root = _record_property(media) if scope == "record" else None
        return _walk(media, ([root] if root else []) + path.split("."))
    return None


def _deref(pointer: str) -> tuple[str, Any]:
    node = spec.pointer_get(spec.load_spec(), pointer)
    for _ in range(32):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            break
        pointer = node["$ref"].removeprefix("#")
        node = spec.pointer_get(spec.load_spec(), pointer)
    return pointer, node


def _walk(pointer: str, segments: list[str]) -> str | None:
    """The schema node at a field path, following $refs and array items."""
    pointer, node = _deref(pointer)
    for segment in segments:
        while isinstance(node, dict) and "properties" not in node and "items" in node:
            pointer, node = _deref(f"{pointer}/items")
        properties = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(properties, dict) or segment not in properties:
            return None
        pointer, node = _deref(f"{pointer}/properties/{spec.escape_token(segment)}")
    return pointer


def _media(pointer: str | None) -> str | None:
    """The JSON schema pointer of a request body or response."""
    if pointer is None:
        return None
    try:
        pointer, node = _deref(pointer)
    except (KeyError, IndexError):
        return None
    content = node.get("content", {}) if isinstance(node, dict) else {}
    media = next((m for m in content if "json" in m), None)
    return f"{pointer}/content/{spec.escape_token(media)}/schema" if media else None


def _response(operation: str) -> str | None:
    responses = spec.pointer_get(spec.load_spec(), operation).get("responses", {})
    code = next((c for c in sorted(responses) if str(c).startswith("2")), None)
    return f"{operation}/responses/{code}" if code else None


def _record_property(schema: str) -> str | None:
    """The envelope property holding the record: the one whose schema has most fields."""
    base, node = _deref(schema)
    properties = node.get("properties", {}) if isinstance(node, dict) else {}
    sizes = {
        name: len(_deref(f"{base}/properties/{spec.escape_token(name)}")[1].get("properties", {}))
        for name in properties
    }
    best = max(sizes, key=lambda name: sizes[name], default=None)
    return best if best and sizes[best] else None


def _parameter(operation: str, where: str, name: str) -> str | None:
    document = spec.load_spec()
    path_item = operation.rsplit("/", 1)[0]
    candidates = [
        f"{path_item}/parameters/{i}"
        for i in range(len(spec.pointer_get(document, path_item).get("parameters", [])))
    ]
    candidates += [
        f"{operation}/parameters/{i}"
        for i in range(len(spec.pointer_get(document, operation).get("parameters", [])))
    ]
    fold = str.lower if where == "header" else str
    for candidate in candidates:
        pointer, node = _deref(candidate)
        if node.get("in") == where and fold(str(node.get("name"))) == fold(name):
            return pointer
    schemes = document.get("components", {}).get("securitySchemes", {})
    for scheme_name, scheme in schemes.items():
        if scheme.get("in") == where and fold(str(scheme.get("name"))) == fold(name):
            return f"/components/securitySchemes/{spec.escape_token(scheme_name)}"
    for index, server in enumerate(document.get("servers", [])):
        if where == "path" and name in server.get("variables", {}):
            return f"/servers/{index}/variables/{spec.escape_token(name)}"
    return None


def _rules(pointer: str) -> tuple[str, ...]:
    _, node = _deref(pointer)
    rules = node.get("x-rule", ()) if isinstance(node, dict) else ()
    return (rules,) if isinstance(rules, str) else tuple(rules)
