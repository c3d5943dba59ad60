"""Helpers of the traffic tests (issue 13): an application's session against the mock with
`requests`, every exchange recorded as run/client.py's `Exchange`, and a HAR 1.2 file or JSON
Lines made of them. No pytest import.
"""

from __future__ import annotations

import base64
import copy
import json
import time
import uuid
from pathlib import Path
from typing import Any

import requests
from mock_testing import call_url, curl_headers

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token, sign_claims
from kore_contract.contract import spec
from kore_contract.run.client import Exchange

TOKEN = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
KIND = spec.campaign_type()
TIMEOUT = 10


def body(variant: str = "template", **changes: Any) -> dict[str, Any]:
    """The spec's sample create body of `variant`, with `changes` (None: key removed)."""
    name = {"template": "docsSample", "plain": "plainDocsSample", "advanced": "advancedDocsSample"}[
        variant
    ]
    sent: dict[str, Any] = copy.deepcopy(spec.examples("create", "request")[name])
    sent.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del sent[key]
    return sent


def exchange_of(response: requests.Response) -> Exchange:
    """A `requests` response and its request as the run's `Exchange`."""
    request = response.request
    raw = request.body
    sent = raw.encode("utf-8") if isinstance(raw, str) else raw
    return Exchange(
        method=str(request.method),
        url=str(request.url),
        headers={k: str(v) for k, v in request.headers.items()},
        body=sent if isinstance(sent, bytes) else None,
        status=response.status_code,
        response_headers={k.lower(): v for k, v in response.headers.items()},
        response_text=response.text,
        elapsed_ms=response.elapsed.total_seconds() * 1000,
    )


class App:
    """An application using the API (through `base_url`: the mock or the proxy); every
    exchange is kept in `exchanges`."""

    def __init__(self, base_url: str, *, account: str | None = None, token: str = TOKEN) -> None:
        self.base = base_url
        self.account = account or f"acc-{uuid.uuid4().hex[:12]}"
        self.headers = curl_headers(token, account=self.account)
        self.session = requests.Session()
        self.exchanges: list[Exchange] = []

    def send(self, method: str, url: str, sent: Any = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", self.headers)
        data = kwargs.pop("data", None)
        answer = self.session.request(
            method,
            url,
            json=sent if data is None else None,
            data=data,
            headers=headers,
            timeout=TIMEOUT,
            **kwargs,
        )
        self.exchanges.append(exchange_of(answer))
        return answer

    def url(self, call: spec.Call, campaign_id: str | None = None, **query: str | None) -> str:
        return call_url(self.base, call, campaign_id, **query)

    def create(self, sent: Any = None, **kwargs: Any) -> requests.Response:
        url = self.url("create", accountId=self.account, campaignType=KIND)
        return self.send("POST", url, body() if sent is None else sent, **kwargs)

    def created_id(self, sent: Any = None) -> str:
        answer = self.create(sent)
        assert answer.status_code in (200, 201), answer.text
        campaign_id: str = answer.json()["data"]["_id"]
        return campaign_id

    def get(self, campaign_id: str) -> requests.Response:
        return self.send("GET", self.url("get", campaign_id, accountId=self.account))

    def update(self, campaign_id: str, sent: Any) -> requests.Response:
        url = self.url("update", campaign_id, accountId=self.account, campaignType=KIND)
        return self.send("PUT", url, sent)

    def trigger(self, campaign_id: str, trigger: str) -> requests.Response:
        url = self.url(
            "trigger", campaign_id, campaignType=KIND, trigger=trigger, accountId=self.account
        )
        return self.send("POST", url)

    def start(self, campaign_id: str) -> requests.Response:
        return self.trigger(campaign_id, "play")

    def stop(self, campaign_id: str) -> requests.Response:
        return self.trigger(campaign_id, "stop")

    def status(self, campaign_id: str) -> requests.Response:
        return self.send("POST", self.url("status", campaign_id, accountId=self.account), {})

    def list(self, sent: Any = None) -> requests.Response:
        return self.send(
            "POST",
            self.url("list", accountId=self.account),
            {"type": KIND} if sent is None else sent,
        )

    def delete(self, campaign_id: str) -> requests.Response:
        return self.send("DELETE", self.url("delete", campaign_id, accountId=self.account))

    def clean_session(self) -> None:
        """Every call of the contract, each as the contract wants it."""
        first = self.created_id()
        self.get(first)
        self.update(first, body(name="Renamed campaign"))
        self.get(first)
        self.status(first)
        self.start(first)
        self.status(first)
        self.get(first)
        self.list({"type": KIND, "sortBy": {"name": "asc"}})
        self.stop(first)
        self.status(first)
        second = self.created_id(body("plain"))
        self.list()
        self.delete(second)
        self.delete(first)
        self.list()


def har_entry(exchange: Exchange, *, base64_bodies: bool = False) -> dict[str, Any]:
    """One HAR 1.2 entry of an exchange (bodies as text, or base64 where asked)."""
    request_body = exchange.body
    post: dict[str, Any] | None = None
    if request_body is not None:
        post = {"mimeType": exchange.headers.get("Content-Type", ""), "text": ""}
        if base64_bodies:
            post["text"] = base64.b64encode(request_body).decode("ascii")
            post["encoding"] = "base64"
        else:
            post["text"] = request_body.decode("utf-8", "replace")
    content: dict[str, Any] = {
        "size": len(exchange.response_text.encode("utf-8")),
        "mimeType": exchange.response_headers.get("content-type", ""),
        "text": exchange.response_text,
    }
    if base64_bodies:
        content["text"] = base64.b64encode(exchange.response_text.encode("utf-8")).decode("ascii")
        content["encoding"] = "base64"
    entry: dict[str, Any] = {
        "startedDateTime": "2026-11-30T19:00:00.000Z",
        "time": exchange.elapsed_ms,
        "request": {
            "method": exchange.method,
            "url": exchange.url,
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": k, "value": v} for k, v in exchange.headers.items()],
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": -1 if request_body is None else len(request_body),
        },
        "response": {
            "status": exchange.status or 0,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": k, "value": v} for k, v in exchange.response_headers.items()],
            "cookies": [],
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": exchange.elapsed_ms, "receive": 0},
    }
    if post is not None:
        entry["request"]["postData"] = post
    return entry


def har_document(exchanges: list[Exchange], **options: Any) -> dict[str, Any]:
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "kore-contract tests", "version": "1"},
            "entries": [har_entry(exchange, **options) for exchange in exchanges],
        }
    }


def write_har(path: Path, exchanges: list[Exchange], **options: Any) -> Path:
    path.write_text(json.dumps(har_document(exchanges, **options)), encoding="utf-8")
    return path


def unsigned_token() -> str:
    """A token with alg none (A2)."""

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    return (
        part(b'{"alg":"none"}')
        + "."
        + part(json.dumps({"appId": DEFAULT_CLIENT_ID}).encode())
        + "."
    )


def bad_tokens() -> list[str | None]:
    """Tokens the API must refuse (A2): none, unsigned, another secret, expired, no appId."""
    expired = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, ttl=10, now=time.time() - 60)
    return [
        None,
        unsigned_token(),
        mint_token(DEFAULT_CLIENT_ID, "wrong-secret-here"),
        expired,
        sign_claims({"sub": "1"}, DEFAULT_CLIENT_SECRET),
    ]


UNKNOWN_ID = "cd-00000000-0000-4000-8000-000000000000"


def probe_session(app: App) -> None:
    """An application's session that would show every fault of the mock: each call as the
    contract wants it, and the requests a server must refuse (bad bodies, tokens, headers,
    transitions, deleted ids). Tolerant: a faulty answer never stops it."""

    def data_of(answer: requests.Response) -> dict[str, Any]:
        try:
            content = answer.json()
        except ValueError:
            return {}
        data = content.get("data") if isinstance(content, dict) else None
        return data if isinstance(data, dict) else {}

    # part 1: creates, get, delete, get (S1 to S10)
    made = [data_of(app.create(body(name=f"Template {n}"))) for n in ("one", "two", "three")]
    ids = [str(d.get("_id") or UNKNOWN_ID) for d in made]
    first, second, third = ids
    app.get(first)
    accented = data_of(app.create(body(name="ÉTÉ Campaña")))
    plain = data_of(app.create(body("plain")))
    advanced = data_of(app.create(body("advanced", priority=None)))
    for extra in (accented, plain, advanced):
        if extra.get("_id"):
            app.get(str(extra["_id"]))
            app.delete(str(extra["_id"]))
            app.get(str(extra["_id"]))
    app.get(UNKNOWN_ID)
    # the requests the server must refuse (R, S9, A1 to A3, C3)
    for bad in (
        body(priority="6"),
        body(contactLists=["No such list"]),
        body(message={"template_name": "Nope", "message": "SGk="}),
        body("advanced", experienceFlowName="No such flow"),
    ):
        app.create(bad)
    duplicated = json.dumps(body())[:-1] + ', "name": "twice"}'
    json_type = {**app.headers, "Content-Type": "application/json"}
    for raw in (duplicated.encode(), b"{oops"):
        app.create(data=raw, headers=json_type)
    for token in bad_tokens():
        headers = dict(app.headers)
        if token is None:
            del headers["auth"]
        else:
            headers["auth"] = token
        app.create(headers=headers)
    no_iid = dict(app.headers)
    del no_iid["iid"]
    app.create(headers=no_iid)
    app.send("POST", app.url("create", campaignType=KIND), body())
    app.create(data=json.dumps(body()), headers={**app.headers, "Content-Type": "text/plain"})
    # the family: Q1, T2 to T6, U1 to U3, L1 to L3
    app.status(first)
    app.start(first)
    app.status(first)
    app.get(first)
    app.start(first)  # T4
    app.stop(first)
    app.status(first)
    app.get(first)
    app.stop(first)  # T4
    app.send(
        "POST",
        app.url("start", second, campaignType=KIND, trigger="play", accountId=app.account),
    )
    app.status(second)
    app.update(second, body(name="While active"))  # T5
    app.delete(second)  # T5
    app.send(
        "POST",
        app.url("trigger", second, campaignType="voice", trigger="stop", accountId=app.account),
    )  # T6
    app.status(second)
    app.stop(third)  # T4
    app.trigger(third, "Play")  # T6
    app.status(third)
    for name in ("Renamed", "Renamed again"):
        app.update(third, body(name=name, priority="2"))
        app.get(third)
    app.update(third, body(priority=5))  # U1
    app.get(third)
    for campaign_id in ids:
        app.get(campaign_id)
    for page in (1, 2):
        app.list({"type": KIND, "limit": 2, "page": page, "sortBy": {"name": "asc"}})
    app.list({"type": KIND, "limit": 10, "sortBy": {"name": "desc"}})
    app.list({"type": KIND, "limit": 0})  # L1
    app.list({"type": KIND, "filters": {"status": ["Stopped"]}})
    app.stop(second)
    app.delete(second)
    app.get(second)
    app.status(second)  # U3
    app.start(second)  # U3
    app.update(second, body())  # U3
    app.delete(second)  # U3
    app.list({"type": KIND, "limit": 10})
