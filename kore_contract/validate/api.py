"""Validate a payload: `validate_request(payload, call=...)` and `validate_response(payload,
call=...)` return a `Result` whose violations each carry a rule id, an RFC 6901 pointer and
a message a person can act on: the schema's (`engine`) and the rules it cannot say
(`semantic`). A bad payload never raises.

A create or update body is one of the create variants: C1 reads which from the body
(`schemas.variant_of`: the spec's `x-variants`), and the body is checked against that
variant's schema; `variant=` insists on one (a body of another is a C1 violation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kore_contract.contract.loader import Parsed, Unreadable, parse_json
from kore_contract.validate import answers, schemas, semantic
from kore_contract.validate.engine import schema_found
from kore_contract.validate.result import Capped, Result, result_of
from kore_contract.validate.schemas import (
    PayloadKind,
    SchemaName,
    request_schema_name,
    response_schema_name,
    schema_of,
    variant_schema_name,
)

if TYPE_CHECKING:
    from kore_contract.contract.fixture import Fixture


def _common_violations(
    payload: Any, name: SchemaName, duplicate_keys: tuple[str, ...], found: Capped | None = None
) -> Capped:
    """R1's duplicated keys, then the schema's violations."""
    found = Capped() if found is None else found
    duplicates = semantic.duplicate_key_violations(duplicate_keys)
    found.add(duplicates, beyond=len(duplicate_keys) - len(duplicates))
    schema, more, complete = schema_found(payload, name)
    found.add(schema, beyond=more, complete=complete)
    return found


def validate_request(
    payload: Any,
    call: str = "create",
    variant: str | None = None,
    *,
    fixture: Fixture | None = None,
    query: Mapping[str, str] | None = None,
    strict: bool = False,
    duplicate_keys: tuple[str, ...] = (),
) -> Result:
    """Check a request body (already parsed) of `call`: create or update (R1 to R16 and
    C1 to C3, U1: an update body is checked exactly as a create body) or list (L1).

    `variant` insists on one create variant (C1; None: any, read from the body);
    `fixture` adds the account checks (R4 lists exist, R10 template match, C3 flow
    exists); `query` adds R6's query check; `strict` reports undocumented properties as
    warnings (R16; L1 for the list body). At most MAX_VIOLATIONS violations and as many
    warnings are listed (`Result.more_violations` counts the rest), and the cost stays
    bounded by what is listed, whatever the payload. An unknown call or variant is a
    ValueError (a caller's mistake, not the payload's).
    """
    if call not in schemas.request_calls():
        raise ValueError(
            f"no request body to check for call {call!r}; "
            f"calls with one: {', '.join(schemas.request_calls())}"
        )
    if call not in schemas.variant_calls():
        return _validate_plain_body(payload, call, strict, duplicate_keys)
    if variant is not None and variant not in schemas.variants():
        raise ValueError(f"unknown variant {variant!r}; known: {', '.join(schemas.variants())}")
    read = schemas.variant_of(payload) if isinstance(payload, dict) else None
    violations = Capped()
    if read is not None:
        insisted = semantic.variant_violation(read, variant)
        violations.add([insisted] if insisted else [])
    # A body that is no object has no variant: the first variant's schema (part 1's create
    # body) tells it what is expected (R1), unless the user insists on another.
    name = variant_schema_name(read or variant or schemas.variants()[0])
    _common_violations(payload, name, duplicate_keys, violations)
    violations.add(semantic.query_violations(payload, query))
    warnings = Capped()
    if isinstance(payload, dict):
        if fixture is not None:
            limit = semantic.account_check_limit(payload, counting_only=violations.over)
            found, advice = semantic.fixture_violations(payload, fixture, limit)
            violations.add(found, complete=limit > 0 and len(found) < limit)
            warnings.add(advice)
        if not violations.over:  # refused many times over: advice can wait for a fixed body
            warnings.add_bounded(semantic.calling_hours_warnings(payload))
            if strict:
                warnings.add_bounded(semantic.unknown_property_warnings(payload, schema_of(name)))
    return result_of(violations, warnings, read)


def _validate_plain_body(
    payload: Any, call: str, strict: bool, duplicate_keys: tuple[str, ...]
) -> Result:
    """A body of one schema (the list body, L1): its violations, and under --strict its
    undocumented properties, warned as the schema's own rule."""
    name = request_schema_name(call)
    violations = _common_violations(payload, name, duplicate_keys)
    warnings = Capped()
    if strict and not violations.over:
        schema = schema_of(name)
        rule = str(schema.get("x-rule", "R16"))
        warnings.add_bounded(semantic.unknown_property_warnings(payload, schema, rule=rule))
    return result_of(violations, warnings)


def validate_response(
    payload: Any,
    call: str = "create",
    *,
    strict: bool = False,
    duplicate_keys: tuple[str, ...] = (),
) -> Result:
    """Check a success answer of a logical call (create, get, update, delete: the campaign,
    S and C4; start T2; stop T3; status Q1; list L2 and L3's paging figures) against the
    rules that need no request (listed up to MAX_VIOLATIONS, as `validate_request`). An
    unknown call is a ValueError."""
    if call not in schemas.response_calls():
        raise ValueError(f"unknown call {call!r}; known: {', '.join(schemas.response_calls())}")
    name = response_schema_name(call)
    violations = _common_violations(payload, name, duplicate_keys)
    violations.add(answers.response_cross_field_violations(payload))
    if call == "list":
        violations.add_bounded(answers.list_answer_violations(payload))
    warnings = Capped()
    if strict and not violations.over:  # refused many times over: advice can wait
        schema = schema_of(name)
        rule = "S8" if schema.get("x-rule") == "S1" else str(schema.get("x-rule", "S8"))
        warnings.add_bounded(semantic.unknown_property_warnings(payload, schema, rule=rule))
    return result_of(violations, warnings)


def validate_text(
    text: bytes | str,
    *,
    kind: PayloadKind = "request",
    call: str = "create",
    variant: str | None = None,
    fixture: Fixture | None = None,
    strict: bool = False,
) -> Result | Unreadable:
    """Parse strictly (R1), then validate; unreadable input is returned, not raised."""
    parsed = parse_json(text)
    if isinstance(parsed, Unreadable):
        return parsed
    return validate_parsed(
        parsed, kind=kind, call=call, variant=variant, fixture=fixture, strict=strict
    )


def validate_parsed(
    parsed: Parsed,
    *,
    kind: PayloadKind,
    fixture: Fixture | None,
    strict: bool,
    call: str = "create",
    variant: str | None = None,
) -> Result:
    """Validate what `parse_json` read (its duplicated keys are R1's violations)."""
    if kind == "request":
        return validate_request(
            parsed.payload,
            call,
            variant,
            fixture=fixture,
            strict=strict,
            duplicate_keys=parsed.duplicate_keys,
        )
    return validate_response(
        parsed.payload, call, strict=strict, duplicate_keys=parsed.duplicate_keys
    )
