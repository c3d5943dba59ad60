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

A file that starts with `{` and whose first line is not one whole JSON object is read as
HAR; otherwise as JSON Lines. Nothing here raises for bad input (OSError aside: a file that
cannot be opened is the caller's to report).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
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


class _Repaired:
    """A binary file read as UTF-8 with every invalid byte replaced (U+FFFD): the JSON
    parser then reads the rest of a HAR whose body holds raw non-UTF-8 bytes."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing to learn whether the file gives bytes
            return b""
        while True:
            data = self._raw.read(size if size > 0 else _CHUNK)
            text = self._decoder.decode(data, final=not data)
            if text or not data:  # empty only at the end (not inside a split character)
                return text.encode("utf-8", "surrogatepass")


def read_traffic(path: str | Path) -> Iterator[tuple[int, Exchange | Unreadable]]:
    """Each exchange of the HAR or JSON Lines file at `path`, or why it cannot be read."""
    with open(path, "rb") as raw:
        if _looks_like_har(raw):
            yield from _har_entries(raw)
        else:
            yield from _lines(raw)


def _looks_like_har(raw: IO[bytes]) -> bool:
    head = raw.read(_CHUNK)
    raw.seek(0)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(b"{"):
        return False
    first, newline, _ = stripped.partition(b"\n")
    if not newline:
        return True  # one line (or a first line longer than a chunk): a whole document
    try:
        value = json.loads(first.decode("utf-8", "replace"))
    except ValueError:
        return True  # a document spread over lines (an indented HAR)
    return isinstance(value, dict) and "log" in value


# --- HAR --------------------------------------------------------------------------------


def _har_entries(raw: IO[bytes]) -> Iterator[tuple[int, Exchange | Unreadable]]:
    index = 0
    builder: ijson.ObjectBuilder | None = None
    size = 0
    oversized = False
    saw_entries = False
    try:
        for prefix, event, value in ijson.parse(_Repaired(raw), use_float=True):
            if builder is None and not oversized:
                if prefix == _ENTRIES and event == "start_array":
                    saw_entries = True
                elif prefix == _ENTRY and event in ("start_map", "start_array"):
                    builder, size = ijson.ObjectBuilder(), 0
                    builder.event(event, value)
                elif prefix == _ENTRY:  # a scalar where an entry belongs
                    yield index, Unreadable(f"entry {index}: not an object")
                    index += 1
                continue
            if prefix == _ENTRY and event in ("end_map", "end_array"):
                if oversized:
                    yield (
                        index,
                        Unreadable(
                            f"entry {index}: larger than {MAX_ENTRY_BYTES // (1024 * 1024)} MB; "
                            "skipped"
                        ),
                    )
                else:
                    assert builder is not None
                    builder.event(event, value)
                    yield index, _from_har_entry(builder.value, f"entry {index}")
                index += 1
                builder, oversized = None, False
                continue
            if oversized:
                continue
            if isinstance(value, str):
                size += len(value)
            size += 8
            if size > MAX_ENTRY_BYTES:
                builder, oversized = None, True
                continue
            assert builder is not None
            builder.event(event, value)
    except (ijson.JSONError, ValueError) as error:
        what = "truncated" if "incomplete" in str(error).lower() else "not JSON"
        where = f"entry {index}" if saw_entries else "the file"
        yield index, Unreadable(f"{where}: {what} ({_short(error)}); nothing after it is read")
        return
    if not saw_entries:
        yield 0, Unreadable("not a HAR file: no log.entries array")


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
    return exchange


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
    number = 0
    while True:
        line = raw.readline(MAX_ENTRY_BYTES + 1)
        if not line:
            return
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
            continue
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as error:
            yield number, Unreadable(f"line {number}: not JSON ({_short(error)})")
            continue
        yield number, exchange_from_json(value, f"line {number}")


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
