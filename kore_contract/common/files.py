"""Files written whole, and JSON read with a depth bound (a user's file is read by the
loader, `kore_contract.contract.loader.read_json_file`).

- `write_atomic`: a report, a ledger or any output is written whole or not at all (a reader,
  or the next run, never finds half a file).
- `nesting`: how deep a JSON value goes, so that a reader can refuse what no writer or
  walker could take.
"""

from __future__ import annotations

import contextlib
import os
import secrets
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
                view = view[os.write(fd, view) :]
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


def nesting(value: Any) -> int:
    """How many arrays and objects deep `value` goes (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest
