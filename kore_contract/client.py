"""HTTP client for the three calls: a timeout on every call, a rate cap, a ledger of creates.

Every exchange is recorded as an `Exchange` (request and response, or the transport error),
which checks, reports and the curl reproducer read. Only idempotent calls are retried: a
retried create could make a second campaign.
"""

from __future__ import annotations

import functools
import json
import shlex
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from kore_contract.ledger import Ledger
from kore_contract.spec import operations

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Target:
    """Where and as whom to call: the base URL, the ids of DESIGN.md's options, the token."""

    base_url: str
    stream_id: str
    account_id: str
    iid: str
    token: str

    def call_path(self, call: str, campaign_id: str | None = None) -> str:
        template: str = operations()[call]["path"]  # type: ignore[index]
        path = template.replace("{streamId}", self.stream_id)
        return path.replace("{campaignId}", campaign_id or "")

    def standard_headers(self) -> dict[str, str]:
        return {"auth": self.token, "iid": self.iid, "accountId": self.account_id}


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
    def response_json(self) -> Any:
        """The response body as JSON, or None when it is not JSON (parsed once: every check
        reads it; `send` sets the response before anyone asks)."""
        try:
            return json.loads(self.response_text)
        except ValueError:
            return None

    @property
    def request_json(self) -> Any:
        if self.body is None:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def is_json_response(self) -> bool:
        content_type = self.response_headers.get("content-type", "")
        return "json" in content_type.lower() and self.response_json is not None

    def curl(self) -> str:
        """A curl line that replays this request (redact before showing it)."""
        parts = ["curl", "-X", self.method, self.url]
        for name, value in self.headers.items():
            parts += ["-H", f"{name}: {value}"]
        if self.body is not None:
            parts += ["--data-binary", self.body.decode("utf-8", "replace")]
        return " ".join(shlex.quote(part) for part in parts)


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

    def __init__(self, target: Target, *, timeout: float = DEFAULT_TIMEOUT,
                 rate: float | None = None, ledger: Ledger | None = None) -> None:
        self.target = target
        self.timeout = timeout
        self.limiter = RateLimiter(rate)
        self.ledger = ledger or Ledger(None)
        self.session = requests.Session()
        self.requests_sent = 0
        self._count_lock = threading.Lock()

    def close(self) -> None:
        self.session.close()

    def send(self, method: str, path: str, *, query: Mapping[str, str] | None = None,
             headers: Mapping[str, str] | None = None, body: bytes | None = None,
             retries: int = 0) -> Exchange:
        url = self.target.base_url.rstrip("/") + path
        if query:
            url += "?" + urlencode(query)
        exchange = Exchange(method, url, dict(headers or {}), body)
        for attempt in range(retries + 1):
            self.limiter.wait()
            with self._count_lock:
                self.requests_sent += 1
            started = time.perf_counter()
            try:
                response = self.session.request(method, url, headers=exchange.headers, data=body,
                                                timeout=self.timeout, allow_redirects=False)
            except requests.RequestException as error:
                exchange.error = f"{type(error).__name__}: {error}"
                if attempt < retries:
                    time.sleep(0.2 * (attempt + 1))
                    continue
                return exchange
            exchange.elapsed_ms = (time.perf_counter() - started) * 1000
            exchange.status = response.status_code
            exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
            exchange.response_text = response.content.decode("utf-8", "replace")
            exchange.error = None
            return exchange
        return exchange

    # --- the three calls, as documented ---------------------------------------------

    def create(self, body: Any, *, headers: Mapping[str, str] | None = None,
               query: Mapping[str, str] | None = None, raw: bytes | None = None) -> Exchange:
        """POST a create; a 2xx answer's `_id` goes to the ledger before returning."""
        payload = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        sent_headers = {**self.target.standard_headers(), "Content-Type": "application/json"}
        exchange = self.send(
            "POST", self.target.call_path("create"),
            query=query if query is not None else {"accountId": self.target.account_id,
                                                   "campaignType": "sms"},
            headers=headers if headers is not None else sent_headers, body=payload)
        self.record_created(exchange)
        return exchange

    def record_created(self, exchange: Exchange) -> str | None:
        if exchange.status is None or not 200 <= exchange.status < 300:
            return None
        answer = exchange.response_json
        data = answer.get("data") if isinstance(answer, dict) else None
        campaign_id = data.get("_id") if isinstance(data, dict) else None
        if isinstance(campaign_id, str) and campaign_id:
            self.ledger.created(campaign_id, self.target)
            return campaign_id
        return None

    def get(self, campaign_id: str) -> Exchange:
        return self.send("GET", self.target.call_path("get", campaign_id),
                         query={"accountId": self.target.account_id},
                         headers=self.target.standard_headers(), retries=2)

    def delete(self, campaign_id: str, *, campaign_type: bool = True) -> Exchange:
        query = {"accountId": self.target.account_id}
        if campaign_type:
            query["campaignType"] = "sms"
        exchange = self.send("DELETE", self.target.call_path("delete", campaign_id), query=query,
                             headers=self.target.standard_headers(), retries=2)
        if exchange.status is not None and (200 <= exchange.status < 300 or exchange.status == 404):
            self.ledger.deleted(campaign_id)
        return exchange

    def delete_pending(self) -> list[str]:
        """Delete every campaign the ledger still holds; the ids that could not be deleted."""
        left = []
        for campaign_id in list(self.ledger.pending):
            exchange = self.delete(campaign_id)
            gone = exchange.status is not None and (200 <= exchange.status < 300
                                                    or exchange.status == 404)
            if not gone:
                left.append(campaign_id)
        return left


def is_loopback(base_url: str) -> bool:
    host = (urlsplit(base_url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")
