"""The files a report writes and reads, safely.

- `write_atomic`: a report is written whole or not at all (a reader, or the next run, never
  finds half a file).
- `read_regular`: a user's file is read only if it is a regular one, and only so much of it.
- `parse_strict`: its JSON only if every writer and walker can take it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import stat
import sys
from pathlib import Path
from typing import Any


def write_atomic(path: Path | str, text: str) -> Path:
    """Write `text` (UTF-8) to `path` through a temporary file in the same folder, flushed to
    disk, then renamed over `path`: on any failure `path` keeps what it held before and no
    temporary file is left. The new file's mode follows the umask, as `open` would."""
    path = Path(path)
    data = text.encode("utf-8")  # before anything is created: a bad text changes nothing
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(path.parent)
    return path


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable, where the system allows a folder to be synced."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class NotRegular(Exception):
    """A path that is not a regular file: the message names what it is (one line)."""


#: What `stat` says a path is, for the one-line refusal.
KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
         (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
         (stat.S_ISSOCK, "a socket"))


def read_regular(path: Path | str, limit: int) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them.

    Checked before it is opened, and opened without blocking, so that a FIFO with no writer,
    /dev/zero or a folder is refused at once (`NotRegular`); a file over `limit` bytes raises
    `NotRegular` too. Other failures raise `OSError` (no such file, permission denied).
    """
    _check_regular(os.stat(path).st_mode)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        status = os.fstat(fd)
        _check_regular(status.st_mode)  # the same file that was checked, not one put there since
        if status.st_size > limit:
            raise NotRegular(_too_big(status.st_size, limit))
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # it grew while read
                raise NotRegular(_too_big(size, limit))
        return b"".join(chunks)
    finally:
        os.close(fd)


def _check_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in KINDS if test(mode)), "a special file")
        raise NotRegular(f"not a regular file ({kind})")


def _too_big(size: int, limit: int) -> str:
    return f"{size / 1e6:.1f} MB, more than the {limit / 1e6:.0f} MB read at most"


class NotUsable(ValueError):
    """JSON text that is no usable JSON value; the message says why, on one line."""


def parse_strict(text: str, max_depth: int) -> Any:
    """The JSON value of `text`, strictly: no NaN or infinity, no integer of more digits than
    Python converts, at most `max_depth` arrays and objects deep (so that every walk over it
    is safe); `NotUsable` otherwise. Never raises anything else for any text."""
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_int=_integer,
                           parse_float=_finite)
    except json.JSONDecodeError as error:
        raise NotUsable(f"not JSON: {error.msg} (line {error.lineno}, column {error.colno})"
                        ) from None
    except RecursionError:
        raise NotUsable("not usable JSON: nested too deeply") from None
    except ValueError as error:  # raised by the hooks below
        raise NotUsable(f"not usable JSON: {error}") from None
    depth = nesting(value)
    if depth > max_depth:
        raise NotUsable(f"not usable JSON: nested too deeply ({depth} levels; at most "
                        f"{max_depth} are read)")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _integer(digits: str) -> int:
    count, limit = len(digits.lstrip("-")), sys.get_int_max_str_digits()
    if limit and count > limit:
        raise ValueError(f"an integer of {count:,} digits (one of more than {limit:,} digits "
                         "is not read)")
    return int(digits)


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is too large for a float")
    return number


def nesting(value: Any) -> int:
    """How many arrays and objects deep `value` goes (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children
                         if isinstance(child, dict | list))
    return deepest
