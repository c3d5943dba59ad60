"""The mock's campaigns, per stream and account; safe to use from several threads.

A campaign is kept as a `Record`: its `data` already encoded as JSON (a get answers it
without encoding again) beside the few facts the calls need: its name, state, priority and
times. Tens of thousands of stored campaigns then add few objects for the garbage collector
to walk (a walk over object graphs that size is a p99 latency spike).

The list call (L3) is answered from indexes kept per (stream, account): the campaigns in
the order of each sort key (created, updated, name; ties by arrival), and beside each order
one byte per campaign that codes its (state, priority). A filter is a 256-byte table over
those codes (`bytes.translate`), applied in C; a page is `islice(compress(...))`, in C
too; a date window on the creation order is two bisections. So a filtered, sorted page of
100,000 campaigns costs a few milliseconds and no sort (tests/benchmarks/
bench_mock_family.py). Every write keeps the orders in step (a bisection and a move).

A state change is a compare-and-set under the store's lock (`transition`): of two clients
that start the same campaign at once, one finds it Ready and starts it, the other finds it
Active.

The store is bounded (kore_contract.mock.limits): a campaign that would take it past its
count or its bytes is not added, and `add` says why (`StoreFull`); deletes free room.
"""

from __future__ import annotations

import bisect
import itertools
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import Enum
from operator import itemgetter
from typing import Any, Final, Literal

from kore_contract.mock.limits import DEFAULT_LIST_LIMIT, MAX_CAMPAIGNS, MAX_STORED_BYTES

SortKey = Literal["created", "updated", "name"]
#: One byte per record of an order: 1 kept, 0 not.
Mask = bytes | bytearray
ORDERS: tuple[SortKey, ...] = ("created", "updated", "name")


@dataclass(frozen=True)
class StoreFull:
    """Why a campaign was not stored: what the store holds and its limits."""

    campaigns: int
    stored_bytes: int
    needed_bytes: int
    max_campaigns: int
    max_bytes: int

    def message(self) -> str:
        if self.campaigns >= self.max_campaigns:
            held = f"it holds {self.campaigns:,} campaigns, its limit"
        else:
            held = (
                f"this campaign's {self.needed_bytes:,} bytes would take it past "
                f"{self.max_bytes:,} bytes (it holds {self.stored_bytes:,} bytes in "
                f"{self.campaigns:,} campaigns)"
            )
        return (
            f"the mock's store is full: {held}; delete campaigns (DELETE "
            ".../campaign/{campaignId}) or restart the mock, or start it with a higher "
            "--max-campaigns or --max-store-mb"
        )


#: One stored campaign, as a plain tuple of atoms (the garbage collector stops tracking
#: such tuples: 100,000 of them cost its walks nothing). Read it with the indexes below.
Record = tuple[str, int, str, str, str, int, int, bytes]
ID: Final = 0  # the campaign id
SEQ: Final = 1  # its arrival in its group: the tie-break of every order
NAME: Final = 2
STATUS: Final = 3  # its state (T1 to T3)
PRIORITY: Final = 4
CREATED: Final = 5  # microseconds since the epoch
UPDATED: Final = 6
DATA: Final = 7  # the campaign's `data`, as JSON


@dataclass(frozen=True)
class Draft:
    """A campaign to store, as the caller built it for the store's time stamp."""

    campaign_id: str
    name: str
    status: str
    priority: str
    data: bytes


def _size(record: Record) -> int:
    return len(record[DATA]) + len(record[NAME]) + len(record[ID])


_KEYS: dict[SortKey, Callable[[Record], Any]] = {
    "created": itemgetter(CREATED, SEQ),
    "updated": itemgetter(UPDATED, SEQ),
    "name": itemgetter(NAME, SEQ),
}
_SORT_FIELDS: dict[SortKey, int] = {"created": CREATED, "updated": UPDATED, "name": NAME}


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class Outcome(Enum):
    """What `replace` and `delete` found."""

    DONE = "done"
    UNKNOWN = "no such campaign"
    REFUSED = "the campaign's state does not allow it"
    FULL = "the store is full"


@dataclass(frozen=True)
class Query:
    """A list request, read: None means "no such filter"; an empty set matches nothing."""

    statuses: frozenset[str] | None = None
    priorities: frozenset[str] | None = None
    created_from: int | None = None  # microseconds, inclusive
    created_to: int | None = None
    sort: tuple[tuple[SortKey, bool], ...] = (("created", True),)  # (key, descending)
    skip: int = 0
    limit: int = DEFAULT_LIST_LIMIT


class _Order:
    """The records of one group in the order of one key, and beside each record its class
    code (state and priority) and its arrival band (arrival >> the group's shift)."""

    __slots__ = ("bands", "codes", "key", "records")

    def __init__(self, key: Callable[[Record], Any]) -> None:
        self.key = key
        self.records: list[Record] = []
        self.codes = bytearray()
        self.bands = bytearray()

    def insert(self, record: Record, code: int, band: int) -> None:
        at = bisect.bisect_right(self.records, self.key(record), key=self.key)
        self.records.insert(at, record)
        self.codes.insert(at, code)
        self.bands.insert(at, band)

    def remove(self, record: Record) -> None:
        at = bisect.bisect_left(self.records, self.key(record), key=self.key)
        assert self.records[at] is record, "a record's key changed outside the store"
        del self.records[at]
        del self.codes[at]
        del self.bands[at]


#: Halves every arrival band (`bytes.translate`): when arrivals outgrow 256 bands.
_HALVE = bytes(band >> 1 for band in range(256))


class _Group:
    """The campaigns of one (stream, account)."""

    __slots__ = ("by_id", "listed", "next_seq", "orders", "shift")

    def __init__(self) -> None:
        self.by_id: dict[str, Record] = {}
        self.orders = {name: _Order(_KEYS[name]) for name in ORDERS}
        self.next_seq = 0
        self.shift = 0  # a record's arrival band is its arrival >> shift, at most 255
        #: Each campaign as the list call shows it, encoded on first use.
        self.listed: dict[str, bytes] = {}

    def arrive(self) -> int:
        """The next arrival number; the bands widen as arrivals grow."""
        seq = self.next_seq
        self.next_seq += 1
        if seq >> self.shift > 255:
            self.shift += 1
            for order in self.orders.values():
                order.bands = bytearray(order.bands.translate(_HALVE))
        return seq


class Store:
    def __init__(
        self,
        *,
        max_campaigns: int = MAX_CAMPAIGNS,
        max_bytes: int = MAX_STORED_BYTES,
        clock: Callable[[], int] = _wall_clock_ms,
    ) -> None:
        self.max_campaigns = max_campaigns
        self.max_bytes = max_bytes
        self._clock = clock
        self._last_stamp = 0
        self._lock = threading.Lock()
        self._groups: dict[tuple[str, str], _Group] = {}
        self._count = 0
        self._bytes = 0
        # (state, priority) -> a class code 0..254; 255 for every other pair past those
        self._codes: dict[tuple[str, str], int] = {}
        self._tables: dict[tuple[frozenset[str] | None, frozenset[str] | None], bytes] = {}

    def _stamp(self, floor: int = 0) -> int:
        """Now in milliseconds, never before an earlier stamp of this store nor `floor`:
        creation order is time order, and a campaign's updatedAt never goes back."""
        self._last_stamp = max(self._clock(), self._last_stamp, floor)
        return self._last_stamp

    # --- writes ---------------------------------------------------------------------

    def add(
        self, stream_id: str, account_id: str, build: Callable[[int], Draft]
    ) -> Record | StoreFull:
        """Store a new campaign that `build(stamp)` makes for the store's time stamp (in
        milliseconds, its createdAt and updatedAt); the record, or why it did not fit
        (nothing is stored then)."""
        with self._lock:
            stamp = self._stamp()
            draft = build(stamp)
            record: Record = (
                draft.campaign_id,
                0,
                draft.name,
                draft.status,
                draft.priority,
                stamp * 1000,
                stamp * 1000,
                draft.data,
            )
            size = _size(record)
            group = self._groups.get((stream_id, account_id))
            old = group.by_id.get(draft.campaign_id) if group is not None else None
            count = self._count + (old is None)
            total = self._bytes + size - (_size(old) if old is not None else 0)
            if count > self.max_campaigns or total > self.max_bytes:
                return StoreFull(self._count, self._bytes, size, self.max_campaigns, self.max_bytes)
            if group is None:
                group = self._groups[(stream_id, account_id)] = _Group()
            if old is not None:  # the same id again (a faulty mock): the new one replaces it
                self._forget(group, old)
            record = (*record[:SEQ], group.arrive(), *record[SEQ + 1 :])  # type: ignore[assignment]
            self._remember(group, record)
            self._count, self._bytes = count, total
            return record

    def replace(
        self,
        stream_id: str,
        account_id: str,
        campaign_id: str,
        change: Callable[[Record, int], Draft | None],
        *,
        refused: Collection[str] = (),
        allowed: Collection[str] | None = None,
    ) -> tuple[Outcome, Record | None]:
        """Replace a campaign with what `change(current, stamp)` makes of it (a Draft of
        the same id for the time stamp, in milliseconds: its updatedAt; or None to leave
        it as it is), unless its state is in `refused` or, where `allowed` is given, not
        in `allowed`: a compare-and-set under the store's lock. The creation time and
        arrival stay. The answer: (DONE, the new record), (UNKNOWN, None), (REFUSED, the
        current one) or (FULL, the current one: the new one would take the store past its
        bytes)."""
        with self._lock:
            group = self._groups.get((stream_id, account_id))
            current = group.by_id.get(campaign_id) if group is not None else None
            if group is None or current is None:
                return Outcome.UNKNOWN, None
            status = current[STATUS]
            if status in refused or (allowed is not None and status not in allowed):
                return Outcome.REFUSED, current
            stamp = self._stamp(floor=-(-current[UPDATED] // 1000))
            draft = change(current, stamp)
            if draft is None:
                return Outcome.DONE, current
            new: Record = (
                campaign_id,
                current[SEQ],
                draft.name,
                draft.status,
                draft.priority,
                current[CREATED],
                stamp * 1000,
                draft.data,
            )
            total = self._bytes - _size(current) + _size(new)
            if total > self.max_bytes:
                return Outcome.FULL, current
            self._forget(group, current)
            self._remember(group, new)
            self._bytes = total
            return Outcome.DONE, new

    def delete(
        self, stream_id: str, account_id: str, campaign_id: str, *, refused: Collection[str] = ()
    ) -> tuple[Outcome, Record | None]:
        """Remove a campaign unless its state is in `refused`."""
        with self._lock:
            group = self._groups.get((stream_id, account_id))
            found = group.by_id.get(campaign_id) if group is not None else None
            if group is None or found is None:
                return Outcome.UNKNOWN, None
            if found[STATUS] in refused:
                return Outcome.REFUSED, found
            self._forget(group, found)
            self._count -= 1
            self._bytes -= _size(found)
            if not group.by_id:  # no empty groups left behind
                del self._groups[(stream_id, account_id)]
            return Outcome.DONE, found

    def _remember(self, group: _Group, record: Record) -> None:
        group.by_id[record[ID]] = record
        code, band = self._code(record), record[SEQ] >> group.shift
        for order in group.orders.values():
            order.insert(record, code, band)

    def _forget(self, group: _Group, record: Record) -> None:
        del group.by_id[record[ID]]
        group.listed.pop(record[ID], None)
        for order in group.orders.values():
            order.remove(record)

    def clear(self) -> None:
        with self._lock:
            self._groups.clear()
            self._count = self._bytes = 0

    # --- reads ----------------------------------------------------------------------

    def get(self, stream_id: str, account_id: str, campaign_id: str) -> Record | None:
        with self._lock:
            group = self._groups.get((stream_id, account_id))
            return group.by_id.get(campaign_id) if group is not None else None

    def count(self) -> int:
        with self._lock:
            return self._count

    def stored_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def page(
        self, stream_id: str, account_id: str, query: Query, show: Callable[[Record], bytes]
    ) -> tuple[int, list[bytes]]:
        """One list page (L3): how many campaigns match in all, and the page's campaigns
        as `show` encodes them (each encoding kept until the campaign changes)."""
        with self._lock:
            group = self._groups.get((stream_id, account_id))
            if group is None or query.statuses == frozenset() or query.priorities == frozenset():
                return 0, []
            key, descending = query.sort[0]
            records, keep = self._matches(group, group.orders[key], query)
            total = len(records) if keep is None else keep.count(1)
            if len(query.sort) > 1:  # later keys order the ties of the first
                shown = _page_with_ties(records, keep, total, query, group.next_seq)
            else:
                shown = _page(records, keep, total, descending, query.skip, query.limit)
            listed = group.listed
            encoded: list[bytes] = []
            for record in shown:
                text = listed.get(record[ID])
                if text is None:
                    text = listed[record[ID]] = show(record)
                encoded.append(text)
            return total, encoded

    def _matches(
        self, group: _Group, order: _Order, query: Query
    ) -> tuple[Sequence[Record], Mask | None]:
        """The records of `order` that the query's filters and window keep, in order: a
        sequence of records, and None (all of them) or one byte per record (1: kept)."""
        records: list[Record] = order.records
        codes: bytes | bytearray = order.codes
        low, high = query.created_from, query.created_to
        created = group.orders["created"].records
        first = 0 if low is None else bisect.bisect_left(created, (low, -1), key=_KEYS["created"])
        end = (
            len(created)
            if high is None
            else bisect.bisect_right(created, (high, group.next_seq), key=_KEYS["created"])
        )
        if first >= end:
            return (), None
        keep: Mask | None = None
        if (first > 0 or end < len(created)) and order.records is created:
            records, codes = records[first:end], codes[first:end]
        elif first > 0 or end < len(created):
            # creation order is arrival order (one clock, stamped under the lock): the
            # window is a range of arrivals, whole bands of it kept in C, its two edge
            # bands checked one record at a time
            keep = _arrivals_within(order, created[first][SEQ], created[end - 1][SEQ], group.shift)
        if query.statuses is not None or query.priorities is not None:
            kept = codes.translate(self._table(query.statuses, query.priorities))
            keep = kept if keep is None else _both(keep, kept)
        return records, keep

    # --- class codes ----------------------------------------------------------------

    def _code(self, record: Record) -> int:
        pair = (record[STATUS], record[PRIORITY])
        code = self._codes.get(pair)
        if code is None:
            if len(self._codes) >= 255:
                return 255  # past 255 distinct pairs (a faulty mock's data): never matched
            code = self._codes[pair] = len(self._codes)
            self._tables.clear()
        return code

    def _table(self, statuses: frozenset[str] | None, priorities: frozenset[str] | None) -> bytes:
        """A `bytes.translate` table: 1 for the class codes the filters keep, else 0."""
        table = self._tables.get((statuses, priorities))
        if table is None:
            kept = bytearray(256)
            for (status, priority), code in self._codes.items():
                if (statuses is None or status in statuses) and (
                    priorities is None or priority in priorities
                ):
                    kept[code] = 1
            table = bytes(kept)
            if len(self._tables) > 256:
                self._tables.clear()
            self._tables[(statuses, priorities)] = table
        return table


def _arrivals_within(order: _Order, low: int, high: int, shift: int) -> Mask:
    """1 for each record of `order` that arrived from `low` to `high`, else 0."""
    low_band, high_band = low >> shift, high >> shift
    table = bytearray(256)
    table[low_band : high_band + 1] = b"\x02" * (high_band + 1 - low_band)
    table[low_band + 1 : high_band] = b"\x01" * max(0, high_band - low_band - 1)
    keep = bytearray(order.bands.translate(table))
    records = order.records
    at = keep.find(2)
    while at != -1:
        keep[at] = low <= records[at][SEQ] <= high
        at = keep.find(2, at + 1)
    return bytes(keep)


def _both(first: Mask, second: Mask) -> bytes:
    """The byte-wise AND of two masks of 0 and 1 bytes, in C (as two big integers)."""
    size = len(first)
    return (int.from_bytes(first, "big") & int.from_bytes(second, "big")).to_bytes(size, "big")


#: Records scanned per step when a page is looked for in a mask (`_page`).
_BLOCK = 4096


def _page(
    records: Sequence[Record],
    keep: Mask | None,
    total: int,
    descending: bool,
    skip: int,
    limit: int,
) -> list[Record]:
    """Matches `skip` to `skip + limit` of the `total` records that `keep` keeps (all:
    None), in the order of `records` or its reverse. Only the page is built: blocks of
    the mask are counted (in C) up to the page, and only its blocks are walked."""
    if descending:  # the same page counted from the other end, then turned round
        low, high = max(0, total - skip - limit), total - skip
    else:
        low, high = skip, min(total, skip + limit)
    if low >= high:
        return []
    if keep is None:
        shown = list(records[low:high])
    else:
        start, rank, size = 0, 0, len(records)
        while start < size:  # the block where the page begins
            found = keep.count(1, start, start + _BLOCK)
            if rank + found > low:
                break
            rank += found
            start += _BLOCK
        shown = []
        while start < size and rank < high:
            block = list(
                itertools.compress(records[start : start + _BLOCK], keep[start : start + _BLOCK])
            )
            if rank + len(block) > low:
                shown += block[max(0, low - rank) : high - rank]
            rank += len(block)
            start += _BLOCK
    if descending:
        shown.reverse()
    return shown


def _page_with_ties(
    records: Sequence[Record], keep: Mask | None, total: int, query: Query, beyond: int
) -> list[Record]:
    """The page when later sort keys order the ties of the first: the page in the first
    key's order, widened to every record whose first key lies within the page's (a range
    of `records`, found by bisection), sorted by all the keys, then cut again."""
    (primary, descending), field = query.sort[0], _SORT_FIELDS[query.sort[0][0]]
    page = _page(records, keep, total, descending, query.skip, query.limit)
    if not page:
        return []
    ends = sorted((page[0][field], page[-1][field]))
    start = bisect.bisect_left(records, (ends[0], -1), key=_KEYS[primary])
    end = bisect.bisect_right(records, (ends[1], beyond), key=_KEYS[primary])
    run = list(
        records[start:end]
        if keep is None
        else itertools.compress(records[start:end], keep[start:end])
    )
    before = start if keep is None else keep.count(1, 0, start)  # matches before the run
    if descending:  # full ties keep the order of one key descending: latest arrival first
        run.reverse()
    for key, reverse in reversed(query.sort):  # stable sorts, the last key first
        run.sort(key=itemgetter(_SORT_FIELDS[key]), reverse=reverse)
    shown_from = total - before - len(run) if descending else before
    offset = query.skip - shown_from
    return run[offset : offset + query.limit]
