"""Hypothesis strategies for list request bodies (L1), derived from the spec.

The list body's schema (the `list` call's request body) says it all: `type` from its
enum; `skip`, `page` and `limit` integers from their minimum, or "" (absent); the
date-times a window; `sortBy` keys among the documented ones, each "asc" or "desc", in
any order; `filters` arrays of their enums' values, empty ones included (an empty
filter matches nothing, L3). As for create bodies (`_valid`), every field comes from a
pool of whole values made once, deterministically; a body is one flat tuple of draws.

    from kore_contract.strategies import list_requests, broken_list_requests

    @given(list_requests(type=spec_type))
    def test_paging(body): ...

    @given(broken_list_requests(rule="L1"))
    def test_refused(broken): ...   # broken.payload, .rule, .pointer
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import random
from collections.abc import Iterator, Mapping
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from kore_contract.contract import rules, spec
from kore_contract.strategies import _broken as breaking
from kore_contract.strategies import _valid as pieces
from kore_contract.strategies._broken import Broken

Strategy = st.SearchStrategy
ABSENT = pieces.ABSENT

#: How many entries a pool of integers, dates or subsets holds.
POOL_SIZE = 256
#: Integers the spec leaves unbounded above (`skip`, `page`, `limit`) are drawn up to this
#: (their edges, the minimum and the next, always among them).
INTEGER_REACH = 10_000
#: The instants of generated date-times (their edges among them).
DATE_RANGE = (
    _dt.datetime(2020, 1, 1, tzinfo=_dt.timezone.utc),
    _dt.datetime(2030, 12, 31, 23, 59, 59, tzinfo=_dt.timezone.utc),
)
#: Zone offsets of generated date-times, in minutes: UTC (as Z and as +00:00), half and
#: three-quarter hours, both extremes.
OFFSETS = (0, 0, 330, 345, -480, -210, 840, -720, 60)
EDGE_INSTANTS = (
    _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc),
    _dt.datetime(2024, 2, 29, 23, 59, 59, 999000, tzinfo=_dt.timezone.utc),
    _dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=_dt.timezone.utc),
)


# --- the spec -------------------------------------------------------------------------


#: The call whose request body these strategies make.
LIST_CALL: spec.Call = "list"


def list_request_schema() -> dict[str, Any]:
    """The list body's JSON Schema ($refs resolved)."""
    return spec.request_schema(LIST_CALL)


def list_field(*path: str) -> dict[str, Any]:
    """The list body's schema at `path` ("[]" steps into array items)."""
    node: dict[str, Any] = list_request_schema()
    for step in path:
        node = node["items"] if step == "[]" else node["properties"][step]
    return node


def _is_date_time(schema: Mapping[str, Any]) -> bool:
    return schema.get("format") == "date-time-with-zone"


def window_fields() -> tuple[str, ...]:
    """The body's date-time fields, in the spec's order: a window, first to last."""
    return tuple(
        key for key, child in list_request_schema()["properties"].items() if _is_date_time(child)
    )


# --- pools ----------------------------------------------------------------------------


def date_time(
    moment: _dt.datetime, offset_minutes: int, *, zulu: bool = True, fraction: int = 3
) -> str:
    """RFC 3339 text of `moment` shown at an offset: `2025-12-01T05:30:00.000+05:30`."""
    zone = _dt.timezone(_dt.timedelta(minutes=offset_minutes))
    local = moment.astimezone(zone)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if fraction:
        text += f".{local.microsecond:06d}"[: fraction + 1]
    if offset_minutes == 0 and zulu:
        return text + "Z"
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


@functools.lru_cache(maxsize=1)
def _instants() -> tuple[_dt.datetime, ...]:
    rng = random.Random("list-instants")
    low, high = (moment.timestamp() for moment in DATE_RANGE)
    drawn = [
        _dt.datetime.fromtimestamp(round(rng.uniform(low, high), 3), _dt.timezone.utc)
        for _ in range(POOL_SIZE - len(EDGE_INSTANTS) - 2)
    ]
    return (DATE_RANGE[0], *EDGE_INSTANTS, *drawn, DATE_RANGE[1])


@functools.lru_cache(maxsize=1)
def _date_pool() -> tuple[tuple[_dt.datetime, str], ...]:
    """(instant, text): the instants above, each at an offset, with 0, 1, 3 or 6 fraction
    digits; the first the simplest (the range's start, in UTC)."""
    rng = random.Random("list-dates")
    found = []
    for index, moment in enumerate(_instants()):
        offset = 0 if index == 0 else rng.choice(OFFSETS)
        found.append(
            (
                moment,
                date_time(
                    moment,
                    offset,
                    zulu=index == 0 or rng.random() < 0.5,
                    fraction=rng.choice((0, 1, 3, 3, 6)),
                ),
            )
        )
    return tuple(found)


def date_times() -> Strategy[str]:
    """`date-time-with-zone`: RFC 3339 with `Z` or an offset (odd ones too), from 1970 on."""
    return st.sampled_from([text for _, text in _date_pool()])


@functools.lru_cache(maxsize=1)
def _window_pool() -> tuple[tuple[Any, Any], ...]:
    """(start, end) texts or ABSENT: neither, either, or both with start not after end
    (one instant at two offsets among them)."""
    rng = random.Random("list-windows")
    dates = _date_pool()
    found: list[tuple[Any, Any]] = [(ABSENT, ABSENT)]
    moment = EDGE_INSTANTS[1]
    found.append((date_time(moment, 330), date_time(moment, -480)))  # the same instant
    while len(found) < POOL_SIZE:
        roll = rng.random()
        first, second = sorted(rng.sample(dates, 2))
        if roll < 0.2:
            found.append((first[1], ABSENT))
        elif roll < 0.4:
            found.append((ABSENT, second[1]))
        else:
            found.append((first[1], second[1]))
    return tuple(found)


def date_windows() -> Strategy[dict[str, str]]:
    """The body's date-time fields (`startDate`, `endDate`): none, one, or both in order."""
    keys = window_fields()
    return st.sampled_from(_window_pool()).map(
        lambda pair: {k: v for k, v in zip(keys, pair, strict=True) if v is not ABSENT}
    )


def _integer_pool(schema: Mapping[str, Any], label: str) -> tuple[int, ...]:
    low = int(schema.get("minimum", 0))
    high = int(schema.get("maximum", max(low, INTEGER_REACH)))
    rng = random.Random(f"list-integers:{label}:{low}:{high}")
    edges = [n for n in (low, low + 1, 2, 5, 10, 20, 50, 100, 1000, high) if low <= n <= high]
    drawn = [
        rng.randint(low, min(high, 100)) if rng.random() < 0.7 else rng.randint(low, high)
        for _ in range(POOL_SIZE // 4)
    ]
    return tuple(dict.fromkeys([*edges, *drawn]))


def _subset_pool(values: tuple[Any, ...], label: str) -> tuple[list[Any], ...]:
    """Lists of distinct `values`, in any order: empty (it matches nothing, L3) in about
    one entry of eight, each value alone, any mix, all of them."""
    rng = random.Random(f"list-subsets:{label}")
    found: list[list[Any]] = [[], *([v] for v in values)]
    for index in range(POOL_SIZE // 4):
        if index % 8 == 7:
            found.append([])
        else:
            found.append(rng.sample(values, rng.randint(1, len(values))))
    found.append(list(values))
    return tuple(found)


def _keys_in_any_order(
    objects: tuple[dict[str, Any], ...], label: str
) -> tuple[dict[str, Any], ...]:
    """The same objects, about half of them with their keys in another order (the order
    of `sortBy` keys may mean precedence)."""
    rng = random.Random(f"list-key-order:{label}")
    found = []
    for value in objects:
        keys = list(value)
        if len(keys) > 1 and rng.random() < 0.5:
            rng.shuffle(keys)
        found.append({key: value[key] for key in keys})
    return tuple(found)


@functools.lru_cache(maxsize=64)
def _list_pool(path: tuple[str, ...]) -> tuple[Any, ...]:
    """Every value drawn for the list body's field at `path`, the simplest first."""
    schema = list_field(*path)
    label = "/".join(path)
    if "anyOf" in schema:
        found: list[Any] = []
        for branch in schema["anyOf"]:
            found += list(_branch_pool(branch, label))
        return tuple(found)
    if "enum" in schema:
        return tuple(schema["enum"])
    if _is_date_time(schema):
        return tuple(text for _, text in _date_pool())
    kind = schema.get("type")
    if kind == "integer":
        return _integer_pool(schema, label)
    if kind == "array":
        return _subset_pool(_list_pool((*path, "[]")), label)
    if kind == "object":
        parts = {key: _list_pool((*path, key)) for key in schema.get("properties", {})}
        return _keys_in_any_order(pieces._object_pool(schema, parts, f"list:{label}"), label)
    if kind == "string":
        return pieces.string_pool(schema, label)
    raise AssertionError(f"no pool for the list body's {label} ({kind})")


def _branch_pool(schema: Mapping[str, Any], label: str) -> tuple[Any, ...]:
    if "enum" in schema:
        return tuple(schema["enum"])
    if schema.get("type") == "integer":
        return _integer_pool(schema, label)
    raise AssertionError(f"no pool for an anyOf branch of the list body's {label}")


def list_values(*path: str) -> Strategy[Any]:
    """Valid values of one field of the list body (`list_values("sortBy")`,
    `list_values("filters", "status")`, `list_values("limit")`: an integer or "")."""
    return st.sampled_from(_list_pool(path)).map(pieces._thaw)


def sort_orders() -> Strategy[dict[str, str]]:
    """L1 `sortBy`: documented keys only, each asc or desc, in any order; {} too."""
    return list_values(*_field_where(lambda s: s.get("additionalProperties") is False))


def list_filters() -> Strategy[dict[str, Any]]:
    """L1 `filters`: arrays of each filter's values, empty ones among them (match nothing)."""
    return list_values(
        *_field_where(
            lambda s: any(
                child.get("type") == "array" for child in s.get("properties", {}).values()
            )
        )
    )


def _field_where(test: Any) -> tuple[str]:
    for key, child in list_request_schema()["properties"].items():
        if child.get("type") == "object" and test(child):
            return (key,)
    raise LookupError("the list body has no such field")


# --- valid bodies ---------------------------------------------------------------------


def list_requests(**overrides: Any) -> Strategy[dict[str, Any]]:
    """Valid list request bodies (L1): every documented field present or absent but the
    required `type`; paging integers from their minimum or "" (absent); a date window in
    order; sorts and filters, empty ones included. `overrides` replace a field as in
    `campaigns()`: a strategy, a plain value, or `ABSENT`.

    Nothing here is checked against the account: any body is valid for any server.
    """
    schema = list_request_schema()
    properties = tuple(schema["properties"])
    unknown = sorted(set(overrides) - set(properties))
    if unknown:
        raise TypeError(
            f"list_requests(): unknown field(s) {unknown}; known: {', '.join(properties)}"
        )
    window = tuple(key for key in window_fields() if key not in overrides)
    required = set(schema.get("required", ()))
    slots: list[tuple[tuple[str, ...], Any]] = []  # (keys, value or _DRAWN)
    draws: list[Strategy[Any]] = []
    for key in properties:
        if key in overrides:
            value = overrides[key]
            if isinstance(value, st.SearchStrategy):
                slots.append(((key,), _DRAWN))
                draws.append(value.map(lambda v: (v,)))
            else:
                slots.append(((key,), (value,)))
        elif key in window:
            if key == window[0]:
                slots.append((window, _DRAWN))
                draws.append(
                    st.sampled_from(_window_pool()).map(functools.partial(_first, len(window)))
                )
        else:
            pool = _list_pool((key,))
            if key not in required:
                pool = tuple(entry for value in pool for entry in (ABSENT, value))
            if len(pool) == 1:
                slots.append(((key,), (pool[0],)))
            else:
                slots.append(((key,), _DRAWN))
                draws.append(st.sampled_from(pool).map(lambda v: (v,)))
    return st.tuples(*draws).map(functools.partial(_assemble, tuple(slots)))


_DRAWN: Any = object()


def _first(count: int, values: tuple[Any, ...]) -> tuple[Any, ...]:
    return values[:count]


def _assemble(
    slots: tuple[tuple[tuple[str, ...], Any], ...], values: tuple[tuple[Any, ...], ...]
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    drawn = iter(values)
    for keys, fixed in slots:
        for key, value in zip(keys, next(drawn) if fixed is _DRAWN else fixed, strict=False):
            if value is not ABSENT:
                body[key] = pieces._thaw(value)
    return body


def base_list_request() -> dict[str, Any]:
    """The spec's first list request example (the list page's SMS sample)."""
    first = next(iter(spec.examples(LIST_CALL, "request").values()))
    body: dict[str, Any] = copy.deepcopy(first)
    return body


def edge_list_requests() -> list[tuple[str, dict[str, Any]]]:
    """Named valid list bodies at the edges (deterministic): `("list-limit-min", body)`."""
    return list(_list_edges())


def _list_edges() -> Iterator[tuple[str, dict[str, Any]]]:
    schema = list_request_schema()
    required = schema.get("required", [])
    base = base_list_request()
    smallest = {key: base[key] for key in required}
    yield "list-sample", copy.deepcopy(base)
    yield "list-smallest", copy.deepcopy(smallest)
    for key, child in schema["properties"].items():
        if key in required and "enum" in child:
            for value in child["enum"]:
                yield f"list-{_slug(key)}-{_slug(value)}", {**smallest, key: value}
        for branch in child.get("anyOf", ()):
            if branch.get("type") == "integer":
                low = int(branch.get("minimum", 0))
                yield f"list-{_slug(key)}-min", {**smallest, key: low}
                yield (
                    f"list-{_slug(key)}-large",
                    {**smallest, key: int(branch.get("maximum", low + INTEGER_REACH))},
                )
            for value in branch.get("enum", ()):
                yield f"list-{_slug(key)}-empty-string", {**smallest, key: value}
        if child.get("additionalProperties") is False:  # the sort
            yield f"list-{_slug(key)}-empty", {**smallest, key: {}}
            for name, order in child["properties"].items():
                for value in order.get("enum", ()):
                    yield (
                        f"list-{_slug(key)}-{_slug(name)}-{value}",
                        {**smallest, key: {name: value}},
                    )
            every = list(child["properties"])
            yield (
                f"list-{_slug(key)}-every-key",
                {**smallest, key: {name: child["properties"][name]["enum"][-1] for name in every}},
            )
            yield (
                f"list-{_slug(key)}-every-key-reversed",
                {
                    **smallest,
                    key: {name: child["properties"][name]["enum"][0] for name in reversed(every)},
                },
            )
        arrays = {
            name: grand
            for name, grand in child.get("properties", {}).items()
            if grand.get("type") == "array"
        }
        for name in arrays:
            values = _list_pool((key, name, "[]"))
            yield f"list-{_slug(key)}-{_slug(name)}-empty", {**smallest, key: {name: []}}
            for value in values:
                yield (
                    f"list-{_slug(key)}-{_slug(name)}-{_slug(str(value))}",
                    {**smallest, key: {name: [value]}},
                )
            yield f"list-{_slug(key)}-{_slug(name)}-all", {**smallest, key: {name: list(values)}}
        if arrays:
            yield f"list-{_slug(key)}-empty-object", {**smallest, key: {}}
    first, *rest = window_fields() or ("",)
    if first:
        moment = EDGE_INSTANTS[1]
        yield (
            "list-window-one-instant",
            {
                **smallest,
                first: date_time(moment, 330),
                **{k: date_time(moment, -480) for k in rest},
            },
        )
        yield "list-window-start-only", {**smallest, first: date_time(EDGE_INSTANTS[0], 0)}
        for other in rest:
            yield (
                f"list-window-{_slug(other)}-only",
                {**smallest, other: date_time(EDGE_INSTANTS[2], 0, fraction=0)},
            )
        yield (
            "list-window-odd-offsets",
            {
                **smallest,
                first: date_time(EDGE_INSTANTS[1], 345),
                **{k: date_time(EDGE_INSTANTS[2], -210, fraction=6) for k in rest},
            },
        )
    paging = [
        key
        for key, child in schema["properties"].items()
        if any(branch.get("type") == "integer" for branch in child.get("anyOf", ()))
    ]
    if len(paging) == 3:  # skip, page, limit: both ways of paging (skip wins, L3)
        skip, page, limit = paging
        yield f"list-{_slug(skip)}-and-{_slug(page)}", {**smallest, skip: 0, page: 3, limit: 2}
        yield f"list-{_slug(page)}-only", {**smallest, page: 2, limit: 1}


def _slug(text: str) -> str:
    slug = "".join(c.lower() if c.isascii() and c.isalnum() else "-" for c in text)
    return "-".join(part for part in slug.split("-") if part) or "blank"


# --- broken bodies --------------------------------------------------------------------


def list_breakers() -> dict[str, list[breaking.Breaker]]:
    """Every way to break one clause of the list body, by rule (L1: the schema's x-rule)."""
    found: dict[str, list[breaking.Breaker]] = {}
    for breaker in breaking.schema_breakers(list_request_schema()):
        found.setdefault(breaker.rule, []).append(breaker)
    order = list(rules.RULES)
    return {rule: found[rule] for rule in sorted(found, key=order.index)}


def breakable_list_rules() -> tuple[str, ...]:
    """The rule ids a list body can break (L1)."""
    return tuple(list_breakers())


def _list_rule_breakers(rule: str | None) -> list[breaking.Breaker]:
    found = list_breakers()
    if rule is None:
        return [breaker for chosen in found.values() for breaker in chosen]
    if rule not in found:
        raise InvalidArgument(
            f"rule={rule!r}: not a rule a list body can break; breakable: {', '.join(found)}"
        )
    return found[rule]


def broken_list_requests(rule: str | None = None) -> Strategy[Broken]:
    """List bodies that break exactly one clause of `rule` (L1; None: any), each labelled
    with its rule and the pointer of what is wrong."""
    valid = list_requests()
    return st.one_of([b.strategy(valid) for b in _list_rule_breakers(rule)])


def broken_list_examples(rule: str | None = None) -> list[Broken]:
    """A few named, deterministic broken list bodies per clause (`limit-below-minimum-0`,
    `sortBy-unknown-key-...`), each a change to `base_list_request()`."""
    base = base_list_request()
    return [
        broken
        for breaker in _list_rule_breakers(rule)
        for broken in breaker.examples(copy.deepcopy(base))
    ]
