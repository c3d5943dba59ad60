"""The checks of live and recorded traffic: each exchange an application had with the API,
judged in order with the state the contract run keeps (issue 13).

`TrafficChecker.check_request` judges a request before it is forwarded: which call of the
contract it is (mock/routes.py `match`, doubled slashes read as one, D14), its headers and
query (A3, T6, Q1's view), its token (A2: verified with the client secret when one is given,
else its shape and claims only) and its body (`validate_request` with the fixture: R, C, U1,
L1). `check_exchange` then judges the answer with the registered checks of run/checks.py and
run/family_checks.py over one `RunState`: echo against what was sent (S3 to S8, C4), get
after create or update (S10, U2), the state after start and stop (T2, T3) and the refusals it
forbids (T4, T5), a listed campaign against its get (L2), deleted ids (U3, L3), S9 and S11 on
every answer. `result()` is everything so far as a `RunResult` the report writers render.

Thread-safe: the proxy calls it from concurrent requests; the state is kept under one lock.
"""

from __future__ import annotations

import dataclasses
import functools
import marshal
import posixpath
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson

from kore_contract.auth import AUTH_HEADER, DEFAULT_CLIENT_SECRET, TokenCheck, TokenChecker
from kore_contract.common.escape import terminal
from kore_contract.common.version import __version__
from kore_contract.contract import spec
from kore_contract.contract.fixture import Fixture
from kore_contract.contract.loader import Unreadable, parse_json
from kore_contract.contract.rules import RULES
from kore_contract.mock.routes import Found, NotServed, Operation, call_of, match
from kore_contract.redaction import REDACTED, RunSecrets, redact, redact_text
from kore_contract.run import lifecycle
from kore_contract.run.checks import (
    Expectation,
    Observation,
    RunState,
    campaign_of,
    run_checks,
    show,
)
from kore_contract.run.client import Exchange
from kore_contract.run.family_checks import results_beyond_shared  # (registers its checks)
from kore_contract.run.headline import TRAFFIC
from kore_contract.run.outcome import CaseOutcome
from kore_contract.run.planning import PlannedCase
from kore_contract.run.results import RESULTS_VERSION, Finding, RuleResult, RunInfo, RunResult
from kore_contract.run.runner import case_result, elapsed_since, now_iso, rule_results
from kore_contract.validate.api import validate_request

__all__ = ["ExchangeVerdict", "RequestVerdict", "TrafficChecker", "refusal_body"]

#: Verdicts of one exchange.
OK = "ok"
VIOLATIONS = "violations"
NOT_IN_CONTRACT = "not in the contract"
#: The call of an exchange that is not in the contract (kept out of `result()`'s cases).
UNKNOWN = "unknown"
ERROR = "error"

#: The headers every call of the contract sends (A3), lower-cased.
REQUIRED_HEADERS = ("iid", "accountid")
_HEADER_NAMES = {"iid": "iid", "accountid": "accountId"}
#: Calls whose body names what the account holds (contact lists, templates, flows).
ACCOUNT_CALLS = ("create", "update")
#: The rules a request body is checked against, by the operation's call (`validate_request`:
#: a create or update body by R1 to R15 and C1 to C3, an update's also by U1; a list's by
#: L1). R14 and R16 only warn.
_CREATE_RULES = frozenset(
    rule.id
    for rule in RULES.values()
    if rule.kind == "request" and rule.severity == "violation" and rule.id[0] in "RC"
)
BODY_RULES = {
    "create": _CREATE_RULES,
    "update": _CREATE_RULES | {"U1"},
    "list": frozenset({"L1"}),
}
#: The exchanges not in the contract that results.json lists (the rest are counted).
MAX_LISTED = 1000
#: The exchanges the reports of checked traffic show as cases (the first ones; the rule
#: table counts every one): what `validate --traffic` and a long proxy session keep.
MAX_CASES = 10_000
#: Why a rule row says not exercised (results.json's `reason`).
NOT_EXERCISED = "no exchange of this traffic exercises it"
#: Calls that act on a campaign id (U3 when it is unknown or deleted).
ID_CALLS = ("get", "update", "delete", "start", "stop", "status", "trigger")
#: The transitions the state forbids: (call, state) -> the rule it breaks (T4, T5).
FORBIDDEN = {
    ("start", "Active"): "T4",
    ("update", "Active"): "T5",
    ("delete", "Active"): "T5",
}
STOPPABLE = "Active"


@dataclass(frozen=True)
class RequestVerdict:
    """What a request is and which request rules it breaks, before it is forwarded."""

    call: str | None  # the logical call (x-call / x-actions), None: not in the contract
    findings: tuple[Finding, ...]  # request rules broken: R/C/U/L (with the fixture), A2, A3, T6
    refusal: tuple[int, bytes] | None  # status and the mock's JSON error body (--enforce)
    campaign_id: str | None = None  # the path's campaign id, where the call has one
    path: str = ""  # the request's path (for "not in the contract" lines)
    method: str = ""
    exercised: frozenset[str] = frozenset()  # the request rules it was checked against

    @property
    def breaks(self) -> str | None:
        """The rule the server must refuse the request for, in the order it checks (the token
        A2, the headers A3, then the body: U1 for any broken update body), or None."""
        rules = [finding.rule for finding in self.findings]
        if not rules:
            return None
        for rule in ("A2", "A3"):
            if rule in rules:
                return rule
        return "U1" if self.call == "update" else rules[0]


@dataclass(frozen=True)
class ExchangeVerdict:
    """The verdict on one exchange, request and response."""

    index: int
    call: str | None
    status: int | None
    verdict: str  # "ok" | "violations" | "not in the contract" | "error"
    findings: tuple[Finding, ...]  # request and response findings
    method: str = ""
    path: str = ""  # redacted
    error: str | None = None

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(finding.rule for finding in self.findings))


def refusal_body(status: int, findings: tuple[Finding, ...]) -> bytes:
    """The mock's refusal: `{"errors": [{"msg", "code", "rule", "pointer"}]}`."""
    return orjson.dumps(
        {
            "errors": [
                {"msg": f.message, "code": status, "rule": f.rule, "pointer": f.pointer}
                for f in findings
            ]
        }
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _is_json_type(content_type: str | None) -> bool:
    if content_type is None:
        return False
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


#: What a start or stop tells of the campaign get answers next (T2, T3): its state and
#: updatedAt; the rest (messages sent, ...) may change once it runs.
_TRANSITION_FIELDS = ("_id", "status", "updatedAt")


def _expected(known: dict[str, Any], rule: str) -> dict[str, Any]:
    """What get must answer of a campaign whose last change answers to `rule`: every field
    after a create or update (S10, U2), the state and updatedAt after a start or stop."""
    if rule not in ("T2", "T3"):
        return known
    return {name: known[name] for name in _TRANSITION_FIELDS if name in known}


def _get_findings(
    known: dict[str, Any], exchange: Exchange, rule: str, after: str
) -> list[Finding]:
    """Get against the campaign as its last change left it: a difference is `rule`'s (S10,
    U2, T2, T3); what the answer's own validation finds (S4, ...) stays its own rule's."""
    return [
        Finding(
            rule if finding.rule == lifecycle.RULE else finding.rule,
            "get",
            finding.pointer,
            f"after {after}: {finding.message}",
        )
        for finding in lifecycle.get_answers_the_campaign(_expected(known, rule), exchange)
    ]


@functools.lru_cache(maxsize=1)
def api_root() -> str:
    """The literal start every path of the spec shares (`/campaign/api/v2/public/`)."""
    paths = [operation["path"] for operation in spec.operations().values()]
    literal = posixpath.commonpath(paths).split("{", 1)[0]
    return literal if len(literal) > 1 else "\0"  # "\0": no shared start, never found


def _matched(path: str, method: str) -> tuple[Found | NotServed, str]:
    """The call of a path (mock/routes.py `match`), also behind a gateway's or a dev
    server's prefix (`/api/campaign/api/v2/...`); and the path as matched."""
    found = match(path, method)
    if not isinstance(found, Found) and api_root() in path[1:]:
        path = path[path.index(api_root(), 1) :]
        found = match(path, method)
    return found, path


def _split(target: str) -> tuple[str, str]:
    """The path and query of a request target (a path, or an absolute URL); one that
    cannot be parsed (a "[" where a host is) is all path, and matches no call."""
    try:
        parts = urlsplit(target)
    except ValueError:
        return target, ""
    return parts.path, parts.query


def _names_of(exchange: Exchange) -> tuple[str, str]:
    """The stream id (path) and account id (header, else query) an exchange names."""
    path, query = _split(exchange.url)
    found, _ = _matched(path, exchange.method.upper())
    stream = found.parameters.get("streamId", "") if isinstance(found, Found) else ""
    account = _header(exchange.headers, "accountid") or dict(
        parse_qsl(query, keep_blank_values=True)
    ).get("accountId", "")
    return stream, account


def _packed(outcome: CaseOutcome) -> CaseOutcome | bytes | None:
    """A kept case as one bytes object (marshal: exact for what JSON holds, big integers
    and NaN too), None for an exchange not in the contract; the outcome itself when it
    holds something marshal cannot write. The cases a long session keeps would otherwise
    be a dozen objects each (outcome, exchange, headers, parsed answer, ...) that every
    full collection of the garbage collector walks: with thousands kept, a pause of
    100 ms and more on the proxy's event loop (its p99)."""
    case = outcome.case
    if case.call == UNKNOWN:
        return None
    try:
        return marshal.dumps(
            (
                (case.id, case.phase, case.expect, case.call, case.breaks, case.notes),
                [(call, *_fields(e)) for call, e in outcome.exchanges],
                outcome.exercised,
                [(f.rule, f.call, f.pointer, f.message, f.extra) for f in outcome.findings],
                outcome.failing_exchange,
            )
        )
    except (ValueError, TypeError):  # not a plain dict, str, number, ...: kept as it is
        return outcome


def _listed_ids(exchange: Exchange) -> list[str]:
    """The ids a list answer names (`data.results[].id`), as the list checks read them."""
    answer = exchange.response_json
    data = answer.get("data") if isinstance(answer, dict) else None
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        return []
    return [r["id"] for r in results if isinstance(r, dict) and isinstance(r.get("id"), str)]


def _fields(e: Exchange) -> tuple[Any, ...]:
    """An exchange's fields in the order `Exchange(...)` takes them."""
    return (e.method, e.url, e.headers, e.body, e.status, e.response_headers, e.response_text,
            e.elapsed_ms, e.error)  # fmt: skip


def _unpacked(packed: bytes) -> CaseOutcome:
    (case_id, phase, expect, call, breaks, notes), exchanges, exercised, findings, failing = (
        marshal.loads(packed)
    )
    case = PlannedCase(
        id=case_id, phase=phase, expect=expect, call=call, breaks=breaks, notes=notes
    )
    return CaseOutcome(
        case,
        [(row[0], Exchange(*row[1:])) for row in exchanges],
        exercised,
        [Finding(*finding) for finding in findings],
        failing,
    )


class TrafficChecker:
    """Judges exchanges in the order given, keeping what they showed (thread-safe)."""

    def __init__(
        self,
        *,
        fixture: Fixture | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        secrets: RunSecrets | None = None,
        base_url: str = "",
        target: str = "live",
        keep_exchanges: bool = True,
        max_cases: int | None = None,
    ) -> None:
        """`keep_exchanges` False: `result()` has the rule rows but no cases, and neither the
        exchanges nor their verdicts are kept (memory stays flat over a 1 GB recording);
        `max_cases`: only the first that many exchanges are kept as cases (the rule rows
        count every exchange)."""
        self.max_cases = max_cases if keep_exchanges else 0
        self.keep_exchanges = keep_exchanges
        self._left_out = 0  # exchanges not kept as cases (past max_cases)
        self.fixture = fixture
        self.client_id = client_id
        self.client_secret = client_secret
        self.secrets = secrets if secrets is not None else RunSecrets()
        self.secrets.add(client_secret)
        self.base_url = base_url
        self.target = target
        self._prefix = _split(base_url)[0].rstrip("/") if base_url else ""
        skip = set() if client_secret else {TokenCheck.SIGNATURE}
        if not client_id:
            skip.add(TokenCheck.APP_ID)
        self._tokens = TokenChecker(
            client_id or "", client_secret or DEFAULT_CLIENT_SECRET, skip=frozenset(skip)
        )
        self.state = RunState(
            secrets=self.secrets, flows=dict(fixture.experience_flows if fixture else {})
        )
        self._lock = threading.RLock()
        #: The kept cases, packed (`_packed`): None for an exchange not in the contract
        self._outcomes: list[CaseOutcome | bytes | None] = []
        self._verdicts: list[ExchangeVerdict] = []
        self._count = 0  # exchanges judged
        #: Without kept exchanges: each (rule, call) as [checks, failures, first failing case]
        self._folded: dict[tuple[str, str], list[Any]] = {}
        self._outside: list[dict[str, Any]] = []  # exchanges not in the contract (listed)
        self._outside_count = 0
        self._started = time.perf_counter()
        self._started_at = now_iso()
        #: id -> the campaign as create, update, get, start or stop last answered it, packed
        #: (marshal: one bytes object each, as the kept cases; `_known` unpacks one)
        self._campaigns: dict[str, bytes] = {}
        #: id -> the rule its last change answers to and what it was ("T2", "the start")
        self._after: dict[str, tuple[str, str]] = {}
        self._stream_id = ""  # the first stream and account the traffic names (run info)
        self._account_id = ""

    # --- the request ---------------------------------------------------------------------

    def check_request(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None
    ) -> RequestVerdict:
        """Which call the request is and which request rules it breaks; for --enforce, the
        mock's refusal of it (None: forward it). `target` is the path and query, or an
        absolute URL."""
        method = method.upper()
        path, raw_query = _split(target)
        path = path or "/"
        if self._prefix and path.startswith(self._prefix + "/"):
            path = path[len(self._prefix) :]
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        token = _header(headers, AUTH_HEADER)
        if token:
            self.secrets.add(token)
        found, path = _matched(path, method)
        if not isinstance(found, Found):
            return RequestVerdict(None, (), None, None, path, method)
        operation = found.operation
        call = call_of(operation, query)
        raw_id = found.parameters.get("campaignId")
        campaign_id = None if raw_id is None else unquote(raw_id)  # as the answers name it
        # the stages in the mock's order: the token, the headers and query, the body; the
        # refusal (--enforce) is the first stage's, as the mock answers it
        stages: list[tuple[int, list[Finding]]] = []
        # a token redacted where the exchange was recorded (--har-out) was judged there
        token_refusal = None if token == REDACTED else self._tokens.refusal(token)
        if token_refusal is not None:
            violation = token_refusal.violation
            refused = Finding(violation.rule, call, violation.pointer, violation.message)
            stages.append((token_refusal.status, [refused]))
        stages.append((400, self._header_findings(call, headers, operation, query)))
        if operation.call in spec.body_calls():
            body_findings, status = self._body_findings(call, operation.call, headers, body, query)
            stages.append((status, body_findings))
        findings = list(
            {(f.rule, f.pointer, f.message): f for _, stage in stages for f in stage}.values()
        )
        first = next(((status, stage) for status, stage in stages if stage), None)
        refusal = None if first is None else (first[0], refusal_body(first[0], tuple(first[1])))
        exercised = {"A3", *(param.rule for param in operation.query)}
        if token != REDACTED:
            exercised.add("A2")
        exercised |= BODY_RULES.get(operation.call, frozenset())
        return RequestVerdict(
            call, tuple(findings), refusal, campaign_id, path, method, frozenset(exercised)
        )

    def _header_findings(
        self, call: str, headers: Mapping[str, str], operation: Operation, query: Mapping[str, str]
    ) -> list[Finding]:
        found: list[Finding] = []
        for name in REQUIRED_HEADERS:
            value = _header(headers, name)
            if not value:
                shown = _HEADER_NAMES[name]
                found.append(
                    Finding(
                        "A3",
                        call,
                        f"/headers/{shown}",
                        f"header {shown}: {'missing' if value is None else 'empty'}; required",
                    )
                )
        body_call = operation.call in spec.body_calls()
        for param in operation.query:
            if body_call and param.name != "accountId":
                continue  # the validator reads the body's query (R6)
            violation = param.violation(query.get(param.name))
            if violation is not None:
                found.append(Finding(violation.rule, call, violation.pointer, violation.message))
        return found

    def _body_findings(
        self,
        call: str,
        operation_call: str,
        headers: Mapping[str, str],
        body: bytes | None,
        query: Mapping[str, str],
    ) -> tuple[list[Finding], int]:
        content_type = _header(headers, "content-type")
        if not _is_json_type(content_type):
            got = "missing" if content_type is None else f"got {content_type[:80]!r}"
            return [
                Finding(
                    "A3",
                    call,
                    "/headers/content-type",
                    f"Content-Type: {got}; send Content-Type: application/json (a UTF-8 JSON body)",
                )
            ], 415
        rule = "L1" if operation_call == "list" else "R1"
        parsed = parse_json(body or b"")
        if isinstance(parsed, Unreadable):
            return [Finding(rule, call, "", f"body: {parsed.reason}")], 400
        try:
            result = validate_request(
                parsed.payload,
                operation_call,
                fixture=self.fixture,
                query=query,
                duplicate_keys=parsed.duplicate_keys,
            )
        except Exception as error:  # a validator bug: reported, never a crash of the proxy
            return [
                Finding(rule, call, "", f"body: could not be checked ({type(error).__name__})")
            ], 400
        return [Finding(v.rule, call, v.pointer, v.message) for v in result.violations], 400

    # --- the exchange --------------------------------------------------------------------

    def check_exchange(
        self, exchange: Exchange, request: RequestVerdict | None = None
    ) -> ExchangeVerdict:
        """Judge one exchange (its request too, unless `request` is its verdict already),
        in the order exchanges are given; it is kept for `result()`."""
        if request is None:
            request = self.check_request(
                exchange.method, exchange.url, exchange.headers, exchange.body
            )
        with self._lock:
            index = self._count
            self._count += 1
            verdict = self._judge(index, exchange, request)
            if verdict.verdict == NOT_IN_CONTRACT:
                self._outside_count += 1
            if verdict.verdict == NOT_IN_CONTRACT and len(self._outside) < MAX_LISTED:
                self._outside.append(
                    {"index": index, "method": verdict.method, "path": verdict.path}
                    | {"status": verdict.status}
                )
            outcome = self._outcomes[-1]
            assert isinstance(outcome, CaseOutcome)
            self._fold(outcome)
            if self.max_cases is not None and len(self._outcomes) > self.max_cases:
                self._outcomes.pop()
                self._left_out += outcome.case.call != UNKNOWN
            else:
                self._outcomes[-1] = _packed(outcome)
                if self.keep_exchanges:
                    self._verdicts.append(verdict)
            return verdict

    def _fold(self, outcome: CaseOutcome) -> None:
        """Count an outcome into the rule rows and forget it (`rule_results`'s counting)."""
        for key in outcome.exercised:
            self._folded.setdefault(key, [0, 0, None])[0] += 1
        for key in {(f.rule, f.call) for f in outcome.findings}:
            row = self._folded.setdefault(key, [1, 0, None])
            row[1] += 1
            row[2] = row[2] or outcome.case.id

    def _rule_rows(self) -> list[RuleResult]:
        # every outcome is folded as it is judged (some are not kept); one stand-in outcome
        # per row gives `rule_results`' order and its rows of rules not exercised, the counts
        # are the folded ones
        reasons = dict.fromkeys(RULES, NOT_EXERCISED)
        stand_ins = []
        for (rule, call), (_, failures, _) in self._folded.items():
            stand_in = CaseOutcome(PlannedCase(id="-", phase="traffic", expect="accept"))
            stand_in.exercised.add((rule, call))
            if failures:
                stand_in.findings.append(Finding(rule, call, "", ""))
            stand_ins.append(stand_in)
        rows = []
        for row in rule_results(stand_ins, reasons):
            counts = self._folded.get((row.id, row.call))
            if counts is not None:
                checks, failures, first = counts
                row = dataclasses.replace(
                    row, checks=checks, failures=failures, first_failure=first
                )
            rows.append(row)
        return rows

    def _judge(self, index: int, exchange: Exchange, request: RequestVerdict) -> ExchangeVerdict:
        call = request.call
        shown_path = redact_text(request.path, list(self.secrets))
        expect, breaks, what = self._expectation(request, exchange.status)
        case = PlannedCase(
            id=f"traffic-{index:04d}-{call or UNKNOWN}",
            phase="traffic",
            expect=expect,
            call=call or UNKNOWN,
            breaks=breaks,
            notes={"what": what} if what else {},
        )
        outcome = CaseOutcome(case)
        outcome.exchanges.append((call or UNKNOWN, exchange))
        self._outcomes.append(outcome)  # folded once judged, dropped past max_cases
        if call is None:
            return ExchangeVerdict(
                index, None, exchange.status, NOT_IN_CONTRACT, (), request.method, shown_path
            )
        if not self._stream_id:
            self._stream_id, self._account_id = _names_of(exchange)
        findings = list(request.findings)
        outcome.exercised |= {(rule, call) for rule in request.exercised}
        outcome.exercised |= {(f.rule, call) for f in findings}
        if exchange.status is None or exchange.error:
            outcome.found(findings)
            return ExchangeVerdict(
                index,
                call,
                exchange.status,
                ERROR,
                tuple(findings),
                request.method,
                shown_path,
                redact_text(exchange.error or "no answer", list(self.secrets)),
            )
        findings += self._response_findings(outcome, call, exchange, request)
        findings = list({(f.rule, f.pointer, f.message): f for f in findings}.values())
        outcome.found(findings)
        return ExchangeVerdict(
            index,
            call,
            exchange.status,
            VIOLATIONS if findings else OK,
            tuple(findings),
            request.method,
            shown_path,
        )

    def _expectation(
        self, request: RequestVerdict, status: int | None
    ) -> tuple[Expectation, str | None, str]:
        """What the answer must be: accept, refuse (and the rule the request breaks) or
        unauthorized (A2), from the request's own findings and the state seen so far."""
        call, campaign_id = request.call, request.campaign_id
        if request.breaks == "A2":
            return "unauthorized", "A2", "a request with a token the API must refuse"
        if request.breaks is not None:
            return "refuse", request.breaks, f"a request that breaks {request.breaks}"
        if status in (401, 403) and not (self.client_secret and self.client_id):
            # a signature (or appId) not verified here: the server may know better (A1 is
            # judged only with the client id and secret)
            return "unauthorized", None, "a token this checker could not verify"
        if self.fixture is None and call in ACCOUNT_CALLS and status in (400, 422):
            # without the account's fixture a body naming lists, templates or flows the
            # account lacks (R4, R5, R10, R11, C3) looks valid here: its refusal is not judged
            return "refuse", None, f"a {call} body the account may refuse (no fixture given)"
        if not campaign_id or call not in ID_CALLS:
            return "accept", None, ""
        gone = "S10" if call == "get" else "U3"
        if campaign_id in self.state.deleted:
            return "refuse", gone, f"{call} of the deleted campaign {campaign_id}"
        known = self._known(campaign_id)
        state = known.get("status") if known else None
        if not isinstance(state, str):
            # a campaign this traffic never showed: an unknown id (404) or a refused
            # transition (409) may be right; anything else is judged as an accepted call
            if status == 404:
                return "refuse", gone, f"{call} of a campaign id the server does not know"
            rule = FORBIDDEN.get((call or "", "Active")) or ("T4" if call == "stop" else None)
            if status == 409 and rule is not None:
                return "refuse", rule, f"{call} in a state this traffic did not show"
            return "accept", None, ""
        rule = self._forbidden(call, state)
        if rule is not None:
            return "refuse", rule, f"{call} of a campaign that is {state}"
        return "accept", None, ""

    @staticmethod
    def _forbidden(call: str | None, state: str) -> str | None:
        if call == "stop" and state != STOPPABLE:
            return "T4"
        return FORBIDDEN.get((call or "", state))

    def _response_findings(
        self, outcome: CaseOutcome, call: str, exchange: Exchange, request: RequestVerdict
    ) -> list[Finding]:
        campaign_id = request.campaign_id
        known = self._known(campaign_id)
        case = outcome.case
        if call == "list":  # what the list checks (L2) compare the listed campaigns with
            self.state.known = {i: c for i in _listed_ids(exchange) if (c := self._known(i))}
        observation = Observation(
            case.id,
            call,
            case.expect,
            exchange,
            self.state,
            sent=exchange.request_json if call in ("create", "update") else None,
            breaks=case.breaks,
            before=dict(known) if known is not None else None,
            request=exchange.request_json if call == "list" else None,
        )
        exercised, findings = run_checks(observation)
        if call == "list" and case.expect == "accept" and exchange.status == 200:
            findings += results_beyond_shared(observation)  # L2 beyond LIST_SHARED
        status = exchange.status or 0
        if case.breaks and case.expect != "accept":
            exercised.add(case.breaks)
            if not 400 <= status < 500:
                findings.append(
                    Finding(
                        case.breaks,
                        call,
                        "",
                        f"answered {status}; the server must refuse {case.notes['what']} "
                        f"with a 4xx ({case.breaks})",
                    )
                )
        outcome.exercised |= {(rule, call) for rule in exercised}
        if case.expect == "accept" and not 200 <= status < 300 and campaign_id in self._campaigns:
            findings += self._not_answered(outcome, call, exchange, str(campaign_id))
        if 200 <= status < 300:
            findings += self._follow_state(outcome, call, exchange, campaign_id)
        return findings

    def _not_answered(
        self, outcome: CaseOutcome, call: str, exchange: Exchange, campaign_id: str
    ) -> list[Finding]:
        """A get or delete of a campaign this traffic showed, and that it may be asked for,
        answered other than 2xx (S10, or the rule of its last change)."""
        known = self._known(campaign_id) or {}
        rule, after = self._after.get(campaign_id, ("S10", "what this traffic showed"))
        if call == "get":
            outcome.exercised.add((rule, "get"))
            return _get_findings(known, exchange, rule, after)
        if call == "delete":
            outcome.exercised.add(("S10", "delete"))
            return list(lifecycle.delete_answers_the_campaign(known, exchange))
        return []

    def _follow_state(
        self, outcome: CaseOutcome, call: str, exchange: Exchange, campaign_id: str | None
    ) -> list[Finding]:
        """What a 2xx answer tells of the campaign's state, and the checks against what came
        before it: get after create, update, start or stop (S10, U2, T2, T3), status after a
        start or stop (T2, T3), delete answering the campaign (S10)."""
        findings: list[Finding] = []
        data = campaign_of(exchange)
        known = self._known(campaign_id)
        if call == "create":
            new_id = data.get("_id") if data is not None else None
            if isinstance(new_id, str) and new_id:
                self._remember(new_id, data or {}, ("S10", "the create"))
            return findings
        if not campaign_id:
            return findings
        rule, after = self._after.get(campaign_id, ("S10", "what this traffic showed"))
        if call == "get" and data is not None:
            if known is not None:
                outcome.exercised.add((rule, "get"))
                findings += _get_findings(known, exchange, rule, after)
            self._remember(campaign_id, data, (rule, after))
        elif call == "update" and data is not None:
            self._remember(campaign_id, data, ("U2", "the update"))
        elif call in ("start", "stop"):
            answer = exchange.response_json
            moved = {**(known or {"_id": campaign_id})}
            moved["status"] = "Active" if call == "start" else "Stopped"
            if isinstance(answer, dict) and isinstance(answer.get("updatedAt"), str):
                moved["updatedAt"] = answer["updatedAt"]
            step = ("T2", "the start") if call == "start" else ("T3", "the stop")
            self._remember(campaign_id, moved, step)
        elif call == "status" and known is not None and rule in ("T2", "T3"):
            answer = exchange.response_json
            got = answer.get("data") if isinstance(answer, dict) else None
            shown = got.get("status") if isinstance(got, dict) else None
            outcome.exercised.add((rule, "status"))
            if shown is not None and shown != known.get("status"):
                findings.append(
                    Finding(
                        rule,
                        "status",
                        "/data/status",
                        f"after {after}, status answered {show(shown)}; "
                        f"expected {show(known.get('status'))}",
                    )
                )
        elif call == "delete":
            outcome.exercised.add(("S10", "delete"))
            findings += lifecycle.delete_answers_the_campaign(
                known or {"_id": campaign_id}, exchange
            )
            self.state.deleted.add(campaign_id)
            self.state.known.pop(campaign_id, None)
            self._campaigns.pop(campaign_id, None)
            self._after.pop(campaign_id, None)
        return findings

    def _known(self, campaign_id: str | None) -> dict[str, Any] | None:
        """The campaign as this traffic last showed it (a copy), None if it did not."""
        packed = self._campaigns.get(campaign_id or "")
        return None if packed is None else dict(marshal.loads(packed))

    def _remember(self, campaign_id: str, data: dict[str, Any], after: tuple[str, str]) -> None:
        self._campaigns[campaign_id] = marshal.dumps(data)
        self._after[campaign_id] = after
        self.state.deleted.discard(campaign_id)

    # --- output --------------------------------------------------------------------------

    def line(self, verdict: ExchangeVerdict, *, numbered: bool = True) -> str:
        """The one line the proxy prints per exchange: index (unless not `numbered`), call,
        status, verdict, rules (secrets redacted, control characters escaped)."""
        what = verdict.call or f"{verdict.method} {verdict.path}"
        status = "---" if verdict.status is None else str(verdict.status)
        text = f"{what} {status} {verdict.verdict}"
        if numbered:
            text = f"#{verdict.index:04d} {text}"
        if verdict.rules:
            text += " " + ",".join(verdict.rules)
        if verdict.error:
            text += f" ({verdict.error})"
        return terminal(redact_text(text, list(self.secrets)))

    @property
    def verdicts(self) -> tuple[ExchangeVerdict, ...]:
        """The verdicts of the exchanges kept as cases (none without `keep_exchanges`)."""
        with self._lock:
            return tuple(self._verdicts)

    def _extra(self, outside: list[dict[str, Any]]) -> dict[str, Any]:
        """results.json's additions: the exchanges not in the contract (the first
        MAX_LISTED, and how many in all), the exchanges left out of the cases."""
        extra: dict[str, Any] = {"source": TRAFFIC}  # the verdict's line (run/headline.py)
        if outside:
            extra["not_in_the_contract"] = outside
            if self._outside_count > len(outside):
                extra["not_in_the_contract_count"] = self._outside_count
        if self.keep_exchanges and self._left_out:
            extra["cases_left_out"] = self._left_out
        return extra

    def result(self) -> RunResult:
        """Every exchange of the contract so far as a case (phase "traffic"), a row per rule
        and call, run info with target, base URL and requests (every exchange); those not
        in the contract are listed under `not_in_the_contract`. Every secret redacted."""
        with self._lock:
            unpacked = (_unpacked(o) if isinstance(o, bytes) else o for o in self._outcomes)
            outcomes = [o for o in unpacked if o is not None and o.case.call != UNKNOWN]
            cases = tuple(case_result(o) for o in outcomes)
            outside = list(self._outside)
            rows = self._rule_rows()
            failed = any(row.status == "failed" for row in rows)
            run = RunInfo(
                base_url=self.base_url,
                target=self.target,
                stream_id=self._stream_id,
                account_id=self._account_id,
                seed=0,
                max_examples=1,  # not a generated run: results.json wants at least 1
                started_at=self._started_at,
                finished_at=now_iso(),
                duration_s=elapsed_since(self._started),
                requests=self._count,
            )
            result = RunResult(
                run=run,
                verdict="fail" if failed else "pass",
                error=None,
                rules=tuple(rows),
                cases=cases,
                version=RESULTS_VERSION,
                tool={"name": "kore-contract", "version": __version__},
                extra=self._extra(outside),
            )
            return RunResult.from_json(redact(result.to_json(), list(self.secrets)))
