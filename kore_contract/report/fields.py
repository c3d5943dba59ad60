"""The field matrix: every field of the documentation's tables, and what the run did with it.

Rows come from `spec.documented_fields()` (one per document and field as spelled there).
Where a field lives on the wire (body path, query parameter, header) is read from the spec
itself: the schema a pointer names is found where the request body or the response
envelope uses it. Columns: documented, in the spec, validated (a rule), exercised by the
run (a request touched it), seen in responses, conforming (no finding points at it:
a finding's pointer names the field itself, as the validator's do).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from kore_contract.contract import spec

Side = Literal["body", "response", "query", "header", "path"]
Location = tuple[Side, str]  # ("body", "/dialingStrategy/callingHours/days/*/day")
State = Literal["yes", "no", "na", "untested"]
COLUMNS = ("documented", "in the spec", "validated", "exercised", "seen in responses", "conforming")
HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
SIDE_OF_RULE = {"R": ("body", "query"), "S": ("response",), "A": ("header", "query")}


@dataclass(frozen=True)
class Cell:
    state: State
    text: str
    href: str = ""
    title: str = ""

    @property
    def detail(self) -> str:
        """What the cell says beyond its state ("R2, S3", "no (S4)"), or ""."""
        return "" if self.text in ("yes", "no", "n/a", "untested") else self.text


@dataclass(frozen=True)
class FieldRow:
    anchor: str
    document: str
    field: str
    sections: tuple[str, ...]
    spec_pointers: tuple[str, ...]
    rules: tuple[str, ...]
    locations: tuple[Location, ...]
    cells: tuple[Cell, ...]


@dataclass
class _Group:
    document: str
    field: str
    sections: list[str]
    pointers: list[str]
    rules: list[str]
    locations: list[Location]
    in_spec: bool = True


def field_matrix(
    results: dict[str, Any], case_anchors: dict[str, str], rule_anchors: dict[str, str]
) -> tuple[FieldRow, ...]:
    groups = _groups(results.get("trace"))
    wanted = {location for group in groups.values() for location in group.locations}
    evidence = _Evidence(results.get("cases") or [], case_anchors, wanted)
    rows = []
    documents = list(dict.fromkeys(group.document for group in groups.values()))
    ordered = sorted(groups.values(), key=lambda group: documents.index(group.document))
    for number, group in enumerate(ordered, start=1):
        anchor = f"field-{number}"
        rows.append(
            FieldRow(
                anchor=anchor,
                document=group.document,
                field=group.field,
                sections=tuple(group.sections),
                spec_pointers=tuple(group.pointers),
                rules=tuple(group.rules),
                locations=tuple(group.locations),
                cells=_cells(group, anchor, evidence, rule_anchors),
            )
        )
    return tuple(rows)


def _groups(trace: Any) -> dict[tuple[str, str], _Group]:
    groups = {key: copy.deepcopy(group) for key, group in _spec_groups().items()}
    for raw in (trace or {}).get("fields") or () if isinstance(trace, dict) else ():
        if isinstance(raw, dict):
            _add_traced(groups, raw)
    return groups


def _add_traced(groups: dict[tuple[str, str], _Group], raw: dict[str, Any]) -> None:
    """A field of `kore_contract.trace.tracer` (one per place that documents it), if new here."""
    pointer = raw.get("spec_pointer") if isinstance(raw.get("spec_pointer"), str) else None
    places = [p for p in raw.get("documented") or [raw] if isinstance(p, dict)]
    for place in places:
        if not place.get("document") or not place.get("field"):
            continue
        key = (str(place["document"]), str(place["field"]))
        if key in groups:
            continue
        section = str(place.get("section") or "")
        location = locate(pointer) if pointer else None
        groups[key] = _Group(
            *key,
            [section] if section else [],
            [pointer] if pointer else [],
            [str(r) for r in raw.get("rules") or ()],
            [location] if location else [],
            in_spec=pointer is not None,
        )


@functools.cache
def _spec_groups() -> dict[tuple[str, str], _Group]:
    """The spec's documented fields by document and field (cached: copy before changing)."""
    groups: dict[tuple[str, str], _Group] = {}
    for documented in spec.documented_fields():
        if not documented.field or documented.field in HTTP_METHODS:
            continue  # a whole table, a sample or an endpoint line: not a field
        key = (documented.document, documented.field)
        group = groups.setdefault(
            key, _Group(documented.document, documented.field, [], [], [], [])
        )
        _add(group.sections, documented.section)
        _add(group.pointers, documented.spec_pointer)
        for rule_id in documented.rules:
            _add(group.rules, rule_id)
        location = locate(documented.spec_pointer)
        if location is not None:
            _add(group.locations, location)
    return groups


def _add(items: list[Any], item: Any) -> None:
    if item not in items:
        items.append(item)


# --- where a spec node sits on the wire --------------------------------------------------


@functools.cache
def locate(spec_pointer: str) -> Location | None:
    """The body path, parameter or header that a spec node describes; None for the others."""
    parts = spec_pointer.lstrip("/").split("/")
    document = spec.load_spec()
    if parts[:2] == ["components", "parameters"] and len(parts) == 3:
        parameter = spec.pointer_get(document, spec_pointer)
        side = parameter.get("in")
        return (side, str(parameter["name"])) if side in ("query", "header", "path") else None
    if parts[:2] == ["components", "securitySchemes"] and len(parts) == 3:
        scheme = spec.pointer_get(document, spec_pointer)
        return ("header", str(scheme["name"])) if scheme.get("in") == "header" else None
    if parts[:2] == ["components", "schemas"] and len(parts) >= 3:
        mount = _mounts().get(parts[2])
        if mount is None:
            return None
        side, base = mount
        return side, base + _instance_path(parts[3:])
    return None


def _instance_path(schema_parts: list[str]) -> str:
    path = ""
    for index, part in enumerate(schema_parts):
        previous = schema_parts[index - 1] if index else ""
        if previous == "properties":
            path += "/" + part
        elif part == "items" and previous != "properties":
            path += "/*"
    return path


@functools.lru_cache(maxsize=1)
def _mounts() -> dict[str, tuple[Side, str]]:
    """Component schema name -> where the request body or the response envelope uses it."""
    document = spec.load_spec()
    mounts: dict[str, tuple[Side, str]] = {}
    roots: list[tuple[Side, Any]] = []
    for operation in _raw_operations(document):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        if "schema" in body:
            roots.append(("body", body["schema"]))
        for code, response in operation.get("responses", {}).items():
            if str(code).startswith("2"):
                response = _deref(document, response)
                media = response.get("content", {}).get("application/json", {})
                if "schema" in media:
                    roots.append(("response", media["schema"]))

    def walk(node: Any, side: Side, path: str) -> None:
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name in mounts:
                return
            mounts[name] = (side, path)
            walk(spec.pointer_get(document, ref[1:]), side, path)
            return
        for key, item in (node.get("properties") or {}).items():
            walk(item, side, f"{path}/{key}")
        for option in node.get("oneOf") or ():  # the create body's variants
            walk(option, side, path)
        if "items" in node:
            walk(node["items"], side, f"{path}/*")

    for side, root in roots:
        walk(root, side, "")
    return mounts


def _raw_operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in document.get("paths", {}).values():
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                yield item[method]


def _deref(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = spec.pointer_get(document, node["$ref"][1:])
    return node


# --- what the run did -------------------------------------------------------------------

POINTER_INDEX = re.compile(r"/\d+(?=/|$)")


def normal(pointer: str) -> str:
    """`/data/days/0/start` -> `/data/days/*/start`: array indexes become `*`."""
    return POINTER_INDEX.sub("/*", pointer)


class _Evidence:
    """First case that touched, saw or broke each location of the matrix.

    Cases are read in order and a location is looked for only until a case has it, so a
    long run costs little more than a short one.
    """

    def __init__(
        self, cases: list[dict[str, Any]], anchors: dict[str, str], wanted: set[Location]
    ) -> None:
        self.anchors = anchors
        self.sent: dict[Location, str] = {}
        self.seen: dict[Location, str] = {}
        self.broken: dict[Location, tuple[str, str]] = {}
        sent_wanted = {loc for loc in wanted if loc[0] != "response"}
        seen_wanted = {loc for loc in wanted if loc[0] == "response"}
        for case in cases:
            case_id = str(case.get("id", ""))
            for location in [loc for loc in sent_wanted if _sent(case, loc)]:
                self.sent[location] = case_id
                sent_wanted.discard(location)
            body = (case.get("response") or {}).get("body")
            for location in [loc for loc in seen_wanted if _has(body, loc[1])]:
                self.seen[location] = case_id
                seen_wanted.discard(location)
            for finding in case.get("findings") or ():
                self._finding(case_id, finding)

    def _finding(self, case_id: str, finding: dict[str, Any]) -> None:
        pointer = normal(str(finding.get("pointer", "")))
        rule_id = str(finding.get("rule", ""))
        for side in SIDE_OF_RULE.get(rule_id[:1], ("body", "response", "query", "header")):
            target = _pointer_location(side, pointer)
            if target is not None:
                self.broken.setdefault(target, (case_id, rule_id))

    def first(self, table: dict[Location, Any], location: Location) -> Any:
        side, path = location
        return table.get((side, path.lower()) if side == "header" else location)

    def anchor(self, case_id: str) -> str:
        return "#" + self.anchors.get(case_id, "")


def _sent(case: dict[str, Any], location: Location) -> bool:
    side, name = location
    request = case.get("request") or {}
    if side == "body":
        return _has(request.get("body"), name)
    if side == "header":
        return any(str(key).lower() == name.lower() for key in request.get("headers") or {})
    url = urlsplit(str(request.get("url", "")))
    if side == "query":
        return any(key == name for key, _ in parse_qsl(url.query, keep_blank_values=True))
    if side == "path" and url.path:
        return name == "streamId" or case.get("call") in ("get", "delete")
    return False


def _has(value: Any, path: str) -> bool:
    """Does the JSON value have this normalised path (`*`: some item of an array)?"""
    if not path:
        return value is not None
    head, _, rest = path[1:].partition("/")
    rest = "/" + rest if rest else ""
    if head == "*":
        return isinstance(value, list) and any(_has(item, rest) for item in value)
    if not isinstance(value, dict):
        return False
    key = head.replace("~1", "/").replace("~0", "~")
    return key in value and _has(value[key], rest) if rest else key in value


def _pointer_location(side: str, pointer: str) -> Location | None:
    if side in ("header", "query"):
        prefix = "/headers/" if side == "header" else "/query/"
        if pointer.startswith(prefix):
            name = pointer[len(prefix) :]
            return (side, name.lower() if side == "header" else name)  # type: ignore[return-value]
        return None
    return (side, pointer) if pointer else None  # type: ignore[return-value]


def _cells(
    group: _Group, anchor: str, evidence: _Evidence, rule_anchors: dict[str, str]
) -> tuple[Cell, ...]:
    spec_href = f"#{anchor}-spec"
    source = ", ".join(f"{group.document}#{section}" for section in group.sections)
    documented = Cell("yes", "yes", spec_href, source)
    if group.in_spec:
        in_spec = Cell("yes", "yes", spec_href, "\n".join(group.pointers))
    else:
        in_spec = Cell("no", "no", spec_href, "no spec node says it comes from this field")
    if group.rules:
        first_rule = next((r for r in group.rules if r in rule_anchors), group.rules[0])
        validated = Cell(
            "yes",
            ", ".join(group.rules),
            "#" + rule_anchors[first_rule] if first_rule in rule_anchors else "",
            "rules (x-rule) in the spec",
        )
    else:
        validated = Cell("no", "no", spec_href, "no x-rule in the spec")

    sendable = [loc for loc in group.locations if loc[0] != "response"]
    answered = [loc for loc in group.locations if loc[0] == "response"]
    exercised = _first_cell(evidence, evidence.sent, sendable, "sent by")
    seen = _first_cell(evidence, evidence.seen, answered, "answered in")
    broken = next(
        (b for loc in group.locations if (b := evidence.first(evidence.broken, loc)) is not None),
        None,
    )
    if broken is not None:
        conforming = Cell(
            "no", f"no ({broken[1]})", evidence.anchor(broken[0]), f"finding in {broken[0]}"
        )
    elif exercised.state == "yes" or seen.state == "yes":
        conforming = Cell(
            "yes",
            "yes",
            exercised.href if exercised.state == "yes" else seen.href,
            "no finding points at this field",
        )
    else:
        conforming = Cell("untested", "untested", "", "the run neither sent nor saw it")
    return (documented, in_spec, validated, exercised, seen, conforming)


def _first_cell(
    evidence: _Evidence, table: dict[Location, str], locations: list[Location], verb: str
) -> Cell:
    if not locations:
        return Cell("na", "n/a", "", "not on this side of the exchange")
    for location in locations:
        case_id = evidence.first(table, location)
        if case_id is not None:
            return Cell("yes", "yes", evidence.anchor(case_id), f"{verb} {case_id}")
    return Cell("no", "no", "", "no case of the run")
