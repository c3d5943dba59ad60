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

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from kore_contract.auth import AUTH_HEADER, DEFAULT_CLIENT_SECRET, TokenCheck, TokenChecker
from kore_contract.common.version import __version__
from kore_contract.contract import spec
from kore_contract.contract.fixture import Fixture
from kore_contract.contract.loader import Unreadable, parse_json
from kore_contract.mock.routes import Found, Operation, call_of, match
from kore_contract.redaction import REDACTED, RunSecrets, redact, redact_text
from kore_contract.run import family_checks as _family_checks  # noqa: F401 (registers them)
from kore_contract.run import lifecycle
from kore_contract.run.checks import Expectation, Observation, RunState, campaign_of, run_checks
from kore_contract.run.client import Exchange
from kore_contract.run.outcome import CaseOutcome
from kore_contract.run.planning import PlannedCase
from kore_contract.run.results import RESULTS_VERSION, Finding, RunInfo, RunResult
from kore_contract.run.runner import case_result, elapsed_since, now_iso, rule_results
from kore_contract.validate.api import validate_request

__all__ = ["ExchangeVerdict", "RequestVerdict", "TrafficChecker", "refusal_body"]

#: Verdicts of one exchange.
OK = "ok"
VIOLATIONS = "violations"
NOT_IN_CONTRACT = "not in the contract"
ERROR = "error"

#: The headers every call of the contract sends (A3), lower-cased.
REQUIRED_HEADERS = ("iid", "accountid")
_HEADER_NAMES = {"iid": "iid", "accountid": "accountId"}
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

    @property
    def breaks(self) -> str | None:
        """The first rule the request breaks (None: it breaks none)."""
        return self.findings[0].rule if self.findings else None


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
    ) -> None:
        self.fixture = fixture
        self.client_id = client_id
        self.client_secret = client_secret
        self.secrets = secrets if secrets is not None else RunSecrets()
        self.secrets.add(client_secret)
        self.base_url = base_url
        self.target = target
        self._prefix = urlsplit(base_url).path.rstrip("/") if base_url else ""
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
        self._outcomes: list[CaseOutcome] = []
        self._verdicts: list[ExchangeVerdict] = []
        self._started = time.perf_counter()
        self._started_at = now_iso()
        #: id -> the campaign as create, update or get last answered it (S10, U2, Q1)
        self._campaigns: dict[str, dict[str, Any]] = {}

    # --- the request ---------------------------------------------------------------------

    def check_request(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None
    ) -> RequestVerdict:
        """Which call the request is and which request rules it breaks; for --enforce, the
        mock's refusal of it (None: forward it). `target` is the path and query, or an
        absolute URL."""
        method = method.upper()
        parts = urlsplit(target)
        path = parts.path or "/"
        if self._prefix and path.startswith(self._prefix + "/"):
            path = path[len(self._prefix) :]
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        token = _header(headers, AUTH_HEADER)
        if token:
            self.secrets.add(token)
        found = match(path, method)
        if not isinstance(found, Found):
            return RequestVerdict(None, (), None, None, path, method)
        operation = found.operation
        call = call_of(operation, query)
        campaign_id = found.parameters.get("campaignId")
        refusal_status = 400
        findings: list[Finding] = []
        # a token redacted where the exchange was recorded (--har-out) was judged there
        token_refusal = None if token == REDACTED else self._tokens.refusal(token)
        if token_refusal is not None:
            violation = token_refusal.violation
            findings.append(Finding(violation.rule, call, violation.pointer, violation.message))
            refusal_status = token_refusal.status
        findings.extend(self._header_findings(call, headers, operation, query))
        if operation.call in spec.body_calls():
            body_findings, status = self._body_findings(call, operation.call, headers, body, query)
            findings.extend(body_findings)
            if not findings[: len(findings) - len(body_findings)]:
                refusal_status = status
        findings = list({(f.rule, f.pointer, f.message): f for f in findings}.values())
        refusal = (
            (refusal_status, refusal_body(refusal_status, tuple(findings))) if findings else None
        )
        return RequestVerdict(call, tuple(findings), refusal, campaign_id, path, method)

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
            index = len(self._verdicts)
            verdict = self._judge(index, exchange, request)
            self._verdicts.append(verdict)
            return verdict

    def _judge(self, index: int, exchange: Exchange, request: RequestVerdict) -> ExchangeVerdict:
        call = request.call
        case = PlannedCase(
            id=f"traffic-{index:04d}-{call or 'unknown'}",
            phase="traffic",
            expect=self._expectation(request),
            call=call or "unknown",
            breaks=request.breaks,
        )
        outcome = CaseOutcome(case)
        outcome.exchanges.append((call or "unknown", exchange))
        self._outcomes.append(outcome)
        shown_path = redact_text(request.path, list(self.secrets))
        if call is None:
            return ExchangeVerdict(
                index, None, exchange.status, NOT_IN_CONTRACT, (), request.method, shown_path
            )
        findings = list(request.findings)
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

    def _expectation(self, request: RequestVerdict) -> Expectation:
        if request.breaks in ("A1", "A2"):
            return "unauthorized"
        if request.findings:
            return "refuse"
        known = self._campaigns.get(request.campaign_id or "")
        if request.campaign_id and request.campaign_id in self.state.deleted:
            return "refuse"  # U3
        if known is not None and self._forbidden(request.call, known) is not None:
            return "refuse"
        return "accept"

    def _forbidden(self, call: str | None, campaign: dict[str, Any]) -> str | None:
        status = campaign.get("status")
        if call == "stop" and isinstance(status, str) and status != STOPPABLE:
            return "T4"
        return FORBIDDEN.get((call or "", str(status)))

    def _response_findings(
        self, outcome: CaseOutcome, call: str, exchange: Exchange, request: RequestVerdict
    ) -> list[Finding]:
        campaign_id = request.campaign_id
        known = self._campaigns.get(campaign_id or "")
        breaks = request.breaks
        expect = outcome.case.expect
        if expect == "refuse" and breaks is None:
            if campaign_id in self.state.deleted:
                breaks = "U3"
            elif known is not None:
                breaks = self._forbidden(call, known)
        sent = exchange.request_json if call in ("create", "update") else None
        observation = Observation(
            outcome.case.id,
            call,
            expect,
            exchange,
            self.state,
            sent=sent,
            breaks=breaks,
            before=dict(known) if known is not None else None,
            request=exchange.request_json if call == "list" else None,
        )
        exercised, findings = run_checks(observation)
        if breaks and not request.findings:
            exercised.add(breaks)
            status = exchange.status or 0
            if not 400 <= status < 500:
                findings.append(
                    Finding(
                        breaks,
                        call,
                        "",
                        f"answered {status}; a request that breaks {breaks} must be refused "
                        "with a 4xx",
                    )
                )
        outcome.exercised |= {(rule, call) for rule in exercised}
        findings += self._follow_state(outcome, call, exchange, campaign_id, expect)
        return findings

    def _follow_state(
        self,
        outcome: CaseOutcome,
        call: str,
        exchange: Exchange,
        campaign_id: str | None,
        expect: Expectation,
    ) -> list[Finding]:
        """What this answer tells of the state, and the checks against what came before
        (S10 get after create, T2/T3 status after start and stop)."""
        status = exchange.status or 0
        if expect != "accept" or not 200 <= status < 300:
            return []
        findings: list[Finding] = []
        data = campaign_of(exchange)
        if call == "create" and data is not None and isinstance(data.get("_id"), str):
            self._campaigns[data["_id"]] = dict(data)
        elif call == "get" and campaign_id and data is not None:
            known = self._campaigns.get(campaign_id)
            if known is not None:
                outcome.exercised.add(("S10", "get"))
                findings += list(lifecycle.get_answers_the_campaign(known, exchange))
            self._campaigns[campaign_id] = dict(data)
        elif call == "update" and campaign_id and data is not None:
            self._campaigns[campaign_id] = dict(data)
        elif call in ("start", "stop") and campaign_id:
            answer = exchange.response_json
            known = self._campaigns.setdefault(campaign_id, {"_id": campaign_id})
            known["status"] = "Active" if call == "start" else "Stopped"
            if isinstance(answer, dict) and isinstance(answer.get("updatedAt"), str):
                known["updatedAt"] = answer["updatedAt"]
        elif call == "delete" and campaign_id:
            self.state.deleted.add(campaign_id)
            self.state.known.pop(campaign_id, None)
            self._campaigns.pop(campaign_id, None)
        if campaign_id is None and call == "create" and data is not None:
            campaign_id = data.get("_id") if isinstance(data.get("_id"), str) else None
        if call != "delete" and campaign_id in self._campaigns:
            self.state.known[str(campaign_id)] = self._campaigns[str(campaign_id)]
        return findings

    # --- output --------------------------------------------------------------------------

    def line(self, verdict: ExchangeVerdict) -> str:
        """The one line the proxy prints per exchange: index, call, status, verdict, rules
        (secrets redacted, control characters escaped)."""
        what = verdict.call or f"{verdict.method} {verdict.path}"
        status = "---" if verdict.status is None else str(verdict.status)
        text = f"#{verdict.index:04d} {what} {status} {verdict.verdict}"
        if verdict.rules:
            text += " " + ",".join(verdict.rules)
        if verdict.error:
            text += f" ({verdict.error})"
        text = redact_text(text, list(self.secrets))
        return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text

    @property
    def verdicts(self) -> tuple[ExchangeVerdict, ...]:
        with self._lock:
            return tuple(self._verdicts)

    def result(self) -> RunResult:
        """Every exchange so far as a case (phase "traffic"), a row per rule and call, run
        info with target, base URL and requests; every secret redacted."""
        with self._lock:
            outcomes = list(self._outcomes)
            rows = rule_results(outcomes)
            failed = any(row.status == "failed" for row in rows)
            cases = tuple(case_result(outcome) for outcome in outcomes)
            run = RunInfo(
                base_url=self.base_url,
                target=self.target,
                stream_id="",
                account_id="",
                seed=0,
                max_examples=0,
                started_at=self._started_at,
                finished_at=now_iso(),
                duration_s=elapsed_since(self._started),
                requests=len(outcomes),
            )
            result = RunResult(
                run=run,
                verdict="fail" if failed else "pass",
                error=None,
                rules=tuple(rows),
                cases=cases,
                version=RESULTS_VERSION,
                tool={"name": "kore-contract", "version": __version__},
            )
            return RunResult.from_json(redact(result.to_json(), list(self.secrets)))
