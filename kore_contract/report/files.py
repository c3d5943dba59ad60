"""Write a report whole or not at all (a reader, or the next run, never finds half a file);
read a user's file only if it is a regular one, and only so much of it."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path


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
