"""Write exchanges as a HAR 1.2 file (`kore-contract proxy --har-out`), secrets redacted.

`HarWriter(path)` collects entries as exchanges are `add`ed (thread-safe) and writes the
whole file atomically on `close()` (common/files.py: a reader never finds half a file).
Request bodies are text, or base64 where they are not UTF-8; so are answers. What it writes
reads back through `recorded.read_traffic` as the same exchanges, less the secrets.
"""

from __future__ import annotations

import base64
import contextlib
import json
import marshal
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from kore_contract.common.files import write_atomic
from kore_contract.common.version import __version__
from kore_contract.redaction import RunSecrets, redact
from kore_contract.run.client import Exchange

__all__ = ["HarWriter", "har_entry"]


def _content(data: bytes, mime: str) -> dict[str, Any]:
    try:
        return {"mimeType": mime, "text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {
            "mimeType": mime,
            "text": base64.b64encode(data).decode("ascii"),
            "encoding": "base64",
        }


def _stamp(when: datetime | None, elapsed_ms: float) -> str:
    """When the request started: `when`, else now less the exchange's time."""
    moment = when or datetime.now(timezone.utc) - timedelta(milliseconds=elapsed_ms)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _query_string(url: str) -> list[dict[str, str]]:
    try:
        query = urlsplit(url).query
    except ValueError:  # not a URL urlsplit can read: no query listed
        return []
    return [{"name": n, "value": v} for n, v in parse_qsl(query, keep_blank_values=True)]


def har_entry(exchange: Exchange, started: datetime | None = None) -> dict[str, Any]:
    """One HAR 1.2 entry of an exchange (not yet redacted)."""
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": exchange.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in exchange.headers.items()],
        "queryString": _query_string(exchange.url),
        "headersSize": -1,
        "bodySize": -1 if exchange.body is None else len(exchange.body),
    }
    if exchange.body is not None:
        mime = next((v for k, v in exchange.headers.items() if k.lower() == "content-type"), "")
        request["postData"] = _content(exchange.body, mime)
    answer = exchange.response_text.encode("utf-8", "surrogateescape")
    response: dict[str, Any] = {
        "status": exchange.status or 0,
        "statusText": "",
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in exchange.response_headers.items()],
        "content": {
            "size": len(answer),
            **_content(answer, exchange.response_headers.get("content-type", "")),
        },
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": -1 if exchange.status is None else len(answer),
    }
    entry: dict[str, Any] = {
        "startedDateTime": _stamp(started, exchange.elapsed_ms),
        "time": round(exchange.elapsed_ms, 3),
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": round(exchange.elapsed_ms, 3), "receive": 0},
    }
    if exchange.error:
        entry["response"]["_error"] = exchange.error
    return entry


class HarWriter:
    """Exchanges collected in order, written as one HAR 1.2 file on `close()`."""

    def __init__(self, path: str | Path, *, secrets: RunSecrets | None = None) -> None:
        self.path = Path(path)
        self.secrets = secrets if secrets is not None else RunSecrets()
        #: marshal'd (one bytes object each: the collector's full collections skip them)
        self._entries: list[bytes | dict[str, Any]] = []
        self._lock = threading.Lock()
        self._closed = False

    def add(self, exchange: Exchange, started: datetime | None = None) -> None:
        entry: bytes | dict[str, Any] = har_entry(exchange, started)
        with contextlib.suppress(ValueError):  # what marshal cannot write is kept as it is
            entry = marshal.dumps(entry)
        with self._lock:
            self._entries.append(entry)

    def __len__(self) -> int:
        return len(self._entries)

    def document(self) -> dict[str, Any]:
        """The HAR document so far, every secret redacted."""
        with self._lock:
            entries = [marshal.loads(e) if isinstance(e, bytes) else e for e in self._entries]
        document = {
            "log": {
                "version": "1.2",
                "creator": {"name": "kore-contract", "version": __version__},
                "entries": entries,
            }
        }
        return redact(document, list(self.secrets))

    def close(self) -> Path:
        """Write the file (atomically); a second close writes it again with what is new."""
        text = json.dumps(self.document(), ensure_ascii=False, indent=1)
        self._closed = True
        self.path.parent.mkdir(parents=True, exist_ok=True)  # as the reports' folder is made
        return write_atomic(self.path, text)

    def __enter__(self) -> HarWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
