"""The mock's campaigns, per stream and account; safe to use from several threads.

A campaign is kept as its name and its `data` already encoded as JSON: a get answers it
without encoding again, and tens of thousands of stored campaigns add no objects for the
garbage collector to walk (a walk over object graphs that size is a p99 latency spike).
"""

from __future__ import annotations

import threading

Stored = tuple[str, bytes]  # (name, the campaign's `data` as JSON)


class Store:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._campaigns: dict[tuple[str, str], dict[str, Stored]] = {}

    def add(self, stream_id: str, account_id: str, campaign_id: str, name: str,
            data: bytes) -> None:
        with self._lock:
            self._campaigns.setdefault((stream_id, account_id), {})[campaign_id] = (name, data)

    def get(self, stream_id: str, account_id: str, campaign_id: str) -> Stored | None:
        with self._lock:
            return self._campaigns.get((stream_id, account_id), {}).get(campaign_id)

    def delete(self, stream_id: str, account_id: str, campaign_id: str) -> Stored | None:
        with self._lock:
            return self._campaigns.get((stream_id, account_id), {}).pop(campaign_id, None)

    def count(self) -> int:
        with self._lock:
            return sum(len(campaigns) for campaigns in self._campaigns.values())

    def clear(self) -> None:
        with self._lock:
            self._campaigns.clear()
