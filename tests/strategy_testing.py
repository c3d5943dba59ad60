"""Judging generated bodies for the strategies' and the fuzz command's tests: what the
validator finds in a body of a call and variant, as (rule, pointer) pairs; the family's
fixture (the bundled example plus experience flows, for C3)."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest

from kore_contract.contract import formats, spec
from kore_contract.contract.fixture import Fixture, FixtureError, fixture_from_json, load_fixture
from kore_contract.contract.loader import Unreadable
from kore_contract.strategies import Broken, _list, _variants
from kore_contract.strategies._broken import dump
from kore_contract.validate import validate_request, validate_text

VARIANTS = spec.variant_names()
FAMILY_VALIDATOR = {"call", "variant"} <= set(inspect.signature(validate_request).parameters)
needs_family_validator = pytest.mark.skipif(
    not FAMILY_VALIDATOR, reason="validate_request(call=, variant=) is not there yet"
)

BASE_FIXTURE = load_fixture()
FLOWS = {"SMS Support Flow": "cf-6a1b2c3d4e5f", "Orders 🛒 Flow": "cf-77aa88bb99cc"}


def _with_flows() -> Fixture:
    data = {**BASE_FIXTURE.to_json(), "experienceFlows": FLOWS}
    data.pop("sendableContactLists", None)
    try:
        return fixture_from_json(data, source="family-fixture")
    except FixtureError:  # a fixture without experienceFlows yet (the core helper's step 2)
        return BASE_FIXTURE


FIXTURE = _with_flows()
HAS_FLOWS = bool(FIXTURE.to_json().get("experienceFlows"))
needs_flows = pytest.mark.skipif(not HAS_FLOWS, reason="the fixture reads no experienceFlows yet")


def judged(
    payload: Any,
    *,
    call: str = "create",
    variant: str | None = None,
    fixture: Fixture | None = None,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(violations, warnings) as (rule, pointer), strict; unreadable input is R1 at ""."""
    if isinstance(payload, bytes):
        if not FAMILY_VALIDATOR and (call, variant) not in (
            ("create", None),
            ("create", "template"),
        ):
            pytest.skip("raw bodies of the family need validate_text(call=, variant=)")
        result = validate_text(payload, fixture=fixture, **_family(call, variant))
        if isinstance(result, Unreadable):
            return [("R1", "")], []
    elif FAMILY_VALIDATOR:
        result = validate_request(payload, fixture=fixture, strict=True, **_family(call, variant))
    else:
        return _by_schema(payload, call, variant), []
    return (
        sorted((v.rule, v.pointer) for v in result.violations),
        sorted((w.rule, w.pointer) for w in result.warnings),
    )


def _family(call: str, variant: str | None) -> dict[str, Any]:
    return {"call": call, "variant": variant} if FAMILY_VALIDATOR else {}


def _by_schema(payload: Any, call: str, variant: str | None) -> list[tuple[str, str]]:
    """Until the validator takes a call: the spec's schema through jsonschema directly."""
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker()
    for name, accepts in formats.predicates().items():
        checker.checks(name)(accepts)
    if call == "list":
        schema = _list.list_request_schema()
    elif not isinstance(payload, dict):
        return [("R1", "")]
    else:
        read = _variants.read_variant(payload)
        if variant is not None and read != variant:
            return [("C1", _variants.C1_POINTER)]
        schema = spec.variant_schema(read)
    found = []
    for error in Draft202012Validator(schema, format_checker=checker).iter_errors(payload):
        path = list(error.absolute_path)
        rule = error.schema.get("x-rule", "?")
        if error.validator in ("required", "additionalProperties"):
            known = error.schema.get("properties", {})
            key = (
                next(k for k in error.validator_value if k not in error.instance)
                if error.validator == "required"
                else next(k for k in error.instance if k not in known)
            )
            path.append(key)
            rule = error.schema.get("properties", {}).get(key, {}).get("x-rule", rule)
        found.append((rule, spec.to_pointer(path)))
    return sorted(set(found))


def assert_valid(body: Any, **how: Any) -> None:
    assert judged(body, **how) == ([], []), body
    assert judged(json.loads(dump(body)), **how) == ([], []), body  # a JSON round trip


def assert_broken(broken: Broken, *, call: str = "create", fixture: Fixture | None = None) -> None:
    variant = broken.variant if call != "list" else None
    found, _ = judged(broken.payload, call=call, variant=variant, fixture=fixture)
    assert found == [(broken.rule, broken.pointer)], broken
