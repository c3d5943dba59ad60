"""The ledger of a run's campaigns: every create, on disk before it is sent and once answered.

A JSON-lines file, appended to (one `write` per line), six kinds of line:

- `{"intent": KEY, "name": NAME, "base_url": ..., "stream_id": ..., "account_id": ..., "iid": ...}`
  before a create is sent (the run-prefixed name; never a token);
- `{"created": ID, "from_intent": KEY, "name": NAME, "base_url": ..., ...}` when the answer names
  the campaign;
- `{"answered": KEY, "status": 400}` when the server answered a create without creating;
- `{"started": ID}` and `{"stopped": ID}` when a start or a stop was answered 2xx (a campaign
  last started is Active: cleanup stops it before deleting it, T5);
- `{"deleted": ID}` once the campaign is gone.

An intent with neither a `created` nor an `answered` line is a create whose answer never came
(a SIGKILL, a timeout): the campaign may exist, known only by its name. `kore-contract cleanup`
reads the ledger after a crash: it deletes what is created and not deleted, and reports those
names. Bad lines (a truncated last line, a hand edit) are skipped and reported, never fatal.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kore_contract.run.target import Target

#: The line kinds, by their key.
KINDS = ("intent", "created", "answered", "started", "stopped", "deleted")
#: The state a start or a stop line leaves the campaign in.
STATE_OF = {"started": "Active", "stopped": "Stopped"}
#: What an intent and a created line must say about where the campaign is.
WHERE = ("base_url", "stream_id", "account_id", "iid")
#: Names are recorded up to this length (a server keeps at most 48 characters).
NAME_LIMIT = 256

Entry = dict[str, Any]


def where(target: Target) -> dict[str, str]:
    return {
        "base_url": target.base_url,
        "stream_id": target.stream_id,
        "account_id": target.account_id,
        "iid": target.iid,
    }


def campaign_name(body: Any, raw: bytes | None = None) -> str | None:
    """The name a create sends (from the body, or from raw bytes that are JSON), if any."""
    if raw is not None:
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            return None
    name = body.get("name") if isinstance(body, dict) else None
    return name[:NAME_LIMIT] if isinstance(name, str) else None


class Ledger:
    """The campaigns a run creates: intents, creates and deletes, on disk as they happen.

    `pending` holds the campaigns created and not deleted (by id), `unresolved` the creates
    sent and not answered (by intent key).
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.pending: dict[str, Entry] = {}
        self.unresolved: dict[str, Entry] = {}
        self.lock = threading.Lock()
        self._run = secrets.token_hex(8)
        self._numbers = itertools.count(1)
        self._line_start_checked = False

    def _append(self, entry: Mapping[str, Any]) -> None:
        if self.path is None:
            return
        line = json.dumps(entry, ensure_ascii=True) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if not self._line_start_checked:
                line = self._newline_if_cut(descriptor) + line
                self._line_start_checked = True
            os.write(descriptor, line.encode("ascii"))
        finally:
            os.close(descriptor)

    def _newline_if_cut(self, descriptor: int) -> str:
        """A newline when the file ends inside a line (a killed run): ours starts a new one."""
        size = os.fstat(descriptor).st_size
        if size == 0:
            return ""
        return "" if os.pread(descriptor, 1, size - 1) == b"\n" else "\n"

    def intent(self, name: str | None, target: Target) -> str:
        """Record a create about to be sent; its key, for `created` or `answered`."""
        key = f"{self._run}-{next(self._numbers)}"
        entry = {"intent": key, "name": name, **where(target)}
        with self.lock:
            self.unresolved[key] = entry
            self._append(entry)
        return key

    def created(
        self,
        campaign_id: str,
        target: Target,
        *,
        intent: str | None = None,
        name: str | None = None,
    ) -> None:
        """Record a created campaign (once: a second call for the same id writes nothing)."""
        entry: Entry = {"created": campaign_id, "name": name, **where(target)}
        if intent is not None:
            entry["from_intent"] = intent
        with self.lock:
            if intent is not None:
                self.unresolved.pop(intent, None)
            if campaign_id in self.pending:
                return
            self.pending[campaign_id] = entry
            self._append(entry)

    def answered(self, intent: str, status: int) -> None:
        """Record that a create was answered without creating a campaign."""
        with self.lock:
            if self.unresolved.pop(intent, None) is not None:
                self._append({"answered": intent, "status": status})

    def state_changed(self, campaign_id: str, state: str) -> None:
        """Record a start ("Active") or a stop (any other state) of a campaign of this run."""
        kind = "started" if state == "Active" else "stopped"
        with self.lock:
            entry = self.pending.get(campaign_id)
            if entry is not None:
                entry["state"] = STATE_OF[kind]
                self._append({kind: campaign_id})

    def deleted(self, campaign_id: str) -> None:
        with self.lock:
            if self.pending.pop(campaign_id, None) is not None:
                self._append({"deleted": campaign_id})

    @staticmethod
    def read_pending(path: Path) -> list[Entry]:
        """The campaigns created and not deleted (bad lines skipped: see `read_ledger`)."""
        return read_ledger(path).pending


# --- reading a ledger back ---------------------------------------------------------------------


class LedgerError(Exception):
    """The ledger cannot be read at all (missing, not a regular file, unreadable)."""


@dataclass(frozen=True)
class BadLine:
    number: int
    problem: str


@dataclass
class LedgerState:
    """What a ledger says is left: created and not deleted, sent and never answered."""

    pending: list[Entry] = field(default_factory=list)
    unresolved: list[Entry] = field(default_factory=list)
    bad_lines: list[BadLine] = field(default_factory=list)


def read_ledger(path: Path) -> LedgerState:
    """Replay the ledger; bad lines are skipped and listed. LedgerError if it cannot be read."""
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise LedgerError(f"{path}: not a regular file")
        with path.open("rb") as handle:
            lines = handle.read().split(b"\n")
    except OSError as error:
        raise LedgerError(f"{path}: cannot read the ledger: {error.strerror or error}") from None
    replay = _Replay()
    last = len(lines)  # the text after the final "\n" ("" when the file ends with one)
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        entry = _parse_line(raw, cut=number == last)
        if isinstance(entry, str):
            replay.bad_lines.append(BadLine(number, entry))
        else:
            replay.apply(entry)
    return replay.result()


def _parse_line(raw: bytes, *, cut: bool) -> Entry | str:
    """The line's object, or what is wrong with it."""
    try:
        entry = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except (ValueError, RecursionError) as error:
        if cut:
            return "truncated (the run was stopped while writing it)"
        return f"not JSON ({str(error)[:80]})"
    if not isinstance(entry, dict):
        return "not a JSON object"
    kinds = [kind for kind in KINDS if kind in entry]
    if len(kinds) != 1:
        return f"needs exactly one of the keys {', '.join(KINDS)}"
    return _line_problem(kinds[0], entry) or entry


def _line_problem(kind: str, entry: Entry) -> str | None:
    if not isinstance(entry[kind], str) or not entry[kind]:
        return f"'{kind}' must be a non-empty string"
    if kind in ("intent", "created"):
        missing = [key for key in WHERE if not isinstance(entry.get(key), str)]
        if missing:
            return f"a '{kind}' line needs {', '.join(missing)} (strings)"
        if entry.get("name") is not None and not isinstance(entry["name"], str):
            return "'name' must be a string"
    return None


class _Replay:
    """The ledger's lines applied in order: intent -> created/answered -> deleted."""

    def __init__(self) -> None:
        self.pending: dict[str, Entry] = {}
        self.unresolved: dict[str, Entry] = {}
        self.bad_lines: list[BadLine] = []

    def apply(self, entry: Entry) -> None:
        if "intent" in entry:
            self.unresolved[entry["intent"]] = entry
        elif "created" in entry:
            intent = entry.get("from_intent")
            if isinstance(intent, str):
                self.unresolved.pop(intent, None)
            self.pending[entry["created"]] = entry
        elif "answered" in entry:
            self.unresolved.pop(entry["answered"], None)
        elif "started" in entry or "stopped" in entry:
            kind = "started" if "started" in entry else "stopped"
            if entry[kind] in self.pending:
                self.pending[entry[kind]] = {**self.pending[entry[kind]], "state": STATE_OF[kind]}
        else:
            self.pending.pop(entry["deleted"], None)

    def result(self) -> LedgerState:
        return LedgerState(
            list(self.pending.values()), list(self.unresolved.values()), self.bad_lines
        )
