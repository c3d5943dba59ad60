"""The mock's log lines: printable (no terminal control from a request) and bounded.

`printable` escapes what a client could smuggle into a log line (ANSI and OSC sequences,
CR and LF that forge a line of their own); `RateLimitedLog` writes a repeated server error
once per interval, then how many more there were, so that a flood (a file-descriptor
exhaustion, a client that trips one bug a thousand times a second) costs a line, not a
disk.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from kore_contract.mock.limits import LOG_INTERVAL

# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: Characters of one rate-limited error line.
MAX_ERROR_CHARS = 5000


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str, limit: int) -> str:
    """`text` for one log line: control characters escaped, at most `limit` characters."""
    if len(text) > limit:
        text = f"{text[:limit]}...({len(text):,} characters)"
    return _CONTROL.sub(_escape, text)


class RateLimitedLog:
    """Writes the first error of a kind, then at most one line per `interval` seconds for
    that kind, saying how many more there were. Safe to use from several threads."""

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        interval: float = LOG_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._kinds: dict[str, tuple[float, int]] = {}  # kind: (last written, not written)

    def error(self, kind: str, message: str) -> None:
        now = self._clock()
        with self._lock:
            last, suppressed = self._kinds.get(kind, (now - self._interval, 0))
            if now - last < self._interval:
                self._kinds[kind] = (last, suppressed + 1)
                return
            if len(self._kinds) > 1000:  # kinds come from exception types: few; bound anyway
                self._kinds.clear()
            self._kinds[kind] = (now, 0)
        line = message if len(message) <= MAX_ERROR_CHARS else message[:MAX_ERROR_CHARS] + "..."
        if suppressed:
            line += f" ({suppressed} more like it in the last {now - last:.0f} s, not written)"
        self._write(line)
