"""The options of a contract run and their defaults, stated once: `kore-contract test` and
the pytest plugin both build a `SessionOptions`; `CannotRun` says why a run with them could
not be made. This module stays light: the command line reads its defaults at start."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_STREAM_ID = "st-kore-contract-stream"
DEFAULT_ACCOUNT_ID = "kore-contract-account"
DEFAULT_IID = "st-kore-contract-app"
DEFAULT_MAX_EXAMPLES = 25
DEFAULT_SEED = 0
DEFAULT_REPORT_DIR = "reports"
#: Seconds for a whole call: connect, headers and body.
DEFAULT_TIMEOUT = 10.0
#: Requests a second on a server that is not loopback, unless a rate is given.
LIVE_DEFAULT_RATE = 5.0
LEDGER_NAME = "ledger.jsonl"


@dataclass(frozen=True)
class SessionOptions:
    """Everything a contract run is told, with its default (the command's options and the
    plugin's `--kore-*` options both end here)."""

    base_url: str | None = None  # None: the embedded mock
    stream_id: str = DEFAULT_STREAM_ID
    account_id: str = DEFAULT_ACCOUNT_ID
    iid: str = DEFAULT_IID
    client_id: str | None = None
    client_secret: str | None = None
    token: str | None = None
    fixture: str | None = None  # None: the bundled example
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int = DEFAULT_SEED
    report_dir: Path = Path(DEFAULT_REPORT_DIR)  # the ledger goes here (and the reports)
    timeout: float = DEFAULT_TIMEOUT
    rate: float | None = None  # requests a second; None: no cap on loopback, else 5
    allow_writes: bool = False  # create campaigns on a server that is not loopback
    #: start campaigns on a server that is not loopback (only those whose contact lists the
    #: fixture marks sendableContactLists): a started campaign sends real messages
    allow_sends: bool = False
    fuzz: bool = True  # the schemathesis phase
    fault: str | None = None  # a defect for the embedded mock to show (its self-test)
    flags: str = "--"  # how the shell spells its options in messages ("--kore-": the plugin)

    @property
    def ledger_path(self) -> Path:
        return Path(self.report_dir) / LEDGER_NAME

    def flag(self, name: str) -> str:
        return f"{self.flags}{name}"


def start_refusal(
    options: SessionOptions,
    base_url: str,
    loopback: bool,
    contact_lists: object,
    sendable: tuple[str, ...],
) -> str | None:
    """Why a campaign with these contact lists may not be started on `base_url`, or None.

    On loopback anything may start (the embedded mock or a local server sends nothing). On
    any other server a start sends real messages: it needs allow_sends, and every contact
    list of the campaign among the fixture's `sendableContactLists`.
    """
    if loopback:
        return None
    if not options.allow_sends:
        return (
            f"not started: {base_url} is not loopback and a start sends real messages; "
            f"pass {options.flag('allow-sends')} (or KORE_ALLOW_SENDS=1) to start "
            "campaigns on the fixture's sendableContactLists"
        )
    lists = contact_lists if isinstance(contact_lists, list) else []
    if not lists or not all(name in sendable for name in lists):
        return (
            "not started: the campaign's contact lists are not all among the fixture's "
            "sendableContactLists"
        )
    return None


class CannotRun(Exception):
    """The run could not be made; the message (one line) says why and what to do."""
