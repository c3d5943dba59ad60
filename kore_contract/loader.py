"""Read payloads strictly: UTF-8 JSON, no NaN, duplicated keys remembered, size bounded.

Python's `json` keeps the last of duplicated keys and accepts NaN; a payload checker must
not. Unreadable input is a value, not a crash: every path gets a result.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # optional: a parse 3x faster than json's, used only where it provably agrees
    import orjson as _orjson
except ImportError:  # pragma: no cover - json alone gives the same answers
    _orjson = None  # type: ignore[assignment]

MAX_BYTES = 10 * 1024 * 1024  # a create body is a few KB; this is far beyond any real one


@dataclass(frozen=True)
class Unreadable:
    """Why a path or body could not be read as JSON (not a rule violation)."""

    reason: str


@dataclass(frozen=True)
class Parsed:
    payload: Any
    duplicate_keys: tuple[str, ...] = ()  # JSON pointers of keys that occur twice


class _DuplicatesSeen(dict[str, Any]):
    """A JSON object in which some key occurred more than once."""

    duplicates: list[str]


class _Decoder(json.JSONDecoder):
    """Marks objects with duplicated keys; `seen_duplicates` says whether any was found.

    Building one costs more than a small parse, so each thread keeps one (`_decoder()`)
    and resets the flag before each parse.
    """

    def __init__(self) -> None:
        super().__init__(object_pairs_hook=self._pairs_to_object, parse_constant=_refuse_constant)
        self.seen_duplicates = False

    def _pairs_to_object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) == len(pairs):
            return result
        self.seen_duplicates = True
        marked = _DuplicatesSeen(result)
        seen: set[str] = set()
        marked.duplicates = []
        for key, _ in pairs:
            if key in seen:
                marked.duplicates.append(key)
            seen.add(key)
        return marked


_local = threading.local()


def _decoder() -> _Decoder:
    decoder: _Decoder | None = getattr(_local, "decoder", None)
    if decoder is None:
        decoder = _local.decoder = _Decoder()
    decoder.seen_duplicates = False
    return decoder


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def parse_json(data: bytes | str) -> Parsed | Unreadable:
    """Parse a payload; never raises for bad input."""
    if isinstance(data, bytes):
        if _orjson is not None and len(data) <= MAX_BYTES:
            fast = _parse_plain(data)
            if fast is not None:
                return fast
        if len(data) > MAX_BYTES:
            return Unreadable(
                f"{len(data) / 1e6:.1f} MB is larger than the {MAX_BYTES // 2**20} MB limit "
                "(a create body is a few KB)"
            )
        if data.startswith(b"\xef\xbb\xbf"):
            return Unreadable("starts with a byte-order mark; save it as UTF-8 without BOM")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            return Unreadable(f"not UTF-8 (byte {error.start}: 0x{data[error.start]:02x})")
    else:
        text = data
    if not text.strip():
        return Unreadable("empty: expected a JSON object")
    decoder = _decoder()
    try:
        payload = decoder.decode(text)
    except json.JSONDecodeError as error:
        return Unreadable(f"not JSON: {error.msg} (line {error.lineno}, column {error.colno})")
    except ValueError as error:  # NaN, Infinity
        return Unreadable(f"not JSON: {error}")
    except RecursionError:
        return Unreadable("not usable JSON: nested too deeply")
    if ("\\ud" in text or "\\uD" in text) and _has_lone_surrogate(payload):
        return Unreadable("not UTF-8 text: a \\uXXXX escape is half of a surrogate pair")
    if not decoder.seen_duplicates:
        return Parsed(payload)
    return Parsed(payload, tuple(sorted(_duplicate_pointers(payload))))


# Bytes to b"0" for a digit, b" " for any other: a run of 19 zeros is a number orjson may
# read as a float (past 64 bits) where json keeps an int.
_DIGITS = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_LONG_NUMBER = b"0" * 19


def _parse_plain(data: bytes) -> Parsed | None:
    """orjson's parse of a body where it provably equals `_Decoder`'s, else None.

    Taken only without a backslash (so every string is its bytes as written: no escape can
    make a lone surrogate or a colon) and without a 19-digit run (so every integer is one
    orjson keeps exact). orjson refuses what json refuses here (NaN, a BOM, bad UTF-8,
    bad syntax): those go the slow way, which says why. Duplicated keys: orjson keeps one
    pair of each, and serialising its result writes strings exactly as read, so a
    serialisation with fewer colons than the input lost a pair, and one with as many did
    not (every pair has a colon of its own).
    """
    if b"\\" in data or _LONG_NUMBER in data.translate(_DIGITS):
        return None
    try:
        payload = _orjson.loads(data)
        if data.count(b":") != _orjson.dumps(payload).count(b":"):
            return None  # duplicated keys: the slow parse names them
    except (ValueError, TypeError, RecursionError):  # orjson's decode and encode errors
        return None
    return Parsed(payload)


def _has_lone_surrogate(payload: Any) -> bool:
    """Whether some string (key or value) holds a lone surrogate, which UTF-8 cannot encode."""
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _duplicate_pointers(payload: Any) -> Iterator[str]:
    from kore_contract.spec import escape_token

    stack: list[tuple[str, Any]] = [("", payload)]
    while stack:
        pointer, value = stack.pop()
        if isinstance(value, dict):
            if isinstance(value, _DuplicatesSeen):
                yield from (f"{pointer}/{escape_token(key)}" for key in value.duplicates)
            stack.extend((f"{pointer}/{escape_token(k)}", v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{pointer}/{i}", v) for i, v in enumerate(value))


def read_bytes(path: Path | str) -> bytes | Unreadable:
    # Three system calls for a regular file (open, fstat, read and close), no file object.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return _read_bytes_slowly(path)  # the error, told as below
    try:
        status = os.fstat(fd)
        size = status.st_size
        if not stat.S_ISREG(status.st_mode):
            return _read_bytes_slowly(path)  # a folder, a pipe: as below
        if size > MAX_BYTES:
            return Unreadable(
                f"{size / 1e6:.1f} MB is larger than the {MAX_BYTES // 2**20} MB limit "
                "(a create body is a few KB)"
            )
        data = os.read(fd, size + 1)
        if len(data) > size:  # grown since fstat: read the rest as below
            return _read_bytes_slowly(path)
        return data
    except OSError:
        return _read_bytes_slowly(path)
    finally:
        os.close(fd)


def _read_bytes_slowly(path: Path | str) -> bytes | Unreadable:
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_BYTES:
                return Unreadable(
                    f"{size / 1e6:.1f} MB is larger than the {MAX_BYTES // 2**20} MB limit "
                    "(a create body is a few KB)"
                )
            return handle.read()
    except FileNotFoundError:
        return Unreadable("no such file or folder")
    except IsADirectoryError:
        return Unreadable("is a folder")
    except PermissionError:
        return Unreadable("permission denied")
    except OSError as error:
        return Unreadable(f"cannot read: {error.strerror or error}")


def expand_paths(arguments: Iterable[str]) -> Iterator[tuple[str, Path | Unreadable | None]]:
    """Each argument as (display name, file path); `-` is standard input (path None).

    A folder yields every `*.json` below it, sorted, but `manifest.json` (fuzz's corpus
    manifest; name it as a file to check it); a folder with none is Unreadable.
    """
    for name, path in expand_names(arguments):
        yield name, Path(path) if isinstance(path, str) else path


def expand_names(arguments: Iterable[str]) -> Iterator[tuple[str, str | Unreadable | None]]:
    """`expand_paths` with each file's path as the string it is named by (no Path objects:
    a large folder is expanded faster)."""
    for argument in arguments:
        if argument == "-":
            yield "-", None
            continue
        if os.path.isdir(argument):
            found = sorted(_json_files(argument))
            if not found:
                yield argument, Unreadable("folder holds no *.json file")
            for file in found:
                yield file, file
        elif os.path.exists(argument):
            yield argument, argument
        else:
            yield argument, Unreadable("no such file or folder")


#: `kore-contract fuzz` writes this beside its payloads; a folder's expansion skips it.
CORPUS_MANIFEST = "manifest.json"


def _json_files(folder: str) -> Iterator[str]:
    """Every regular `*.json` file below `folder` (symlinks to files included), but the
    corpus manifest of `kore-contract fuzz`."""
    pending = [folder]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    name = entry.name  # a file first: most entries are (a folder is no file)
                    if name.endswith(".json") and name != CORPUS_MANIFEST and entry.is_file():
                        yield entry.path
                    elif entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
        except OSError:
            continue  # a sub-folder we may not read: its files are not found, as with rglob


def read_stdin() -> bytes:
    return sys.stdin.buffer.read(MAX_BYTES + 1)
