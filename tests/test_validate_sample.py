"""The spec itself: the docs' samples (as corrected) validate, each field broken alone
gives exactly its rule at its pointer, the document is valid OpenAPI, and every constraint
carries its rule id."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from kore_contract.contract import spec
from kore_contract.contract.rules import RULES
from kore_contract.contract.spec import CALLS
from kore_contract.validate import validate_request, validate_response

SAMPLE = spec.examples("create", "request")["docsSample"]
HOURS = "/dialingStrategy/callingHours"

# (pointer, a value that breaks only that field, the rule it breaks)
BROKEN_ALONE = [
    ("/name", "x" * 49, "R2"),
    ("/description", "d" * 257, "R3"),
    ("/contactLists", [], "R4"),
    ("/contactLists/0", "", "R4"),
    ("/dncLists", ["testdnc"], "R5"),
    ("/dncLists/name", None, "R5"),
    ("/campaignType", "voice", "R6"),
    ("/priority", 5, "R7"),
    ("/format", "plain", "R8"),
    ("/message", "Welcome", "C2"),  # no template_name: the plain variant (C1)
    ("/message/template_name", "", "R9"),
    ("/message/message", SAMPLE["message"]["message"].replace("==", "%3D%3D"), "R9"),
    ("/dialingStrategy", None, "R11"),
    ("/dialingStrategy/callerId", "+919561612345", "R11"),
    ("/dialingStrategy/callerId/phoneNumber", "+91956161xxxx", "R11"),
    (HOURS, [], "R12"),
    (f"{HOURS}/frequency", "weekly", "R12"),
    (f"{HOURS}/timezone", "Asia/Calcutta ", "R12"),
    (f"{HOURS}/days", {}, "R12"),
    (f"{HOURS}/days/0", "MO 9-6", "R13"),
    (f"{HOURS}/days/0/day", "Monday", "R13"),
    (f"{HOURS}/days/3/start", "9:00 AM\n", "R13"),
    (f"{HOURS}/days/4/end", "18:00", "R13"),
    ("/schedule", "off", "R15"),
    ("/schedule/isSchedulingEnabled", 0, "R15"),
]


def leaves(value: Any, pointer: str = "") -> Iterator[str]:
    """The pointer of every field in the sample, objects and lists included."""
    if pointer:
        yield pointer
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{pointer}/{index}")


def set_at(body: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    *parents, last = pointer.lstrip("/").split("/")
    node: Any = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


def test_the_corrected_sample_request_validates() -> None:
    result = validate_request(SAMPLE, strict=True)
    assert (result.violations, result.warnings) == ([], [])


@pytest.mark.parametrize(
    ("pointer", "value", "rule"),
    BROKEN_ALONE,
    ids=[f"{rule}{pointer}" for pointer, _, rule in BROKEN_ALONE],
)
def test_each_sample_field_broken_alone_gives_its_rule_at_its_pointer(
    pointer: str, value: Any, rule: str
) -> None:
    body = set_at(copy.deepcopy(SAMPLE), pointer, value)
    assert [(v.rule, v.pointer) for v in validate_request(body).violations] == [(rule, pointer)]


@pytest.mark.parametrize(
    "pointer",
    [
        p
        for p in leaves(SAMPLE)
        if p.count("/") == 1
        or p.endswith(("/template_name", "/phoneNumber", "/frequency", "/timezone", "/days"))
    ],
)
def test_each_required_sample_field_left_out_gives_its_rule_at_its_own_pointer(
    pointer: str,
) -> None:
    body = copy.deepcopy(SAMPLE)
    *parents, last = pointer.lstrip("/").split("/")
    node: Any = body
    for part in parents:
        node = node[part]
    del node[last]
    violations = validate_request(body).violations
    # without message.template_name the body is the plain variant (C1), valid
    optional = pointer in ("/dncLists", "/schedule", "/message/template_name")
    assert [v.pointer for v in violations] == ([] if optional else [pointer])


def test_every_field_of_the_sample_is_broken_by_some_case() -> None:
    covered = {pointer for pointer, _, _ in BROKEN_ALONE}
    days = {p for p in leaves(SAMPLE) if p.startswith(f"{HOURS}/days/")}
    assert set(leaves(SAMPLE)) - covered - days == set()


@pytest.mark.parametrize("call", CALLS)
def test_the_spec_examples_validate(call: spec.Call) -> None:
    checked = 0
    if call in spec.body_calls():
        for name, example in spec.examples(call, "request").items():
            result = validate_request(example, call, strict=True)
            assert (result.violations, result.warnings) == ([], []), (call, name)
            checked += 1
    # The operation's logical calls (the trigger is start and stop: its samples are one
    # each). S8 allows fields beyond the documented ones; strict would list them.
    logical = [
        name
        for name, entries in spec.actions().items()
        if any(operation == call for operation, _, _ in entries)
    ]
    for name, example in spec.examples(call, "response").items():
        verdicts = [validate_response(example, action).violations for action in logical]
        assert [] in verdicts, (call, name, verdicts)
        checked += 1
    assert checked >= 1


def test_the_spec_passes_openapi_spec_validator() -> None:
    from openapi_spec_validator import validate

    validate(copy.deepcopy(spec.load_spec()))  # raises on the first problem


CONSTRAINTS = {
    "type",
    "enum",
    "const",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "required",
    "additionalProperties",
}


def schema_nodes(value: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object in the spec (under a `schema` key or components/schemas)."""
    if isinstance(value, dict):
        if "type" in value and isinstance(value["type"], str):
            yield pointer, value
        for key, item in value.items():
            if key in ("examples", "example") or key.startswith("x-"):
                continue
            yield from schema_nodes(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from schema_nodes(item, f"{pointer}/{index}")


def constraints_without_a_known_rule(where: str) -> tuple[int, list[str], list[str]]:
    missing, unknown, seen = [], [], 0
    for pointer, node in schema_nodes(spec.pointer_get(spec.load_spec(), where), where):
        if pointer.startswith("/components/schemas/ErrorBody"):
            continue  # a refusal's shape is S9's "any JSON": only the schema root cites it
        if not CONSTRAINTS & set(node):
            continue
        seen += 1
        rules = node.get("x-rule")
        if rules is None:
            missing.append(pointer)
            continue
        for rule in [rules] if isinstance(rules, str) else rules:
            if rule not in RULES:
                unknown.append(f"{pointer}: {rule}")
    return seen, missing, unknown


def test_every_constraint_of_a_body_schema_carries_a_known_rule_id() -> None:
    seen, missing, unknown = constraints_without_a_known_rule("/components/schemas")
    assert seen > 50
    assert (missing, unknown) == ([], [])


def test_every_constraint_of_a_parameter_schema_carries_a_known_rule_id() -> None:
    seen, missing, unknown = constraints_without_a_known_rule("/components/parameters")
    assert seen >= 6
    assert (missing, unknown) == ([], [])


def test_every_request_body_constraint_says_where_in_the_docs_it_comes_from() -> None:
    missing = [
        pointer
        for pointer, node in schema_nodes(spec.request_body_schema())
        if "x-source" not in node and pointer not in ("/properties/contactLists/items",)
    ]
    assert missing == []
