"""The ledger of a run's campaigns: every campaign the run creates, on disk before the run goes on.

`kore-contract cleanup` reads it after a crash and deletes what is left.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kore_contract.client import Target


class Ledger:
    """The campaigns a run created, written to disk before the run goes on.

    A JSON-lines file: `{"created": id, ...}` and later `{"deleted": id}`. `kore-contract
    cleanup` deletes what is created and not deleted.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.pending: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()

    def _append(self, entry: Mapping[str, str]) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
            handle.flush()

    def created(self, campaign_id: str, target: Target) -> None:
        entry = {"created": campaign_id, "base_url": target.base_url,
                 "stream_id": target.stream_id, "account_id": target.account_id,
                 "iid": target.iid}
        with self.lock:
            self.pending[campaign_id] = entry
            self._append(entry)

    def deleted(self, campaign_id: str) -> None:
        with self.lock:
            if self.pending.pop(campaign_id, None) is not None:
                self._append({"deleted": campaign_id})

    @staticmethod
    def read_pending(path: Path) -> list[dict[str, str]]:
        pending: dict[str, dict[str, str]] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            if "created" in entry:
                pending[entry["created"]] = entry
            elif "deleted" in entry:
                pending.pop(entry["deleted"], None)
        return list(pending.values())
