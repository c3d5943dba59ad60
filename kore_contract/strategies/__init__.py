"""Hypothesis strategies for request bodies, derived from the spec: create (each variant of
C1), update (U1: any variant) and list (L1) bodies, valid or breaking exactly one rule.

Every limit, enum, required list and fixture hint (`x-fixture`) is read from the
request body schemas of the OpenAPI document; the format values (`caller-id`,
`clock-12h`, `iana-time-zone`, `base64-utf8`, `date-time-with-zone`) are built so that
`formats.py` accepts them, and the tests prove it. Strategies come from small named
pieces::

    from hypothesis import given
    from kore_contract.strategies import campaigns, broken_campaigns, list_requests

    @given(campaigns(priority="5"))                  # part 1's template bodies
    def test_my_client_accepts(body): ...

    @given(campaigns(fixture, variant="advanced"))   # or "plain"; updates(fixture): any
    def test_advanced(body): ...

    @given(broken_campaigns(rule="C3", variant="advanced"))
    def test_my_server_refuses(broken): ...   # broken.payload, .rule, .pointer, .variant

    @given(list_requests(), broken_list_requests(rule="L1"))
    def test_listing(body, broken): ...

Valid bodies explore the edges on purpose: lengths at their minimum and maximum,
every priority and weekday, 12:xx AM and PM, zones with odd offsets, E.164 numbers
and sender ids, non-ASCII text, optional fields present and absent; for lists, paging
from its minimum and "" (absent), empty filters, sort keys in any order, date windows
at odd offsets. They are also free of advisory warnings (R14): start before end, one
block per weekday.

A broken body of a variant stays of that variant (C1 reads it so): a template body
whose `message` is no object is a plain body, not a broken template one. With a
variant insisted on, C1 breaks as a valid body of another variant.

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

from kore_contract.strategies._broken import (
    Broken,
    breakable_rules,
    broken_campaigns,
    broken_examples,
)
from kore_contract.strategies._list import (
    base_list_request,
    breakable_list_rules,
    broken_list_examples,
    broken_list_requests,
    date_times,
    date_windows,
    edge_list_requests,
    list_filters,
    list_requests,
    list_values,
    sort_orders,
)
from kore_contract.strategies._valid import (
    ABSENT,
    base64_texts,
    base_campaign,
    caller_ids,
    calling_days,
    calling_hours,
    campaign_types,
    campaigns,
    clock_times,
    contact_lists,
    day_blocks,
    descriptions,
    dialing_strategies,
    dnc_lists,
    e164_numbers,
    edge_campaigns,
    edge_time_zones,
    experience_flow_names,
    frequencies,
    generate,
    message_formats,
    message_texts,
    messages,
    names,
    priorities,
    schedules,
    sender_ids,
    text_pool,
    time_zones,
    updates,
    weekdays,
)

__all__ = [
    "ABSENT",
    "Broken",
    "base64_texts",
    "base_campaign",
    "base_list_request",
    "breakable_list_rules",
    "breakable_rules",
    "broken_campaigns",
    "broken_examples",
    "broken_list_examples",
    "broken_list_requests",
    "caller_ids",
    "calling_days",
    "calling_hours",
    "campaign_types",
    "campaigns",
    "clock_times",
    "contact_lists",
    "date_times",
    "date_windows",
    "day_blocks",
    "descriptions",
    "dialing_strategies",
    "dnc_lists",
    "e164_numbers",
    "edge_campaigns",
    "edge_list_requests",
    "edge_time_zones",
    "experience_flow_names",
    "frequencies",
    "generate",
    "list_filters",
    "list_requests",
    "list_values",
    "message_formats",
    "message_texts",
    "messages",
    "names",
    "priorities",
    "schedules",
    "sender_ids",
    "sort_orders",
    "text_pool",
    "time_zones",
    "updates",
    "weekdays",
]
