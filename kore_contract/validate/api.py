"""Validate a payload: `validate_request(payload)` and `validate_response(payload)` return a
`Result` whose violations each carry a rule id, an RFC 6901 pointer and a message a person
can act on: the schema's (`engine`) and the rules it cannot say (`semantic`). A bad payload
never raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kore_contract.contract.loader import Parsed, Unreadable, parse_json
from kore_contract.validate import semantic
from kore_contract.validate.engine import schema_found
from kore_contract.validate.result import Capped, Result, result_of
from kore_contract.validate.schemas import PayloadKind, schema_of

if TYPE_CHECKING:
    from kore_contract.contract.fixture import Fixture


def _common_violations(payload: Any, kind: PayloadKind, duplicate_keys: tuple[str, ...]) -> Capped:
    """R1's duplicated keys, then the schema's violations."""
    found = Capped()
    duplicates = semantic.duplicate_key_violations(duplicate_keys)
    found.add(duplicates, beyond=len(duplicate_keys) - len(duplicates))
    schema, more, complete = schema_found(payload, kind)
    found.add(schema, beyond=more, complete=complete)
    return found


def validate_request(
    payload: Any,
    *,
    fixture: Fixture | None = None,
    query: Mapping[str, str] | None = None,
    strict: bool = False,
    duplicate_keys: tuple[str, ...] = (),
) -> Result:
    """Check a create body (already parsed) against R1 to R16.

    `fixture` adds the account checks (R4 lists exist, R10 template match); `query` adds
    R6's query check; `strict` reports undocumented properties as R16 warnings. At most
    MAX_VIOLATIONS violations and as many warnings are listed (`Result.more_violations`
    counts the rest), and the cost stays bounded by what is listed, whatever the payload.
    """
    violations = _common_violations(payload, "request", duplicate_keys)
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
                request = schema_of("request")
                warnings.add_bounded(semantic.unknown_property_warnings(payload, request))
    return result_of(violations, warnings)


def validate_response(
    payload: Any, *, strict: bool = False, duplicate_keys: tuple[str, ...] = ()
) -> Result:
    """Check a create, get or delete answer against the S rules that need no request
    (listed up to MAX_VIOLATIONS, as `validate_request`)."""
    violations = _common_violations(payload, "response", duplicate_keys)
    violations.add(semantic.response_cross_field_violations(payload))
    warnings = Capped()
    if strict and not violations.over:  # refused many times over: advice can wait
        response = schema_of("response")
        warnings.add_bounded(semantic.unknown_property_warnings(payload, response, rule="S8"))
    return result_of(violations, warnings)


def validate_text(
    text: bytes | str,
    *,
    kind: PayloadKind = "request",
    fixture: Fixture | None = None,
    strict: bool = False,
) -> Result | Unreadable:
    """Parse strictly (R1), then validate; unreadable input is returned, not raised."""
    parsed = parse_json(text)
    if isinstance(parsed, Unreadable):
        return parsed
    return validate_parsed(parsed, kind=kind, fixture=fixture, strict=strict)


def validate_parsed(
    parsed: Parsed, *, kind: PayloadKind, fixture: Fixture | None, strict: bool
) -> Result:
    """Validate what `parse_json` read (its duplicated keys are R1's violations)."""
    if kind == "request":
        return validate_request(
            parsed.payload, fixture=fixture, strict=strict, duplicate_keys=parsed.duplicate_keys
        )
    return validate_response(parsed.payload, strict=strict, duplicate_keys=parsed.duplicate_keys)
