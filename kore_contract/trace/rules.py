"""A documentation sample checked against the call its page documents.

Where the call's body or answer is the one the project's validator checks (part 1's create
body and success envelope), the validator says what breaks; for every other call (and the
other create variants), the spec's JSON Schema of that call does, each error named by the
`x-rule` of the schema node it failed at. Every record a sample holds (an object inside an
answer's list, say) is checked by the record rules too. Generic: no field of this API is
named here; the spec and validate/ know them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from kore_contract.contract import spec
from kore_contract.trace.docs import Role, Sample

#: (rule id(s), JSON pointer into the sample, message)
Found = tuple[str, str, str]
MESSAGE_LIMIT = 160


def sample_violations(call: str, role: Role, sample: Sample) -> list[Found]:
    schema = _schema(call, role)
    if schema is None:
        return []
    if role == "response" and schema == _envelope():
        return _validator(role, sample)
    if role == "request" and schema == _create_body():
        variant = _variant_of(sample.payload)
        if variant is None or variant == _first_variant():
            return _validator(role, sample)
        schema = spec.with_dialect(spec.variant_schema(variant))
    found = list(_schema_errors(schema, sample.payload))
    if role == "response":
        found += _record_rules(sample.payload)
    return found


def _validator(role: Role, sample: Sample) -> list[Found]:
    from kore_contract.contract.loader import Parsed, parse_json
    from kore_contract.validate.api import validate_request, validate_response

    parsed = parse_json(sample.text)
    duplicates = parsed.duplicate_keys if isinstance(parsed, Parsed) else ()
    result = (
        validate_request(sample.payload, duplicate_keys=duplicates)
        if role == "request"
        else validate_response(sample.payload, duplicate_keys=duplicates)
    )
    return [(v.rule, v.pointer, v.message) for v in result.violations]


@functools.cache
def _schema(call: str, role: Role) -> dict[str, Any] | None:
    operation = spec.operations().get(call)  # type: ignore[call-overload]
    if operation is None:
        return None
    if role == "request":
        media = operation.get("requestBody", {}).get("content", {})
    else:
        responses = operation.get("responses", {})
        code = next((c for c in sorted(responses) if str(c).startswith("2")), None)
        media = responses[code].get("content", {}) if code else {}
    kind = next((m for m in media if "json" in m), None)
    schema = media[kind].get("schema") if kind else None
    return spec.with_dialect(schema) if isinstance(schema, dict) else None


def _envelope() -> dict[str, Any]:
    return spec.response_envelope_schema()


def _create_body() -> dict[str, Any] | None:
    whole = getattr(spec, "create_body_schema", None)  # the oneOf of the create variants
    return whole() if whole else spec.request_body_schema()


def _first_variant() -> str | None:
    names = getattr(spec, "variant_names", None)
    return names()[0] if names else None


def _variant_of(payload: Any) -> str | None:
    """C1 as the spec states it: the first variant whose `when` schema holds."""
    import jsonschema

    listed = getattr(spec, "variants", None)
    for variant, when in listed() if listed else ():
        if jsonschema.Draft202012Validator(when).is_valid(payload):
            return str(variant)
    return None


def _schema_errors(schema: dict[str, Any], payload: Any) -> Iterator[Found]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for error in sorted(validator.iter_errors(payload), key=lambda e: list(e.absolute_path)):
        path = list(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [n for n in error.validator_value if n not in error.instance]
            path += missing[:1]
        message = error.message
        if len(message) > MESSAGE_LIMIT:
            message = message[: MESSAGE_LIMIT - 3] + "..."
        yield _rule_at(schema, list(error.absolute_schema_path)), spec.to_pointer(path), message


def _rule_at(schema: dict[str, Any], schema_path: list[Any]) -> str:
    """The x-rule of the deepest schema node on the way to the failing keyword."""
    node: Any = schema
    rule = _rules(node)
    for key in schema_path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        rule = _rules(node) or rule
    return rule or "the spec"


def _rules(node: Any) -> str:
    rules = node.get("x-rule") if isinstance(node, dict) else None
    if isinstance(rules, str):
        return rules
    return ", ".join(str(r) for r in rules) if isinstance(rules, list) else ""


def _record_rules(payload: Any) -> Iterator[Found]:
    """The record rules (validate/semantic) applied to every object an answer holds."""
    from kore_contract.validate.semantic import response_cross_field_violations

    def walk(value: Any, path: list[Any]) -> Iterator[Found]:
        if isinstance(value, dict):
            if path:
                for v in response_cross_field_violations({"data": value}):
                    inner = v.pointer.removeprefix("/data")
                    where = ".".join(str(p) for p in path)
                    yield v.rule, spec.to_pointer(path) + inner, f"{where}.{v.message[5:]}"
            for key, item in value.items():
                yield from walk(item, [*path, key])
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, [*path, index])

    yield from walk(payload, [])
