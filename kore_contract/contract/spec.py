"""Load the OpenAPI document and hand out what the rest of the package derives from it.

The document in `openapi/` is the single source of truth: request and response schemas,
parameters, rule ids (`x-rule`) and documentation sources (`x-source`) all come from here.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

SPEC_FILE_NAME = "kore-sms-campaign-v2.yaml"
#: An operation's name (`x-call`): one method and path each.
Call = Literal["create", "get", "update", "delete", "trigger", "start", "status", "list"]
CALLS: tuple[Call, ...] = (
    "create",
    "get",
    "update",
    "delete",
    "trigger",
    "start",
    "status",
    "list",
)
#: A create body variant of C1 (`x-variant`), in the spec's `oneOf` order.
Variant = Literal["template", "plain", "advanced"]
#: A call as a user names it (`--call`): an operation's `x-call`, or one of its `x-actions`
#: (the trigger operation is start and stop; start also has the start page's URL).
LogicalCall = Literal["create", "get", "update", "delete", "start", "stop", "status", "list"]


def spec_path() -> Path:
    """The OpenAPI document, shipped inside the package (`openapi/` at the top of a checkout
    links to it)."""
    return Path(__file__).resolve().parent / SPEC_FILE_NAME


@functools.lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    """The OpenAPI document as a dict, $refs unresolved. Cached: treat it as read-only."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with spec_path().open(encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=loader)
    return document


def resolve(node: Any, document: dict[str, Any] | None = None) -> Any:
    """A deep copy of `node` with every local `$ref` replaced by what it points to."""
    root = load_spec() if document is None else document

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            if "$ref" in value and isinstance(value["$ref"], str):
                target = pointer_get(root, value["$ref"].removeprefix("#"))
                merged = {**walk(target), **{k: walk(v) for k, v in value.items() if k != "$ref"}}
                return merged
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    return walk(copy.deepcopy(node))


def pointer_get(document: Any, pointer: str) -> Any:
    """The value at an RFC 6901 pointer ("" is the whole document)."""
    value = document
    if not pointer:
        return value
    for token in pointer.lstrip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        value = value[int(token)] if isinstance(value, list) else value[token]
    return value


def escape_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def to_pointer(parts: Any) -> str:
    """An RFC 6901 pointer from path parts (keys and indexes)."""
    return "".join("/" + escape_token(part) for part in parts)


@functools.lru_cache(maxsize=1)
def operations() -> dict[Call, dict[str, Any]]:
    """Each call's operation (resolved), with its `path` and `method` added."""
    found: dict[Call, dict[str, Any]] = {}
    for path, item in load_spec()["paths"].items():
        shared = item.get("parameters", [])
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                operation = resolve(item[method])
                operation["parameters"] = resolve(shared) + operation.get("parameters", [])
                operation["path"] = path
                operation["method"] = method.upper()
                found[operation["x-call"]] = operation
    return found


@functools.lru_cache(maxsize=1)
def create_body_schema() -> dict[str, Any]:
    """The whole create body's JSON Schema (the `oneOf` of the three variants), $refs
    resolved. For messages, read the variant first (`variant_of`) and use `variant_schema`."""
    body = operations()["create"]["requestBody"]["content"]["application/json"]["schema"]
    return with_dialect(body)


@functools.lru_cache(maxsize=1)
def _variant_names() -> dict[str, str]:
    """Variant -> the name of its schema in components/schemas, in the `oneOf` order."""
    document = load_spec()
    node = _create_media_schema(document)
    while "$ref" in node:  # the create body's schema, then what it names
        node = pointer_get(document, node["$ref"].removeprefix("#"))
    found: dict[str, str] = {}
    for option in node["oneOf"]:
        name = option["$ref"].rsplit("/", 1)[-1]
        found[document["components"]["schemas"][name]["x-variant"]] = name
    return found


def _create_media_schema(document: dict[str, Any]) -> dict[str, Any]:
    for item in document["paths"].values():
        for method in ("get", "post", "put", "patch", "delete"):
            operation = item.get(method, {})
            if operation.get("x-call") == "create":
                schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"][
                    "schema"
                ]
                return schema
    raise LookupError("the spec has no create operation")


@functools.lru_cache(maxsize=1)
def variants() -> tuple[tuple[Variant, dict[str, Any]], ...]:
    """C1 as the spec states it (`x-variants`): (variant, when-schema) in reading order;
    the first whose `when` schema holds for a body names the body's variant."""
    entries = create_body_schema()["x-variants"]
    return tuple((entry["variant"], dict(entry["when"])) for entry in entries)


def variant_names() -> tuple[Variant, ...]:
    """The create body variants, in the spec's `oneOf` order (template, plain, advanced)."""
    return tuple(_variant_names())  # type: ignore[arg-type]


@functools.cache
def variant_schema(variant: Variant) -> dict[str, Any]:
    """One create body variant's JSON Schema (`x-variant`), $refs resolved; a KeyError
    names an unknown variant."""
    names = _variant_names()
    if variant not in names:
        raise KeyError(f"unknown variant {variant!r}; known: {', '.join(names)}")
    return with_dialect(resolve(load_spec()["components"]["schemas"][names[variant]]))


def variant_ref(variant: Variant) -> str:
    """The `$ref` of one create body variant's schema (`#/components/schemas/...`)."""
    return f"#/components/schemas/{_variant_names()[variant]}"


def variant_readers(entries: Any) -> tuple[tuple[Variant, Any], ...]:
    """`x-variants` entries ((variant, when) pairs) with each `when` schema compiled."""
    import jsonschema_rs

    return tuple((variant, jsonschema_rs.validator_for(when)) for variant, when in entries)


@functools.lru_cache(maxsize=1)
def _variant_readers() -> tuple[tuple[Variant, Any], ...]:
    return variant_readers(variants())


def variant_of(body: Any, readers: tuple[tuple[Variant, Any], ...] | None = None) -> Variant:
    """C1: the variant a create (or update) body is read as, the first entry of the spec's
    `x-variants` whose `when` schema holds (the last one holds for anything). `readers`:
    the entries compiled (`variant_readers`) from elsewhere than the spec (validate's
    cache)."""
    for variant, reader in _variant_readers() if readers is None else readers:
        if reader.is_valid(body):
            return variant
    raise LookupError("the spec's x-variants end with no entry that holds for every body")


@functools.lru_cache(maxsize=1)
def actions() -> dict[LogicalCall, tuple[tuple[Call, dict[str, str], str | None], ...]]:
    """Each logical call's operations: (x-call, the query that selects the action, the `$ref`
    of its success answer's schema or None). An operation's actions are its `x-actions`
    where present, else its `x-call` alone; start has two (both documented URLs)."""
    found: dict[str, list[tuple[Call, dict[str, str], str | None]]] = {}
    for call, operation in operations().items():
        for name, action in (operation.get("x-actions") or {call: {}}).items():
            found.setdefault(name, []).append(
                (call, dict(action.get("query") or {}), action.get("response"))
            )
    return {name: tuple(entries) for name, entries in found.items()}  # type: ignore[misc]


def logical_calls() -> tuple[LogicalCall, ...]:
    """The calls a user names (`--call`), in the spec's order."""
    return tuple(actions())


def body_calls() -> tuple[Call, ...]:
    """The calls whose JSON request body the server reads (create, update, list): an
    operation with a request body the spec does not mark `x-body-ignored`."""
    return tuple(
        call
        for call, operation in operations().items()
        if "requestBody" in operation and not operation["requestBody"].get("x-body-ignored")
    )


@functools.cache
def request_schema(call: str) -> dict[str, Any]:
    """The JSON Schema of a call's request body, $refs resolved (create and update: the
    `oneOf` of the variants, with their `x-variants`)."""
    if call not in body_calls():
        raise KeyError(f"{call} has no request body; calls with one: {', '.join(body_calls())}")
    body = operations()[call]["requestBody"]["content"]["application/json"]["schema"]
    return with_dialect(body)


def has_variants(call: str) -> bool:
    """Whether a call's body is one of the create variants (C1 reads which)."""
    return "x-variants" in request_schema(call)


@functools.cache
def response_schema(call: str) -> dict[str, Any]:
    """The JSON Schema of a logical call's success answer, $refs resolved: its action's
    `response` where the spec names one (start, stop), else its operation's 200 (or 201)."""
    if call not in actions():
        raise KeyError(f"unknown call {call!r}; known: {', '.join(actions())}")
    operation, _, reference = actions()[call][0]
    if reference:
        return with_dialect(resolve(pointer_get(load_spec(), reference.removeprefix("#"))))
    responses = operations()[operation]["responses"]
    ok = responses.get("200") or responses["201"]
    return with_dialect(ok["content"]["application/json"]["schema"])


def request_body_schema() -> dict[str, Any]:
    """Part 1's create body: the template variant's JSON Schema, $refs resolved (where a
    create field's limits and enums are read from; `create_body_schema` is the oneOf)."""
    return variant_schema("template")


@functools.lru_cache(maxsize=1)
def response_envelope_schema() -> dict[str, Any]:
    """The success envelope's JSON Schema (create, get and delete answer the same)."""
    return with_dialect(resolve(load_spec()["components"]["schemas"]["CampaignEnvelope"]))


def request_field(*path: str) -> dict[str, Any]:
    """The create body's schema at `path` ("[]" steps into a list's items): where a field's
    limits and enums are read from (`request_field("name")["maxLength"]`)."""
    node: dict[str, Any] = request_body_schema()
    for step in path:
        node = node["items"] if step == "[]" else node["properties"][step]
    return node


def max_length(*path: str) -> int:
    """The most characters the spec allows in the create body's field at `path`."""
    return int(request_field(*path)["maxLength"])


@functools.lru_cache(maxsize=1)
def campaign_type() -> str:
    """The campaign type every call of this API names (body and query): the one value of
    the create body's `campaignType` enum."""
    (only,) = request_field("campaignType")["enum"]
    return str(only)


def call_path(call: Call, **parameters: str) -> str:
    """The path of `call` with its path parameters filled in as given (already encoded for
    a URL where need be); a KeyError names a parameter the path needs and was not given."""
    template: str = operations()[call]["path"]
    return re.sub(r"\{(\w+)\}", lambda found: parameters[found[1]], template)


def with_dialect(schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def examples(call: Call, where: Literal["request", "response"]) -> dict[str, Any]:
    """The spec's named examples of a call's request body or success response."""
    operation = operations()[call]
    if where == "request":
        media = operation["requestBody"]["content"]["application/json"]
    else:
        ok = operation["responses"].get("200") or operation["responses"]["201"]
        media = ok["content"]["application/json"]
    return {name: example["value"] for name, example in media.get("examples", {}).items()}


@dataclass(frozen=True)
class DocumentedField:
    """A spec node that says where in the documentation it comes from (`x-source`)."""

    document: str  # "create-sms-campaign-using-template-v2.md"
    section: str  # "body-parameters"
    field: str  # "dialingStrategy.callerId.phoneNumber", as spelled in the documentation
    spec_pointer: str  # "/components/schemas/TemplateCampaignRequest/properties/name"
    rules: tuple[str, ...]  # ("R2",)


def parse_source(source: str) -> tuple[str, str, str]:
    """`"doc.md#section: field"` -> (doc, section, field); field may be empty."""
    document, _, rest = source.partition("#")
    section, _, field = rest.partition(":")
    return document.strip(), section.strip(), field.strip()


def documented_fields() -> list[DocumentedField]:
    """Every spec node with an `x-source`, in document order."""
    found: list[DocumentedField] = []

    def walk(value: Any, parts: tuple[str | int, ...]) -> None:
        if isinstance(value, dict):
            source = value.get("x-source")
            if isinstance(source, str):
                rules = value.get("x-rule", ())
                rule_ids = (rules,) if isinstance(rules, str) else tuple(rules)
                found.append(DocumentedField(*parse_source(source), to_pointer(parts), rule_ids))
            for key, item in value.items():
                walk(item, (*parts, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*parts, index))

    walk(load_spec(), ())
    return found
