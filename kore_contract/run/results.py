"""What a contract run found, as typed values: `RunResult` and its parts.

The runner builds a `RunResult`; the summary, the reports and the suite read it. Its JSON
form is results.json, version RESULTS_VERSION (kore_contract/report/results.schema.json):
`to_json()` writes it and `from_json()` reads it back. The round trip keeps a file as it
was: keys the schema does not name stay in `extra`, and optional keys a file leaves out
(`omitted`) stay out. `from_json` expects a document the schema accepts (the report layer
checks that first) and raises `ResultsShapeError`, naming the JSON pointer, where one is
not even shaped like it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: The version of results.json's shape (results.schema.json).
RESULTS_VERSION = 1

Json = dict[str, Any]


class ResultsShapeError(ValueError):
    """A results document lacks a key, or holds a value of the wrong kind; the message names
    the JSON pointer."""


def _object(data: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ResultsShapeError(f"{where or '(root)'}: expected an object; got "
                                f"{type(data).__name__}")
    return data


def _required(data: Mapping[str, Any], key: str, where: str) -> Any:
    try:
        return data[key]
    except KeyError:
        raise ResultsShapeError(f"{where or '(root)'}: {key!r} is missing") from None


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list | tuple):
        raise ResultsShapeError(f"{where}/{key}: expected an array; got {type(value).__name__}")
    return list(value)


def _extra(data: Mapping[str, Any], known: Iterable[str]) -> Json:
    names = set(known)
    return {key: value for key, value in data.items() if key not in names}


def _omitted(data: Mapping[str, Any], optional: Iterable[str]) -> frozenset[str]:
    return frozenset(key for key in optional if key not in data)


def _joined(pairs: Iterable[tuple[str, Any]], omitted: frozenset[str], extra: Json) -> Json:
    written = {key: value for key, value in pairs if key not in omitted}
    written.update(extra)
    return written


@dataclass(frozen=True)
class Finding:
    """One way an answer breaks a rule: where (a JSON pointer into the answer) and why."""

    rule: str
    call: str
    pointer: str
    message: str
    extra: Json = field(default_factory=dict, compare=False, repr=False)

    def line(self) -> str:
        """`/data/lname: got ...; expected ... (S4, create)`: the one shared wording."""
        where = self.pointer or "(root)"
        return f"{where}: {self.message} ({self.rule}, {self.call})"

    def to_json(self) -> Json:
        return _joined((("rule", self.rule), ("call", self.call), ("pointer", self.pointer),
                        ("message", self.message)), frozenset(), self.extra)

    @classmethod
    def from_json(cls, data: Any, where: str = "", call: str = "") -> Finding:
        data = _object(data, where)
        return cls(str(_required(data, "rule", where)), str(data.get("call", call)),
                   str(data.get("pointer", "")), str(_required(data, "message", where)),
                   _extra(data, ("rule", "call", "pointer", "message")))


@dataclass(frozen=True)
class RequestRecord:
    method: str
    url: str
    headers: Json
    body: Any  # the JSON body as sent, or None
    body_text: str | None  # the body as text when it was not JSON
    extra: Json = field(default_factory=dict, compare=False, repr=False)

    _KEYS = ("method", "url", "headers", "body", "body_text")

    def to_json(self) -> Json:
        return _joined(zip(self._KEYS, (self.method, self.url, self.headers, self.body,
                                        self.body_text), strict=True), frozenset(), self.extra)

    @classmethod
    def from_json(cls, data: Any, where: str) -> RequestRecord:
        data = _object(data, where)
        headers = data.get("headers")
        return cls(str(_required(data, "method", where)), str(_required(data, "url", where)),
                   dict(headers) if isinstance(headers, Mapping) else {}, data.get("body"),
                   data.get("body_text"), _extra(data, cls._KEYS))


@dataclass(frozen=True)
class ResponseRecord:
    status: int
    headers: Json
    body: Any  # the parsed JSON answer, or None
    body_text: str | None  # the answer as text when it was not JSON
    elapsed_ms: float
    extra: Json = field(default_factory=dict, compare=False, repr=False)
    omitted: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    _KEYS = ("status", "headers", "body", "body_text", "elapsed_ms")

    def to_json(self) -> Json:
        return _joined(zip(self._KEYS, (self.status, self.headers, self.body, self.body_text,
                                        self.elapsed_ms), strict=True), self.omitted, self.extra)

    @classmethod
    def from_json(cls, data: Any, where: str) -> ResponseRecord:
        data = _object(data, where)
        headers = data.get("headers")
        return cls(_required(data, "status", where),
                   dict(headers) if isinstance(headers, Mapping) else {}, data.get("body"),
                   data.get("body_text"), data.get("elapsed_ms", 0.0),
                   _extra(data, cls._KEYS), _omitted(data, ("body_text",)))


@dataclass(frozen=True)
class ExchangeRecord:
    """One request and its answer (None when none came: then `error` says why)."""

    request: RequestRecord
    response: ResponseRecord | None
    error: str | None

    def to_json(self) -> Json:
        return {"request": self.request.to_json(),
                "response": None if self.response is None else self.response.to_json(),
                "error": self.error}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str) -> ExchangeRecord:
        response = data.get("response")
        return cls(RequestRecord.from_json(_required(data, "request", where), f"{where}/request"),
                   None if response is None
                   else ResponseRecord.from_json(response, f"{where}/response"),
                   data.get("error"))


@dataclass(frozen=True)
class Step:
    """A further call of a case (the lifecycle's get, delete, get)."""

    call: str
    exchange: ExchangeRecord
    extra: Json = field(default_factory=dict, compare=False, repr=False)

    def to_json(self) -> Json:
        return {"call": self.call, **self.exchange.to_json(), **self.extra}

    @classmethod
    def from_json(cls, data: Any, where: str) -> Step:
        data = _object(data, where)
        return cls(str(data.get("call", "")), ExchangeRecord.from_json(data, where),
                   _extra(data, ("call", "request", "response", "error")))


@dataclass(frozen=True)
class CaseResult:
    """One planned case as it ran: its first exchange, the further steps, the findings."""

    id: str
    phase: str
    call: str
    rules: tuple[str, ...]
    expect: str
    breaks: str | None
    exchange: ExchangeRecord
    steps: tuple[Step, ...]
    findings: tuple[Finding, ...]
    curl: str
    status: str  # passed | failed | error
    extra: Json = field(default_factory=dict, compare=False, repr=False)
    omitted: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    _OPTIONAL = ("breaks", "steps")

    @property
    def request(self) -> RequestRecord:
        return self.exchange.request

    @property
    def response(self) -> ResponseRecord | None:
        return self.exchange.response

    @property
    def error(self) -> str | None:
        return self.exchange.error

    def findings_of(self, rule: str) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.rule == rule)

    def to_json(self) -> Json:
        exchange = self.exchange.to_json()
        pairs = (("id", self.id), ("phase", self.phase), ("call", self.call),
                 ("rules", list(self.rules)), ("expect", self.expect), ("breaks", self.breaks),
                 ("request", exchange["request"]), ("response", exchange["response"]),
                 ("error", exchange["error"]), ("steps", [s.to_json() for s in self.steps]),
                 ("findings", [f.to_json() for f in self.findings]), ("curl", self.curl),
                 ("status", self.status))
        return _joined(pairs, self.omitted, self.extra)

    @classmethod
    def from_json(cls, data: Any, where: str) -> CaseResult:
        data = _object(data, where)
        call = str(_required(data, "call", where))
        known = ("id", "phase", "call", "rules", "expect", "breaks", "request", "response",
                 "error", "steps", "findings", "curl", "status")
        return cls(
            id=str(_required(data, "id", where)),
            phase=str(data.get("phase", "")),
            call=call,
            rules=tuple(str(rule) for rule in _list(data, "rules", where)),
            expect=str(data.get("expect", "")),
            breaks=data.get("breaks"),
            exchange=ExchangeRecord.from_json(data, where),
            steps=tuple(Step.from_json(step, f"{where}/steps/{number}")
                        for number, step in enumerate(_list(data, "steps", where))),
            findings=tuple(Finding.from_json(finding, f"{where}/findings/{number}", call)
                           for number, finding in enumerate(_list(data, "findings", where))),
            curl=str(data.get("curl") or ""),
            status=str(data.get("status", "error")),
            extra=_extra(data, known),
            omitted=_omitted(data, cls._OPTIONAL),
        )


@dataclass(frozen=True)
class RuleResult:
    """One row of the table by rule: a rule on one call (or "any"), how it fared."""

    id: str
    call: str
    status: str  # passed | failed | not_exercised
    checks: int
    failures: int
    first_failure: str | None
    extra: Json = field(default_factory=dict, compare=False, repr=False)

    _KEYS = ("id", "call", "status", "checks", "failures", "first_failure")

    def to_json(self) -> Json:
        return _joined(zip(self._KEYS, (self.id, self.call, self.status, self.checks,
                                        self.failures, self.first_failure), strict=True),
                       frozenset(), self.extra)

    @classmethod
    def from_json(cls, data: Any, where: str) -> RuleResult:
        data = _object(data, where)
        return cls(str(_required(data, "id", where)), str(data.get("call", "any")),
                   str(data.get("status", "not_exercised")), int(data.get("checks", 0)),
                   int(data.get("failures", 0)), data.get("first_failure"),
                   _extra(data, cls._KEYS))


@dataclass(frozen=True)
class RunInfo:
    """results.json's `run`: where, with what budget, when, how many requests."""

    base_url: str
    target: str  # mock | live
    stream_id: str
    account_id: str
    seed: int
    max_examples: int
    started_at: str
    finished_at: str
    duration_s: float
    requests: int
    extra: Json = field(default_factory=dict, compare=False, repr=False)

    _KEYS = ("base_url", "target", "stream_id", "account_id", "seed", "max_examples",
             "started_at", "finished_at", "duration_s", "requests")

    def to_json(self) -> Json:
        values = (self.base_url, self.target, self.stream_id, self.account_id, self.seed,
                  self.max_examples, self.started_at, self.finished_at, self.duration_s,
                  self.requests)
        return _joined(zip(self._KEYS, values, strict=True), frozenset(), self.extra)

    @classmethod
    def from_json(cls, data: Any, where: str = "/run") -> RunInfo:
        data = _object(data, where)
        base_url, target, stream_id, account_id, seed, max_examples, started_at, finished_at, \
            duration_s, requests = (_required(data, key, where) for key in cls._KEYS)
        return cls(base_url, target, stream_id, account_id, seed, max_examples, started_at,
                   finished_at, duration_s, requests, _extra(data, cls._KEYS))


@dataclass(frozen=True)
class RunResult:
    """A whole contract run: the verdict, a row per rule and call, every case."""

    run: RunInfo
    verdict: str  # pass | fail | error
    error: str | None
    rules: tuple[RuleResult, ...]
    cases: tuple[CaseResult, ...]
    trace: Json | None = None  # the documentation trace (kore-contract trace's JSON)
    version: int = RESULTS_VERSION
    tool: Json = field(default_factory=dict)  # {"name": ..., "version": ...}
    extra: Json = field(default_factory=dict, compare=False, repr=False)
    omitted: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def case(self, case_id: str) -> CaseResult | None:
        """The case with this id (the first, should two share it)."""
        return next((case for case in self.cases if case.id == case_id), None)

    def to_json(self) -> Json:
        pairs = [("version", self.version), ("tool", dict(self.tool)),
                 ("run", self.run.to_json()), ("verdict", self.verdict), ("error", self.error),
                 ("rules", [row.to_json() for row in self.rules]),
                 ("cases", [case.to_json() for case in self.cases])]
        if self.trace is not None:
            pairs.append(("trace", self.trace))
        return _joined(pairs, self.omitted, self.extra)

    @classmethod
    def from_json(cls, data: Any) -> RunResult:
        data = _object(data, "")
        tool = data.get("tool")
        trace = data.get("trace")
        known = ("version", "tool", "run", "verdict", "error", "rules", "cases", "trace")
        return cls(
            run=RunInfo.from_json(_required(data, "run", "")),
            verdict=str(_required(data, "verdict", "")),
            error=data.get("error"),
            rules=tuple(RuleResult.from_json(row, f"/rules/{number}")
                        for number, row in enumerate(_list(data, "rules", ""))),
            cases=tuple(CaseResult.from_json(case, f"/cases/{number}")
                        for number, case in enumerate(_list(data, "cases", ""))),
            trace=dict(trace) if isinstance(trace, Mapping) else None,
            version=data.get("version", RESULTS_VERSION),
            tool=dict(tool) if isinstance(tool, Mapping) else {},
            extra=_extra(data, known),
            omitted=_omitted(data, ("error",)),
        )
