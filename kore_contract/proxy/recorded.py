"""Recorded traffic: HAR 1.2 files and JSON Lines of exchanges, read as run/client.py's
`Exchange`s, one at a time (`kore-contract validate --traffic`).

`read_traffic(path)` yields `(index, Exchange | Unreadable)` in file order:

- **HAR 1.2** (browser devtools, mitmproxy's `hardump`, Charles, Playwright's
  `record_har_path`, `kore-contract proxy --har-out`): each `log.entries[i]` (index `i`, from
  0) with `request.method/url/headers/postData.text` and `response.status/headers/
  content.text`; a body whose `encoding` is `"base64"` is decoded. The file is streamed (ijson):
  a 1 GB HAR is never in memory at once, only one entry at a time, and an entry larger than
  `MAX_ENTRY_BYTES` is skipped as unreadable. Bytes that are not UTF-8 are read as U+FFFD.
  A truncated file yields every entry before the cut, then one `Unreadable` saying where.
- **JSON Lines** (index: the line number, from 1): one exchange per line, either
  `{"request": {"method", "url", "headers": {name: value}, "body"}, "response": {"status",
  "headers", "body"}}` (a body is a string as sent, any other JSON value as its JSON, or
  `{"base64": "..."}` for bytes; `response` null or absent: no answer; `error` a string:
  why) or a HAR entry object. Blank lines are skipped; a line longer than `MAX_ENTRY_BYTES`
  is unreadable.

A file that starts with `{"log":` (whitespace and a byte order mark allowed) is read as HAR;
any other as JSON Lines. Nothing here raises for bad input (OSError aside: a file that
cannot be opened is the caller's to report).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import ijson

from kore_contract.contract.loader import Unreadable
from kore_contract.run.client import Exchange

__all__ = ["MAX_ENTRY_BYTES", "Unreadable", "exchange_from_json", "read_traffic"]

#: The largest entry (HAR) or line (JSON Lines) read; a larger one is reported unreadable.
MAX_ENTRY_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024
_ENTRIES = "log.entries"
_ENTRY = "log.entries.item"


class _TooLarge(Exception):
    """More than the bound was read for one entry."""


class _Repaired:
    """A binary file read as UTF-8 with every invalid byte replaced (U+FFFD): the JSON
    parser then reads the rest of a HAR whose body holds raw non-UTF-8 bytes. With a
    `bound`, reading more than that many bytes between two `entry_done()` raises `_TooLarge`."""

    def __init__(self, raw: IO[bytes], bound: int | None = None) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.bound = bound
        self.fetched = 0

    def entry_done(self) -> None:
        self.fetched = 0

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing to learn whether the file gives bytes
            return b""
        while True:
            data = self._raw.read(size if size > 0 else _CHUNK)
            self.fetched += len(data)
            if self.bound is not None and self.fetched > self.bound:
                raise _TooLarge
            text = self._decoder.decode(data, final=not data)
            if text or not data:  # empty only at the end (not inside a split character)
                return text.encode("utf-8", "surrogatepass")


def read_traffic(path: str | Path) -> Iterator[tuple[int, Exchange | Unreadable]]:
    """Each exchange of the HAR or JSON Lines file at `path`, or why it cannot be read."""
    with open(path, "rb") as raw:
        head = raw.read(_HEAD)
        if not head.strip():
            yield 0, Unreadable("the file is empty")
            return
        raw.seek(len(_BOM) if head.startswith(_BOM) else 0)
        if _HAR_START.match(head.removeprefix(_BOM)):
            yield from _har_entries(raw)
        else:
            yield from _lines(raw)


_BOM = b"\xef\xbb\xbf"
_HEAD = 4096
#: A HAR document: one object whose (first) member is "log".
_HAR_START = re.compile(rb'\s*\{\s*"log"\s*:')


# --- HAR --------------------------------------------------------------------------------


def _har_entries(raw: IO[bytes]) -> Iterator[tuple[int, Exchange | Unreadable]]:
    """The entries, each built by ijson's C parser; an entry over MAX_ENTRY_BYTES makes
    the reader start again with `_har_events`, which skips it without building it."""
    start = raw.tell()
    reader = _Repaired(raw, bound=MAX_ENTRY_BYTES + 2 * _CHUNK)
    index = 0
    try:
        for entry in ijson.items(reader, _ENTRY, use_float=True):
            reader.entry_done()
            yield index, _from_har_entry(entry, f"entry {index}")
            index += 1
    except _TooLarge:
        raw.seek(start)
        yield from _har_events(raw, first=index)
        return
    except (ijson.JSONError, ValueError) as error:
        yield index, _broken(error, index, index > 0 or _has_entries(raw, start))
        return
    if index == 0 and not _has_entries(raw, start):
        yield 0, Unreadable("not a HAR file: no log.entries array")


def _has_entries(raw: IO[bytes], start: int) -> bool:
    """Whether the document has a log.entries array (read up to its start, or an error)."""
    raw.seek(start)
    try:
        for prefix, event, _ in ijson.parse(_Repaired(raw)):
            if prefix == _ENTRIES and event == "start_array":
                return True
    except (ijson.JSONError, ValueError):
        pass
    return False


def _broken(error: BaseException, index: int, saw_entries: bool) -> Unreadable:
    message = str(error).lower()
    what = "truncated" if "incomplete" in message or "premature eof" in message else "not JSON"
    where = f"entry {index}" if saw_entries else "the file"
    return Unreadable(f"{where}: {what} ({_short(error)}); nothing after it is read")


def _har_events(raw: IO[bytes], first: int = 0) -> Iterator[tuple[int, Exchange | Unreadable]]:
    """The entries from index `first` on, built event by event (slower than ijson.items),
    so that one larger than MAX_ENTRY_BYTES is skipped and those after it are read."""
    index = 0
    builder: ijson.ObjectBuilder | None = None
    size = 0
    skipping = False  # within an entry not built (before `first`, or too large)
    try:
        for prefix, event, value in ijson.parse(_Repaired(raw), use_float=True):
            if builder is None and not skipping:
                if prefix == _ENTRY and event in ("start_map", "start_array"):
                    if index < first:
                        skipping = True
                    else:
                        builder, size = ijson.ObjectBuilder(), 0
                        builder.event(event, value)
                elif prefix == _ENTRY:  # a scalar where an entry belongs
                    if index >= first:
                        yield index, Unreadable(f"entry {index}: not an object")
                    index += 1
                continue
            if prefix == _ENTRY and event in ("end_map", "end_array"):
                if builder is not None:
                    builder.event(event, value)
                    yield index, _from_har_entry(builder.value, f"entry {index}")
                elif index >= first:
                    megabytes = MAX_ENTRY_BYTES // (1024 * 1024)
                    yield index, Unreadable(f"entry {index}: larger than {megabytes} MB; skipped")
                index += 1
                builder, skipping = None, False
                continue
            if builder is None:
                continue
            size += len(value) + 8 if isinstance(value, str) else 8
            if size > MAX_ENTRY_BYTES:
                builder, skipping = None, True
                continue
            builder.event(event, value)
    except (ijson.JSONError, ValueError) as error:
        yield index, _broken(error, index, True)


def _short(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:120]


def _from_har_entry(entry: Any, where: str) -> Exchange | Unreadable:
    if not isinstance(entry, dict):
        return Unreadable(f"{where}: not an object")
    request, response = entry.get("request"), entry.get("response")
    if not isinstance(request, dict):
        return Unreadable(f"{where}: no request object")
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or not method or not isinstance(url, str) or not url:
        return Unreadable(f"{where}: request.method or request.url missing")
    post = request.get("postData")
    body = _body(post.get("text"), post.get("encoding")) if isinstance(post, dict) else None
    if isinstance(body, Unreadable):
        return Unreadable(f"{where}: request.postData: {body.reason}")
    size = request.get("bodySize")
    if body is None and isinstance(size, int) and not isinstance(size, bool) and size > 0:
        # a body was sent but not saved: judging it as empty would blame the application
        return Unreadable(f"{where}: the request body ({size} bytes) is not in the recording")
    exchange = Exchange(method.upper(), url, _headers(request.get("headers")), body)
    elapsed = entry.get("time")
    if isinstance(elapsed, (int, float)) and not isinstance(elapsed, bool) and elapsed >= 0:
        exchange.elapsed_ms = float(elapsed)
    if not isinstance(response, dict):
        exchange.error = "no response recorded"
        return exchange
    status = response.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        error = response.get("_error") or entry.get("_error")
        exchange.error = str(error) if error else f"no response recorded (status {status!r})"
        return exchange
    content = response.get("content")
    text = _body(content.get("text"), content.get("encoding")) if isinstance(content, dict) else b""
    if isinstance(text, Unreadable):
        return Unreadable(f"{where}: response.content: {text.reason}")
    exchange.status = status
    exchange.response_headers = {k.lower(): v for k, v in _headers(response.get("headers")).items()}
    exchange.response_text = (text or b"").decode("utf-8", "replace")
    if text is None and isinstance(content, dict) and _not_recorded(content):
        # Playwright's record_har_content="attach"/"omit", a sanitized devtools export: the
        # answer came but its body is not in the file, so it is not judged (an empty body is)
        exchange.error = "the answer's body is not in the recording (content.text missing)"
    return exchange


def _not_recorded(content: dict[str, Any]) -> bool:
    size = content.get("size")
    return "_file" in content or (isinstance(size, int) and not isinstance(size, bool) and size > 0)


def _body(text: Any, encoding: Any) -> bytes | Unreadable | None:
    if text is None:
        return None
    if not isinstance(text, str):
        return Unreadable(f"text is {type(text).__name__}; expected a string")
    if encoding in (None, ""):
        return text.encode("utf-8", "replace")
    if str(encoding).lower() != "base64":
        return Unreadable(f"encoding {str(encoding)[:40]!r}; only base64 is read")
    try:
        return base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError):
        return Unreadable("encoding base64, but the text is not base64")


def _headers(listed: Any) -> dict[str, str]:
    """HAR's `[{"name", "value"}]` (or an object) as one dict; repeated names joined with ", "
    as HTTP allows. HTTP/2 pseudo-headers (`:authority`) are left out."""
    found: dict[str, str] = {}
    if isinstance(listed, Mapping):
        pairs = [(k, v) for k, v in listed.items()]
    elif isinstance(listed, list):
        pairs = [
            (item.get("name"), item.get("value")) for item in listed if isinstance(item, Mapping)
        ]
    else:
        return found
    for name, value in pairs:
        if not isinstance(name, str) or not name or name.startswith(":"):
            continue
        text = value if isinstance(value, str) else "" if value is None else str(value)
        found[name] = f"{found[name]}, {text}" if name in found else text
    return found


# --- JSON Lines ---------------------------------------------------------------------------


def _lines(raw: IO[bytes]) -> Iterator[tuple[int, Exchange | Unreadable]]:
    number = blank = 0
    while True:
        line = raw.readline(MAX_ENTRY_BYTES + 1)
        if not line:
            break
        number += 1
        if len(line) > MAX_ENTRY_BYTES and not line.endswith(b"\n"):
            while True:  # the rest of the line, skipped a chunk at a time
                rest = raw.readline(_CHUNK)
                if not rest or rest.endswith(b"\n"):
                    break
            yield (
                number,
                Unreadable(
                    f"line {number}: longer than {MAX_ENTRY_BYTES // (1024 * 1024)} MB; skipped"
                ),
            )
            continue
        text = line.decode("utf-8", "replace").strip()
        if not text:
            blank += 1
            continue
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as error:
            yield number, Unreadable(f"line {number}: not JSON ({_short(error)})")
            continue
        yield number, exchange_from_json(value, f"line {number}")
    if blank == number:
        yield 0, Unreadable(f"no exchange: {number} blank lines")


def exchange_from_json(value: Any, where: str = "exchange") -> Exchange | Unreadable:
    """One exchange of a JSON Lines file (its own shape, or a HAR entry)."""
    if not isinstance(value, dict):
        return Unreadable(f"{where}: not an object")
    request = value.get("request")
    if not isinstance(request, dict):
        return Unreadable(f"{where}: no request object")
    if "postData" in request or isinstance(request.get("headers"), list):
        return _from_har_entry(value, where)
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or not method or not isinstance(url, str) or not url:
        return Unreadable(f"{where}: request.method or request.url missing")
    body = _json_body(request.get("body"), "body" in request)
    if isinstance(body, Unreadable):
        return Unreadable(f"{where}: request.body: {body.reason}")
    exchange = Exchange(method.upper(), url, _headers(request.get("headers")), body)
    response = value.get("response")
    if not isinstance(response, dict):
        error = value.get("error")
        exchange.error = str(error) if error else "no response recorded"
        return exchange
    status = response.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return Unreadable(f"{where}: response.status {status!r}; expected an HTTP status")
    answer = _json_body(response.get("body"), "body" in response)
    if isinstance(answer, Unreadable):
        return Unreadable(f"{where}: response.body: {answer.reason}")
    exchange.status = status
    exchange.response_headers = {k.lower(): v for k, v in _headers(response.get("headers")).items()}
    exchange.response_text = (answer or b"").decode("utf-8", "replace")
    elapsed = response.get("elapsed_ms")
    if isinstance(elapsed, (int, float)) and not isinstance(elapsed, bool) and elapsed >= 0:
        exchange.elapsed_ms = float(elapsed)
    return exchange


def _json_body(body: Any, present: bool) -> bytes | Unreadable | None:
    if not present or body is None:
        return None
    if isinstance(body, str):
        return body.encode("utf-8", "replace")
    if isinstance(body, dict) and set(body) == {"base64"}:
        return _body(body["base64"], "base64")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
