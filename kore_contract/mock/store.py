"""The mock's campaigns, per stream and account; safe to use from several threads."""

from __future__ import annotations

import threading
from typing import Any

Campaign = dict[str, Any]


class Store:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._campaigns: dict[tuple[str, str], dict[str, Campaign]] = {}

    def add(self, stream_id: str, account_id: str, campaign: Campaign) -> None:
        with self._lock:
            self._campaigns.setdefault((stream_id, account_id), {})[campaign["_id"]] = campaign

    def get(self, stream_id: str, account_id: str, campaign_id: str) -> Campaign | None:
        with self._lock:
            return self._campaigns.get((stream_id, account_id), {}).get(campaign_id)

    def delete(self, stream_id: str, account_id: str, campaign_id: str) -> Campaign | None:
        with self._lock:
            return self._campaigns.get((stream_id, account_id), {}).pop(campaign_id, None)

    def count(self) -> int:
        with self._lock:
            return sum(len(campaigns) for campaigns in self._campaigns.values())

    def clear(self) -> None:
        with self._lock:
            self._campaigns.clear()
