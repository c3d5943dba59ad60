"""Judging generated bodies for the strategies' and the fuzz command's tests: what the
validator finds in a body of a call and variant, as (rule, pointer) pairs; the family's
fixture (the bundled example plus experience flows, for C3)."""

from __future__ import annotations

import json
from typing import Any

from kore_contract.contract import spec
from kore_contract.contract.fixture import Fixture, fixture_from_json, load_fixture
from kore_contract.contract.loader import Unreadable
from kore_contract.strategies import Broken
from kore_contract.strategies._broken import dump
from kore_contract.validate import validate_request, validate_text

VARIANTS = spec.variant_names()
FLOWS = {"SMS Support Flow": "cf-6a1b2c3d4e5f", "Orders 🛒 Flow": "cf-77aa88bb99cc"}
#: The bundled example fixture, naming experience flows too (C3).
FIXTURE = fixture_from_json(
    {**load_fixture().to_json(), "experienceFlows": FLOWS}, source="family-fixture"
)


def judged(
    payload: Any,
    *,
    call: str = "create",
    variant: str | None = None,
    fixture: Fixture | None = None,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(violations, warnings) as (rule, pointer), strict; unreadable input is R1 at ""."""
    if isinstance(payload, bytes):
        result = validate_text(payload, fixture=fixture, call=call, variant=variant)
        if isinstance(result, Unreadable):
            return [("R1", "")], []
    else:
        result = validate_request(payload, call, variant, fixture=fixture, strict=True)
    return (
        sorted((v.rule, v.pointer) for v in result.violations),
        sorted((w.rule, w.pointer) for w in result.warnings),
    )


def assert_valid(body: Any, **how: Any) -> None:
    assert judged(body, **how) == ([], []), body
    assert judged(json.loads(dump(body)), **how) == ([], []), body  # a JSON round trip


def assert_broken(broken: Broken, *, call: str = "create", fixture: Fixture | None = None) -> None:
    variant = broken.variant if call != "list" else None
    found, _ = judged(broken.payload, call=call, variant=variant, fixture=fixture)
    assert found == [(broken.rule, broken.pointer)], broken
