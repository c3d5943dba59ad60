"""The mock as a raw ASGI app: routing, the checks in order, refusals, answers.

Order of checks on every call: the `auth` token (A1, A2: 401, or 403 for another app's
token), then the `iid`/`accountId` headers and the `accountId` query (A3: 400), then on a
create the content type (415), the size (413), JSON (R1: 400) and the validator with the
fixture and the query (R1 to R13: 400). Every refusal is JSON:
`{"errors": [{"msg": ..., "code": 400, "rule": "R2", "pointer": "/name"}]}`, at most
`MAX_ERRORS_LISTED` entries (the last one then says how many more there were).
Nothing a client sends is answered 5xx; an unexpected exception is logged, recorded in
`errors` (tests re-raise it) and answered 500.

A body larger than `OFFLOAD_BYTES` is parsed, validated and stored on a small thread pool,
never on the event loop: a costly body delays only its own answer. The store is bounded
(kore_contract.mock.limits): past it a create is refused 409.
"""

from __future__ import annotations

import asyncio
import functools
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
from kore_contract.mock.store import Store, Stored
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

_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict",
            413: "Payload Too Large", 414: "URI Too Long", 415: "Unsupported Media Type",
            431: "Request Header Fields Too Large", 500: "Internal Server Error",
            503: "Service Unavailable"}


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
    stream_id: str
    campaign_id: str | None
    headers: dict[bytes, str]
    query: dict[str, str]
    token: str | None


def _route_pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


def _routes() -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """The spec's paths as patterns, each with the methods the spec gives it."""
    methods: dict[str, set[str]] = {}
    for operation in (spec.operations()[c] for c in ("create", "get", "delete")):  # item 4
        methods.setdefault(operation["path"], set()).add(operation["method"])
    return [(_route_pattern(path), frozenset(found)) for path, found in methods.items()]


_WANTED = (b"auth", b"iid", b"accountid", b"content-type", b"content-length")


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
        self.checker = TokenChecker(client_id, client_secret,
                                    skip=self.fault.skips_token_checks)
        self._secret = secret_bytes(client_secret)
        self._routes = _routes()
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
            answer = self._refuse(500, [Violation("S9", "", "the mock failed unexpectedly; "
                                                  "this is a bug in kore-contract")])
        headers = [(b"content-type", answer.content_type),
                   (b"content-length", str(len(answer.body)).encode()), *answer.headers]
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
        for pattern, allowed in self._routes:
            match = pattern.match(path)
            if match:
                methods = allowed
                break
        else:
            return self._refuse(404, [Violation("S9", "", f"no such path {path[:200]!r}; the "
                                      "mock serves /campaign/api/v2/public/{streamId}/campaign"
                                      "[/{campaignId}]")])
        method: str = scope["method"]
        if method not in methods:
            listed = ", ".join(sorted(methods))
            answer = self._refuse(405, [Violation("S9", "", f"method {method} is not served "
                                        f"on this path; allowed: {listed}")])
            answer.headers.append((b"allow", listed.encode()))
            return answer
        headers: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            if name in _WANTED and name not in headers:
                headers[name] = value.decode("latin-1")
        query = _query(scope["query_string"])
        groups = match.groupdict()
        request = Request(method, groups["streamId"], groups.get("campaignId"), headers, query,
                          headers.get(b"auth"))

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
        if method == "POST":
            return await self._create(request, receive)
        if method == "GET":
            return self._get(request)
        return self._delete(request)

    def _header_violations(self, request: Request) -> Answer | None:
        missing: list[Violation] = []
        foreign: list[Violation] = []
        for where, name, value, pinned, allowed_missing in (
            ("headers", "iid", request.headers.get(b"iid"), self.iid,
             Check.IID_HEADER in self.fault.skips),
            ("headers", "accountId", request.headers.get(b"accountid"), self.account_id, False),
            ("query", "accountId", request.query.get("accountId"), self.account_id,
             Check.ACCOUNT_QUERY in self.fault.skips),
        ):
            if not value:
                if not allowed_missing:
                    kind = "header" if where == "headers" else "query parameter"
                    missing.append(Violation("A3", f"/{where}/{name}", f"{kind} {name}: "
                                   f"{'missing' if value is None else 'empty'}; required"))
            elif pinned is not None and value != pinned:
                foreign.append(Violation("A3", f"/{where}/{name}", f"{name}: got "
                               f"{value[:60]!r}; this mock serves {pinned!r}"))
        if missing:
            return self._refuse(400, missing + foreign, request)
        if foreign:
            return self._refuse(403, foreign, request)
        if self.stream_id is not None and request.stream_id != self.stream_id:
            return self._refuse(404, [Violation("S9", "/path/streamId", f"no stream "
                                f"{request.stream_id[:60]!r}; this mock serves "
                                f"{self.stream_id!r}")], request)
        return None

    async def _create(self, request: Request, receive: Receive) -> Answer:
        content_type = request.headers.get(b"content-type")
        if not _is_json(content_type) and Check.JSON_CONTENT_TYPE not in self.fault.skips:
            got = "missing" if content_type is None else f"got {content_type[:80]!r}"
            return self._refuse(415, [Violation("A3", "/headers/content-type",
                                f"Content-Type: {got}; send Content-Type: application/json "
                                "(a UTF-8 JSON body)")], request)
        length = request.headers.get(b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.max_body:
            return self._too_large(int(length), request)
        body = await self._read_body(receive)
        if isinstance(body, Answer):
            return body
        if len(body) <= self.offload_bytes:
            return self._create_from(request, body)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(VALIDATION_THREADS,
                                            thread_name_prefix="kore-mock-validate")
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, self._create_from, request, body)

    def _create_from(self, request: Request, body: bytes) -> Answer:
        """Parse, check and store a create body (on the loop, or a thread for a large one)."""
        parsed = parse_json(body)
        if isinstance(parsed, Unreadable):
            instead = self._instead(Moment.UNREADABLE_BODY, request)
            return instead or self._refuse(400, [Violation("R1", "", f"body: {parsed.reason}")],
                                           request)
        overflow = _overflowing_number(body, parsed.payload)
        if overflow is not None:
            return self._refuse(400, [Violation("R1", overflow, f"{overflow or 'body'}: a "
                                "number too large for a double (it reads as infinity); send "
                                "a number within +-1.7e308")], request)
        if self._holds_secret(body, request.token):
            return self._refuse(400, [Violation("S11", "", "body: holds the auth token or the "
                                "client secret, which a campaign must not echo; remove it")],
                                request)
        duplicates = () if Check.DUPLICATE_KEYS in self.fault.skips else parsed.duplicate_keys
        try:
            found = validate_request(parsed.payload, fixture=self.fixture, query=request.query,
                                     duplicate_keys=duplicates).violations
        except Exception as error:  # a validator bug: answer from its parts that do work
            _keep(self.validator_errors, error)
            self._log_error(None, error)
            found = _violations_without_warnings(parsed.payload, self.fixture, request.query,
                                                 duplicates)
        accepted = self.fault.accepts
        violations = [v for v in found if v.rule not in accepted] if accepted else found
        if violations:
            return self._refuse(400, violations, request)
        instead = self._instead(Moment.VALID_CREATE, request)
        if instead is not None:
            return instead
        data = self.fault.created(campaigns.build_campaign(parsed.payload, self.fixture),
                                  request.token)
        encoded = _dumps(data)
        name = str(data.get("name"))
        full = self.store.add(request.stream_id, self._account(request), str(data.get("_id")),
                              name, encoded)
        if full is not None:
            return self._refuse(409, [Violation("S9", "", full.message())], request)
        return self._success(self.fault.created_status, encoded,
                             f"Campaign {name} creation in progress")

    def _too_large(self, size: int, request: Request | None) -> Answer:
        return self._refuse(413, [Violation("R1", "", f"body: {size} bytes, at most "
                            f"{self.max_body} accepted (a create body is a few KB)")], request)

    async def _read_body(self, receive: Receive) -> bytes | Answer:
        try:
            if sys.version_info >= (3, 11):
                async with asyncio.timeout(BODY_TIMEOUT):
                    return await self._receive_body(receive)
            return await asyncio.wait_for(self._receive_body(receive), BODY_TIMEOUT)
        except (asyncio.TimeoutError, TimeoutError):
            return self._refuse(408, [Violation("R1", "", f"body: not complete after "
                                f"{BODY_TIMEOUT:.0f} s")])

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

    def _get(self, request: Request) -> Answer:
        found = self._find(request)
        if isinstance(found, Answer):
            return found
        name, data = found
        if self.fault.change_fetched is not None:
            campaign = json.loads(data)
            self.fault.change_fetched(campaign, name)
            data = _dumps(campaign)
        return self._success(200, data, f"Campaign {name} retrieved successfully",
                             request.token)

    def _delete(self, request: Request) -> Answer:
        kind = request.query.get("campaignType")
        if kind is None:
            instead = self._instead(Moment.DELETE_WITHOUT_TYPE, request)
            if instead is not None:
                return instead
        if kind is not None and kind != spec.campaign_type():
            return self._refuse(400, [Violation("S10", "/query/campaignType",
                                f"query parameter campaignType: got {kind[:40]!r}; "
                                f"expected {spec.campaign_type()} (or leave it out)")], request)
        found = self._find(request)
        if isinstance(found, Answer):
            return found
        assert request.campaign_id is not None
        if self.fault.deletes:
            self.store.delete(request.stream_id, self._account(request), request.campaign_id)
        return self._success(200, found[1], f"Campaign {found[0]} deleted successfully",
                             request.token)

    def _find(self, request: Request) -> Stored | Answer:
        assert request.campaign_id is not None
        found = self.store.get(request.stream_id, self._account(request), request.campaign_id)
        if found is not None:
            return found
        instead = self._instead(Moment.UNKNOWN_CAMPAIGN, request)
        if instead is not None:
            return instead
        return self._refuse(404, [Violation("S10", "/path/campaignId",
                            f"no campaign {request.campaign_id[:80]!r} in account "
                            f"{self._account(request)[:60]!r} of stream "
                            f"{request.stream_id[:60]!r} (never created, or deleted)")], request)

    # --- answers ------------------------------------------------------------------

    def _instead(self, moment: Moment, request: Request) -> Answer | None:
        """What the fault answers at `moment` in the mock's place, if anything."""
        failure = self.fault.failure(moment)
        if failure is None:
            return None
        return self._refuse(failure.status, [failure.violation], request)

    def _success(self, status: int, data: bytes, message: str,
                 token: str | None = None) -> Answer:
        """S1: `{"status": "success", "message": ..., "data": ...}`; `data` is JSON already."""
        body = self._envelope_start + _dumps(message)
        body += b',"data":' + data + b"}" if self.fault.envelope_has_data else b"}"
        if token is not None and self.fault.redacts_successes:
            body = self._redact(body, token)
        return Answer(status, body, self._success_type)

    def _refuse(self, status: int, violations: Iterable[Violation],
                request: Request | None = None) -> Answer:
        listed = _bounded(list(violations))
        rules = ",".join(dict.fromkeys(v.rule for v in listed))
        if self.fault.refusals_as_text and status < 500:
            text = "\n".join(str(v) for v in listed)
            body = f"{_REASONS.get(status, 'Error')}: {text}".encode()
            content_type = b"text/plain; charset=utf-8"
        else:
            body = _dumps({"errors": [{"msg": v.message, "code": status, "rule": v.rule,
                                       "pointer": v.pointer} for v in listed]})
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
        line = (f"{_client(scope.get('client'))} {printable(scope['method'], 20)} "
                f"{_printable_target(redact(target, (self.client_secret,)))} "
                f"{answer.status}{rules} {seconds * 1000:.1f}ms")
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
        where = (f"on {printable(str(scope.get('method')), 20)} "
                 f"{printable(str(scope.get('path')), LOGGED_TARGET_CHARS)}"
                 if scope else "in the validator")
        frames = traceback.extract_tb(error.__traceback__)
        kind = f"{type(error).__name__} at {frames[-1].filename}:{frames[-1].lineno}" \
            if frames else type(error).__name__
        self.error_log.error(kind, redact(f"mock: unexpected error {where}:\n{text}",
                                          (self.client_secret,)))

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
    listed = [v if len(v.message) <= limits.MAX_MESSAGE_CHARS else
              Violation(v.rule, v.pointer, v.message[:limits.MAX_MESSAGE_CHARS] + "...")
              for v in violations[:limits.MAX_ERRORS_LISTED]]
    more = len(violations) - len(listed)
    if more > 0:
        first = violations[len(listed)]
        listed.append(Violation(first.rule, "", f"... and {more:,} more violations, not "
                                f"listed (the first {len(listed)} are)"))
    return listed


# A number a float cannot hold has an exponent of 3 digits or 200 digits and more written
# out (1e999, or 1 and 250 zeros e99). With digits read as 0, e and E as e, `+` kept and
# everything else a space, such a number shows one of these; bodies without (nearly all)
# are not walked. A byte translation and three finds: 3 us for a create body.
_NUMBER_SHAPE = bytes(48 if 48 <= b <= 57 else 101 if b in (69, 101) else 43 if b == 43 else 32
                      for b in range(256))
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


def _violations_without_warnings(payload: Any, fixture: Fixture, query: dict[str, str],
                                 duplicates: tuple[str, ...]) -> list[Violation]:
    """What `validate_request` answers, from its parts that yield violations (no warnings)."""

    found = semantic.duplicate_key_violations(duplicates)
    found += engine.schema_violations(payload, "request")
    found += semantic.query_violations(payload, query)
    if isinstance(payload, dict):
        found += semantic.fixture_violations(payload, fixture)[0]
    return found


# allow_nan=False: an answer is JSON or an error, never `Infinity` (not JSON).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False,
                            allow_nan=False)


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
                "utf-8", "utf8"):
            return False
    return True
