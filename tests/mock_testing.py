"""Small helpers for talking to the mock: URLs, curl-like headers, in-process ASGI calls.

Used by the project's tests and benchmarks; no pytest import.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token
from kore_contract.contract import spec
from kore_contract.mock.app import MockApp

STREAM = "st-0603182c-7ffb-53c3-b307-47ca14b12345"
ACCOUNT = "67777ce93e25326494e12345"
IID = "st-0603182c-7ffb-53c3-b307-47ca14b12345"


def create_path(stream: str = STREAM) -> str:
    return spec.call_path("create", streamId=stream)


def campaign_path(campaign_id: str, stream: str = STREAM) -> str:
    return spec.call_path("get", streamId=stream, campaignId=campaign_id)


def create_url(
    base_url: str,
    *,
    stream: str = STREAM,
    account: str = ACCOUNT,
    campaign_type: str | None = spec.campaign_type(),
) -> str:
    query = f"?accountId={account}" + (
        f"&campaignType={campaign_type}" if campaign_type is not None else ""
    )
    return base_url + create_path(stream) + query


def campaign_url(
    base_url: str,
    campaign_id: str,
    *,
    stream: str = STREAM,
    account: str = ACCOUNT,
    campaign_type: str | None = None,
) -> str:
    query = f"?accountId={account}" + (
        f"&campaignType={campaign_type}" if campaign_type is not None else ""
    )
    return base_url + campaign_path(campaign_id, stream) + query


def call_url(
    base_url: str,
    call: spec.Call,
    campaign_id: str | None = None,
    *,
    stream: str | None = None,
    **query: str | None,
) -> str:
    """The URL of any call of the spec (its `x-call`) in `stream` (default STREAM), with
    the query given (None: left out), in the order given."""
    parameters = {"streamId": stream or STREAM}
    if campaign_id is not None:
        parameters["campaignId"] = quote(campaign_id, safe="")
    sent = {name: value for name, value in query.items() if value is not None}
    return base_url + spec.call_path(call, **parameters) + ("?" + urlencode(sent) if sent else "")


def curl_headers(
    token: str | None = None, *, account: str = ACCOUNT, iid: str = IID, json_body: bool = True
) -> dict[str, str]:
    """The headers of the documentation's curl sample (`accountid` in lower case)."""
    headers = {
        "User-Agent": "curl/8.5.0",
        "Accept": "*/*",
        "auth": token
        if token is not None
        else mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        "accountid": account,
        "iid": iid,
    }
    if json_body:
        headers["Content-Type"] = "application/json"
    return headers


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    app: MockApp,
    method: str,
    path: str,
    *,
    query: str = "",
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    chunks: list[bytes] | None = None,
) -> Reply:
    """One request straight into the ASGI app, no socket (fast, for property tests)."""
    return asyncio.run(
        acall(app, method, path, query=query, headers=headers, body=body, chunks=chunks)
    )


async def acall(
    app: MockApp,
    method: str,
    path: str,
    *,
    query: str = "",
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    chunks: list[bytes] | None = None,
) -> Reply:
    parts = list(chunks) if chunks is not None else [body]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode("latin-1", "replace"),
        "root_path": "",
        "headers": [
            (k.lower().encode("latin-1"), v.encode("latin-1", "replace"))
            for k, v in (headers or {}).items()
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[Mapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if parts:
            chunk = parts.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(parts)}
        return {"type": "http.disconnect"}

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    head = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
    return Reply(int(start["status"]), head, b"".join(m.get("body", b"") for m in sent[1:]))
