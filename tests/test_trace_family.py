"""`kore-contract trace` over every page: part 1's three (and the token page) and the family's.

Each test named for a D id of docs/contract.md part 2 checks that trace finds that defect by
itself, with the generic finders of kore_contract/trace (no field of this API named there);
`test_at_least_8_of_D13_to_D23_are_found` counts them through `family_ids`, which maps every
reported defect to D ids or to a stated real inconsistency (no false defect).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kore_contract.trace.docs import read_document
from kore_contract.trace.tracer import Defect, TraceResult, call_of, trace_documents

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "docs" / "reference"
FAMILY = REFERENCE / "family"
PAGES = sorted(REFERENCE.glob("*.md")) + sorted(FAMILY.glob("*.md"))
PART_1 = {p.name for p in REFERENCE.glob("*.md")}
ADVANCED = "create-sms-campaign-advanced-format-v2.md"
PLAIN = "create-sms-campaign-without-template-v2.md"
TEMPLATE = "create-sms-campaign-using-template-v2.md"
UPDATE = "update-sms-campaign-v2.md"
LIST = "get-all-campaigns-v2.md"
STATUS = "get-campaign-status-v2.md"
START = "start-sms-campaign-v2.md"
STOP = "stop-sms-campaign-v2.md"


@pytest.fixture(scope="module")
def traced() -> TraceResult:
    return trace_documents(PAGES)


def found(result: TraceResult, kind: str, document: str, text: str = "") -> list[Defect]:
    return [
        d
        for d in result.defects
        if d.kind == kind and document in d.documents and text in d.message
    ]


# --- each page maps to its operation ------------------------------------------------------


def test_each_page_maps_to_its_call() -> None:
    calls = {path.name: call_of(read_document(path)) for path in PAGES}
    assert {name for name, call in calls.items() if call == "create"} == {TEMPLATE, PLAIN, ADVANCED}
    assert calls["get-sms-campaign-by-id-v2.md"] == "get"
    assert calls[UPDATE] == "update" and calls["delete-sms-campaign-v2.md"] == "delete"
    assert (calls[LIST], calls[STATUS], calls[START], calls[STOP]) == (
        "list",
        "status",
        "start",
        "trigger",
    )


def test_shared_paths_give_no_false_defect(traced: TraceResult) -> None:
    """The create pages share one path, get/update/delete another: each sample is checked
    against its own call (no create rule broken by a start, stop, status or list sample), and
    the family's start/stop answers (no record) do not clash with the records' fields."""
    for page in (START, STOP, STATUS, UPDATE):
        assert not [
            d
            for d in found(traced, "sample-value-breaks-rule", page)
            if d.message.split(" breaks ")[1][:2] in ("R2", "R3", "R4", "R6", "S1")
        ]
    assert not found(traced, "type-mismatch", START)
    assert not found(traced, "endpoint-differs-from-spec", UPDATE)
    assert not found(traced, "endpoint-differs-from-spec", START)  # its {{IID}} is a placeholder
    advanced = found(traced, "sample-value-breaks-rule", ADVANCED)
    assert not [d for d in advanced if "R8" in d.message]  # the advanced variant, read by C1


# --- the family's documentation defects, found from the pages ------------------------------


def test_D13_advanced_endpoint_lacks_the_campaign_prefix(traced: TraceResult) -> None:
    (defect,) = found(traced, "endpoint-differs-from-spec", ADVANCED)
    assert defect.fields == ("/api/v2/public/{{streamId}}/campaign",)
    assert 'the spec\'s create call is "/campaign/api/v2/public/{streamId}/campaign"' in (
        defect.message
    )


def test_D14_stop_endpoint_has_a_doubled_slash(traced: TraceResult) -> None:
    (defect,) = found(traced, "endpoint-differs-from-spec", STOP)
    assert 'empty segment, "//"' in defect.message
    assert "trigger call" in defect.message


def test_D15_sample_that_does_not_parse_is_reported_not_dropped(traced: TraceResult) -> None:
    (defect,) = found(traced, "sample-not-json", PLAIN)
    assert defect.message == (
        f"the sample response ({PLAIN}#sample-response) is not JSON: Expecting ',' delimiter "
        "(line 63, column 9)"
    )


def test_D16_advanced_table_requires_a_message_its_sample_lacks(traced: TraceResult) -> None:
    (defect,) = found(traced, "table-field-missing-from-sample", ADVANCED, "Body Parameters")
    assert defect.fields == ("message", "message.templateId", "message.message")


def test_D17_update_tables_and_samples_disagree(traced: TraceResult) -> None:
    (body,) = found(traced, "sample-field-missing-from-table", UPDATE, "sample request")
    assert body.fields == ("schedule",)
    (answer,) = found(traced, "table-field-missing-from-sample", UPDATE)
    assert answer.fields == ("totalMessagesSent", "direction", "campaignInstanceId")


def test_D18_list_table_types_and_sort_rule_contradict_the_samples(traced: TraceResult) -> None:
    (typed,) = found(traced, "type-mismatch", LIST)
    assert typed.fields == ("filters.dialingMode",)
    assert '"array[number], optional"' in typed.message and "string items" in typed.message
    unsorted = found(traced, "table-field-missing-from-sample", LIST, "Request Body")
    assert unsorted and all("sortBy.name" in d.fields for d in unsorted)


def test_D19_list_and_status_name_the_id_id_the_others_underscore_id(traced: TraceResult) -> None:
    (defect,) = [d for d in traced.defects if d.kind == "name-mismatch"]
    assert set(defect.fields) == {"_id", "id"}
    assert {LIST, STATUS, UPDATE, TEMPLATE} <= set(defect.documents)


def test_D20_list_sample_answers_updatedAt_before_createdAt(traced: TraceResult) -> None:
    broken = found(traced, "sample-value-breaks-rule", LIST, "breaks S7")
    assert len(broken) >= 2  # several results
    assert all("is before" in d.message for d in broken)


def test_D21_status_query_table_lists_view_but_not_accountId(traced: TraceResult) -> None:
    (defect,) = found(traced, "parameter-missing-from-table", STATUS, '"accountId"')
    assert 'it lists only "view"' in defect.message


def test_D22_without_template_body_table(traced: TraceResult) -> None:
    (prefix,) = found(traced, "path-prefix-mismatch", PLAIN)
    assert "data.dncLists" in prefix.fields
    (schedule,) = found(traced, "sample-field-missing-from-table", PLAIN)
    assert schedule.fields == ("schedule",)


def test_D23_every_family_path_table_names_IId(traced: TraceResult) -> None:
    (stream,) = [
        d
        for d in traced.defects
        if d.kind == "parameter-missing-from-table" and d.fields == ("streamId", "IId")
    ]
    family = {p.name for p in FAMILY.glob("*.md")} - {"SOURCES.md", START}
    assert family <= set(stream.documents)
    (start,) = found(traced, "parameter-missing-from-table", START, '"IID"')
    assert start.fields == ("IID", "IId")


# --- nothing but real inconsistencies, and the count ------------------------------------------


def family_ids(defect: Defect) -> set[str]:
    """The D ids of part 2 a defect is; "part 1" for those test_trace.py maps; or why it is
    a real inconsistency all the same. Raises on anything unexplained."""
    pages, fields, kind = set(defect.documents), set(defect.fields), defect.kind
    family = pages - PART_1
    if not family:
        return {"part 1"}
    ids: set[str] = set()
    if kind == "endpoint-differs-from-spec":
        ids.add("D13" if ADVANCED in pages else "D14")
    elif kind == "sample-not-json":
        ids.add("D15")
    elif kind == "name-mismatch":
        ids.add("D19")
    elif kind == "parameter-missing-from-table":
        if "IId" in fields:
            ids |= {"D23", "D6"} if pages & PART_1 else {"D23"}
        elif STATUS in pages:
            ids.add("D21")
        elif "accountId" in fields or "Content-Type" in fields:
            ids.add("real: as D5, the family's tables leave out what endpoint or curl send")
    elif kind == "path-prefix-mismatch":
        ids.add("D22" if PLAIN in pages else "real: as D1/D3 on the sibling pages")
    elif kind == "sample-field-missing-from-table":
        if "schedule" in fields:
            ids.add({PLAIN: "D22", UPDATE: "D17"}.get(next(iter(family)), "real: as D2"))
        else:
            ids.add("real: as D4, tables omit fields their samples answer")
    elif kind == "table-field-missing-from-sample":
        if ADVANCED in pages and "message" in fields:
            ids.add("D16")
        elif UPDATE in pages:
            ids.add("D17")
        elif LIST in pages and "sortBy.name" in fields:
            ids.add("D18")
        else:
            ids.add("real: as D4, tables list fields their samples lack")
    elif kind == "type-mismatch":
        ids.add("D18" if LIST in pages else "D9")  # D9: the delete table's number priority
    elif kind == "sample-value-breaks-rule":
        if LIST in pages and "S7" in defect.message:
            ids.add("D20")
        elif LIST in pages and "L2" in defect.message:
            ids.add("real: the voice sample names its results' id _id (L2)")
        else:
            ids.add("real: as D11, redacted numbers and base64 in the samples")
    elif kind in ("description-contradicts-sample", "description-contradicts-description"):
        ids.add("real: as D10/D11, E.164 stated, redacted numbers shown")
    if not ids:
        raise AssertionError(f"unexplained defect: {defect}")
    return ids


def test_every_defect_is_a_real_inconsistency(traced: TraceResult) -> None:
    for defect in traced.defects:
        family_ids(defect)  # raises on an unexplained one


def test_at_least_8_of_D13_to_D23_are_found(traced: TraceResult) -> None:
    ids = set().union(*(family_ids(d) for d in traced.defects))
    family = {f"D{n}" for n in range(13, 24)} & ids
    assert len(family) >= 8, sorted(family)
    assert family == {f"D{n}" for n in range(13, 24)}  # all 11 today


def test_part_1_findings_are_kept(traced: TraceResult) -> None:
    from tests.test_trace import classify  # part 1's map, on part 1's own pages

    part_1 = trace_documents(sorted(REFERENCE.glob("*.md")))
    assert {classify(d) for d in part_1.defects} >= {f"D{n}" for n in range(1, 13)}


def test_finders_name_no_field_of_the_api() -> None:
    """Generic finders: no field name of the spec's schemas is a string in trace/'s code
    (docstrings and comments may give examples)."""
    import ast

    from kore_contract.contract import spec

    names: set[str] = set()
    for schema in spec.load_spec()["components"]["schemas"].values():
        names |= set(schema.get("properties") or {})
    names -= {"id", "type", "name", "description", "status", "message", "data", "format"}  # words
    for source in (REPO / "kore_contract" / "trace").glob("*.py"):
        tree = ast.parse(source.read_text())
        docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
        strings = {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        }
        words = {w for text in strings for w in text.replace(".", " ").split()}
        assert not words & names, (source.name, words & names)
