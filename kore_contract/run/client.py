"""HTTP client for the three calls: a deadline on every call, a rate cap, a ledger of creates.

Every exchange is recorded as an `Exchange` (request and response, or the transport error),
which checks, reports and the curl reproducer read. Only idempotent calls are retried: a
retried create could make a second campaign.

The server may be hostile: each call has a total deadline (connect, headers and body,
however slowly they trickle in), an answer is read up to MAX_RESPONSE_BYTES, cookies are
never kept, ids go into paths percent-encoded, and after `max_failures` requests in a row
without an answer (MAX_CONSECUTIVE_FAILURES for a contract run) the client raises
`ServerStoppedAnswering`.
"""

from __future__ import annotations

import contextlib
import functools
import http.cookiejar
import ipaddress
import json
import shlex
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from kore_contract.contract import spec
from kore_contract.run.ledger import Ledger
from kore_contract.run.options import DEFAULT_TIMEOUT
from kore_contract.run.target import Target as Target  # where the client calls (re-exported)

MAX_RESPONSE_BYTES = 8 * 1024 * 1024
MAX_CONSECUTIVE_FAILURES = 5
MAX_JSON_DEPTH = 100
_CHUNK = 64 * 1024


class ServerStoppedAnswering(Exception):
    """Too many requests in a row got no answer; the message says how many and the last error."""


#: Headers a replaying curl computes itself (left out of `Exchange.curl`).
CURL_SETS = frozenset({"host", "content-length", "connection", "transfer-encoding"})


@dataclass
class Exchange:
    """One request and what came back (a response, or a transport error)."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_text: str = ""
    elapsed_ms: float = 0.0
    error: str | None = None

    @functools.cached_property
    def _parsed_response(self) -> tuple[Any, str | None]:
        return parse_answer(self.response_text)

    @property
    def response_json(self) -> Any:
        """The response body as JSON, or None when it is not parseable JSON (parsed once:
        every check reads it; `send` sets the response before anyone asks)."""
        return self._parsed_response[0]

    @property
    def response_json_problem(self) -> str | None:
        """Why the body is not parseable JSON (the parser's message, "the body is empty",
        "nested deeper than 100 levels"), or None when it is."""
        return self._parsed_response[1]

    @property
    def request_json(self) -> Any:
        if self.body is None:
            return None
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None

    @property
    def is_json_response(self) -> bool:
        content_type = self.response_headers.get("content-type", "")
        return "json" in content_type.lower() and self.response_json is not None

    def curl(self) -> str:
        """A curl line that replays this request (redact before showing it). The headers
        curl sets itself from the URL and the body (Host, Content-Length, the connection's)
        are left out: a recorded one names the host it was sent to (a proxy's, a dev
        server's), and replayed to the URL shown it would be wrong."""
        parts = ["curl", "-X", self.method, self.url]
        for name, value in self.headers.items():
            if name.lower() not in CURL_SETS:
                parts += ["-H", f"{name}: {value}"]
        if self.body is not None:
            parts += ["--data-binary", self.body.decode("utf-8", "replace")]
        return " ".join(shlex.quote(part) for part in parts)


def parse_answer(text: str) -> tuple[Any, str | None]:
    """A server's body as JSON and None, or None and why it is not parseable JSON.

    Nesting is capped at MAX_JSON_DEPTH: a 100,000-deep answer is refused here instead of
    crashing the run (RecursionError) in the parser or in whatever reads it next.
    """
    if not text.strip():
        return None, "the body is empty"
    try:
        value = json.loads(text)
    except RecursionError:
        return None, f"nested deeper than {MAX_JSON_DEPTH} levels"
    except ValueError as error:  # not JSON, or an integer of more than 4,300 digits
        return None, str(error)
    if _deeper_than(value, MAX_JSON_DEPTH):
        return None, f"nested deeper than {MAX_JSON_DEPTH} levels"
    return value, None


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


# --- a total deadline per call ------------------------------------------------------------
#
# `requests` times out each socket read, not the call: a server sending one byte every few
# seconds keeps a call going forever. A `_Deadline` shuts the call's socket down when the
# call's time is up, which ends the blocked read at once. The connections below hand their
# socket to the deadline of the call running on their thread.

_CURRENT = threading.local()


class _Deadline:
    """The deadline of one call on this thread; `watch` the socket it reads from."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        _CURRENT.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._sock = None
        _CURRENT.deadline = None

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            if self.expired:
                _shut(sock)
            else:
                self._sock = sock

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            _shut(self._sock)


def _shut(sock: socket.socket | None) -> None:
    """End every read on `sock` (plain socket.shutdown: TLS's own would race the reader)."""
    if sock is None:
        return
    with contextlib.suppress(OSError):  # already closed: nothing left to end
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch(sock: socket.socket | None) -> None:
    deadline: _Deadline | None = getattr(_CURRENT, "deadline", None)
    if deadline is not None:
        deadline.watch(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        _watch(self.sock)
        return super().getresponse()


class _WatchedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        _watch(self.sock)
        return super().getresponse()


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _DeadlineAdapter(HTTPAdapter):
    """requests' adapter, with connections that honour the call's `_Deadline`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager


def cookieless_session() -> requests.Session:
    """A session that keeps no cookie a server sets, with the deadline-aware adapter."""
    session = requests.Session()
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    for prefix in ("http://", "https://"):
        session.mount(prefix, _DeadlineAdapter())
    return session


class _TooLarge(Exception):
    pass


class RateLimiter:
    """At most `per_second` requests a second across threads (None: no cap)."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.next_at = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            delay = self.next_at - now
            self.next_at = max(now, self.next_at) + self.interval
        if delay > 0:
            time.sleep(delay)


class KoreClient:
    """The three calls against one target, through one session."""

    def __init__(
        self,
        target: Target,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        rate: float | None = None,
        ledger: Ledger | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        max_failures: int | None = None,
    ) -> None:
        self.target = target
        self.timeout = timeout  # the whole call: connect, headers and body
        self.limiter = RateLimiter(rate)
        self.ledger = ledger or Ledger(None)
        self.max_response_bytes = max_response_bytes
        self.max_failures = max_failures  # None: never give up on the server
        self.session = cookieless_session()
        self.requests_sent = 0
        self.failures_in_a_row = 0
        self._count_lock = threading.Lock()
        self._url_problem = base_url_problem(target.base_url)

    def close(self) -> None:
        self.session.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        retries: int = 0,
    ) -> Exchange:
        """One call (retried `retries` times without an answer); raises
        `ServerStoppedAnswering` once `max_failures` attempts in a row got no answer (when
        the caller set that limit: `kore-contract test` does)."""
        url = self.target.base_url.rstrip("/") + path
        if query:
            url += "?" + urlencode(query)
        exchange = Exchange(method, url, dict(headers or {}), body)
        if self._url_problem:  # the host requests would reach is not the one it shows
            exchange.error = f"not sent: the base URL {self._url_problem}"
            return exchange
        if {".", ".."} & set(path.split("/")):
            exchange.error = (
                f"not sent: the path {path!r} has a '.' or '..' segment, which "
                "HTTP clients and servers resolve to another path (a campaign "
                "id that cannot be used in a URL)"
            )
            return exchange
        for attempt in range(retries + 1):
            self.limiter.wait()
            with self._count_lock:
                self.requests_sent += 1
            started = time.perf_counter()
            self._attempt(exchange)
            exchange.elapsed_ms = (time.perf_counter() - started) * 1000
            if exchange.status is not None:
                self._answered()
                return exchange
            self._unanswered(exchange)
            if attempt < retries:
                time.sleep(0.2 * (attempt + 1))
        return exchange

    def _attempt(self, exchange: Exchange) -> None:
        """Send once; the answer (read within the deadline and the size cap) or the error."""
        exchange.status, exchange.response_headers, exchange.response_text = None, {}, ""
        exchange.error = None
        with _Deadline(self.timeout) as deadline:
            try:
                response = self.session.request(
                    exchange.method,
                    exchange.url,
                    headers=exchange.headers,
                    data=exchange.body,
                    timeout=(self.timeout, self.timeout),
                    allow_redirects=False,
                    stream=True,
                )
                try:
                    content = self._read(response)
                finally:
                    response.close()
            except _TooLarge:
                exchange.status = response.status_code
                exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
                exchange.error = f"response larger than {self.max_response_bytes} bytes"
                return
            except requests.RequestException as error:
                exchange.error = (
                    f"no complete answer within {self.timeout:g} s (--timeout)"
                    if deadline.expired
                    else f"{type(error).__name__}: {error}"
                )
                return
        if deadline.expired:  # the body ended early because the deadline cut it
            exchange.error = f"no complete answer within {self.timeout:g} s (--timeout)"
            return
        exchange.status = response.status_code
        exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
        exchange.response_text = content.decode("utf-8", "replace")

    def _read(self, response: requests.Response) -> bytes:
        """The body, decoded; `_TooLarge` past `max_response_bytes`."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_response_bytes:
            raise _TooLarge
        chunks, size = [], 0
        for chunk in response.iter_content(chunk_size=_CHUNK):
            size += len(chunk)
            if size > self.max_response_bytes:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def _answered(self) -> None:
        with self._count_lock:
            self.failures_in_a_row = 0

    def _unanswered(self, exchange: Exchange) -> None:
        with self._count_lock:
            self.failures_in_a_row += 1
            stopped = self.max_failures is not None and self.failures_in_a_row >= self.max_failures
        if stopped:
            raise ServerStoppedAnswering(
                f"{self.target.base_url} stopped answering: {self.failures_in_a_row} requests "
                f"in a row got no answer (last: {exchange.error})"
            )

    # --- the three calls, as documented ---------------------------------------------

    def create(
        self,
        body: Any,
        *,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Exchange:
        """POST a create. The ledger gets an intent line (the name, no token) before it is
        sent, so a run killed mid-create leaves the name; then the answer's `_id`."""
        from kore_contract.run.ledger import campaign_name

        payload = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        sent_headers = {**self.target.standard_headers(), "Content-Type": "application/json"}
        name = campaign_name(body, raw)
        intent = self.ledger.intent(name, self.target)
        exchange = self.send(
            "POST",
            self.target.call_path("create"),
            query=query
            if query is not None
            else {"accountId": self.target.account_id, "campaignType": spec.campaign_type()},
            headers=headers if headers is not None else sent_headers,
            body=payload,
        )
        self.record_created(exchange, intent=intent, name=name)
        return exchange

    def record_created(
        self, exchange: Exchange, *, intent: str | None = None, name: str | None = None
    ) -> str | None:
        """The `_id` of a 2xx create answer, recorded in the ledger (once). A refusal settles
        the intent; no answer, or a 2xx without an id, leaves it open (the campaign may exist)."""
        if exchange.status is None:
            return None
        if not 200 <= exchange.status < 300:
            if intent is not None:
                self.ledger.answered(intent, exchange.status)
            return None
        answer = exchange.response_json
        data = answer.get("data") if isinstance(answer, dict) else None
        campaign_id = data.get("_id") if isinstance(data, dict) else None
        if isinstance(campaign_id, str) and campaign_id:
            self.ledger.created(campaign_id, self.target, intent=intent, name=name)
            return campaign_id
        return None

    def get(self, campaign_id: str) -> Exchange:
        return self.send(
            "GET",
            self.target.call_path("get", campaign_id),
            query={"accountId": self.target.account_id},
            headers=self.target.standard_headers(),
            retries=2,
        )

    def delete(self, campaign_id: str, *, campaign_type: bool = True) -> Exchange:
        query = {"accountId": self.target.account_id}
        if campaign_type:
            query["campaignType"] = spec.campaign_type()
        exchange = self.send(
            "DELETE",
            self.target.call_path("delete", campaign_id),
            query=query,
            headers=self.target.standard_headers(),
            retries=2,
        )
        if exchange.status is not None and (200 <= exchange.status < 300 or exchange.status == 404):
            self.ledger.deleted(campaign_id)
        return exchange

    # --- the family's other calls (docs/contract.md part 2) --------------------------

    def update(self, campaign_id: str, body: Any, *, raw: bytes | None = None) -> Exchange:
        """PUT a whole campaign (U1); never retried (a PUT is idempotent, but a retried
        update muddles U2's updatedAt)."""
        payload = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        return self.send(
            "PUT",
            self.target.call_path("update", campaign_id),
            query={"accountId": self.target.account_id, "campaignType": spec.campaign_type()},
            headers={**self.target.standard_headers(), "Content-Type": "application/json"},
            body=payload,
        )

    def trigger(
        self,
        campaign_id: str,
        action: str,
        *,
        shape: str = "trigger",
        query: Mapping[str, str] | None = None,
    ) -> Exchange:
        """Start or stop (`action`, the spec's x-actions) through the operation `shape`
        ("trigger": POST /trigger/{id}; "start": the start page's POST /{id}); `query`
        replaces the documented one (T6's bad triggers). A 2xx answer is recorded in the
        ledger as the campaign's new state (cleanup stops an Active campaign first)."""
        if query is None:
            query = {
                **spec.operations()[shape]["x-actions"][action]["query"],  # type: ignore[index]
                "accountId": self.target.account_id,
            }
        exchange = self.send(
            "POST",
            self.target.call_path(shape, campaign_id),
            query=query,
            headers=self.target.standard_headers(),
        )
        if exchange.status is not None and 200 <= exchange.status < 300:
            answer = exchange.response_json
            state = answer.get("status") if isinstance(answer, dict) else None
            self.ledger.state_changed(
                campaign_id,
                state if isinstance(state, str) else ("Active" if action == "start" else "Stopped"),
            )
        return exchange

    def start(self, campaign_id: str, *, shape: str = "trigger") -> Exchange:
        return self.trigger(campaign_id, "start", shape=shape)

    def stop(self, campaign_id: str) -> Exchange:
        return self.trigger(campaign_id, "stop")

    def status(self, campaign_id: str) -> Exchange:
        return self.send(
            "POST",
            self.target.call_path("status", campaign_id),
            query={"accountId": self.target.account_id},
            headers=self.target.standard_headers(),
            retries=2,
        )

    def list_campaigns(self, body: Any, *, retries: int = 2) -> Exchange:
        return self.send(
            "POST",
            self.target.call_path("list"),
            query={"accountId": self.target.account_id},
            headers={**self.target.standard_headers(), "Content-Type": "application/json"},
            body=json.dumps(body, ensure_ascii=False).encode(),
            retries=retries,
        )

    def listed_by_name(
        self, names: set[str], *, page_size: int = 50, pages: int = 20
    ) -> dict[str, list[dict[str, Any]]] | None:
        """The campaigns of these exact names, from the list call (newest first, at most
        `pages` pages): name -> list results (`id`, `status`, ...). None when the list call
        does not answer a page (the names stay unresolved)."""
        found: dict[str, list[dict[str, Any]]] = {}
        for page in range(pages):
            exchange = self.list_campaigns(
                {
                    "type": spec.campaign_type(),
                    "limit": page_size,
                    "skip": page * page_size,
                    "sortBy": {"createdAt": "desc"},
                },
                retries=0,
            )
            answer = exchange.response_json if exchange.status == 200 else None
            data = answer.get("data") if isinstance(answer, dict) else None
            results = data.get("results") if isinstance(data, dict) else None
            if not isinstance(data, dict) or not isinstance(results, list):
                return None
            for result in results:
                if (
                    isinstance(result, dict)
                    and isinstance(result.get("id"), str)
                    and result.get("name") in names
                ):
                    found.setdefault(str(result["name"]), []).append(result)
            if not data.get("hasMore") or not results:
                break
        return found

    def settle_unresolved(self) -> None:
        """Creates sent without a readable answer (the ledger's open intents), looked up by
        name with the list call: each campaign found joins the ledger as created (and
        Active when listed so), for `delete_pending` to stop and delete."""
        intents = dict(self.ledger.unresolved)
        names = {str(entry.get("name")) for entry in intents.values() if entry.get("name")}
        listed = self.listed_by_name(names) if names else None
        for key, entry in intents.items():
            for match in (listed or {}).get(str(entry.get("name")), []):
                self.ledger.created(match["id"], self.target, intent=key, name=entry["name"])
                if match.get("status") == "Active":
                    self.ledger.state_changed(match["id"], "Active")

    def delete_pending(self) -> list[str]:
        """Delete every campaign the ledger still holds, stopping an Active one first (a
        server refuses to delete it, T5); the ids that could not be deleted."""
        left = []
        for campaign_id in list(self.ledger.pending):
            if self.ledger.pending[campaign_id].get("state") == "Active":
                self.stop(campaign_id)
            exchange = self.delete(campaign_id)
            gone = exchange.status is not None and (
                200 <= exchange.status < 300 or exchange.status == 404
            )
            if not gone:
                left.append(campaign_id)
        return left


# --- where a base URL really points ---------------------------------------------------------


def base_url_problem(base_url: str) -> str | None:
    """Why `base_url` cannot be used as it is, or None.

    Refused: anything but http(s), no host, user info, a backslash, whitespace or control
    characters, a query or fragment, and any URL whose host Python's parser and urllib3's
    (the one `requests` connects with) read differently.
    """
    if any(ch == "\\" or ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in base_url):
        return "contains a backslash, whitespace or a control character"
    try:
        split = urlsplit(base_url)
        parsed = urllib3.util.parse_url(base_url)
        split_host = split.hostname
    except ValueError as error:
        return f"is not a URL ({error})"
    if split.scheme.lower() not in ("http", "https"):
        return "must start with http:// or https://"
    if "@" in split.netloc or parsed.auth:
        return "contains user info (user@host); give the host alone"
    if split.query or split.fragment or "?" in base_url or "#" in base_url:
        return "has a query or a fragment; give scheme, host, port and path prefix only"
    host = (parsed.host or "").strip("[]").lower()
    if not host or host != (split_host or "").lower():
        return "has a host that different URL parsers read differently"
    return None


def is_loopback(base_url: str) -> bool:
    """True when the HTTP client would connect to this machine: the host is an IP literal
    in 127.0.0.0/8 or ::1, or exactly `localhost` (never a name like 127.evil.example)."""
    if base_url_problem(base_url) is not None:
        return False
    host = (urllib3.util.parse_url(base_url).host or "").strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
