"""`kore-contract trace`: documentation <-> spec traceability and documentation defects.

The reference pages are read where the user keeps them (`<repo>/../shared/reference`);
the project holds no copy. Each test named for a D id checks that trace finds that
defect of docs/contract.md by itself, from the pages; `test_every_defect_is_a_real_inconsistency`
maps every reported defect to a D id or to a stated real inconsistency.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kore_contract import cli
from kore_contract.trace.checks import DEFECT_KINDS
from kore_contract.trace.docs import endpoint, parse_markdown, slug
from kore_contract.trace.paths import normalise
from kore_contract.trace.tracer import Defect, TraceResult, trace_documents, trace_spec_only

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / ".." / "shared" / "reference"
CREATE = "create-sms-campaign-using-template-v2.md"
GET = "get-sms-campaign-by-id-v2.md"
DELETE = "delete-sms-campaign-v2.md"
JWT = "jwt-token.md"
PAGES = [str(REFERENCE / name) for name in (CREATE, GET, DELETE, JWT)]


@pytest.fixture(scope="module")
def traced() -> TraceResult:
    return trace_documents(PAGES)


def only(result: TraceResult, kind: str, field: str, document: str) -> Defect:
    found = [
        d
        for d in result.defects
        if d.kind == kind and field in d.fields and document in d.documents
    ]
    assert len(found) == 1, f"expected one {kind} naming {field} in {document}: {found}"
    return found[0]


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(["trace", *argv], out, err)
    return code, out.getvalue(), err.getvalue()


# --- each documentation defect of docs/contract.md, found from the pages -----------------------


def test_D1_dncLists_prefix_mismatch(traced: TraceResult) -> None:
    defect = only(traced, "path-prefix-mismatch", "dncLists", CREATE)
    assert defect.fields == ("data.dncLists", "data.dncLists.name", "dncLists", "dncLists.name")
    assert defect.message == (
        f'the "Body Parameters" table ({CREATE}#body-parameters) names "data.dncLists", '
        f'"data.dncLists.name"; the sample request ({CREATE}#sample-request) has them without '
        '"data.": "dncLists", "dncLists.name"'
    )


def test_D2_schedule_in_sample_request_not_in_body_table(traced: TraceResult) -> None:
    defect = only(traced, "sample-field-missing-from-table", "schedule", CREATE)
    assert defect.fields == ("schedule",)  # its isSchedulingEnabled is folded under it
    assert defect.message == (
        f'the sample request ({CREATE}#sample-request) has "schedule", which the "Body '
        f'Parameters" table ({CREATE}#body-parameters) does not list'
    )


def test_D3_response_table_mixes_bare_and_data_prefixed_names(traced: TraceResult) -> None:
    defect = only(traced, "path-prefix-mismatch", "data.format", CREATE)
    assert defect.fields == ("data.dncLists", "data.dncLists.name", "data.format", "_id")
    assert defect.message == (
        f'the "Response Parameters" table ({CREATE}#response-parameters) names most fields '
        f'relative to "data" ("_id" is "data._id" in the sample response '
        f'({CREATE}#sample-response)), but writes "data.dncLists", "data.dncLists.name", '
        '"data.format" with the "data." prefix'
    )


def test_D4_response_table_and_sample_response_disagree(traced: TraceResult) -> None:
    table_only = only(traced, "table-field-missing-from-sample", "direction", CREATE)
    assert table_only.fields == ("totalMessagesSent", "direction")
    sample_only = only(traced, "sample-field-missing-from-table", "data.isImported", CREATE)
    # docs/contract.md's D4 also names `format`; the table lists it as `data.format`, which D3
    # reports.
    assert sample_only.fields == (
        "data.message.template_name",
        "data.message.templateId",
        "data.isImported",
        "data.isFiltersEnabled",
    )


def test_D5_accountId_query_parameter_missing_from_query_table(traced: TraceResult) -> None:
    with_table = only(traced, "parameter-missing-from-table", "accountId", CREATE)
    assert with_table.documents == (CREATE, DELETE)  # the same defect on both pages
    assert with_table.message == (
        'the endpoint\'s query has "accountId", but the query parameter table does not list '
        'it (it lists only "campaignType"); the header table lists "accountId" as a header'
    )
    without_table = only(traced, "parameter-missing-from-table", "accountId", GET)
    assert "no query parameter table lists it" in without_table.message


def test_D6_path_table_names_IId_but_endpoint_has_streamId(traced: TraceResult) -> None:
    defect = only(traced, "parameter-missing-from-table", "streamId", CREATE)
    assert defect.fields == ("streamId", "IId")
    assert defect.documents == (CREATE, GET, DELETE)
    assert defect.message == (
        'the endpoint\'s path has "streamId", but the path parameter table does not list it; '
        'it names "IId" instead, which the endpoint does not have'
    )


def test_D7_percent_in_sample_base64_breaks_R9(traced: TraceResult) -> None:
    defect = only(traced, "sample-value-breaks-rule", "message.message", CREATE)
    assert defect.message.startswith(f"the sample request ({CREATE}#sample-request) breaks R9: ")
    assert "contains '%'" in defect.message


def test_D8_get_sample_updatedAt_before_createdAt(traced: TraceResult) -> None:
    defect = only(traced, "sample-value-breaks-rule", "data.updatedAt", GET)
    assert defect.message == (
        f"the sample response ({GET}#sample-response) breaks S7: data.updatedAt: "
        "2025-12-05T08:16:19.177Z is before data.createdAt 2025-12-05T08:16:19.398Z"
    )


def test_D9_priority_is_a_number_in_the_delete_table(traced: TraceResult) -> None:
    defect = only(traced, "type-mismatch", "data.priority", DELETE)
    assert defect.documents == (DELETE, CREATE, GET)
    assert defect.message.startswith(
        f'"priority" is a number in {DELETE}#response-parameters ("data.priority"), but a '
        f"string in {CREATE}#body-parameters, {CREATE}#response-parameters, "
    )


def test_D10_phone_number_is_E164_in_one_table_and_or_ID_in_another(
    traced: TraceResult,
) -> None:
    defect = only(
        traced,
        "description-contradicts-description",
        "dialingStrategy.callerId.phoneNumber",
        CREATE,
    )
    assert defect.message.startswith(
        '"dialingStrategy.callerId.phoneNumber" is restricted to E.164 by "Caller phone number '
        f'in E.164 format." in {CREATE}#response-parameters'
    )
    assert '"Sender phone number or ID used to send SMS.' in defect.message


def test_D11_redacted_samples_break_R11_S6_and_E164(traced: TraceResult) -> None:
    phone = only(traced, "sample-value-breaks-rule", "dialingStrategy.callerId.phoneNumber", CREATE)
    assert '"+9195616xxxxx"' in phone.message and "breaks R11" in phone.message
    for page in (CREATE, DELETE):
        base64 = only(traced, "sample-value-breaks-rule", "data.message.message", page)
        assert "breaks S6" in base64.message
    e164 = only(
        traced,
        "description-contradicts-sample",
        "data.dialingStrategy.callerId.phoneNumber",
        CREATE,
    )
    assert e164.message.endswith(
        'has "+9195616xxxxx" at "data.dialingStrategy.callerId.phoneNumber", which is not E.164'
    )


def test_D12_title_cased_name_and_delete_table_fields_not_in_sample(traced: TraceResult) -> None:
    title = only(traced, "description-contradicts-sample", "data.name", GET)
    assert title.message == (
        f'the "Response Body Parameters" table ({GET}#response-body-parameters) describes '
        f'"data.name" as "Campaign name (title-cased).", but the sample response '
        f'({GET}#sample-response) has "Interactive Support SMS Campaign1212" at "data.name", '
        'which is not title case ("Interactive Support Sms Campaign1212" would be)'
    )
    absent = only(traced, "table-field-missing-from-sample", "data.campaignInstanceId", DELETE)
    assert absent.fields == ("data.experienceFlow", "data.campaignInstanceId")


# --- nothing but real inconsistencies ---------------------------------------------------


def classify(defect: Defect) -> str:
    """The D id of docs/contract.md a defect is, or why it is a real inconsistency all the same."""
    pages, fields, kind = set(defect.documents), set(defect.fields), defect.kind
    if kind == "path-prefix-mismatch":
        return "D3" if "data.format" in fields else "D1"
    if kind == "parameter-missing-from-table":
        return "D6" if "IId" in fields else "D5"  # D5 on every page whose endpoint has it
    if kind == "type-mismatch":
        return "D9"
    if kind == "description-contradicts-description":
        return "D10"
    if kind == "description-contradicts-sample":
        return "D12" if fields == {"data.name"} else "D11"  # D11: the redacted +9195616xxxxx
    if kind == "sample-value-breaks-rule":
        if "data.updatedAt" in fields:
            return "D8"
        return "D7" if "%" in defect.message else "D11"
    if kind == "table-field-missing-from-sample":
        return "D4" if pages == {CREATE} else "D12"
    if kind == "sample-field-missing-from-table":
        if "schedule" in fields:
            return "D2"
        if pages == {CREATE}:
            return "D4"
        # Real, not in docs/contract.md's list: the get and delete tables omit isImported and
        # isFiltersEnabled (and delete omits message) that their own samples answer; D4's
        # kind of defect on the sibling pages.
        assert fields <= {"data.isImported", "data.isFiltersEnabled", "data.message"}, fields
        return "real: sibling table omits sample fields"
    raise AssertionError(f"unexplained defect: {defect}")


def test_every_defect_is_a_real_inconsistency(traced: TraceResult) -> None:
    found = {classify(defect) for defect in traced.defects}
    d_ids = {f"D{n}" for n in range(1, 13)}
    assert found - d_ids <= {"real: sibling table omits sample fields"}
    assert found >= d_ids, f"missed {sorted(d_ids - found)}"
    assert {d.kind for d in traced.defects} <= set(DEFECT_KINDS)


def test_jwt_token_page_adds_fields_but_no_defect() -> None:
    result = trace_documents([str(REFERENCE / JWT)])
    assert result.defects == [] and result.exit_code == 0
    app_id = next(f for f in result.fields if f.path == "appId")
    assert app_id.spec_pointer == "/components/securitySchemes/jwt"
    assert app_id.rules == ("A1", "A2")


def test_seed_page_without_samples_reports_only_what_its_tables_say() -> None:
    result = trace_documents([str(REFERENCE / "create-sms-campaign-using-template-v2.seed.txt")])
    assert [d.kind for d in result.defects] == ["description-contradicts-description"]  # D10


# --- the field list ----------------------------------------------------------------------


def test_fields_name_their_places_spec_node_and_rules(traced: TraceResult) -> None:
    by_path = {(f.role, f.path): f for f in traced.fields}
    dnc = by_path[("request", "data.dncLists")]
    assert [str(p) for p in dnc.documented] == [
        f"{CREATE}#body-parameters: data.dncLists",
        f"{CREATE}#sample-request: dncLists",
    ]
    assert dnc.spec_pointer == "/components/schemas/TemplateCampaignRequest/properties/dncLists"
    assert dnc.rules == ("R5",)
    name = by_path[("response", "name")]  # the create table's bare name, get's data.name
    assert f"{GET}#response-body-parameters: data.name" in [str(p) for p in name.documented]
    assert name.spec_pointer == "/components/schemas/Campaign/properties/name"
    assert by_path[("path", "IId")].spec_pointer == "/components/parameters/streamId"
    instance = by_path[("response", "data.campaignInstanceId")]  # in the spec since issue 12
    assert instance.spec_pointer == "/components/schemas/Campaign/properties/campaignInstanceId"


def test_spec_only_fields_come_from_x_source() -> None:
    fields = trace_spec_only().fields
    phone = [f for f in fields if f.path == "dialingStrategy.callerId.phoneNumber"]
    assert {f.rules for f in phone} >= {("R11",), ("S3",)}
    assert all(f.documented and f.spec_pointer for f in fields)


# --- generic algorithms on a made-up page ----------------------------------------------

MADE_UP = """\
# Thing API

| **Method** | **PUT** |
| :-- | :-- |
| **Endpoint** | `https://{{host}}/v1/{{tenant}}/things?key={{key}}` |

## Path Parameters

| Parameter | Description | Type |
|---|---|---|
| `host` | The host. | string |
| `tenantId` | The tenant. | string |

## Body Parameters

| Parameter | Description | Type |
|---|---|---|
| `payload.size` | Size. | number |
| `label` | An UPPERCASE label. | string |

## Sample Request

```
curl --location --request PUT 'https://example.test/v1/t/things?key=k' \\
--header 'x-extra: 1' \\
--data '{"size": "3", "label": "Hello", "extra": {"a": 1}}'
```
"""


def test_made_up_page_defects_are_found_without_knowing_its_fields(tmp_path: Path) -> None:
    page = tmp_path / "thing.md"
    page.write_text(MADE_UP, encoding="utf-8")
    result = trace_documents([page])
    kinds = {(d.kind, d.fields) for d in result.defects}
    assert kinds == {
        ("path-prefix-mismatch", ("payload.size", "size")),
        ("sample-field-missing-from-table", ("extra",)),
        ("parameter-missing-from-table", ("tenant", "tenantId")),
        ("parameter-missing-from-table", ("key",)),
        ("type-mismatch", ("payload.size", "size")),
        ("description-contradicts-sample", ("label",)),
    }


def test_table_paths_normalise_array_items() -> None:
    assert normalise("days[].day") == normalise("days[0].day") == normalise("days.day")


def test_headings_are_slugged_as_the_spec_sources_are() -> None:
    assert slug("Response Body Parameters") == "response-body-parameters"
    assert slug("**Query Parameter**") == "query-parameter"


def test_endpoint_placeholders_split_into_path_and_query() -> None:
    found = endpoint("GET", "https://{{host}}/a/{{streamId}}/b?accountId={{accountId}}&x=1")
    assert found.path_params == ("host", "streamId")
    assert found.query_params == ("accountId", "x")


def test_a_fence_closed_at_the_end_of_a_line_is_a_code_block() -> None:
    document = parse_markdown('## Token\n\n    ```json\n    {"sub": "1"}```\n')
    assert [s.payload for s in document.samples] == [{"sub": "1"}]


# --- the command -------------------------------------------------------------------------


def test_cli_json_shape_and_exit_1_on_defects() -> None:
    code, out, err = run_cli(*PAGES, "--format", "json")
    assert code == 1 and err == ""
    report = json.loads(out)
    assert set(report) == {"fields", "defects", "unreadable"}
    assert set(report["defects"][0]) == {"kind", "fields", "documents", "message"}
    field = report["fields"][0]
    assert {"field", "document", "section", "documented", "spec_pointer", "rules"} <= set(field)


def test_cli_exit_0_when_no_defect() -> None:
    code, out, _ = run_cli(str(REFERENCE / JWT))
    assert code == 0
    assert out.endswith("2 fields, 0 documentation defects\n")


def test_cli_unreadable_documents_exit_2_and_the_others_are_traced(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.md"
    latin1.write_bytes(b"| a | b |\n|---|---|\n| \xe9 | x |\n")
    prose = tmp_path / "prose.md"
    prose.write_text("# Just prose\n\nNo table here.\n", encoding="utf-8")
    missing = tmp_path / "missing.md"
    code, out, err = run_cli(
        str(missing), str(latin1), str(prose), str(REFERENCE / CREATE), "--format", "json"
    )
    assert code == 2
    assert err.splitlines() == [
        f"kore-contract trace: {missing}: no such file or folder",
        f"kore-contract trace: {latin1}: not UTF-8 (byte 0xe9 at offset 22)",
        f"kore-contract trace: {prose}: no Markdown table and no JSON sample: nothing to trace",
    ]
    assert json.loads(out)["defects"], "the readable page is still traced"


def test_cli_text_groups_defects_by_kind() -> None:
    code, out, _ = run_cli(str(REFERENCE / CREATE))
    assert code == 1
    assert "  path-prefix-mismatch (2)\n" in out
    assert out.splitlines()[-1].endswith("documentation defects")


def test_cli_md_is_a_table_for_a_pull_request_comment() -> None:
    _, out, _ = run_cli(str(REFERENCE / GET), "--format", "md")
    assert "| kind | fields | documents | message |\n|---|---|---|---|\n" in out
    assert "| sample-value-breaks-rule | `data.updatedAt` |" in out


def test_cli_without_documents_lists_the_spec_fields() -> None:
    code, out, _ = run_cli("--format", "json")
    assert code == 0 and json.loads(out)["fields"]


def test_subprocess_python_m_kore_contract_trace() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kore_contract", "trace", *PAGES, "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert len(json.loads(done.stdout)["defects"]) >= 10
