"""The mock as a raw ASGI app: routing, the checks in order, refusals, answers.

Every call of the spec is served (routes from its operations, kore_contract.mock.routes):
create, get, update, delete, start and stop (both URL shapes), status and list, with the
campaign's state machine (T1 to T6) kept by the store as a compare-and-set.

Order of checks on every call: the `auth` token (A1, A2: 401, or 403 for another app's
token), then the `iid`/`accountId` headers and the `accountId` query (A3: 400; the query
is optional on start and stop), then the call's other query parameters (T6, Q1: 400),
then an unknown campaign id (S10, U3: 404); on a call with a body (create, update, list)
the content type (415), the size (413), JSON (R1, L1: 400) and the validator with the
fixture and the query (R1 to R13, C1 to C3, U1, L1: 400); last the campaign's state (T4,
T5: 409). Start, stop and status ignore what is sent as a body. Every refusal is JSON:
`{"errors": [{"msg": ..., "code": 400, "rule": "R2", "pointer": "/name"}]}`, at most
`MAX_ERRORS_LISTED` entries (the last one then says how many more there were).
Nothing a client sends is answered 5xx; an unexpected exception is logged, recorded in
`errors` (tests re-raise it) and answered 500.

A body larger than `OFFLOAD_BYTES` is parsed, validated and stored on a small thread pool,
never on the event loop: a costly body delays only its own answer. The store is bounded
(kore_contract.mock.limits): past it a create is refused 409. A list page is capped at
`MAX_LIST_LIMIT` campaigns, and answered from the store's indexes.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import math
import re
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson

from kore_contract.auth import TokenChecker
from kore_contract.contract import spec
from kore_contract.contract.fixture import Fixture
from kore_contract.contract.loader import Unreadable, parse_json
from kore_contract.contract.violation import Violation
from kore_contract.mock import campaign as campaigns
from kore_contract.mock import limits
from kore_contract.mock.faults import Check, Fault, Moment
from kore_contract.mock.faults import fault as lookup_fault
from kore_contract.mock.logs import RateLimitedLog, printable
from kore_contract.mock.routes import Found, Operation, match
from kore_contract.mock.store import DATA, ID, NAME, STATUS, Draft, Outcome, Record, Store
from kore_contract.redaction import redact, redact_bytes, secret_bytes
from kore_contract.validate import engine, semantic
from kore_contract.validate.api import validate_request

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY_BYTES = limits.MAX_BODY_BYTES
BODY_TIMEOUT = limits.BODY_TIMEOUT  # read at each request (tests shorten it)
JSON_TYPE = b"application/json"
#: Threads that validate large bodies: a few at once keeps the memory of the worst
#: bodies bounded; more wait their turn (and only they wait).
VALIDATION_THREADS = 2

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Payload Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: bytes = JSON_TYPE
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    rules: str = ""  # for the log line: the rules a refusal names


@dataclass(frozen=True)
class Request:
    method: str
    operation: Operation
    stream_id: str
    campaign_id: str | None
    headers: dict[bytes, str]
    query: dict[str, str]
    token: str | None


_WANTED = (b"auth", b"iid", b"accountid", b"content-type", b"content-length")
#: The method that serves each call of the spec (`x-call`).
_HANDLERS = {
    "create": "_create",
    "get": "_get",
    "update": "_update",
    "delete": "_delete",
    "trigger": "_trigger",
    "start": "_trigger",
    "status": "_status",
    "list": "_list",
}
#: Where an unknown campaign id is answered in the mock's place (faults), by call.
_UNKNOWN_AT = {"get": Moment.UNKNOWN_CAMPAIGN, "delete": Moment.UNKNOWN_CAMPAIGN}


class MockApp:
    """The ASGI app. One instance serves one account fixture and one client's credentials."""

    def __init__(
        self,
        fixture: Fixture,
        *,
        client_id: str,
        client_secret: str,
        stream_id: str | None = None,
        account_id: str | None = None,
        iid: str | None = None,
        fault: str | Fault | None = None,
        log: Callable[[str], None] | None = None,
        max_body: int = MAX_BODY_BYTES,
        store: Store | None = None,
        max_campaigns: int = limits.MAX_CAMPAIGNS,
        max_stored_bytes: int = limits.MAX_STORED_BYTES,
    ) -> None:
        self.fixture = fixture
        self.client_id = client_id
        self.client_secret = client_secret
        self.stream_id = stream_id
        self.account_id = account_id
        self.iid = iid
        #: What this mock breaks on purpose (NO_FAULT: nothing). An unknown name fails here,
        #: not at the first request.
        self.fault = lookup_fault(fault)
        self.log = log
        self.max_body = max_body
        self.store = store or Store(max_campaigns=max_campaigns, max_bytes=max_stored_bytes)
        self.offload_bytes = limits.OFFLOAD_BYTES
        self._pool: ThreadPoolExecutor | None = None
        self.error_log = RateLimitedLog(self.write_error)
        self.errors: list[BaseException] = []
        #: Exceptions of `validate_request` (bugs there); the answer then comes from the
        #: validator's violation functions alone, without its warnings.
        self.validator_errors: list[BaseException] = []
        self.requests = 0
        self.checker = TokenChecker(client_id, client_secret, skip=self.fault.skips_token_checks)
        self._secret = secret_bytes(client_secret)
        # the constant parts of a success answer, as this mock's fault shapes them
        self._envelope_start = b'{"status":' + _dumps(self.fault.envelope_status) + b',"message":'
        self._success_type = self.fault.success_content_type.encode("latin-1")

    def close(self) -> None:
        """Stop the validation threads (the server calls this when it stops)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    # --- ASGI ---------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        self.requests += 1
        try:
            answer = await self._handle(scope, receive)
        except Exception as error:  # answered 500, recorded, logged
            _keep(self.errors, error)
            self._log_error(scope, error)
            answer = self._refuse(
                500,
                [
                    Violation(
                        "S9", "", "the mock failed unexpectedly; this is a bug in kore-contract"
                    )
                ],
            )
        headers = [
            (b"content-type", answer.content_type),
            (b"content-length", str(len(answer.body)).encode()),
            *answer.headers,
        ]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})
        if self.log is not None:
            self._log_request(scope, answer, time.perf_counter() - started)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    # --- the checks, in order -----------------------------------------------------

    async def _handle(self, scope: Scope, receive: Receive) -> Answer:
        path: str = scope["path"]
        method: str = scope["method"]
        found = match(path, method)
        if not isinstance(found, Found):
            if not found.allowed:
                return self._refuse(
                    404,
                    [
                        Violation(
                            "S9",
                            "",
                            f"no such path {path[:200]!r}; "
                            "the mock serves the calls of the spec under "
                            "/campaign/api/v2/public/{streamId}/campaign",
                        )
                    ],
                )
            listed = ", ".join(found.allowed)
            answer = self._refuse(
                405,
                [
                    Violation(
                        "S9", "", f"method {method} is not served on this path; allowed: {listed}"
                    )
                ],
            )
            answer.headers.append((b"allow", listed.encode()))
            return answer
        headers: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            if name in _WANTED and name not in headers:
                headers[name] = value.decode("latin-1")
        query = _query(scope["query_string"])
        groups = found.parameters
        request = Request(
            method,
            found.operation,
            groups["streamId"],
            groups.get("campaignId"),
            headers,
            query,
            headers.get(b"auth"),
        )

        refusal = self.checker.refusal(request.token)
        if refusal is not None:
            violation = refusal.violation
            message = self.fault.token_refusal_message(violation.message, self.client_secret)
            if message != violation.message:
                violation = Violation(violation.rule, violation.pointer, message)
            return self._refuse(refusal.status, [violation], request)
        instead = self._instead(Moment.TOKEN_ACCEPTED, request)
        if instead is not None:
            return instead
        problems = self._header_violations(request)
        if problems:
            return problems
        handler: Callable[[Request, Receive], Awaitable[Answer]] = getattr(
            self, _HANDLERS[found.operation.call]
        )
        return await handler(request, receive)

    def _header_violations(self, request: Request) -> Answer | None:
        missing: list[Violation] = []
        foreign: list[Violation] = []
        account_query = request.operation.param("accountId")
        query_optional = account_query is None or not account_query.required
        for where, name, value, pinned, allowed_missing in (
            (
                "headers",
                "iid",
                request.headers.get(b"iid"),
                self.iid,
                Check.IID_HEADER in self.fault.skips,
            ),
            ("headers", "accountId", request.headers.get(b"accountid"), self.account_id, False),
            (
                "query",
                "accountId",
                request.query.get("accountId"),
                self.account_id,
                Check.ACCOUNT_QUERY in self.fault.skips
                or (query_optional and "accountId" not in request.query),
            ),
        ):
            if not value:
                if not allowed_missing:
                    kind = "header" if where == "headers" else "query parameter"
                    missing.append(
                        Violation(
                            "A3",
                            f"/{where}/{name}",
                            f"{kind} {name}: {'missing' if value is None else 'empty'}; required",
                        )
                    )
            elif pinned is not None and value != pinned:
                foreign.append(
                    Violation(
                        "A3",
                        f"/{where}/{name}",
                        f"{name}: got {value[:60]!r}; this mock serves {pinned!r}",
                    )
                )
        if missing:
            return self._refuse(400, missing + foreign, request)
        if foreign:
            return self._refuse(403, foreign, request)
        if self.stream_id is not None and request.stream_id != self.stream_id:
            return self._refuse(
                404,
                [
                    Violation(
                        "S9",
                        "/path/streamId",
                        f"no stream "
                        f"{request.stream_id[:60]!r}; this mock serves "
                        f"{self.stream_id!r}",
                    )
                ],
                request,
            )
        return None

    def _query_violations(self, request: Request) -> list[Violation]:
        """The call's query parameters other than accountId (A3), as the spec states them
        (T6 on start and stop, Q1's view)."""
        found: list[Violation] = []
        for param in request.operation.query:
            if param.name == "accountId" or param.name in self._unchecked_params:
                continue
            violation = param.violation(self._query_value(request, param.name))
            if violation is not None:
                found.append(violation)
        return found

    @property
    def _unchecked_params(self) -> frozenset[str]:
        return (
            frozenset({"campaignType"})
            if Check.TRIGGER_CAMPAIGN_TYPE in self.fault.skips
            else frozenset()
        )

    def _query_value(self, request: Request, name: str) -> str | None:
        value = request.query.get(name)
        if value is not None and name == "trigger" and Check.TRIGGER_CASE in self.fault.skips:
            return value.lower()
        return value

    async def _read_json_body(
        self, request: Request, receive: Receive, then: Callable[[Request, bytes], Answer]
    ) -> Answer:
        """A call with a JSON body (create, update, list): its content type (415) and size
        (413), then `then(request, body)`, on a thread for a large body."""
        content_type = request.headers.get(b"content-type")
        if not _is_json(content_type) and Check.JSON_CONTENT_TYPE not in self.fault.skips:
            got = "missing" if content_type is None else f"got {content_type[:80]!r}"
            return self._refuse(
                415,
                [
                    Violation(
                        "A3",
                        "/headers/content-type",
                        f"Content-Type: {got}; send Content-Type: application/json "
                        "(a UTF-8 JSON body)",
                    )
                ],
                request,
            )
        length = request.headers.get(b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.max_body:
            return self._too_large(int(length), request)
        body = await self._read_body(receive)
        if isinstance(body, Answer):
            return body
        if len(body) <= self.offload_bytes:
            return then(request, body)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                VALIDATION_THREADS, thread_name_prefix="kore-mock-validate"
            )
        return await asyncio.get_running_loop().run_in_executor(self._pool, then, request, body)

    def _parsed(
        self, request: Request, body: bytes, rule: str, checks_secret: bool = True
    ) -> tuple[Any, tuple[str, ...]] | Answer:
        """The body's JSON and its duplicated keys, or the refusal of a body that is not
        JSON, holds a number a double cannot hold or (`checks_secret`) a secret."""
        parsed = parse_json(body)
        if isinstance(parsed, Unreadable):
            instead = self._instead(Moment.UNREADABLE_BODY, request)
            return instead or self._refuse(
                400, [Violation(rule, "", f"body: {parsed.reason}")], request
            )
        overflow = _overflowing_number(body, parsed.payload)
        if overflow is not None:
            return self._refuse(
                400,
                [
                    Violation(
                        rule,
                        overflow,
                        f"{overflow or 'body'}: a "
                        "number too large for a double (it reads as infinity); send "
                        "a number within +-1.7e308",
                    )
                ],
                request,
            )
        if checks_secret and self._holds_secret(body, request.token):
            return self._refuse(
                400,
                [
                    Violation(
                        "S11",
                        "",
                        "body: holds the auth token or the "
                        "client secret, which a campaign must not echo; remove it",
                    )
                ],
                request,
            )
        duplicates = () if Check.DUPLICATE_KEYS in self.fault.skips else parsed.duplicate_keys
        return parsed.payload, duplicates

    def _body_violations(
        self, request: Request, payload: Any, duplicates: tuple[str, ...], call: str
    ) -> list[Violation]:
        """The validator's violations of a create, update or list body (R, C, U1, L1)."""
        arguments = _call_argument(call)
        if arguments is None:
            return []  # the bridge of _call_argument: no list validation yet
        try:
            found = validate_request(
                payload,
                fixture=self.fixture,
                query=request.query,
                duplicate_keys=duplicates,
                **arguments,  # type: ignore[arg-type]
            )
        except Exception as error:  # a validator bug: answer from its parts that do work
            _keep(self.validator_errors, error)
            self._log_error(None, error)
            if call == "list":  # no part of the create checks applies: a plain refusal
                return [
                    Violation(
                        "L1",
                        "",
                        "body: could not be checked (a bug in "
                        "kore-contract's validator, logged); nothing was listed",
                    )
                ]
            return _violations_without_warnings(payload, self.fixture, request.query, duplicates)
        return list(found.violations)

    # --- create, get, delete (S1 to S10) ------------------------------------------

    async def _create(self, request: Request, receive: Receive) -> Answer:
        return await self._read_json_body(request, receive, self._create_from)

    def _create_from(self, request: Request, body: bytes) -> Answer:
        """Parse, check and store a create body (on the loop, or a thread for a large one)."""
        parsed = self._parsed(request, body, "R1")
        if isinstance(parsed, Answer):
            return parsed
        payload, duplicates = parsed
        found = self._body_violations(request, payload, duplicates, "create")
        accepted = self.fault.accepts
        violations = [v for v in found if v.rule not in accepted] if accepted else found
        if violations:
            return self._refuse(400, violations, request)
        instead = self._instead(Moment.VALID_CREATE, request)
        if instead is not None:
            return instead
        made: list[campaigns.Campaign] = []

        def build(stamp: int) -> Draft:
            clean = campaigns.build_campaign(payload, self.fixture, at=campaigns.iso(stamp))
            data = self.fault.created(clean, request.token)
            made.append(data)
            shown = campaigns.facts(data)  # status answers the name the campaign shows
            return Draft(
                campaigns.campaign_id_of(data),
                shown.name,
                campaigns.facts(clean).status,
                shown.priority,
                _dumps(data),
            )

        stored = self.store.add(request.stream_id, self._account(request), build)
        if not isinstance(stored, tuple):
            return self._refuse(409, [Violation("S9", "", stored.message())], request)
        return self._success(
            self.fault.created_status, stored[DATA], f"Campaign {stored[NAME]} creation in progress"
        )

    def _too_large(self, size: int, request: Request | None) -> Answer:
        return self._refuse(
            413,
            [
                Violation(
                    "R1",
                    "",
                    f"body: {size} bytes, at most "
                    f"{self.max_body} accepted (a create body is a few KB)",
                )
            ],
            request,
        )

    async def _read_body(self, receive: Receive) -> bytes | Answer:
        try:
            if sys.version_info >= (3, 11):
                async with asyncio.timeout(BODY_TIMEOUT):
                    return await self._receive_body(receive)
            return await asyncio.wait_for(self._receive_body(receive), BODY_TIMEOUT)
        except (asyncio.TimeoutError, TimeoutError):
            return self._refuse(
                408, [Violation("R1", "", f"body: not complete after {BODY_TIMEOUT:.0f} s")]
            )

    async def _receive_body(self, receive: Receive) -> bytes | Answer:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return Answer(400, b"")  # the client went away; nobody reads this
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return self._too_large(size, None)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _holds_secret(self, body: bytes, token: str | None) -> bool:
        sent = secret_bytes(token, "latin-1")
        if sent is not None and sent in body:
            return Check.TOKEN_IN_BODY not in self.fault.skips
        return self._secret is not None and self._secret in body

    def _account(self, request: Request) -> str:
        return request.query.get("accountId") or request.headers.get(b"accountid") or ""

    async def _get(self, request: Request, receive: Receive) -> Answer:
        found = self._find(request)
        if isinstance(found, Answer):
            return found
        name, data = found[NAME], found[DATA]
        if self.fault.change_fetched is not None:
            campaign = json.loads(data)
            self.fault.change_fetched(campaign, name)
            data = _dumps(campaign)
        return self._success(200, data, f"Campaign {name} retrieved successfully", request.token)

    async def _delete(self, request: Request, receive: Receive) -> Answer:
        kind = request.query.get("campaignType")
        if kind is None:
            instead = self._instead(Moment.DELETE_WITHOUT_TYPE, request)
            if instead is not None:
                return instead
        if kind is not None and kind != spec.campaign_type():
            return self._refuse(
                400,
                [
                    Violation(
                        "S10",
                        "/query/campaignType",
                        f"query parameter campaignType: got {kind[:40]!r}; "
                        f"expected {spec.campaign_type()} (or leave it out)",
                    )
                ],
                request,
            )
        found = self._find(request)
        if isinstance(found, Answer):
            return found
        refused = self._refused_while("delete")
        if not self.fault.deletes and found[STATUS] not in refused:
            return self._success(
                200, found[DATA], f"Campaign {found[NAME]} deleted successfully", request.token
            )
        outcome, record = self.store.delete(
            request.stream_id, self._account(request), found[ID], refused=refused
        )
        if outcome is Outcome.UNKNOWN or record is None:
            return self._not_found(request, "S10")
        if outcome is Outcome.REFUSED:
            return self._active_refusal(request, record, "delete")
        return self._success(
            200, record[DATA], f"Campaign {record[NAME]} deleted successfully", request.token
        )

    def _find(self, request: Request) -> Record | Answer:
        """The request's campaign, or the refusal of an unknown id (S10 on get and delete,
        U3 on the other calls)."""
        assert request.campaign_id is not None
        found = self.store.get(request.stream_id, self._account(request), request.campaign_id)
        if found is not None:
            return found
        instead = self._instead(
            _UNKNOWN_AT.get(request.operation.call, Moment.UNKNOWN_CAMPAIGN_CHANGED), request
        )
        if instead is not None:
            return instead
        return self._not_found(request, "S10" if request.operation.call in _UNKNOWN_AT else "U3")

    def _not_found(self, request: Request, rule: str) -> Answer:
        return self._refuse(
            404,
            [
                Violation(
                    rule,
                    "/path/campaignId",
                    f"no campaign {str(request.campaign_id)[:80]!r} in account "
                    f"{self._account(request)[:60]!r} of stream "
                    f"{request.stream_id[:60]!r} (never created, or deleted)",
                )
            ],
            request,
        )

    def _refused_while(self, call: str) -> frozenset[str]:
        """The states in which `call` (update, delete) is refused: Active (T5)."""
        if call in self.fault.allowed_while_active:
            return frozenset()
        return frozenset({campaigns.active_state()})

    def _active_refusal(self, request: Request, record: Record, call: str) -> Answer:
        return self._refuse(
            409,
            [
                Violation(
                    "T5",
                    "/path/campaignId",
                    f"the campaign is "
                    f"{record[STATUS]}; {call} applies to a campaign that is not "
                    f"{campaigns.active_state()}: stop it first",
                )
            ],
            request,
        )

    # --- update (U1, U2, T5) ------------------------------------------------------

    async def _update(self, request: Request, receive: Receive) -> Answer:
        found = self._find(request)
        if isinstance(found, Answer):
            return found
        return await self._read_json_body(request, receive, self._update_from)

    def _update_from(self, request: Request, body: bytes) -> Answer:
        parsed = self._parsed(request, body, "R1")
        if isinstance(parsed, Answer):
            return parsed
        payload, duplicates = parsed
        if Check.UPDATE_BODY not in self.fault.skips:
            violations = self._body_violations(request, payload, duplicates, "update")
            if violations:
                return self._refuse(400, violations, request)
        answered: list[campaigns.Campaign] = []

        def change(current: Record, stamp: int) -> Draft | None:
            before = json.loads(current[DATA])
            data = campaigns.build_campaign(
                payload,
                self.fixture,
                campaign_id=current[ID],
                at=campaigns.iso(stamp),
                created_at=campaigns.created_at_of(before),
                status=current[STATUS],
                priority=campaigns.priority_of(before),
            )
            answered.append(data)
            if not self.fault.stores_updates:
                return None
            stored = self._stored("update", data)
            state = campaigns.facts(data)
            return Draft(current[ID], state.name, current[STATUS], state.priority, _dumps(stored))

        assert request.campaign_id is not None
        outcome, record = self.store.replace(
            request.stream_id,
            self._account(request),
            request.campaign_id,
            change,
            refused=self._refused_while("update"),
        )
        if outcome is Outcome.UNKNOWN or record is None:
            return self._not_found(request, "U3")
        if outcome is Outcome.REFUSED:
            return self._active_refusal(request, record, "update")
        if outcome is Outcome.FULL:
            return self._refuse(
                409,
                [
                    Violation(
                        "S9",
                        "",
                        "the mock's store is full: the "
                        "updated campaign does not fit; delete campaigns or restart "
                        "the mock with a higher --max-store-mb",
                    )
                ],
                request,
            )
        data = self._answered("update", answered[-1])
        return self._success(
            200,
            _dumps(data),
            f"Campaign {data.get('name')} details updated successfully",
            request.token,
        )

    def _stored(self, call: str, data: campaigns.Campaign) -> campaigns.Campaign:
        """The campaign as stored after `call` (a fault may change it)."""
        if self.fault.change_stored is None:
            return data
        changed = json.loads(_dumps(data))
        self.fault.change_stored(call, changed)
        return changed  # type: ignore[no-any-return]

    def _answered(self, call: str, answer: dict[str, Any]) -> dict[str, Any]:
        """`answer` as the call answers it (a fault may change it)."""
        if self.fault.change_answer is None:
            return answer
        changed: dict[str, Any] = json.loads(_dumps(answer))
        self.fault.change_answer(call, changed)
        return changed

    # --- start and stop (T2 to T6) ------------------------------------------------

    async def _trigger(self, request: Request, receive: Receive) -> Answer:
        problems = self._query_violations(request)
        if problems:
            return self._refuse(400, problems, request)
        folded = {**request.query, "trigger": self._query_value(request, "trigger") or ""}
        if Check.TRIGGER_CAMPAIGN_TYPE in self.fault.skips:
            folded["campaignType"] = spec.campaign_type()
        action = request.operation.action_of(folded)
        if action is None:  # the spec's enums and actions disagree: say what is served
            served = "; ".join(
                "&".join(f"{k}={v}" for k, v in selector.items())
                for selector in request.operation.actions.values()
            )
            return self._refuse(
                400,
                [
                    Violation(
                        "T6",
                        "/query/trigger",
                        f"this query selects no action; send one of: {served}",
                    )
                ],
                request,
            )
        ignored = await self._read_body(receive)  # start and stop take no body (ignored)
        if isinstance(ignored, Answer):
            return ignored
        transition = campaigns.transitions()[action]
        allowed = transition.applies_to | {
            state for name, state in self.fault.extra_transitions if name == action
        }
        stamps: list[str] = []

        def change(current: Record, stamp: int) -> Draft | None:
            at = campaigns.iso(stamp)
            stamps.append(at)
            if action in self.fault.skips_transitions:
                return None
            data = self._stored(
                action, campaigns.restated(json.loads(current[DATA]), transition.leads_to, at)
            )
            return Draft(
                current[ID],
                current[NAME],
                transition.leads_to,
                campaigns.facts(data).priority,
                _dumps(data),
            )

        assert request.campaign_id is not None
        outcome, record = self.store.replace(
            request.stream_id, self._account(request), request.campaign_id, change, allowed=allowed
        )
        if outcome is Outcome.UNKNOWN or record is None:
            return self._unknown(request)
        if outcome is Outcome.REFUSED:
            states = " or ".join(sorted(transition.applies_to))
            return self._refuse(
                409,
                [
                    Violation(
                        "T4",
                        "/query/trigger",
                        f"trigger="
                        f"{request.query.get('trigger')}: the campaign is "
                        f"{record[STATUS]}; {action} applies to a campaign that is "
                        f"{states}",
                    )
                ],
                request,
            )
        if outcome is Outcome.FULL:
            return self._refuse(409, [Violation("S9", "", "the mock's store is full")], request)
        answer = self._answered(action, campaigns.trigger_answer(transition, stamps[-1]))
        return self._plain(200, _dumps(answer), request.token)

    def _unknown(self, request: Request) -> Answer:
        instead = self._instead(Moment.UNKNOWN_CAMPAIGN_CHANGED, request)
        return instead or self._not_found(request, "U3")

    # --- status (Q1) --------------------------------------------------------------

    async def _status(self, request: Request, receive: Receive) -> Answer:
        problems = self._query_violations(request)
        if problems:
            return self._refuse(400, problems, request)
        found = self._find(request)
        if isinstance(found, Answer):
            return found
        ignored = await self._read_body(receive)  # status takes no body (ignored)
        if isinstance(ignored, Answer):
            return ignored
        answer = self._answered(
            "status", campaigns.status_answer(found[ID], found[STATUS], found[NAME])
        )
        return self._plain(200, _dumps(answer), request.token)

    # --- list (L1 to L3) ----------------------------------------------------------

    async def _list(self, request: Request, receive: Receive) -> Answer:
        return await self._read_json_body(request, receive, self._list_from)

    def _list_from(self, request: Request, body: bytes) -> Answer:
        parsed = self._parsed(request, body, "L1", checks_secret=False)
        if isinstance(parsed, Answer):
            return parsed
        payload, duplicates = parsed
        if Check.LIST_BODY not in self.fault.skips:
            violations = self._body_violations(request, payload, duplicates, "list")
            if violations:
                return self._refuse(400, violations, request)
        listing = campaigns.read_list_body(payload)
        query = listing.query
        if self.fault.change_list_query is not None:
            query = self.fault.change_list_query(query)
        total, shown = 0, list[bytes]()
        if listing.of_this_type:
            total, shown = self.store.page(
                request.stream_id, self._account(request), query, _list_result
            )
        answer = (
            campaigns.list_answer_start()
            + b",".join(shown)
            + campaigns.list_answer_end(query.skip, query.limit, len(shown), total)
        )
        if self.fault.change_answer is not None:
            answer = _dumps(self._answered("list", json.loads(answer)))
        return self._plain(200, answer, request.token)

    def _plain(self, status: int, body: bytes, token: str | None) -> Answer:
        """A success answer that is not part 1's envelope (start, stop, status, list)."""
        if token is not None and self.fault.redacts_successes:
            body = self._redact(body, token)
        return Answer(status, body, self._success_type)

    # --- answers ------------------------------------------------------------------

    def _instead(self, moment: Moment, request: Request) -> Answer | None:
        """What the fault answers at `moment` in the mock's place, if anything."""
        failure = self.fault.failure(moment)
        if failure is None:
            return None
        return self._refuse(failure.status, [failure.violation], request)

    def _success(self, status: int, data: bytes, message: str, token: str | None = None) -> Answer:
        """S1: `{"status": "success", "message": ..., "data": ...}`; `data` is JSON already."""
        body = self._envelope_start + _dumps(message)
        body += b',"data":' + data + b"}" if self.fault.envelope_has_data else b"}"
        if token is not None and self.fault.redacts_successes:
            body = self._redact(body, token)
        return Answer(status, body, self._success_type)

    def _refuse(
        self, status: int, violations: Iterable[Violation], request: Request | None = None
    ) -> Answer:
        listed = _bounded(list(violations))
        rules = ",".join(dict.fromkeys(v.rule for v in listed))
        if self.fault.refusals_as_text and status < 500:
            text = "\n".join(str(v) for v in listed)
            body = f"{_REASONS.get(status, 'Error')}: {text}".encode()
            content_type = b"text/plain; charset=utf-8"
        else:
            body = _dumps(
                {
                    "errors": [
                        {"msg": v.message, "code": status, "rule": v.rule, "pointer": v.pointer}
                        for v in listed
                    ]
                }
            )
            content_type = JSON_TYPE
        if self.fault.redacts_refusals:
            body = self._redact(body, request.token if request else None)
        return Answer(status, body, content_type, rules=rules)

    def _redact(self, body: bytes, token: str | None) -> bytes:
        """S11: no answer holds the request's token or the client secret."""
        return redact_bytes(body, (secret_bytes(token, "latin-1"), self._secret))

    # --- logs ---------------------------------------------------------------------

    def _log_request(self, scope: Scope, answer: Answer, seconds: float) -> None:
        assert self.log is not None
        target = scope["path"]
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        rules = f" {answer.rules}" if answer.rules and answer.status >= 400 else ""
        line = (
            f"{_client(scope.get('client'))} {printable(scope['method'], 20)} "
            f"{_printable_target(redact(target, (self.client_secret,)))} "
            f"{answer.status}{rules} {seconds * 1000:.1f}ms"
        )
        self.log(line)

    def log_refusal(self, client: tuple[str, int] | None, status: int, message: str) -> None:
        """A line for a request refused before it reached the app (the HTTP layer)."""
        if self.log is not None:
            self.log(f"{_client(client)} - - {status} {printable(message, 200)}")

    def _log_error(self, scope: Scope | None, error: BaseException) -> None:
        """A traceback, at most once per `LOG_INTERVAL` for the same error at the same place
        (then with the count of the others): a client that trips a bug in a loop costs a
        line, not a disk."""
        text = "".join(traceback.format_exception(error))
        if len(text) > MAX_TRACEBACK_CHARS:
            text = "..." + text[-MAX_TRACEBACK_CHARS:]
        where = (
            f"on {printable(str(scope.get('method')), 20)} "
            f"{printable(str(scope.get('path')), LOGGED_TARGET_CHARS)}"
            if scope
            else "in the validator"
        )
        frames = traceback.extract_tb(error.__traceback__)
        kind = (
            f"{type(error).__name__} at {frames[-1].filename}:{frames[-1].lineno}"
            if frames
            else type(error).__name__
        )
        self.error_log.error(
            kind, redact(f"mock: unexpected error {where}:\n{text}", (self.client_secret,))
        )

    def write_error(self, line: str) -> None:
        """Where server errors go: the request log if there is one, else Python's logging."""
        if self.log is not None:
            self.log(line)
        else:
            import logging

            logging.getLogger("kore_contract.mock").error(line)


#: Characters of a request target an access-log line shows.
LOGGED_TARGET_CHARS = 300
#: Characters of a logged traceback (its end: where it failed).
MAX_TRACEBACK_CHARS = 4000
#: Unexpected errors kept in `errors` for `check()` (the first ones).
MAX_KEPT_ERRORS = 100


def _keep(errors: list[BaseException], error: BaseException) -> None:
    if len(errors) < MAX_KEPT_ERRORS:
        errors.append(error)


def _printable_target(target: str) -> str:
    """A request target for the log: printable, and one field (a space shows as %20)."""
    return printable(target, LOGGED_TARGET_CHARS).replace(" ", "%20")


def _client(client: Any) -> str:
    return f"{client[0]}:{client[1]}" if client else "-"


def _bounded(violations: list[Violation]) -> list[Violation]:
    """At most `MAX_ERRORS_LISTED` violations, each message at most `MAX_MESSAGE_CHARS`; the
    last entry then says how many more there were (rule of the first one left out)."""
    listed = [
        v
        if len(v.message) <= limits.MAX_MESSAGE_CHARS
        else Violation(v.rule, v.pointer, v.message[: limits.MAX_MESSAGE_CHARS] + "...")
        for v in violations[: limits.MAX_ERRORS_LISTED]
    ]
    more = len(violations) - len(listed)
    if more > 0:
        first = violations[len(listed)]
        listed.append(
            Violation(
                first.rule,
                "",
                f"... and {more:,} more violations, not listed (the first {len(listed)} are)",
            )
        )
    return listed


# A number a float cannot hold has an exponent of 3 digits or 200 digits and more written
# out (1e999, or 1 and 250 zeros e99). With digits read as 0, e and E as e, `+` kept and
# everything else a space, such a number shows one of these; bodies without (nearly all)
# are not walked. A byte translation and three finds: 3 us for a create body.
_NUMBER_SHAPE = bytes(
    48 if 48 <= b <= 57 else 101 if b in (69, 101) else 43 if b == 43 else 32 for b in range(256)
)
_HUGE_SHAPES = (b"0e000", b"0e+000", b"0" * 200)


def _overflowing_number(body: bytes, payload: Any) -> str | None:
    """The JSON pointer of the first number that parsed as infinity, else None."""
    shape = body.translate(_NUMBER_SHAPE)
    if not any(huge in shape for huge in _HUGE_SHAPES):
        return None
    # depth first, one iterator per open container: no pointer is built for a member
    # unless it is the one
    path: list[str] = []  # the keys of the open containers
    stack: list[Iterator[tuple[str, Any]]] = [iter((("", payload),))]
    while stack:
        member = next(stack[-1], None)
        if member is None:
            stack.pop()
            if stack:
                path.pop()
            continue
        key, value = member
        if isinstance(value, float):
            if math.isinf(value):
                return "".join(path) + key
        elif isinstance(value, dict):
            path.append(key)
            stack.append((f"/{spec.escape_token(k)}", v) for k, v in value.items())
        elif isinstance(value, list):
            path.append(key)
            stack.append((f"/{i}", v) for i, v in enumerate(value))
    return None


def _violations_without_warnings(
    payload: Any, fixture: Fixture, query: dict[str, str], duplicates: tuple[str, ...]
) -> list[Violation]:
    """What `validate_request` answers, from its parts that yield violations (no warnings)."""

    found = semantic.duplicate_key_violations(duplicates)
    found += engine.schema_violations(payload, "request")
    found += semantic.query_violations(payload, query)
    if isinstance(payload, dict):
        found += semantic.fixture_violations(payload, fixture)[0]
    return found


# allow_nan=False: an answer is JSON or an error, never `Infinity` (not JSON).
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), check_circular=False, allow_nan=False
)


def _dumps(content: Any) -> bytes:
    return _ENCODER.encode(content).encode("utf-8")


@functools.lru_cache(maxsize=1024)  # clients repeat the same few query strings
def _query(raw: bytes) -> dict[str, str]:
    """The query's parameters; the first of repeated ones wins. Treat as read-only."""
    return dict(reversed(parse_qsl(raw.decode("latin-1"), keep_blank_values=True)))


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "application/json":
        return False
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return False
    return True


#: A run of digits as long as a number orjson may not carry exactly (it reads an integer
#: past 64 bits as a float): such campaigns are read with json instead.
_LONG_NUMBER = re.compile(rb"[0-9]{19}")


def _list_result(record: Record) -> bytes:
    """A stored campaign as the list call shows it (L2): orjson reads and writes it (a
    page of 100 costs 0.5 ms, not 3), json where a number could lose digits."""
    data = record[DATA]
    if _LONG_NUMBER.search(data) is None:
        try:
            return orjson.dumps(campaigns.list_result(orjson.loads(data)))
        except (orjson.JSONDecodeError, TypeError):
            pass
    return _dumps(campaigns.list_result(json.loads(data)))


def _call_argument(call: str) -> dict[str, str] | None:
    """How `validate_request` is told the call (create is its default); None where it
    cannot check that call's body yet.

    Bridge until the validator knows the family's calls (issue 12 item 2): without a
    `call` parameter, an update body is checked as a create body (U1 says so) and a list
    body is read as it comes (read_list_body tolerates what it cannot use)."""
    if call == "create":
        return {}
    if _knows_calls(validate_request):
        return {"call": call}
    return {} if call == "update" else None


@functools.lru_cache(maxsize=8)
def _knows_calls(validator: Callable[..., Any]) -> bool:
    return "call" in inspect.signature(validator).parameters
