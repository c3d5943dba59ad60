"""The mock's limits, in one place: `kore-contract mock --help` prints them from here.

Each bounds what one client (or a flood of them) can make the mock hold or spend. Past a
limit the mock answers a JSON refusal, like every other refusal, or closes an idle socket.
"""

from __future__ import annotations

from dataclasses import dataclass

#: A create body is a few KB; a larger one is refused 413.
MAX_BODY_BYTES = 1024 * 1024
#: Seconds to send a body once the head is in; then 408.
BODY_TIMEOUT = 30.0
#: Seconds a connection may take to send a complete request head (line and headers),
#: counted from when it opens or from the end of its previous answer; then it is closed
#: (with a 408 if it had begun one). Bytes arriving do not restart the clock.
HEADER_TIMEOUT = 10.0
#: Seconds an idle keep-alive connection stays open after an answer.
KEEP_ALIVE_TIMEOUT = 5.0
#: Connections held at once. Past it a new connection closes the longest-idle one (no
#: request in progress), or is answered 503 if every connection is busy. Never more than
#: the open-file limit allows (see `connection_budget`).
MAX_CONNECTIONS = 1000
#: Connections the system queues for the mock to accept (the listen backlog).
LISTEN_BACKLOG = 2048
#: Connections accepted in one go; fewer under a low file limit.
ACCEPT_BURST = 128
#: File descriptors kept for everything else (listener, logs, the loop's own).
RESERVED_FILES = 32
#: The request target (path and query); a longer one is refused 414.
MAX_URL_BYTES = 8 * 1024
#: Headers of one request; more are refused 431.
MAX_HEADER_COUNT = 100
#: Bytes of one request head (line and headers); more are refused 431.
MAX_HEAD_BYTES = 32 * 1024
#: Campaigns held (all streams and accounts); a create past it is refused 409.
MAX_CAMPAIGNS = 100_000
#: Bytes of campaigns held (their JSON); a create past it is refused 409.
MAX_STORED_BYTES = 256 * 1024 * 1024
#: Campaigns in one list page when the body names no `limit` (L1: optional).
DEFAULT_LIST_LIMIT = 50
#: Campaigns in one list page at most: a larger `limit` is capped to it, and the answer's
#: `limit` says so (L2, L3 count pages with the answered limit).
MAX_LIST_LIMIT = 1000
#: Violations listed in one refusal; the last entry says how many more there were.
MAX_ERRORS_LISTED = 50
#: Characters of one error message in a refusal.
MAX_MESSAGE_CHARS = 1000
#: Bodies larger than this are parsed and validated off the event loop, so that a costly
#: one never delays other clients (smaller ones cost less than the hand-over).
OFFLOAD_BYTES = 8 * 1024
#: Seconds between two log lines about the same repeated server error (with a count).
LOG_INTERVAL = 10.0


@dataclass(frozen=True)
class ServerLimits:
    """The connection-level limits of one running mock (tests shorten them)."""

    header_timeout: float = HEADER_TIMEOUT
    keep_alive_timeout: float = KEEP_ALIVE_TIMEOUT
    max_connections: int = MAX_CONNECTIONS
    max_url_bytes: int = MAX_URL_BYTES
    max_header_count: int = MAX_HEADER_COUNT
    max_head_bytes: int = MAX_HEAD_BYTES


def connection_budget(wanted: int, open_files: int | None) -> tuple[int, int]:
    """(connections held at most, connections accepted in one go) within the open-file
    limit. An accept past the limit fails (EMFILE), and asyncio then retries it in a loop
    that floods the log; a connection accepted counts only a few loop turns after, so
    held and accepted connections together stay well under the limit."""
    if open_files is None:
        return wanted, ACCEPT_BURST
    available = max(64, open_files - RESERVED_FILES)
    return max(8, min(wanted, available // 2)), max(8, min(ACCEPT_BURST, available // 8))


def _size(count: int) -> str:
    return f"{count // 2**20} MB" if count % 2**20 == 0 else f"{count // 1024} KB"


def describe() -> str:
    """The limits as the help text prints them."""
    return (
        f"limits: a body of at most {_size(MAX_BODY_BYTES)} (413), sent within "
        f"{BODY_TIMEOUT:.0f} s (408); a request head within {HEADER_TIMEOUT:.0f} s of "
        f"connecting (else closed, 408 if begun), of at most {MAX_HEADER_COUNT} headers and "
        f"{_size(MAX_HEAD_BYTES)} (431), its target at most {_size(MAX_URL_BYTES)} "
        f"(414); at most {MAX_CONNECTIONS:,} connections (past it the longest-idle one is "
        f"closed; 503 if all are busy); the store holds at most {MAX_CAMPAIGNS:,} campaigns "
        f"and {MAX_STORED_BYTES // 2**20} MB of them (--max-campaigns, --max-store-mb; past "
        f"it a create is refused 409 until campaigns are deleted); a list page holds at "
        f"most {MAX_LIST_LIMIT:,} campaigns (a larger limit is capped, and the answer's "
        f"limit says so; {DEFAULT_LIST_LIMIT} when none is given); a refusal lists at most "
        f"{MAX_ERRORS_LISTED} violations and says how many more there were."
    )
