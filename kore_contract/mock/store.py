"""The mock's campaigns, per stream and account; safe to use from several threads.

A campaign is kept as its name and its `data` already encoded as JSON: a get answers it
without encoding again, and tens of thousands of stored campaigns add no objects for the
garbage collector to walk (a walk over object graphs that size is a p99 latency spike).

The store is bounded (kore_contract.mock.limits): a campaign that would take it past its
count or its bytes is not added, and `add` says why (`StoreFull`); deletes free room.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from kore_contract.mock.limits import MAX_CAMPAIGNS, MAX_STORED_BYTES

Stored = tuple[str, bytes]  # (name, the campaign's `data` as JSON)


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
            held = (f"this campaign's {self.needed_bytes:,} bytes would take it past "
                    f"{self.max_bytes:,} bytes (it holds {self.stored_bytes:,} bytes in "
                    f"{self.campaigns:,} campaigns)")
        return (f"the mock's store is full: {held}; delete campaigns (DELETE "
                ".../campaign/{campaignId}) or restart the mock, or start it with a higher "
                "--max-campaigns or --max-store-mb")


def _size(campaign_id: str, name: str, data: bytes) -> int:
    return len(data) + len(name) + len(campaign_id)


class Store:
    def __init__(self, *, max_campaigns: int = MAX_CAMPAIGNS,
                 max_bytes: int = MAX_STORED_BYTES) -> None:
        self.max_campaigns = max_campaigns
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._campaigns: dict[tuple[str, str], dict[str, Stored]] = {}
        self._count = 0
        self._bytes = 0

    def add(self, stream_id: str, account_id: str, campaign_id: str, name: str,
            data: bytes) -> StoreFull | None:
        """Store the campaign; None, or why it did not fit (nothing changed then)."""
        size = _size(campaign_id, name, data)
        with self._lock:
            held = self._campaigns.get((stream_id, account_id))
            replaced = held.get(campaign_id) if held is not None else None
            freed = _size(campaign_id, *replaced) if replaced is not None else 0
            count = self._count + (replaced is None)
            total = self._bytes - freed + size
            if count > self.max_campaigns or total > self.max_bytes:
                return StoreFull(self._count, self._bytes, size, self.max_campaigns,
                                 self.max_bytes)
            if held is None:
                held = self._campaigns[(stream_id, account_id)] = {}
            held[campaign_id] = (name, data)
            self._count, self._bytes = count, total
            return None

    def get(self, stream_id: str, account_id: str, campaign_id: str) -> Stored | None:
        with self._lock:
            return self._campaigns.get((stream_id, account_id), {}).get(campaign_id)

    def delete(self, stream_id: str, account_id: str, campaign_id: str) -> Stored | None:
        with self._lock:
            held = self._campaigns.get((stream_id, account_id))
            found = held.pop(campaign_id, None) if held is not None else None
            if held is not None and not held:  # no empty groups left behind
                del self._campaigns[(stream_id, account_id)]
            if found is not None:
                self._count -= 1
                self._bytes -= _size(campaign_id, *found)
            return found

    def count(self) -> int:
        with self._lock:
            return self._count

    def stored_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._campaigns.clear()
            self._count = self._bytes = 0
