"""Read payloads strictly: UTF-8 JSON, no NaN, duplicated keys remembered, size bounded.

Python's `json` keeps the last of duplicated keys and accepts NaN; a payload checker must
not. Unreadable input is a value, not a crash: every path gets a result.

`read_json_file(path, limit=...)` is the one way a command reads a JSON file a user names
(a payload, a fixture, a results file): a regular file only (never a device, a pipe or a
socket, which could block or never end), at most `limit` bytes, parsed strictly.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import json
import os
import stat
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
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
        counts = Counter(map(itemgetter(0), pairs))  # counted in C: an object may be large
        marked.duplicates = [key for key, count in counts.items() if count > 1]
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


def too_large(size: int, limit: int = MAX_BYTES) -> Unreadable:
    if limit == MAX_BYTES:
        return Unreadable(
            f"{size / 1e6:.1f} MB is larger than the {MAX_BYTES // 2**20} MB limit "
            "(a create body is a few KB)"
        )
    return Unreadable(f"{size:,} bytes is larger than the limit of {limit:,} bytes")


def parse_json(data: bytes | str, *, limit: int = MAX_BYTES) -> Parsed | Unreadable:
    """Parse a payload; never raises for bad input."""
    if len(data) < 65536:
        return _parse_json(data, limit)
    with collector_paused():
        return _parse_json(data, limit)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off meanwhile (JSON makes no cycles): it would walk the
    objects a large payload is parsed into again and again (4x the parse of 150,000 nested
    objects). Only who turned it off turns it on, so concurrent parses leave it on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _parse_json(data: bytes | str, limit: int) -> Parsed | Unreadable:
    if isinstance(data, bytes):
        if len(data) > limit:
            return too_large(len(data), limit)
        if _orjson is not None:
            fast = _parse_plain(data)
            if fast is not None:
                return fast
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
    except ValueError as error:  # NaN, Infinity, an integer of more digits than int() takes
        if "integer string conversion" in str(error):
            return Unreadable(
                f"not usable JSON: a number with more than {sys.get_int_max_str_digits()} digits"
            )
        return Unreadable(f"not JSON: {error}")
    except RecursionError:
        return Unreadable("not usable JSON: nested too deeply")
    if ("\\ud" in text or "\\uD" in text) and _has_lone_surrogate(payload):
        return Unreadable("not UTF-8 text: a \\uXXXX escape is half of a surrogate pair")
    if not decoder.seen_duplicates:
        return Parsed(payload)
    return Parsed(payload, tuple(sorted(set(_duplicate_pointers(payload)))))


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
    not (every pair has a colon of its own). orjson serialises 255 levels at most: deeper,
    the pairs are counted instead (`_pairs_written`, `_pairs_kept`).

    Fast twin of the strict parse, kept for speed; proved equal by
    tests/test_engines_agree.py::test_the_fast_parse_is_the_strict_parse.
    """
    if b"\\" in data or _LONG_NUMBER in data.translate(_DIGITS):
        return None
    try:
        payload = _orjson.loads(data)
    except (ValueError, TypeError, RecursionError):  # orjson's decode errors
        return None
    try:
        lost_a_pair = data.count(b":") != _orjson.dumps(payload).count(b":")
    except TypeError:  # nested too deeply to serialise: count instead
        kept = _pairs_kept(payload)  # as many colons as pairs kept: no colon was in a string
        lost_a_pair = data.count(b":") != kept and _pairs_written(data) != kept
    if lost_a_pair:
        return None  # duplicated keys: the slow parse names them
    return Parsed(payload)


def _pairs_written(data: bytes) -> int:
    """The key-value pairs of JSON text without a backslash: its colons outside strings
    (each string is the bytes between two quotes, none escaped)."""
    inside = data.split(b'"')[1::2]
    return data.count(b":") - sum(map(bytes.count, inside, [b":"] * len(inside)))


def _pairs_kept(payload: Any) -> int:
    """The key-value pairs of a parsed payload, every object's."""
    count = 0
    stack = [payload]
    pop, push = stack.pop, stack.append
    while stack:  # a hot loop on a deeply nested body: plain statements, no comprehension
        value = pop()
        if type(value) is dict:
            count += len(value)
            for item in value.values():
                if type(item) is dict or type(item) is list:
                    push(item)
        elif type(value) is list:
            for item in value:
                if type(item) is dict or type(item) is list:
                    push(item)
    return count


def escape_token(key: str | int) -> str:
    """A key as an RFC 6901 pointer token (`~` as `~0`, `/` as `~1`)."""
    text = str(key)
    if "~" in text or "/" in text:
        return text.replace("~", "~0").replace("/", "~1")
    return text


def _has_lone_surrogate(payload: Any) -> bool:
    """Whether some string (key or value) holds a lone surrogate, which UTF-8 cannot encode."""
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _duplicate_pointers(payload: Any) -> Iterator[str]:
    stack: list[tuple[str, Any]] = [("", payload)]
    while stack:  # into objects and lists only: nothing else can hold a duplicated key
        pointer, value = stack.pop()
        if isinstance(value, dict):
            if isinstance(value, _DuplicatesSeen):
                yield from (f"{pointer}/{escape_token(key)}" for key in value.duplicates)
            stack += [
                (f"{pointer}/{escape_token(k)}", v)
                for k, v in value.items()
                if type(v) in _CONTAINERS and v
            ]
        elif isinstance(value, list):
            stack += [
                (f"{pointer}/{i}", v) for i, v in enumerate(value) if type(v) in _CONTAINERS and v
            ]


_CONTAINERS = (dict, list, _DuplicatesSeen)


def read_json_file(path: Path | str, *, limit: int = MAX_BYTES) -> Parsed | Unreadable:
    """A JSON file a user names, read safely: a regular file of at most `limit` bytes,
    parsed strictly (`parse_json`). Never raises and never blocks: anything else is an
    Unreadable whose one-line reason does not repeat the path (prefix it to show it)."""
    data = read_bytes(path, limit=limit)
    if isinstance(data, Unreadable):
        return data
    return parse_json(data, limit=limit)


#: Flags that make opening a pipe or a terminal harmless: no wait for a writer, no
#: controlling terminal. A regular file reads the same with them.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
)

NOT_FOUND = "no such file or folder"


def read_bytes(path: Path | str, *, limit: int = MAX_BYTES) -> bytes | Unreadable:
    """The bytes of a regular file of at most `limit` bytes, or why not (one line).

    Opened without blocking and checked on the open file (fstat): a folder, a device
    (/dev/zero never ends), a named pipe (no writer: open would wait forever) or a socket
    is refused, never read.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        return _cannot_open(path, error)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            return not_a_regular_file(status.st_mode)
        if status.st_size > limit:
            return too_large(status.st_size, limit)
        data = os.read(fd, status.st_size + 1)  # one read for a file as fstat saw it
        if len(data) <= status.st_size:
            return data
        chunks = [data]  # grown since fstat: read on, but not past the limit
        size = len(data)
        while chunks[-1] and size <= limit:
            chunks.append(os.read(fd, limit + 1 - size))
            size += len(chunks[-1])
        return too_large(size, limit) if size > limit else b"".join(chunks)
    except OSError as error:
        return Unreadable(f"cannot read: {error.strerror or error}")
    finally:
        os.close(fd)


_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def not_a_regular_file(mode: int) -> Unreadable:
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "a special file")
    return Unreadable(f"not a regular file ({kind})")


def _cannot_open(path: Path | str, error: OSError) -> Unreadable:
    """Why `path` could not be opened, said for a person."""
    if isinstance(error, FileNotFoundError):
        try:
            target = os.readlink(path)
        except OSError:
            return Unreadable(NOT_FOUND)
        return Unreadable(f"a symbolic link to nothing ({target} does not exist)")
    if isinstance(error, PermissionError):
        return Unreadable("permission denied")
    if error.errno == errno.ELOOP:
        return Unreadable("a symbolic link loop (it never reaches a file)")
    if error.errno == errno.ENXIO:  # a socket, or a device without its driver
        try:
            return not_a_regular_file(os.stat(path).st_mode)
        except OSError:
            pass
    return Unreadable(f"cannot read: {error.strerror or error}")


def expand_paths(arguments: Iterable[str]) -> Iterator[tuple[str, Path | Unreadable | None]]:
    """Each argument as (display name, file path); `-` is standard input (path None).

    A folder yields every `*.json` below it, sorted, but `manifest.json` (fuzz's corpus
    manifest; name it as a file to check it); a folder with none is Unreadable. What the
    walk cannot read (a sub-folder, a broken or looping link) comes as an Unreadable in
    its place.
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
            found = sorted(_json_files(argument), key=lambda entry: entry[0])
            if not found:
                yield argument, Unreadable("folder holds no *.json file")
            for file, problem in found:
                yield file, problem or file
        else:
            yield argument, argument  # read_bytes says why, if it cannot be read


#: `kore-contract fuzz` writes this beside its payloads; a folder's expansion skips it.
CORPUS_MANIFEST = "manifest.json"


def _json_files(folder: str) -> Iterator[tuple[str, Unreadable | None]]:
    """Every `*.json` entry below `folder` that is a file or should be one (symlinks to files
    included), but the corpus manifest of `kore-contract fuzz`: (path, None) for a regular
    file, (path, why) for an entry that cannot be read, a sub-folder included. Sub-folders
    are entered, symlinks to folders not (a link may loop)."""
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    problem = _entry_problem(entry)
                    if problem is _FOLDER:
                        pending.append(entry.path)
                    elif problem is not _SKIP:
                        yield entry.path, problem
        except OSError as error:
            reason = _cannot_open(current, error).reason
            yield current, Unreadable(f"folder not readable ({reason}); its files were not checked")


_FOLDER = Unreadable("a folder: entered")
_SKIP = Unreadable("not a JSON file: skipped")


def _entry_problem(entry: os.DirEntry[str]) -> Unreadable | None:
    """None for a regular `*.json` file to check; _FOLDER, _SKIP, or why it cannot be read."""
    name = entry.name
    try:
        if entry.is_dir(follow_symlinks=False):
            return _FOLDER
        if not name.endswith(".json") or name == CORPUS_MANIFEST:
            return _SKIP
        if entry.is_file():  # most entries: one stat at most, often none
            return None
        if entry.is_dir():
            return _SKIP  # a symlink to a folder named *.json: not followed
        return not_a_regular_file(entry.stat().st_mode)
    except OSError as error:  # a looping or broken link, an entry gone meanwhile
        return _cannot_open(entry.path, error)


def read_stdin() -> bytes:
    return sys.stdin.buffer.read(MAX_BYTES + 1)
