"""Hypothesis strategies for create and update bodies of each variant (C1: template, the
default and part 1's bodies; plain; advanced), derived from the spec.

Every limit, enum, required list and fixture hint (`x-fixture`) is read from the
variant's request body schema in the OpenAPI document; the format values (`caller-id`,
`clock-12h`, `iana-time-zone`, `base64-utf8`) are built so that `formats.py` accepts
them, and the tests prove it. Strategies come from small named pieces::

    from hypothesis import given
    from kore_contract.strategies import campaigns, broken_campaigns

    @given(campaigns(priority="5"))
    def test_my_client_accepts(body): ...

    @given(broken_campaigns(rule="R7"))
    def test_my_server_refuses(broken): ...   # broken.payload, .rule, .pointer

Valid bodies explore the edges on purpose: lengths at their minimum and maximum,
every priority and weekday, 12:xx AM and PM, zones with odd offsets, E.164 numbers
and sender ids, non-ASCII text, optional fields present and absent. They are also
free of advisory warnings (R14): start before end, one block per weekday.

Speed: Hypothesis spends some 0.45 ms on every test case and some 40 µs on every
choice it makes (nested strategies, `one_of` and `map` add more), and draws text one
character at a time, so a body built from `st.text` costs thousands of choices. Every
field therefore comes from a pool of whole values, made once (deterministically, from
the spec) to cover the edges: texts, caller ids, day schedules, and whole objects
(`message`, `dncLists`, `callingHours`, `schedule`), an optional field's pool holding
`ABSENT` in about half its entries. A body is one flat tuple of 9 choices, one per
field (two for `dialingStrategy`: caller id and calling hours shrink apart); it shrinks
to the first value of each pool, the simplest.
Compose with `st.text(...)` yourself (`campaigns(name=st.text(min_size=1, max_size=48))`)
where you want Hypothesis to search a field character by character.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import functools
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from kore_contract.contract import formats, spec
from kore_contract.contract.fixture import Fixture, FixtureError

T = TypeVar("T")
Strategy = st.SearchStrategy
Variant = spec.Variant

#: Values per pool; a fifth of them sit at the maximum length, a tenth at the minimum.
POOL_SIZE = 512
#: A length for strings the spec leaves unbounded (contact list, template, DNC names).
UNBOUNDED_NAME_LENGTH = 64
#: Upper bound of a generated message text (the spec leaves it unbounded; an SMS is short).
MESSAGE_TEXT_LENGTH = 320
SENDER_ID_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 "
DIGITS = "0123456789"
#: Characters of generated text, by script: every value is UTF-8 text (no surrogates)
#: without control characters; the contract counts code points, not bytes.
SCRIPTS: Mapping[str, str] = {
    "ascii": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,-_!?#@",
    "latin": "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßÆØÅÉÑ¡¿€£",
    "greek-cyrillic": "αβγδλπσωΩЖЯжяшщ",
    "cjk": "名前日本語中文한국어キャンペーン",
    "emoji": "👋🎉😀🚀📱✅💬🔔",
    "rtl": "مرحبا بكم שלום",
    "combining": "e\u0301a\u0308o\u0302n\u0303",
    "json-special": "\"\\/<>&'{}[]%+=:;",
    "spaces": " \u00a0\u2009\u200b\u200d\u2028\u2029\u3000",
}


class _Absent:
    """Marker for `campaigns(field=ABSENT)`: leave the field out."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


# --- the spec -----------------------------------------------------------------------


#: The request body schema at `path` ("[]" steps into array items): part 1's create body,
#: the template variant.
schema_at = spec.request_field
#: The variant part 1's strategies draw (`campaigns()` without a variant).
TEMPLATE: Variant = "template"


def variant_field(variant: Variant, *path: str) -> dict[str, Any]:
    """One create variant's schema at `path` ("[]" steps into array items)."""
    node: dict[str, Any] = spec.variant_schema(variant)
    for step in path:
        node = node["items"] if step == "[]" else node["properties"][step]
    return node


def check_variant(variant: str | None, *, default: Variant = TEMPLATE) -> Variant:
    """`variant` if the spec names it (None: `default`); InvalidArgument otherwise."""
    if variant is None:
        return default
    known = spec.variant_names()
    if variant not in known:
        raise InvalidArgument(
            f"variant={variant!r}: not a create variant; expected one of {', '.join(known)}"
        )
    return variant


def _enum(*path: str) -> list[Any]:
    return list(schema_at(*path)["enum"])


def _object(
    schema: Mapping[str, Any],
    pieces: Mapping[str, Strategy[Any]],
    present: frozenset[str] = frozenset(),
) -> Strategy[dict[str, Any]]:
    """A dict strategy: required keys always, optional keys present or absent (the spec
    says which), keys in the spec's order. (`st.fixed_dictionaries` would also shuffle
    the keys, a choice per key: JSON objects are unordered, and the speed matters more.)"""
    properties = tuple(schema.get("properties", {}))
    unknown = sorted(set(pieces) - set(properties))
    missing = sorted(set(properties) - set(pieces))
    if unknown or missing:  # the spec changed: a piece must follow it
        raise AssertionError(
            f"strategy pieces {unknown} not in the spec; spec fields {missing} lack one"
        )
    required = set(schema.get("required", ())) | present
    values = [
        pieces[key] if key in required else st.one_of(st.just(ABSENT), pieces[key])
        for key in properties
    ]
    return st.tuples(*values).map(functools.partial(_assemble, properties))


def _assemble(keys: tuple[str, ...], values: tuple[Any, ...]) -> dict[str, Any]:
    return {
        key: _thaw(value) for key, value in zip(keys, values, strict=True) if value is not ABSENT
    }


#: What a valid body needs the account to name, by `x-fixture` hint: (what it is, why).
#: A variant needs the hints its schema carries (template: contact lists and templates;
#: advanced: contact lists and experience flows).
NEEDED_HINTS: Mapping[str, tuple[str, str]] = {
    "contactLists": ("contact list", "a valid create needs one that exists (R4)"),
    "templates": ("template", "a valid create needs one that exists (R10)"),
    "experienceFlows": ("experience flow", "a valid advanced create needs one that exists (C3)"),
}


def _check_fixture(fixture: Fixture, variant: Variant = TEMPLATE) -> None:
    """An account that lacks what a variant's valid body names cannot take one (R4, R10, C3):
    a FixtureError that says what to add."""
    named = fixture.to_json()
    for hint in (h for h in NEEDED_HINTS if h in fixture_hints(variant)):
        if not named.get(hint):
            what, why = NEEDED_HINTS[hint]
            raise FixtureError(f"{fixture.source}: the fixture names no {what}; {why}")


@functools.lru_cache(maxsize=8)
def fixture_hints(variant: Variant) -> frozenset[str]:
    """The `x-fixture` hints of a variant's schema: what of the account its bodies name."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("x-fixture"), str):
                found.add(node["x-fixture"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec.variant_schema(variant))
    return frozenset(found)


# --- pools: values made once, deterministically, each drawn with one choice ----------


def _pool_lengths(rng: random.Random, low: int, high: int, size: int) -> list[int]:
    """`size` lengths: the first the minimum (the shrink target), then max, min, any."""
    lengths = [low]
    while len(lengths) < size:
        roll = rng.random()
        lengths.append(high if roll < 0.2 else low if roll < 0.3 else rng.randint(low, high))
    return lengths


def _text(rng: random.Random, length: int) -> str:
    """`length` code points from one or two scripts (every text non-ASCII but the first)."""
    names = list(SCRIPTS)
    chosen = [rng.choice(names), rng.choice(names)] if rng.random() < 0.5 else [rng.choice(names)]
    characters = "".join(SCRIPTS[name] for name in chosen)
    return "".join(rng.choice(characters) for _ in range(length))


@functools.lru_cache(maxsize=32)
def text_pool(low: int, high: int, label: str = "") -> tuple[str, ...]:
    """Texts of `low` to `high` code points; the first is the simplest ("a" repeated)."""
    rng = random.Random(f"text:{label}:{low}:{high}")
    lengths = _pool_lengths(rng, low, high, POOL_SIZE)
    return ("a" * low, *(_text(rng, n) for n in lengths[1:]))


def string_pool(
    schema: Mapping[str, Any], label: str = "", *, default_max: int = UNBOUNDED_NAME_LENGTH
) -> tuple[str, ...]:
    """The pool of texts within the schema's minLength and maxLength."""
    low = int(schema.get("minLength", 0))
    high = int(schema.get("maxLength", max(default_max, low)))
    return text_pool(low, high, label)


def string_of(
    schema: Mapping[str, Any], label: str = "", *, default_max: int = UNBOUNDED_NAME_LENGTH
) -> Strategy[str]:
    """Text within the schema's minLength and maxLength, reaching both often."""
    return st.sampled_from(string_pool(schema, label, default_max=default_max))


# --- small named pieces -------------------------------------------------------------


def names() -> Strategy[str]:
    """R2: `name`, 1 to 48 characters (limits from the spec), both ends reached."""
    return string_of(schema_at("name"), "name")


def descriptions() -> Strategy[str]:
    """R3: `description`, empty up to its maximum length."""
    return string_of(schema_at("description"), "description")


def priorities() -> Strategy[str]:
    """R7: each priority string of the spec's enum."""
    return st.sampled_from(_enum("priority"))


def campaign_types() -> Strategy[str]:
    """R6."""
    return st.sampled_from(_enum("campaignType"))


def message_formats() -> Strategy[str]:
    """R8: `format`."""
    return st.sampled_from(_enum("format"))


def frequencies() -> Strategy[str]:
    """R12: `callingHours.frequency`."""
    return st.sampled_from(_enum("dialingStrategy", "callingHours", "frequency"))


def weekdays() -> Strategy[str]:
    """R13: the `day` of a block, MO to SU (the DayBlock enum)."""
    return st.sampled_from(_enum(*_DAYS, "[]", "day"))


def contact_lists(fixture: Fixture | None = None) -> Strategy[list[str]]:
    """R4: at least one list name (the spec's minItems); with a fixture, lists it has."""
    schema = schema_at("contactLists")
    if fixture is not None:
        _check_fixture(fixture)
        names_ = tuple(_fixture_values(fixture, schema["x-fixture"]))
    else:
        names_ = text_pool(
            int(schema["items"].get("minLength", 0)), UNBOUNDED_NAME_LENGTH, "contact-list"
        )
    pool = _list_pool(names_, int(schema.get("minItems", 0)), MAX_CONTACT_LISTS)
    return st.sampled_from(pool).map(list)


#: How many contact lists a generated body names at most.
MAX_CONTACT_LISTS = 4


@functools.lru_cache(maxsize=8)
def _list_pool(values: tuple[str, ...], low: int, high: int) -> tuple[tuple[str, ...], ...]:
    """Lists of `low` to `high` of `values` (each one alone first, then any mix)."""
    rng = random.Random(f"lists:{low}:{high}:{len(values)}")
    found: list[tuple[str, ...]] = [(v,) for v in values[: POOL_SIZE // 4]] if low <= 1 else []
    while len(found) < POOL_SIZE // 2:
        found.append(tuple(rng.choice(values) for _ in range(rng.randint(max(low, 1), high))))
    return tuple(found)


def dnc_lists(fixture: Fixture | None = None) -> Strategy[dict[str, Any]]:
    """R5: the optional `dncLists` object; its name from the fixture where it names some."""
    return st.sampled_from(_value_pool(("dncLists",), _account(fixture, TEMPLATE))).map(_thaw)


def message_texts() -> Strategy[str]:
    """The text a message encodes: UTF-8 text, never empty (its base64 must not be)."""
    return st.sampled_from(text_pool(1, MESSAGE_TEXT_LENGTH, "message"))


def base64_texts() -> Strategy[str]:
    """The `base64-utf8` format: standard base64 of a real UTF-8 text."""
    return message_texts().map(encode_text)


def encode_text(text: str) -> str:
    """Standard base64 (RFC 4648 section 4, padded) of the text's UTF-8 bytes."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def messages(
    fixture: Fixture | None = None, variant: Variant | None = None
) -> Strategy[dict[str, Any]]:
    """The `message` object of a variant: template R9 (and R10 with a fixture: a template
    and the base64 of its registered body); plain C2 (base64 text, optional templateId);
    advanced C3."""
    chosen = check_variant(variant)
    return st.sampled_from(_value_pool(("message",), _account(fixture, chosen), chosen)).map(_thaw)


def experience_flow_names(fixture: Fixture | None = None) -> Strategy[str]:
    """C3: `experienceFlowName`; with a fixture, a flow it names (`experienceFlows`)."""
    variant, path = hinted_field("experienceFlows")
    return st.sampled_from(_value_pool(path, _account(fixture, variant), variant))


@functools.lru_cache(maxsize=16)
def hinted_field(hint: str) -> tuple[Variant, tuple[str, ...]]:
    """The first variant (in the spec's order) and path of a field whose `x-fixture` is
    `hint`: `("advanced", ("experienceFlowName",))` for "experienceFlows"."""
    for variant in spec.variant_names():
        found = _hinted_paths(spec.variant_schema(variant), hint, ())
        if found:
            return variant, found[0]
    raise LookupError(f"no field of any create variant has x-fixture {hint!r}")


def _hinted_paths(
    node: Mapping[str, Any], hint: str, path: tuple[str, ...]
) -> list[tuple[str, ...]]:
    found = [path] if node.get("x-fixture") == hint else []
    for key, child in node.get("properties", {}).items():
        found += _hinted_paths(child, hint, (*path, key))
    if "items" in node:
        found += _hinted_paths(node["items"], hint, (*path, "[]"))
    return found


#: E.164 as formats.E164 reads it: `+`, a first digit 1 to 9, 2 to 15 digits in all.
E164_DIGITS = (2, 15)
#: Sender ids as formats.SENDER_ID reads them: 1 to 11 characters, at least one letter.
SENDER_ID_LENGTH = (1, 11)


@functools.lru_cache(maxsize=1)
def _e164_pool() -> tuple[str, ...]:
    rng = random.Random("e164")
    lengths = _pool_lengths(rng, *E164_DIGITS, POOL_SIZE)
    lengths[1:3] = [E164_DIGITS[1], E164_DIGITS[0]]
    found = [
        "+" + rng.choice(DIGITS[1:]) + "".join(rng.choice(DIGITS) for _ in range(n - 1))
        for n in lengths
    ]
    return ("+1" + "0" * (E164_DIGITS[0] - 1), *found[1:])


@functools.lru_cache(maxsize=1)
def _sender_id_pool() -> tuple[str, ...]:
    rng = random.Random("sender-id")
    found = []
    for length in _pool_lengths(rng, *SENDER_ID_LENGTH, POOL_SIZE):
        chars = [rng.choice(SENDER_ID_CHARACTERS) for _ in range(length)]
        chars[rng.randrange(length)] = rng.choice(SENDER_ID_CHARACTERS[:52])  # one letter
        found.append("".join(chars))
    return ("A", *found[1:])


def e164_numbers() -> Strategy[str]:
    """E.164: `+`, a first digit 1 to 9, then 1 to 14 more digits (2 and 15 in all, often)."""
    return st.sampled_from(_e164_pool())


def sender_ids() -> Strategy[str]:
    """Alphanumeric sender ids: 1 to 11 of A-Z a-z 0-9 and space, at least one letter."""
    return st.sampled_from(_sender_id_pool())


def caller_ids(fixture: Fixture | None = None) -> Strategy[str]:
    """R11 (`caller-id`): the fixture's caller ids where it names some, else E.164 or sender id."""
    known = _fixture_values(fixture, schema_at(*_PHONE)["x-fixture"]) if fixture else []
    if known:
        return st.sampled_from(known)
    return st.sampled_from(_e164_pool() + _sender_id_pool())


def time_zones() -> Strategy[str]:
    """R12 (`iana-time-zone`): any zone the tz database knows; odd offsets and extremes
    (a third of the draws)."""
    return st.sampled_from(_time_zone_pool())


@functools.lru_cache(maxsize=1)
def edge_time_zones() -> tuple[str, ...]:
    """Zones whose offset is not a whole hour (Asia/Kathmandu +5:45, Australia/Eucla +8:45,
    Pacific/Chatham +12:45 ...), plus those with the smallest and largest offsets."""
    import zoneinfo

    offsets: dict[str, set[float]] = {}
    for zone in sorted(formats.time_zones()):
        info = zoneinfo.ZoneInfo(zone)
        offsets[zone] = {
            (info.utcoffset(_dt.datetime(2025, month, 1)) or _dt.timedelta()).total_seconds()
            for month in (1, 7)
        }
    low = min(min(found) for found in offsets.values())
    high = max(max(found) for found in offsets.values())
    return tuple(
        zone
        for zone, found in offsets.items()
        if any(seconds % 3600 for seconds in found) or low in found or high in found
    )


def clock_time(minutes: int, *, leading_zero: bool = False) -> str:
    """`clock-12h` for minutes after midnight: 0 -> '12:00 AM', 750 -> '12:30 PM'."""
    hour = minutes // 60 % 12 or 12
    meridiem = "AM" if minutes < 720 else "PM"
    return (
        f"{hour:02d}:{minutes % 60:02d} {meridiem}"
        if leading_zero
        else f"{hour}:{minutes % 60:02d} {meridiem}"
    )


#: Minutes after midnight that are edges of the 12-hour clock: 12:00 AM, 12:59 AM,
#: 1:00 AM, 11:59 AM, 12:00 PM, 12:59 PM, 1:00 PM, 11:59 PM.
EDGE_MINUTES = (0, 59, 60, 719, 720, 779, 780, 1439)
MINUTES_PER_DAY = 1440
#: Blocks at the edges of the 12-hour clock: the 12 AM hour, the 12 PM hour, across
#: noon, the whole day, a working day, the last minute.
EDGE_SPANS = ((0, 59), (720, 779), (659, 780), (0, 1439), (540, 1080), (1438, 1439))
_DAYS = ("dialingStrategy", "callingHours", "days")


def clock_times() -> Strategy[str]:
    """R13 (`clock-12h`): `9:00 AM`, `06:30 PM`; the 12:xx hours on purpose."""
    minutes = st.one_of(st.sampled_from(EDGE_MINUTES), st.integers(0, MINUTES_PER_DAY - 1))
    return st.builds(lambda m, zero: clock_time(m, leading_zero=zero), minutes, st.booleans())


def _random_span(rng: random.Random) -> tuple[int, int]:
    if rng.random() < 0.3:
        return rng.choice(EDGE_SPANS)
    first, second = sorted(rng.sample(range(MINUTES_PER_DAY), 2))
    return first, second


def _block(day: str, span: tuple[int, int], leading_zero: bool) -> dict[str, str]:
    return {
        "day": day,
        "start": clock_time(span[0], leading_zero=leading_zero),
        "end": clock_time(span[1], leading_zero=leading_zero),
    }


def day_blocks(day: Strategy[str] | None = None) -> Strategy[dict[str, str]]:
    """R13: one `{day, start, end}` with start before end (so no R14 warning)."""
    rng = random.Random("spans")
    spans = st.sampled_from([(0, 1), *EDGE_SPANS, *(_random_span(rng) for _ in range(POOL_SIZE))])
    return st.builds(_block, day if day is not None else weekdays(), spans, st.booleans())


Days = tuple[tuple[str, str, str], ...]


@functools.lru_cache(maxsize=1)
def _days_pool() -> tuple[Days, ...]:
    """Schedules: 1 to 7 blocks, one per weekday (no overlap, R14), in week order or not."""
    week = _enum(*_DAYS, "[]", "day")
    rng = random.Random("days")
    found: list[Days] = [((week[0], clock_time(0), clock_time(1)),)]
    for index in range(POOL_SIZE * 2):
        count = len(week) if index % 5 == 0 else rng.randint(1, len(week))
        days = rng.sample(week, count)
        if rng.random() < 0.5:
            days.sort(key=week.index)
        zero = rng.random() < 0.3
        found.append(
            tuple(
                (day, clock_time(a, leading_zero=zero), clock_time(b, leading_zero=zero))
                for day in days
                for a, b in [_random_span(rng)]
            )
        )
    return tuple(found)


def calling_days() -> Strategy[list[dict[str, str]]]:
    """R12/R13: at least one day block (the spec's minItems), one per weekday."""
    if int(schema_at(*_DAYS).get("minItems", 0)) > 1:
        raise AssertionError("the spec raised days' minItems; _days_pool must follow")
    return st.sampled_from(_days_pool()).map(
        lambda days: [{"day": d, "start": a, "end": b} for d, a, b in days]
    )


def calling_hours() -> Strategy[dict[str, Any]]:
    """R12: frequency, zone and day blocks."""
    return st.sampled_from(_value_pool(_DAYS[:2], None)).map(_thaw)


def dialing_strategies(fixture: Fixture | None = None) -> Strategy[dict[str, Any]]:
    """R11 and R12: `{callerId: {phoneNumber}, callingHours}` (each part drawn on its own)."""
    account = _account(fixture, TEMPLATE)
    parts = tuple(schema_at("dialingStrategy")["properties"])
    return st.tuples(
        *(st.sampled_from(_value_pool(("dialingStrategy", part), account)) for part in parts)
    ).map(functools.partial(_assemble, parts))


def schedules() -> Strategy[dict[str, Any]]:
    """R15: the optional `schedule` object."""
    return st.sampled_from(_value_pool(("schedule",), None)).map(_thaw)


#: Top-level objects drawn one property at a time (each shrinks on its own); any other
#: object is drawn whole from its pool, one choice.
SPLIT_OBJECTS = frozenset({"dialingStrategy"})


def campaigns(
    fixture: Fixture | None = None, variant: Variant | None = None, **overrides: Any
) -> Strategy[dict[str, Any]]:
    """Valid create bodies of one variant (C1): `template` (the default, part 1's bodies),
    `plain` or `advanced`. With a fixture, contact lists, template and message, experience
    flow, caller id (and DNC list) come from it; a fixture that lacks what the variant
    needs raises FixtureError.

    `overrides` replace a top-level field of the variant, which is then always there: a
    strategy, a plain value, or `ABSENT` to leave the field out:
    `campaigns(priority="5", schedule=ABSENT, dncLists={"name": "testdnc"})`.

    Speed: a body is one flat tuple of draws, one per field (two for `dialingStrategy`),
    each an index into a pool of whole values built from the spec at first use; an
    optional field's pool holds `ABSENT` for about half its entries. A field shrinks to
    its pool's first value: the simplest, or absent.
    """
    chosen = check_variant(variant)
    account = _account(fixture, chosen)
    schema = variant_field(chosen)
    properties = tuple(schema["properties"])
    unknown = sorted(set(overrides) - set(properties))
    if unknown:
        raise TypeError(
            f"campaigns(): unknown field(s) {unknown} of the {chosen} variant; "
            f"known: {', '.join(properties)}"
        )
    required = set(schema.get("required", ()))
    slots: list[tuple[str, str | None, Any]] = []  # (key, part, value or _DRAWN)
    draws: list[Strategy[Any]] = []

    def slot(key: str, part: str | None, pool: tuple[Any, ...]) -> None:
        if len(pool) == 1:  # a one-value enum: no choice to make
            slots.append((key, part, pool[0]))
        else:
            slots.append((key, part, _DRAWN))
            draws.append(st.sampled_from(pool))

    for key in properties:
        if key in overrides:
            value = overrides[key]
            if isinstance(value, st.SearchStrategy):
                slots.append((key, None, _DRAWN))
                draws.append(value)
            else:  # a plain value (or ABSENT): the same in every body, no choice
                slots.append((key, None, value))
        elif key in SPLIT_OBJECTS:
            for part in schema["properties"][key]["properties"]:
                slot(key, part, _value_pool((key, part), account, chosen))
        else:
            slot(
                key,
                None,
                _value_pool((key,), account, chosen)
                if key in required
                else _optional_pool((key,), account, chosen),
            )
    return st.tuples(*draws).map(functools.partial(_assemble_body, tuple(slots)))


def updates(
    fixture: Fixture | None = None, variant: Variant | None = None, **overrides: Any
) -> Strategy[dict[str, Any]]:
    """Valid update bodies (U1: a whole campaign of any variant, checked as a create body).

    Without `variant`, each body is of any variant, in the spec's order (a failure shrinks
    towards the first, template); with one, `campaigns(fixture, variant)`. A fixture must
    name what every drawn variant needs (templates for template, experience flows for
    advanced); `overrides` apply to every variant and must be fields of each.
    """
    if variant is not None:
        return campaigns(fixture, variant, **overrides)
    return st.one_of([campaigns(fixture, name, **overrides) for name in spec.variant_names()])


_DRAWN: Any = object()  # a slot whose value is drawn


def _assemble_body(
    slots: tuple[tuple[str, str | None, Any], ...], values: tuple[Any, ...]
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    drawn = iter(values)
    for key, part, fixed in slots:
        value = next(drawn) if fixed is _DRAWN else fixed
        if value is ABSENT:
            continue
        if part is None:
            body[key] = _thaw(value)
        else:
            body.setdefault(key, {})[part] = _thaw(value)
    return body


def _thaw(value: Any) -> Any:
    """A fresh copy of the containers of a pooled value (the pool itself stays as built)."""
    kind = type(value)
    if kind is dict:
        return {key: _thaw(item) for key, item in value.items()}
    if kind is list:
        return [_thaw(item) for item in value]
    return value


# --- pools of whole values, derived from the spec -------------------------------------


@dataclass(frozen=True)
class Account:
    """What an account (a fixture) contributes to the pools, hashable (a cache key): the
    names it has for each `x-fixture` hint, and each template with its registered text."""

    names: tuple[tuple[str, tuple[str, ...]], ...]
    templates: tuple[tuple[str, str], ...]

    def named(self, hint: str) -> tuple[str, ...]:
        """The names of an `x-fixture` hint (sorted: deterministic); () if none."""
        return dict(self.names).get(hint, ())


#: Text pool labels (each label its own deterministic pool).
_LABELS: Mapping[tuple[str, ...], str] = {
    ("message", "template_name"): "template",
    ("dncLists", "name"): "dnc-list",
}


def _account(fixture: Fixture | None, variant: Variant = TEMPLATE) -> Account | None:
    if fixture is None:
        return None
    _check_fixture(fixture, variant)
    named = fixture.to_json()
    return Account(
        tuple(
            (hint, tuple(sorted(value)))
            for hint, value in sorted(named.items())
            if isinstance(value, (list, dict))
        ),
        tuple(sorted(fixture.templates.items())),
    )


@functools.lru_cache(maxsize=128)
def _value_pool(
    path: tuple[str, ...], account: Account | None, variant: Variant = TEMPLATE
) -> tuple[Any, ...]:
    """Every value the strategies draw for the field at `path` of a variant, the simplest
    first.

    Formats and fixture hints (`x-fixture`) have their own pools; otherwise the schema
    says: an enum's values, both booleans, texts within the length limits, objects built
    from their properties' pools (`_object_pool`).
    """
    schema = variant_field(variant, *path)
    hint = schema.get("x-fixture")
    if path == ("contactLists",):
        names_ = (
            account.named(str(hint)) if account else string_pool(schema["items"], "contact-list")
        )
        return tuple(
            list(names)
            for names in _list_pool(names_, int(schema.get("minItems", 0)), MAX_CONTACT_LISTS)
        )
    if account and _names_templates(schema):  # the template and its registered text
        return tuple(
            {"template_name": template, "message": encode_text(text)}
            for template, text in account.templates
        )
    if hint and account and account.named(hint):
        return account.named(hint)
    if schema.get("format") == "base64-utf8":
        return tuple(encode_text(text) for text in text_pool(1, MESSAGE_TEXT_LENGTH, "message"))
    if schema.get("format") == "caller-id":
        return _e164_pool() + _sender_id_pool()
    if schema.get("format") == "iana-time-zone":
        return _time_zone_pool()
    if path == _DAYS:
        if int(schema.get("minItems", 0)) > 1:
            raise AssertionError("the spec raised days' minItems; _days_pool must follow")
        return tuple(
            [{"day": d, "start": a, "end": b} for d, a, b in days] for days in _days_pool()
        )
    if "enum" in schema:
        return tuple(schema["enum"])
    kind = schema.get("type", "string")  # a documented field with no type: a string
    if kind == "boolean":
        return (False, True)
    if kind == "string":
        return string_pool(schema, _LABELS.get(path, path[-1]))
    if kind == "object":
        parts = {
            key: _value_pool((*path, key), account, variant) for key in schema.get("properties", {})
        }
        return _object_pool(schema, parts, "/".join(path))
    raise AssertionError(f"no pool for {'/'.join(path)} ({kind})")


def _names_templates(schema: Mapping[str, Any]) -> bool:
    """Whether an object's properties name a template of the account (`x-fixture`)."""
    return any(
        child.get("x-fixture") == "templates" for child in schema.get("properties", {}).values()
    )


@functools.lru_cache(maxsize=64)
def _optional_pool(
    path: tuple[str, ...], account: Account | None, variant: Variant = TEMPLATE
) -> tuple[Any, ...]:
    """An optional field's pool: ABSENT in every other entry, first (the shrink target)."""
    return tuple(
        entry for value in _value_pool(path, account, variant) for entry in (ABSENT, value)
    )


#: Values per property in the shrink section of an object pool (see `_object_pool`).
SHRINK_SECTION = 32


def _object_pool(
    schema: Mapping[str, Any], parts: Mapping[str, tuple[Any, ...]], label: str
) -> tuple[dict[str, Any], ...]:
    """Objects of `schema`, in an order that shrinks well and generates widely.

    First the simplest object (required properties only, each at its pool's first
    value). Then a short shrink section: for each property, up to `SHRINK_SECTION`
    values spread over its pool, the other properties at their simplest, so that a
    failure that depends on one property tends to shrink to an object plain in the
    others. Then the mixes, twice as many as the largest property pool: required
    properties always, each optional one in about half, values in shuffled cycles (every
    pooled value used). Hypothesis draws low indexes more often than high ones, so the
    shrink section stays short: most draws land on mixes.
    """
    properties = tuple(schema.get("properties", {}))
    if set(parts) != set(properties):  # the spec changed: a pool must follow it
        raise AssertionError(f"pools {sorted(parts)} differ from the spec's {list(properties)}")
    required = set(schema.get("required", ()))
    simplest = {key: parts[key][0] for key in properties if key in required}
    found = [simplest]
    for key in properties:
        values = parts[key][1:] if key in required else parts[key]  # absent is simplest
        step = max(1, len(values) // SHRINK_SECTION)
        found += [{**simplest, key: value} for value in values[::step][:SHRINK_SECTION]]
    rng = random.Random(f"objects:{label}")
    orders = {key: rng.sample(range(len(values)), len(values)) for key, values in parts.items()}
    for index in range(max(8, *(2 * len(values) for values in parts.values()))):
        found.append(
            {
                key: parts[key][orders[key][index % len(parts[key])]]
                for key in properties
                if key in required or rng.random() < 0.5
            }
        )
    return tuple(found)


@functools.lru_cache(maxsize=1)
def _time_zone_pool() -> tuple[str, ...]:
    every = sorted(formats.time_zones())
    edges = edge_time_zones()
    return (*every, *list(edges) * max(1, len(every) // (2 * len(edges))))


def _fixture_values(fixture: Fixture | None, hint: str) -> list[Any]:
    """What the fixture names for an `x-fixture` hint of the spec (sorted: deterministic)."""
    if fixture is None:
        return []
    return sorted(fixture.to_json()[hint])  # a list, or the names of the templates


_PHONE = ("dialingStrategy", "callerId", "phoneNumber")


# --- deterministic edge bodies (for the contract run) -------------------------------


def base_campaign(fixture: Fixture | None = None, variant: Variant | None = None) -> dict[str, Any]:
    """The spec's sample request of a variant (template: `docsSample`), with the fixture's
    first contact list, template, experience flow, caller id and DNC list."""
    chosen = check_variant(variant)
    body = _copy(_sample(chosen))
    if fixture is not None:
        account = _account(fixture, chosen)
        assert account is not None
        body["contactLists"] = [account.named("contactLists")[0]]
        if _names_templates(variant_field(chosen, "message")):
            template, text = account.templates[0]
            body["message"] = {"template_name": template, "message": encode_text(text)}
        if chosen == hinted_field("experienceFlows")[0]:
            body[hinted_field("experienceFlows")[1][0]] = account.named("experienceFlows")[0]
        if fixture.caller_ids:
            body["dialingStrategy"]["callerId"]["phoneNumber"] = sorted(fixture.caller_ids)[0]
        if fixture.dnc_lists:
            body["dncLists"] = {"name": sorted(fixture.dnc_lists)[0]}
    return body


@functools.lru_cache(maxsize=8)
def _sample(variant: Variant) -> dict[str, Any]:
    """The first of the spec's create request examples marked with the variant (`x-variant`)."""
    media = spec.operations()["create"]["requestBody"]["content"]["application/json"]
    for example in media.get("examples", {}).values():
        if example.get("x-variant") == variant:
            value: dict[str, Any] = example["value"]
            return value
    raise LookupError(f"the spec has no create request example of the {variant} variant")


def edge_campaigns(
    fixture: Fixture | None = None, variant: Variant | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Named valid bodies of a variant at the edges: `("edge-name-48-chars", body)`, ...
    (deterministic; template by default, as part 1)."""
    return list(_edges(fixture, check_variant(variant)))


def _edges(fixture: Fixture | None, variant: Variant) -> Iterator[tuple[str, dict[str, Any]]]:
    base = base_campaign(fixture, variant)

    def variant_(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        body = _copy(base)
        change(body)
        return body

    def setter(*path: str, value: Any) -> Callable[[dict[str, Any]], None]:
        def change(body: dict[str, Any]) -> None:
            node = body
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = value

        return change

    hours = ("dialingStrategy", "callingHours")
    name_max = int(schema_at("name")["maxLength"])
    name_min = int(schema_at("name").get("minLength", 0))
    description_max = int(schema_at("description")["maxLength"])
    yield "edge-sample", _copy(base)
    yield f"edge-name-{name_min}-chars", variant_(setter("name", value="N" * name_min))
    yield f"edge-name-{name_max}-chars", variant_(setter("name", value="N" * name_max))
    yield (
        f"edge-name-{name_max}-non-ascii",
        variant_(setter("name", value=("Ünïcødé 名前 👋 " * name_max)[:name_max])),
    )
    yield "edge-description-empty", variant_(setter("description", value=""))
    yield (
        f"edge-description-{description_max}-chars",
        variant_(setter("description", value=("Déjà vu — ☎ " * description_max)[:description_max])),
    )
    for priority in _enum("priority"):
        yield f"edge-priority-{priority}", variant_(setter("priority", value=priority))
    for frequency in _enum(*hours, "frequency"):
        yield (
            f"edge-frequency-{frequency.lower()}",
            variant_(setter(*hours, "frequency", value=frequency)),
        )
    days = _enum(*hours, "days", "[]", "day")
    for day in days:
        yield (
            f"edge-day-{day.lower()}",
            variant_(
                setter(*hours, "days", value=[{"day": day, "start": "9:00 AM", "end": "5:00 PM"}])
            ),
        )
    yield (
        "edge-every-day",
        variant_(
            setter(
                *hours,
                "days",
                value=[{"day": day, "start": "8:00 AM", "end": "8:00 PM"} for day in days],
            )
        ),
    )
    yield (
        "edge-12-am",
        variant_(
            setter(*hours, "days", value=[{"day": days[0], "start": "12:00 AM", "end": "12:59 AM"}])
        ),
    )
    yield (
        "edge-12-pm",
        variant_(
            setter(*hours, "days", value=[{"day": days[0], "start": "12:00 PM", "end": "12:59 PM"}])
        ),
    )
    yield (
        "edge-whole-day",
        variant_(
            setter(*hours, "days", value=[{"day": days[0], "start": "12:00 AM", "end": "11:59 PM"}])
        ),
    )
    yield (
        "edge-leading-zero",
        variant_(
            setter(*hours, "days", value=[{"day": days[0], "start": "09:05 AM", "end": "06:30 PM"}])
        ),
    )
    yield (
        "edge-split-shift",
        variant_(
            setter(
                *hours,
                "days",
                value=[
                    {"day": days[0], "start": "9:00 AM", "end": "12:00 PM"},
                    {"day": days[0], "start": "1:00 PM", "end": "5:00 PM"},
                ],
            )
        ),
    )
    for zone in (
        "Asia/Kathmandu",
        "Asia/Kolkata",
        "Australia/Eucla",
        "Pacific/Chatham",
        "America/St_Johns",
        "Pacific/Kiritimati",
        "Etc/GMT+12",
        "UTC",
    ):
        if zone in formats.time_zones():
            yield (
                f"edge-zone-{zone.replace('/', '-').lower()}",
                variant_(setter(*hours, "timezone", value=zone)),
            )
    phone = (*_PHONE[:2],)
    if fixture is not None and fixture.caller_ids:
        for index, caller in enumerate(sorted(fixture.caller_ids)):
            yield (
                f"edge-caller-id-{index + 1}",
                variant_(setter(*phone, "phoneNumber", value=caller)),
            )
    else:
        for case, caller in (
            ("e164-2-digits", "+12"),
            ("e164-15-digits", "+123456789012345"),
            ("sender-id-1-char", "K"),
            ("sender-id-11-chars", "Kore Alerts"),
            ("sender-id-digits-and-letter", "2024Sale"),
        ):
            yield f"edge-{case}", variant_(setter(*phone, "phoneNumber", value=caller))
    yield "edge-no-optional-fields", variant_(functools.partial(_drop_optional, variant))
    yield "edge-schedule-enabled", variant_(setter("schedule", value={"isSchedulingEnabled": True}))
    yield "edge-schedule-empty", variant_(setter("schedule", value={}))
    yield "edge-dnc-lists-empty", variant_(setter("dncLists", value={}))
    templated = _names_templates(variant_field(variant, "message"))
    if fixture is not None and templated:
        for template, text in sorted(fixture.templates.items()):
            yield (
                f"edge-template-{_slug(template)}",
                variant_(
                    setter(
                        "message", value={"template_name": template, "message": encode_text(text)}
                    )
                ),
            )
    else:
        for case, text in (
            ("1-char", "H"),
            ("padding-1", "Hi"),
            ("padding-2", "Hey!"),
            ("non-ascii", "Hola 👋 ¡Gracias! 名前"),
        ):
            message = {"message": encode_text(text)}
            yield (
                f"edge-message-{case}",
                variant_(
                    setter(
                        "message",
                        value={"template_name": "Welcome", **message} if templated else message,
                    )
                ),
            )
    if "templateId" in variant_field(variant, "message").get("properties", {}):
        yield (
            "edge-message-template-id",
            variant_(
                setter("message", value={"message": encode_text("Hi"), "templateId": "tpl-1"})
            ),
        )
    if fixture is not None:
        if variant == hinted_field("experienceFlows")[0]:
            flow_field = hinted_field("experienceFlows")[1][0]
            for flow in sorted(fixture.to_json().get("experienceFlows", {})):
                yield f"edge-flow-{_slug(flow)}", variant_(setter(flow_field, value=flow))
        yield (
            "edge-every-contact-list",
            variant_(setter("contactLists", value=sorted(fixture.contact_lists))),
        )


def _drop_optional(variant: Variant, body: dict[str, Any]) -> None:
    required = set(variant_field(variant).get("required", ()))
    for key in list(body):
        if key not in required:
            del body[key]


def _slug(text: str) -> str:
    slug = "".join(c.lower() if c.isascii() and c.isalnum() else "-" for c in text).strip("-")
    return "-".join(part for part in slug.split("-") if part) or "template"


def _copy(value: T) -> T:
    import copy

    return copy.deepcopy(value)


# --- deterministic generation (the fuzz command, the contract run, the benchmark) ---


def generate(
    strategy: Strategy[T],
    count: int,
    *,
    seed: int,
    unique: bool = True,
    on_example: Callable[[T], None] | None = None,
) -> list[T]:
    """`count` examples of `strategy`, the same for the same seed, run after run.

    Drives Hypothesis through its public API: a `@given` function with `@seed`, no
    database, generation phase only. (`.example()` is random and warns; `find`
    shrinks.) Each test case draws one example: drawing several per case (a list or a
    tuple of them) measured slower, not faster, as the engine's mutations and its
    duplicate detection cost grow with the length of a case. Hypothesis starts with its
    simplest test case, the same for every seed, and may repeat one: `unique` keeps each
    value once (by `repr`). Should Hypothesis stop early (a small search space), it goes
    on with the next derived seed; fewer than `count` come back only when the strategy
    has fewer distinct values.

    The same whatever the process has imported: Hypothesis (6.131 and later) mixes into
    its draws constants it finds in the local modules loaded so far, so a seed drew other
    bodies after other imports (300 list bodies: 271 differed once one more module was
    loaded). `generate` draws with Hypothesis' own constants only (`_own_constants_only`).
    """
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as seed_

    collected: list[T] = []
    seen: set[str] = set()

    def keep(value: T) -> None:
        if len(collected) >= count:
            return
        if unique:
            key = repr(value)
            if key in seen:
                return
            seen.add(key)
        collected.append(value)
        if on_example is not None:
            on_example(value)

    for round_ in range(max(count, 8)):
        wanted = count - len(collected)

        @settings(
            database=None,
            deadline=None,
            max_examples=wanted + 1,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            derandomize=False,
            verbosity=Verbosity.quiet,
            print_blob=False,
            report_multiple_bugs=False,
        )
        @seed_(seed * 1_000_003 + round_)
        @given(strategy)
        def collect(value: T) -> None:
            keep(value)

        before = len(collected)
        with _own_constants_only():
            collect()
        if len(collected) >= count or len(collected) == before:  # done, or nothing new left
            break
    return collected


@contextlib.contextmanager
def _own_constants_only() -> Iterator[None]:
    """While generating, no constants of the loaded local modules in Hypothesis' draws.

    This reaches into Hypothesis' internals (its provider reads the module-level
    `_get_local_constants` and caches what it found in `CONSTANTS_CACHE`); should they
    change, generation goes on as Hypothesis does by default (deterministic only for the
    same imports), and tests/test_strategies_family.py's import-order test says so.
    Not for threads that run other Hypothesis tests at the same time.
    """
    try:
        from hypothesis.internal.conjecture import providers

        empty = providers._get_local_constants().__class__()  # an empty Constants
        cache = providers.CONSTANTS_CACHE.cache
        original = providers._get_local_constants
    except (ImportError, AttributeError):  # pragma: no cover (another Hypothesis)
        yield
        return
    cache.clear()
    providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.clear()
