"""`kore-contract validate --jsonl FILE...`: JSON Lines of request bodies (a log of what an
application sent), each line checked exactly as a file holding that body would be (`batch`'s
check: the same validator, --call, --variant, fixture and --strict), its result at `FILE:LINE`.

- A line ends at LF; a CR before it is dropped (CRLF files read the same), and a last line
  without a line break is read. Blank lines (spaces, tabs, CR only) are skipped and counted.
- A line that is not JSON, not UTF-8 or nested too deeply is unreadable at its line number,
  as a file would be; the other lines are still checked.
- A file is read in blocks, never whole: a log of any size streams. A line longer than the
  per-body limit (`MAX_BYTES`, as for a file) is unreadable, skipped without being held.
- Beyond one block (`BLOCK`), chunks of whole lines are checked on every core by a fork pool,
  at most a few chunks ahead of the output, which stays in line order. A worker remembers
  the answers of the lines it has seen (`_seen`): a log repeats itself.
- Results go to a `sinks.Sink` (text, JSON, JUnit) in line order, as the lines are checked:
  a chunk is rendered as the text or JSON sink writes it where it was checked (`Sink.render`,
  in a worker), and the main process only writes that text.
- A line the quick proof parsed but did not prove clean is not parsed again, nor asked of
  the fast engine again (`batch.check_parsed`, `engine.known_verdict`).
"""

from __future__ import annotations

import collections
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from kore_contract.contract.loader import (
    _DIGITS,
    _LONG_NUMBER,
    _OPEN_FLAGS,
    MAX_BYTES,
    Unreadable,
    _cannot_open,
    collector_paused,
    not_a_regular_file,
    too_large,
)
from kore_contract.validate import schemas, semantic
from kore_contract.validate.batch import Checking, Compact, _check, _expand, check_parsed
from kore_contract.validate.engine import fast_is_valid, known_verdict, warm_up
from kore_contract.validate.sinks import Rendered, Sink, Tally

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

#: Bytes read at a time, and about the size of one chunk of lines a worker checks.
BLOCK = 1 << 20

#: The most answers a worker remembers (by the line's bytes) before it forgets them all,
#: and the longest line it remembers one for (so that what it holds stays small).
SEEN_MAX = 4096
SEEN_LINE_MAX = 16 << 10

#: Chunks submitted ahead of the output, per worker: enough to keep every core busy, few
#: enough that a huge file never sits in memory.
AHEAD_PER_JOB = 3

#: What a blank line holds.
_BLANK = b" \t\r"


@dataclass(frozen=True)
class Lines:
    """Whole lines of a file, the first numbered `first` (each ends in LF but perhaps the
    file's last)."""

    name: str
    first: int
    data: bytes


@dataclass(frozen=True)
class Problem:
    """A file that cannot be read (`line` None) or a line too long to hold."""

    name: str
    line: int | None
    unreadable: Unreadable


#: A chunk's answer: how many lines it held, the offsets of its blank lines, and each line
#: with something to say (invalid, unreadable, or valid with warnings) as (offset, Compact).
Checked = tuple[int, list[int], list[tuple[int, Compact]]]

# Set before a pool forks (the workers inherit them): what each line is checked as, and the
# answers a worker has already given.
_checking: list[Checking] = []
_sink: list[Sink] = []
_seen: dict[bytes, Compact] = {}


def check_chunk(data: bytes, checking: Checking) -> Checked:
    """Check each line of `data` (whole lines) as a file with that body: clean lines (valid,
    no warning) proved so the quick way where it applies (`_proved_clean`), every other line
    by `batch`'s check."""
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    blanks: list[int] = []
    answers: dict[int, Compact] = {}
    unseen: list[tuple[int, bytes]] = []
    seen = _seen
    for offset, line in enumerate(lines):
        if line.endswith(b"\r"):
            line = line[:-1]
        compact = seen.get(line, _UNSEEN)
        if compact is not _UNSEEN:
            answers[offset] = compact
        elif not line.strip(_BLANK):
            blanks.append(offset)
        else:
            unseen.append((offset, line))
    _asked.clear()
    with collector_paused():  # a chunk makes ~50,000 objects, no cycle: nothing to collect
        payloads, clean = _quick([line for _, line in unseen], data, checking)
        for (offset, line), payload, proved in zip(unseen, payloads, clean, strict=True):
            if proved:
                compact = None
            elif payload is _UNSEEN:
                compact = _check(line, checking)
            else:  # parsed as `parse_json` would: not parsed again, nor asked again
                asked = _asked.get(id(payload))
                if asked is None or asked[0] is not payload:
                    compact = check_parsed(payload, checking)
                else:
                    with known_verdict(*asked):
                        compact = check_parsed(payload, checking)
            answers[offset] = compact
            if len(line) <= SEEN_LINE_MAX:
                if len(seen) >= SEEN_MAX:
                    seen.clear()
                seen[line] = compact
        # Freed now, while the collector is off: left for it, the first collection after
        # would walk every object of every body of the chunk (~8 us a line).
        _asked.clear()
        del payloads, clean
    said: list[tuple[int, Compact]] = [
        (offset, compact)
        for offset, compact in sorted(answers.items())
        if compact is not None and not isinstance(compact, str)
    ]
    return len(lines), blanks, said


_UNSEEN: Any = object()


def _proved_clean(lines: list[bytes], data: bytes, checking: Checking) -> list[bool]:
    """For each line, True where it is proved valid without a warning the quick way (False:
    not proved; `batch`'s check then says what it is)."""
    return _quick(lines, data, checking)[1]


def _quick(lines: list[bytes], data: bytes, checking: Checking) -> tuple[list[Any], list[bool]]:
    """Each line's body where it is parsed here exactly as `loader.parse_json` parses it
    (else `_UNSEEN`), and whether it is proved valid without a warning the quick way.

    The chunk's twin of `loader.parse_json` and `validate_request` on a clean body, kept for
    speed; proved equal by tests/test_validate_jsonl.py (each line's result is its file's).
    A line is parsed by orjson where `loader._parse_plain` would be (no backslash, no run of
    19 digits: looked for in the whole chunk at once, then in each line if found), and no
    pair was lost to a duplicated key: each line's re-serialisation has at most the colons
    it had, so equal totals over the chunk mean equal counts on every line (unequal: each
    line is counted on its own). Then the body is clean as
    `validate_request` reads it: C1's variant (the one insisted on), the fast engine's
    "valid", no R14 advice (no fixture, no --strict: those take the full check).
    """
    verdict = _clean_verdict(checking)
    if verdict is None or not lines:
        return [_UNSEEN] * len(lines), [False] * len(lines)
    long_numbers = _LONG_NUMBER in data.translate(_DIGITS)  # then line by line
    payloads: list[Any] = []
    colons = 0
    for line in lines:
        if (
            len(line) > MAX_BYTES
            or b"\\" in line
            or (long_numbers and _LONG_NUMBER in line.translate(_DIGITS))
        ):
            payloads.append(_UNSEEN)
            continue
        try:
            payloads.append(orjson.loads(line))
        except (ValueError, TypeError, RecursionError):  # orjson's decode errors
            payloads.append(_UNSEEN)
            continue
        colons += line.count(b":")
    try:
        every_pair_kept = orjson.dumps([p for p in payloads if p is not _UNSEEN]).count(b":")
    except TypeError:  # some line nested too deeply to write whole
        every_pair_kept = -1
    if every_pair_kept != colons:  # some line lost a pair, or could not be written: find it
        payloads = [
            _UNSEEN if payload is _UNSEEN or not _kept_every_pair(line, payload) else payload
            for line, payload in zip(lines, payloads, strict=True)
        ]
    return payloads, [payload is not _UNSEEN and verdict(payload) for payload in payloads]


def _kept_every_pair(line: bytes, payload: Any) -> bool:
    """`loader._parse_plain`'s proof on one line: as many colons written as read."""
    try:
        return orjson.dumps(payload).count(b":") == line.count(b":")
    except TypeError:  # nested too deeply to write: the full check decides
        return False


def _clean_verdict(checking: Checking) -> Callable[[Any], bool] | None:
    """Whether a parsed body without duplicated keys is valid without a warning, for what
    `validate_request` checks with no fixture and no --strict; None where that does not
    apply (a response, a fixture, --strict)."""
    if checking.kind != "request" or checking.fixture is not None or checking.strict:
        return None
    if checking.call not in schemas.variant_calls():
        name = schemas.request_schema_name(checking.call)
        return lambda payload: _fast_valid(payload, name)
    wanted = checking.variant

    def clean(payload: Any) -> bool:
        if type(payload) is not dict:
            return False
        read = schemas.variant_of(payload)
        if wanted is not None and read != wanted:
            return False
        name = schemas.variant_schema_name(read)
        return _fast_valid(payload, name) and not semantic.calling_hours_warnings(payload)

    return clean


def _fast_valid(payload: Any, name: schemas.SchemaName) -> bool:
    try:
        valid = fast_is_valid(payload, name)
    except (ValueError, TypeError, OverflowError):  # the full check's reference engine says
        return False
    _asked[id(payload)] = (payload, name, valid)
    return valid


#: The fast engine's answers of the chunk being checked, by the payload's identity (the
#: payload held with its answer): the full check of a line the quick proof did not prove
#: takes it instead of asking again (`engine.known_verdict`).
_asked: dict[int, tuple[Any, schemas.SchemaName, bool]] = {}


def _answer(item: Lines, checking: Checking, sink: Sink) -> Checked | Rendered:
    """A chunk checked, and rendered as `sink` writes it where the sink can (the main
    process then only writes the text)."""
    checked = check_chunk(item.data, checking)
    rendered = sink.render(item.name, item.first, *checked)
    return checked if rendered is None else rendered


def _check_in_worker(item: Lines) -> Checked | Rendered:
    return _answer(item, _checking[0], _sink[0])


def read_items(
    arguments: Iterable[str], stdin: Callable[[], BinaryIO]
) -> Iterator[Lines | Problem]:
    """Each file's lines in chunks, in order, and what cannot be read where it is met.

    A regular file, or a pipe (`<(zcat log.gz)`: a stream that ends; one without a writer
    reads as empty, never waited for); a folder or a device (/dev/zero never ends) is not
    read."""
    for name in arguments:
        if name == "-":
            yield from _chunks("-", stdin())
            continue
        try:
            fd = os.open(name, _OPEN_FLAGS)
        except OSError as error:
            yield Problem(name, None, _cannot_open(name, error))
            continue
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            os.close(fd)
            yield Problem(name, None, not_a_regular_file(mode))
            continue
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", buffering=0) as stream:
            yield from _chunks(name, stream)


def _chunks(name: str, stream: BinaryIO, limit: int = MAX_BYTES) -> Iterator[Lines | Problem]:
    """`stream`'s whole lines in chunks of about BLOCK bytes; a line longer than `limit` as a
    Problem, dropped as it is read (its bytes are never held); a stream with no line at
    all as a Problem of the file."""
    line = 1
    pending = b""  # the start of a line whose end has not been read
    skipped = -1  # bytes of an over-long line dropped so far, or -1 outside one
    read_any = False
    while True:
        try:
            block = stream.read(BLOCK)
        except OSError as error:
            yield Problem(name, None, Unreadable(f"cannot read: {error.strerror or error}"))
            return
        if not block:
            break
        read_any = True
        if skipped >= 0:
            end = block.find(b"\n")
            if end < 0:
                skipped += len(block)
                continue
            yield Problem(name, line, too_large(skipped + len(block[:end].rstrip(b"\r")), limit))
            line += 1
            skipped = -1
            block = block[end + 1 :]
        data = pending + block if pending else block
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
        else:
            whole = data[: cut + 1]
            yield Lines(name, line, whole)
            line += whole.count(b"\n")
            pending = data[cut + 1 :]
        # A line is too long once it holds more than `limit` bytes and a CR.
        if len(pending) > limit + 1:
            skipped, pending = len(pending), b""
    if skipped >= 0:
        yield Problem(name, line, too_large(skipped, limit))
    elif pending:
        yield Lines(name, line, pending)
    elif not read_any:
        yield Problem(name, None, Unreadable("empty: expected JSON Lines, one body a line"))


def _emit(item: Lines | Problem, checked: Checked | Rendered | None, sink: Sink) -> None:
    sink.tally.files.add(item.name)
    if isinstance(item, Problem):
        where = item.name if item.line is None else f"{item.name}:{item.line}"
        sink.tally.unread_files += item.line is None
        sink.result(_expand(where, ("unreadable", [], [], item.unreadable.reason, None, None)))
        return
    if isinstance(checked, Rendered):
        sink.add(checked)
        return
    assert checked is not None
    count, blanks, said = checked
    sink.tally.blank += len(blanks)
    if type(sink).valid is Sink.valid:  # valid lines are only counted
        sink.tally.valid += count - len(blanks) - len(said)
        for offset, compact in said:
            sink.result(_expand(f"{item.name}:{item.first + offset}", compact))
        return
    special = dict(said)
    skip = set(blanks)
    for offset in range(count):
        if offset in skip:
            continue
        where = f"{item.name}:{item.first + offset}"
        compact = special.get(offset)
        if compact is None:
            sink.valid(where)
        else:
            sink.result(_expand(where, compact))


def check_jsonl(
    arguments: Iterable[str],
    checking: Checking,
    sink: Sink,
    *,
    jobs: int,
    stdin: Callable[[], BinaryIO] | None = None,
) -> Tally:
    """Check every line of every file named (`-`: standard input) into `sink`, on `jobs`
    processes once the input is larger than one chunk; returns the tally."""
    items = read_items(arguments, stdin or (lambda: sys.stdin.buffer))
    _seen.clear()
    pool: Pool | None = None
    ahead: collections.deque[tuple[Lines | Problem, Any]] = collections.deque()
    chunks = 0
    try:
        for item in items:
            if isinstance(item, Problem):
                ahead.append((item, None))
            else:
                chunks += 1
                if chunks == 2 and jobs > 1:
                    pool = _start_pool(checking, sink, jobs)
                if pool is None:
                    ahead.append((item, _answer(item, checking, sink)))
                else:
                    ahead.append((item, pool.apply_async(_check_in_worker, (item,))))
            while ahead and (len(ahead) > jobs * AHEAD_PER_JOB or not _pending(ahead[0][1])):
                _emit_first(ahead, sink)
        while ahead:
            _emit_first(ahead, sink)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        _checking.clear()
        _sink.clear()
        _seen.clear()
    sink.finish()
    return sink.tally


def _pending(answer: Any) -> bool:
    return isinstance(answer, AsyncResult) and not answer.ready()


def _emit_first(ahead: collections.deque[tuple[Lines | Problem, Any]], sink: Sink) -> None:
    item, answer = ahead.popleft()
    if isinstance(answer, AsyncResult):
        answer = answer.get()
    _emit(item, answer, sink)


def _start_pool(checking: Checking, sink: Sink, jobs: int) -> Pool:
    import multiprocessing

    for name in _schemas_of(checking):
        warm_up(name)  # compiled once here; the forked workers inherit them
    _checking[:] = [checking]
    _sink[:] = [sink]  # only its `render`, which touches nothing, is called there
    return multiprocessing.get_context("fork").Pool(jobs)


def _schemas_of(checking: Checking) -> list[schemas.SchemaName]:
    """Every schema a line may be checked against (each variant's, where C1 picks)."""
    if checking.kind == "request" and checking.call in schemas.variant_calls():
        return [schemas.variant_schema_name(v) for v in schemas.variants()]
    return [checking.schema]
