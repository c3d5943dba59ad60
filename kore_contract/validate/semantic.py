"""The rules JSON Schema cannot say of a request, as violations (and warnings) beside the
schema's: R1's duplicated keys, C1's insisted variant, R4, R10 and C3 against the account
(fixture), R6's query, R14's calling hours, R16/S8's undocumented properties (under
--strict). Those of an answer are in `answers`."""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kore_contract.contract import formats, spec
from kore_contract.contract.violation import Violation
from kore_contract.validate import schemas
from kore_contract.validate.answers import (  # where trace/ reads it (the answers' rules)
    response_cross_field_violations as response_cross_field_violations,
)
from kore_contract.validate.explain import WINDOW
from kore_contract.validate.messages import label, last_name, printable, quoted
from kore_contract.validate.result import LIMIT
from kore_contract.validate.schemas import schema_of

if TYPE_CHECKING:
    from kore_contract.contract.fixture import Fixture


def duplicate_key_violations(duplicates: Sequence[str], limit: int = LIMIT) -> list[Violation]:
    """R1: a duplicated key is a violation (Python's json would silently keep the last).
    The first `limit` of them."""
    return [
        Violation(
            "R1",
            pointer,
            f"{last_name(pointer)}: key appears more than once in its object; keep one",
        )
        for pointer in duplicates[:limit]
    ]


def query_violations(payload: Any, query: Mapping[str, str] | None) -> list[Violation]:
    """R6: the query's campaignType is the one the spec allows, as the body's must be."""
    if query is None:
        return []
    value = query.get("campaignType")
    allowed = schema_of("request")["properties"]["campaignType"]["enum"]
    if value in allowed:
        return []
    got = "missing" if value is None else f"got {value!r}"
    expected = " or ".join(f"campaignType={choice}" for choice in allowed)
    return [
        Violation(
            "R6",
            "/campaignType",
            f"query parameter campaignType: {got}; expected {expected} like the body",
        )
    ]


def variant_violation(read: str, wanted: str | None) -> Violation | None:
    """C1: a body of another variant than the one insisted on. Its pointer is the body's
    root (C1 reads the body as a whole); the message says what made it the variant it is
    and what the variant asked for has."""
    if wanted is None or read == wanted:
        return None
    return Violation(
        "C1",
        "",
        f"body: reads as the {read} variant, as {variant_reason(read)}; the {wanted} "
        f"variant was asked for, where {variant_reason(wanted)}",
    )


def variant_reason(variant: str) -> str:
    """What makes a body `variant` by the spec's `x-variants` (C1), in words: its own
    condition (`format is "advanced"`, `message.template_name is present`), and that no
    earlier entry's holds (`format is not "advanced" and message.template_name is absent`)."""
    said: list[str] = []
    for name, when in schemas.variant_entries():
        condition = _condition(when)
        if name == variant:
            return " and ".join([*said, condition[0]] if condition else said) or "any body"
        if condition:
            said.append(condition[1])
    raise KeyError(f"unknown variant {variant!r}")


def _condition(when: Mapping[str, Any]) -> tuple[str, str] | None:
    """A `when` schema of `x-variants` as words, (holds, fails): the path it requires and
    the value it requires there (a `const`), if any. None for a schema that requires none."""
    path: list[Any] = []
    node: Any = when
    while isinstance(node, Mapping) and node.get("required"):
        name = node["required"][0]
        path.append(name)
        node = (node.get("properties") or {}).get(name, {})
    if not path:
        return None
    if isinstance(node, Mapping) and "const" in node:
        value = json.dumps(node["const"], ensure_ascii=False)
        return f"{label(path)} is {value}", f"{label(path)} is not {value}"
    return f"{label(path)} is present", f"{label(path)} is absent"


#: C3: the advanced body's field that names an experience flow of the account.
EXPERIENCE_FLOW = "experienceFlowName"


def account_check_limit(payload: dict[str, Any], *, counting_only: bool) -> int:
    """How many unknown contact lists R4 looks for: none when more violations are known than
    are listed (`counting_only`) and the list is long (R4 would only add to the count)."""
    lists = payload.get("contactLists")
    long_list = isinstance(lists, list) and len(lists) > WINDOW
    return 0 if counting_only and long_list else LIMIT


def fixture_violations(
    payload: dict[str, Any], fixture: Fixture, limit: int = LIMIT
) -> tuple[list[Violation], list[Violation]]:
    """R4, R10 and C3 (the experience flow, where the fixture names flows) against the
    account; unknown DNC lists and caller ids only warn. R4 stops at `limit` unknown contact
    lists (none looked for with 0)."""
    violations: list[Violation] = []
    warnings: list[Violation] = []
    lists = payload.get("contactLists")
    if isinstance(lists, list) and limit > 0:
        known = fixture.contact_lists if len(lists) < 8 else frozenset(fixture.contact_lists)
        for index, name in enumerate(lists):
            if isinstance(name, str) and name and name not in known:
                if len(violations) == limit:
                    break
                violations.append(
                    Violation(
                        "R4",
                        f"/contactLists/{index}",
                        f"contactLists[{index}]: no contact list {name!r} in the account; "
                        f"known: {quoted(fixture.contact_lists)}",
                    )
                )
    message = payload.get("message")
    if isinstance(message, dict):
        violations.extend(_template_violations(message, fixture))
    flow = payload.get(EXPERIENCE_FLOW)
    flows = fixture.experience_flows  # none named: the account's flows are not known
    if isinstance(flow, str) and flow and flows and flow not in flows:
        violations.append(
            Violation(
                "C3",
                f"/{EXPERIENCE_FLOW}",
                f"{EXPERIENCE_FLOW}: no experience flow {flow!r} in the account; "
                f"known: {quoted(fixture.experience_flows)}",
            )
        )
    dnc = payload.get("dncLists")
    if (
        isinstance(dnc, dict)
        and isinstance(dnc.get("name"), str)
        and fixture.dnc_lists
        and dnc["name"] not in fixture.dnc_lists
    ):
        warnings.append(
            Violation(
                "R5",
                "/dncLists/name",
                f"dncLists.name: {dnc['name']!r} is not a DNC list the fixture names "
                "(not a violation)",
            )
        )
    caller = payload.get("dialingStrategy", {})
    phone = (
        caller.get("callerId", {}).get("phoneNumber")
        if isinstance(caller, dict) and isinstance(caller.get("callerId"), dict)
        else None
    )
    if (
        isinstance(phone, str)
        and fixture.caller_ids
        and phone not in fixture.caller_ids
        and formats.is_caller_id(phone)
    ):  # a malformed one is already an R11 violation
        warnings.append(
            Violation(
                "R11",
                "/dialingStrategy/callerId/phoneNumber",
                f"dialingStrategy.callerId.phoneNumber: {phone!r} is not a caller id the fixture "
                "names; the docs say it must be approved (not a violation)",
            )
        )
    return violations, warnings


def _template_violations(message: dict[str, Any], fixture: Fixture) -> Iterator[Violation]:
    name, encoded = message.get("template_name"), message.get("message")
    if not isinstance(name, str) or not name:
        return
    if name not in fixture.templates:
        yield Violation(
            "R10",
            "/message/template_name",
            f"message.template_name: no template {name!r} in the account; "
            f"known: {quoted(fixture.templates)}",
        )
        return
    text = formats.decode_base64_text(encoded) if isinstance(encoded, str) else None
    registered = fixture.templates[name]
    if text is not None and text != registered:
        at = next(
            (i for i, (a, b) in enumerate(zip(text, registered, strict=False)) if a != b),
            min(len(text), len(registered)),
        )
        yield Violation(
            "R10",
            "/message/message",
            f"message.message: decodes to text that differs from template {name!r}'s registered "
            f"body at character {at} (got {text[at : at + 20]!r}, registered "
            f"{registered[at : at + 20]!r}); send the base64 of the registered body exactly",
        )


def calling_hours_warnings(payload: dict[str, Any], limit: int = LIMIT) -> list[Violation]:
    """R14 (advisory): start before end; no two blocks of the same day overlap. The first
    `limit` warnings found, in the order of the blocks.

    Fast twin of `calling_hours_full_walk` (a quick proof that there is no warning, kept for
    speed); proved equal by
    tests/test_engines_agree.py::test_calling_hours_fast_path_is_the_full_walk.
    """
    strategy = payload.get("dialingStrategy")
    hours = strategy.get("callingHours") if type(strategy) is dict else None
    days = hours.get("days") if type(hours) is dict else None
    if type(days) is not list:
        return []
    # Every valid body passes here, nearly always without a warning: first a quick proof
    # that there is none, in C loops where possible; anything else takes the full walk.
    minutes = formats.clock_table()
    try:
        spans = [
            (block["day"], minutes[block["start"]], index, minutes[block["end"]])
            for index, block in enumerate(days)
        ]
        spans.sort()  # by day, then start: equal days meet, a str day never meets another type
    except (TypeError, KeyError):  # not objects, a part missing or no 12-hour time, mixed days
        return calling_hours_full_walk(days, limit)
    # Sorted by start, some two blocks of a day overlap iff two neighbouring ones do.
    previous_day: Any = _NO_DAY
    previous_last = 0
    for day, first, _, last in spans:
        if first >= last or (first < previous_last and day == previous_day):
            break
        previous_day, previous_last = day, last
    else:
        return []
    # Some warning: every block is well formed, so the walk starts from these spans.
    backwards = [
        (index, _backwards(days, index)) for _, first, index, last in spans if first >= last
    ]
    backwards.sort()
    found = [(index, -1, warning) for index, warning in backwards[:limit]]
    comparable = [span for span in spans if span[1] < span[3] and type(span[0]) is str]
    return _overlaps(days, comparable, found, limit)


_NO_DAY = object()  # equal to no day


def calling_hours_full_walk(days: list[Any], limit: int = LIMIT) -> list[Violation]:
    """R14's full walk: each block that starts at or after its end, and each pair of blocks
    of a day that overlap (told at the later block), in block order; the first `limit`.
    The slow twin `calling_hours_warnings` is proved against."""
    found: list[tuple[int, int, Violation]] = []  # (block, earlier block or -1, warning)
    spans: list[tuple[str, int, int, int]] = []  # (day, start, block, end)
    clock = formats.clock_minutes
    for index, block in enumerate(days):
        if type(block) is not dict:
            continue
        start, end = block.get("start"), block.get("end")
        if type(start) is not str or type(end) is not str:
            continue
        first, last = clock(start), clock(end)
        if first is None or last is None:
            continue
        if first >= last:
            if len(found) < limit:
                found.append((index, -1, _backwards(days, index)))
            continue
        day = block.get("day")
        if type(day) is str:  # not a weekday at all: R13's violation, nothing to compare
            spans.append((day, first, index, last))
    spans.sort()
    return _overlaps(days, spans, found, limit)


def _overlaps(
    days: list[Any],
    spans: list[tuple[str, int, int, int]],
    found: list[tuple[int, int, Violation]],
    limit: int,
) -> list[Violation]:
    """`found` and the overlaps of `spans` (day, start, block, end; sorted), in block order;
    the first `limit`.

    A sweep over the blocks by day and start, keeping those not yet ended: each of them
    overlaps the next block, so the work is one step per overlap found, and it stops at
    `limit` (20,000 equal blocks hold 200 million overlapping pairs).

    Fast twin of comparing every pair; proved equal by
    tests/test_engines_agree.py::test_calling_hours_sweep_finds_every_overlapping_pair_in_block_order.
    """
    not_ended: list[tuple[int, int]] = []  # a heap of (end, block) of the day's blocks
    current_day: str | None = None
    for day, first, index, last in spans:
        if len(found) >= limit:
            break
        if day != current_day:
            not_ended.clear()
            current_day = day
        while not_ended and not_ended[0][0] <= first:
            heapq.heappop(not_ended)
        for _, other in not_ended[: limit - len(found)]:
            later, earlier = max(index, other), min(index, other)
            found.append((later, earlier, _overlap(days, later, earlier)))
        heapq.heappush(not_ended, (last, index))
    found.sort(key=lambda entry: entry[:2])
    return [warning for _, _, warning in found[:limit]]


def _backwards(days: list[Any], index: int) -> Violation:
    block = days[index]
    return Violation(
        "R14",
        f"/dialingStrategy/callingHours/days/{index}",
        f"days[{index}]: starts at {block['start']} but ends at {block['end']}; "
        "start should be before end",
    )


def _overlap(days: list[Any], later: int, earlier: int) -> Violation:
    block = days[later]
    return Violation(
        "R14",
        f"/dialingStrategy/callingHours/days/{later}",
        f"days[{later}]: {printable(block['day'])} {block['start']}-{block['end']} "
        f"overlaps days[{earlier}]",
    )


def unknown_property_warnings(
    payload: Any,
    schema: Mapping[str, Any],
    path: tuple[Any, ...] = (),
    rule: str = "R16",
    limit: int = LIMIT,
) -> list[Violation]:
    """Under --strict: properties the spec does not name (R16 in requests, S8 in responses);
    the first `limit` of them."""
    return list(itertools.islice(_unknown_properties(payload, schema, path, rule), limit))


def _unknown_properties(
    payload: Any, schema: Mapping[str, Any], path: tuple[Any, ...], rule: str
) -> Iterator[Violation]:
    if schema.get("additionalProperties") is False:
        return  # a key it does not name is a violation already, not a warning
    if isinstance(payload, dict) and "properties" in schema:
        known, nested = _property_names(schema)
        if not nested and payload.keys() <= known:  # a set operation in C: the usual case
            return
        for key, value in payload.items():
            if key not in known:
                yield Violation(
                    rule,
                    spec.to_pointer([*path, key]),
                    f"{label([*path, key])}: not a documented property "
                    "(allowed; check its spelling)",
                )
            elif key in nested:  # only where a documented property can hold more
                yield from _unknown_properties(value, nested[key], (*path, key), rule)
    elif isinstance(payload, list) and isinstance(schema.get("items"), Mapping):
        items = schema["items"]
        if "properties" not in items and "items" not in items:
            return  # the items hold nothing the spec names
        known, nested = _property_names(items) if "properties" in items else (frozenset(), {})
        for index, item in enumerate(payload):
            if type(item) is dict and not nested and item.keys() <= known:
                continue  # the usual item, told in C
            if isinstance(item, (dict, list)) and item:
                yield from _unknown_properties(item, items, (*path, index), rule)


def _property_names(
    schema: Mapping[str, Any],
) -> tuple[frozenset[str], dict[str, Mapping[str, Any]]]:
    """The property names `schema` documents, and the schemas of those that name more."""
    properties = schema["properties"]
    nested = {
        key: child
        for key, child in properties.items()
        if isinstance(child, Mapping) and ("properties" in child or "items" in child)
    }
    return frozenset(properties), nested
