"""L3 at the store: a list page from the indexes equals the page a plain sort and filter
of every stored campaign gives, whatever was added, changed, restated and deleted before.

The store answers a page from per-(stream, account) orders, class-code masks and arrival
bands (kore_contract/mock/store.py); the oracle here is the obvious slow reading of L3.
Hypothesis draws the campaigns, the writes and the queries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kore_contract.mock.store import (
    CREATED,
    ID,
    NAME,
    PRIORITY,
    SEQ,
    STATUS,
    UPDATED,
    Draft,
    Outcome,
    Query,
    Record,
    SortKey,
    Store,
)

STATES = ("Ready", "Active", "Stopped")
PRIORITIES = ("1", "2", "3", "4", "5")
FIELD = {"created": CREATED, "updated": UPDATED, "name": NAME}


class Clock:
    """A clock that moves when told: many campaigns share a millisecond (ties)."""

    def __init__(self) -> None:
        self.now = 1_764_921_600_000  # 2025-12-05T08:00:00Z

    def __call__(self) -> int:
        return self.now


def shown(record: Record) -> bytes:
    return record[ID].encode()


def oracle(records: list[Record], query: Query) -> tuple[int, list[str]]:
    """L3 the slow way: filter, sort by every key (ties by arrival), cut the page."""
    kept = [
        r
        for r in records
        if (query.statuses is None or r[STATUS] in query.statuses)
        and (query.priorities is None or r[PRIORITY] in query.priorities)
        and (query.created_from is None or r[CREATED] >= query.created_from)
        and (query.created_to is None or r[CREATED] <= query.created_to)
    ]
    first_key, first_descending = query.sort[0]
    kept.sort(key=lambda r: (r[FIELD[first_key]], r[SEQ]), reverse=first_descending)
    if len(query.sort) > 1:  # later keys order the ties of the first (stable sorts)
        for key, descending in reversed(query.sort):
            kept.sort(key=lambda r, k=key: r[FIELD[k]], reverse=descending)  # type: ignore[misc]
    page = kept[query.skip : query.skip + query.limit]
    return len(kept), [r[ID] for r in page]


names = st.sampled_from(["alpha", "Beta", "beta", "gamma", "Été", "zeta", "alpha"])
writes = st.lists(
    st.tuples(
        st.sampled_from(["add", "add", "add", "tick", "rename", "restate", "delete"]),
        st.integers(0, 40),
        names,
        st.sampled_from(STATES),
        st.sampled_from(PRIORITIES),
    ),
    max_size=60,
)
sort_keys: st.SearchStrategy[SortKey] = st.sampled_from(["created", "updated", "name"])
queries = st.builds(
    Query,
    statuses=st.none() | st.frozensets(st.sampled_from(STATES)),
    priorities=st.none() | st.frozensets(st.sampled_from(PRIORITIES)),
    created_from=st.none() | st.integers(0, 30).map(lambda m: (1_764_921_600_000 + m) * 1000),
    created_to=st.none() | st.integers(0, 30).map(lambda m: (1_764_921_600_000 + m) * 1000),
    sort=st.lists(
        st.tuples(sort_keys, st.booleans()), min_size=1, max_size=3, unique_by=lambda pair: pair[0]
    ).map(tuple),
    skip=st.integers(0, 45),
    limit=st.integers(1, 12),
)


def apply(store: Store, clock: Clock, steps: list[tuple[str, int, str, str, str]]) -> None:
    made = 0
    for kind, pick, name, state, priority in steps:
        if kind == "tick":
            clock.now += 1 + pick % 3
            continue
        if kind == "add":
            made += 1
            store.add("st", "acc", drafted(f"cd-{made}", name, state, priority))
            continue
        target = f"cd-{pick % (made or 1) + 1}"
        if kind == "delete":
            store.delete("st", "acc", target)
        else:
            store.replace("st", "acc", target, changed(kind, name, state, priority))


def drafted(
    campaign_id: str, name: str, state: str = "Ready", priority: str = "5"
) -> Callable[[int], Draft]:
    """What the store is told to add: a campaign of that name, state and priority."""
    return lambda stamp: Draft(campaign_id, name, state, priority, b"{}")


def changed(kind: str, name: str, state: str, priority: str) -> Callable[[Record, int], Draft]:
    """What the store is told to replace a campaign with: renamed or restated."""
    return lambda current, stamp: Draft(
        current[ID],
        name if kind == "rename" else current[NAME],
        state if kind == "restate" else current[STATUS],
        priority,
        b"{}",
    )


def records_of(store: Store) -> list[Record]:
    found = [store.get("st", "acc", f"cd-{i}") for i in range(1, 200)]
    return [r for r in found if r is not None]


@settings(max_examples=300, deadline=None)
@given(steps=writes, query=queries)
def test_L3_a_page_from_the_indexes_is_the_page_of_a_plain_sort(
    steps: list[tuple[str, int, str, str, str]], query: Query
) -> None:
    clock = Clock()
    store = Store(clock=clock)
    apply(store, clock, steps)
    total, page = store.page("st", "acc", query, shown)
    assert (total, [p.decode() for p in page]) == oracle(records_of(store), query)


def test_L3_deleted_campaigns_are_never_listed() -> None:
    store = Store(clock=Clock())
    for i in range(5):
        store.add("st", "acc", drafted(f"cd-{i}", f"n{i}"))
    assert store.delete("st", "acc", "cd-2")[0] is Outcome.DONE
    total, page = store.page("st", "acc", Query(limit=50), shown)
    assert total == 4 and b"cd-2" not in page
    assert store.page("st", "other", Query(), shown) == (0, [])


def test_L3_an_empty_filter_matches_nothing_and_no_filter_matches_all() -> None:
    store = Store(clock=Clock())
    store.add("st", "acc", lambda stamp: Draft("cd-1", "n", "Ready", "5", b"{}"))
    assert store.page("st", "acc", Query(statuses=frozenset()), shown) == (0, [])
    assert store.page("st", "acc", Query(priorities=frozenset()), shown) == (0, [])
    assert store.page("st", "acc", Query(), shown) == (1, [b"cd-1"])


def test_the_bands_widen_past_256_arrivals_and_windows_stay_exact() -> None:
    clock = Clock()
    store = Store(clock=clock)
    for i in range(1000):
        clock.now += 1
        store.add("st", "acc", drafted(f"cd-{i}", f"n{999 - i:04}"))
    low, high = (clock.now - 700) * 1000, (clock.now - 300) * 1000
    query = Query(created_from=low, created_to=high, sort=(("name", False),), limit=1000)
    total, page = store.page("st", "acc", query, shown)
    assert (total, [p.decode() for p in page]) == oracle(records_of_all(store, 1000), query)


def records_of_all(store: Store, count: int) -> list[Record]:
    found = [store.get("st", "acc", f"cd-{i}") for i in range(count)]
    return [r for r in found if r is not None]


def test_updatedAt_never_goes_back_even_when_the_clock_does() -> None:
    clock = Clock()
    store = Store(clock=clock)
    store.add("st", "acc", lambda stamp: Draft("cd-1", "n", "Ready", "5", b"{}"))
    clock.now -= 60_000  # the wall clock steps back a minute
    stamps: list[int] = []

    def change(current: Record, stamp: int) -> Draft:
        stamps.append(stamp)
        return Draft("cd-1", "n", "Active", "5", b"{}")

    outcome, record = store.replace("st", "acc", "cd-1", change)
    assert outcome is Outcome.DONE and record is not None
    assert record[UPDATED] >= record[CREATED] and stamps[0] * 1000 == record[UPDATED]


def test_a_compare_and_set_lets_one_of_two_threads_through() -> None:
    store = Store(clock=Clock())
    store.add("st", "acc", lambda stamp: Draft("cd-1", "n", "Ready", "5", b"{}"))
    outcomes: list[Outcome] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        outcomes.append(
            store.replace(
                "st",
                "acc",
                "cd-1",
                lambda current, stamp: Draft("cd-1", "n", "Active", "5", b"{}"),
                allowed={"Ready", "Stopped"},
            )[0]
        )

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.name for o in outcomes) == ["DONE"] + ["REFUSED"] * 7


@pytest.mark.parametrize("refused", [{"Active"}, set()])
def test_T5_delete_refused_in_a_state_changes_nothing(refused: set[str]) -> None:
    store = Store(clock=Clock())
    store.add("st", "acc", lambda stamp: Draft("cd-1", "n", "Active", "5", b"{}"))
    outcome, _ = store.delete("st", "acc", "cd-1", refused=refused)
    assert outcome is (Outcome.REFUSED if refused else Outcome.DONE)
    assert store.count() == (1 if refused else 0)


def test_the_store_stays_bounded_when_a_replacement_does_not_fit() -> None:
    store = Store(clock=Clock(), max_bytes=100)
    store.add("st", "acc", lambda stamp: Draft("cd-1", "n", "Ready", "5", b"{}"))
    outcome, kept = store.replace(
        "st", "acc", "cd-1", lambda current, stamp: Draft("cd-1", "n", "Ready", "5", b"x" * 500)
    )
    assert outcome is Outcome.FULL and kept is not None and kept[7] == b"{}"
    assert store.stored_bytes() < 100
