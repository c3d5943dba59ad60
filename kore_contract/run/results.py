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

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

#: The version of results.json's shape (results.schema.json).
RESULTS_VERSION = 1

Json = dict[str, Any]
T = TypeVar("T")


class ResultsShapeError(ValueError):
    """A results document lacks a key, or holds a value of the wrong kind; `str()` names the
    JSON pointer (put together only when the error happens: reading costs nothing extra)."""

    def __init__(self, problem: str, pointer: str = "") -> None:
        super().__init__(f"{pointer or '(root)'}: {problem}")
        self.problem, self.pointer = problem, pointer

    def within(self, *segments: object) -> ResultsShapeError:
        """The same error, seen from the parent that holds it at `segments`."""
        prefix = "".join(f"/{segment}" for segment in segments)
        return ResultsShapeError(self.problem, prefix + self.pointer)


def _object(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ResultsShapeError(f"expected an object; got {type(data).__name__}")
    return data


def _required(data: Mapping[str, Any], key: str) -> Any:
    try:
        return data[key]
    except KeyError:
        raise ResultsShapeError(f"{key!r} is missing") from None


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list | tuple):
        raise ResultsShapeError(f"expected an array; got {type(value).__name__}", f"/{key}")
    return list(value)


def _each(data: Mapping[str, Any], key: str, read: Callable[[Any], T]) -> tuple[T, ...]:
    """`read` of each item of the array `data[key]`; an error names the item's pointer."""
    items = []
    for number, item in enumerate(_list(data, key)):
        try:
            items.append(read(item))
        except ResultsShapeError as error:
            raise error.within(key, number) from None
    return tuple(items)


def _part(data: Mapping[str, Any], key: str, read: Callable[[Any], T]) -> T:
    """`read` of the object `data[key]`; an error names its pointer."""
    try:
        return read(_required(data, key))
    except ResultsShapeError as error:
        raise error.within(key) from None


def _extra(data: Mapping[str, Any], known: frozenset[str]) -> Json:
    if len(data) <= len(known) and known.issuperset(data):  # the usual case: nothing else
        return {}
    return {key: value for key, value in data.items() if key not in known}


def _omitted(data: Mapping[str, Any], optional: tuple[str, ...]) -> frozenset[str]:
    missing = [key for key in optional if key not in data]
    return frozenset(missing) if missing else _NONE


_NONE: frozenset[str] = frozenset()
_FINDING_KEYS = frozenset(("rule", "call", "pointer", "message"))
_STEP_KEYS = frozenset(("call", "request", "response", "error"))
_CASE_KEYS = frozenset(
    (
        "id",
        "phase",
        "call",
        "rules",
        "expect",
        "breaks",
        "request",
        "response",
        "error",
        "steps",
        "findings",
        "curl",
        "status",
    )
)
_RESULT_KEYS = frozenset(("version", "tool", "run", "verdict", "error", "rules", "cases", "trace"))


def _joined(pairs: Iterable[tuple[str, Any]], omitted: frozenset[str], extra: Json) -> Json:
    written = {key: value for key, value in pairs if key not in omitted}
    written.update(extra)
    return written


@dataclass(frozen=True, slots=True)
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
        return _joined(
            (
                ("rule", self.rule),
                ("call", self.call),
                ("pointer", self.pointer),
                ("message", self.message),
            ),
            frozenset(),
            self.extra,
        )

    @classmethod
    def from_json(cls, data: Any, call: str = "") -> Finding:
        data = _object(data)
        return cls(
            str(_required(data, "rule")),
            str(data.get("call", call)),
            str(data.get("pointer", "")),
            str(_required(data, "message")),
            _extra(data, _FINDING_KEYS),
        )


@dataclass(frozen=True, slots=True)
class RequestRecord:
    method: str
    url: str
    headers: Json
    body: Any  # the JSON body as sent, or None
    body_text: str | None  # the body as text when it was not JSON
    extra: Json = field(default_factory=dict, compare=False, repr=False)

    _KEYS = ("method", "url", "headers", "body", "body_text")
    _KNOWN = frozenset(_KEYS)

    def to_json(self) -> Json:
        return _joined(
            zip(
                self._KEYS,
                (self.method, self.url, self.headers, self.body, self.body_text),
                strict=True,
            ),
            frozenset(),
            self.extra,
        )

    @classmethod
    def from_json(cls, data: Any) -> RequestRecord:
        data = _object(data)
        headers = data.get("headers")
        return cls(
            str(_required(data, "method")),
            str(_required(data, "url")),
            dict(headers) if isinstance(headers, Mapping) else {},
            data.get("body"),
            data.get("body_text"),
            _extra(data, cls._KNOWN),
        )


@dataclass(frozen=True, slots=True)
class ResponseRecord:
    status: int
    headers: Json
    body: Any  # the parsed JSON answer, or None
    body_text: str | None  # the answer as text when it was not JSON
    elapsed_ms: float
    extra: Json = field(default_factory=dict, compare=False, repr=False)
    omitted: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    _KEYS = ("status", "headers", "body", "body_text", "elapsed_ms")
    _KNOWN = frozenset(_KEYS)

    def to_json(self) -> Json:
        return _joined(
            zip(
                self._KEYS,
                (self.status, self.headers, self.body, self.body_text, self.elapsed_ms),
                strict=True,
            ),
            self.omitted,
            self.extra,
        )

    @classmethod
    def from_json(cls, data: Any) -> ResponseRecord:
        data = _object(data)
        headers = data.get("headers")
        return cls(
            _required(data, "status"),
            dict(headers) if isinstance(headers, Mapping) else {},
            data.get("body"),
            data.get("body_text"),
            data.get("elapsed_ms", 0.0),
            _extra(data, cls._KNOWN),
            _omitted(data, ("body_text",)),
        )


@dataclass(frozen=True, slots=True)
class ExchangeRecord:
    """One request and its answer (None when none came: then `error` says why)."""

    request: RequestRecord
    response: ResponseRecord | None
    error: str | None

    def to_json(self) -> Json:
        return {
            "request": self.request.to_json(),
            "response": None if self.response is None else self.response.to_json(),
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ExchangeRecord:
        response = (
            None
            if data.get("response") is None
            else _part(data, "response", ResponseRecord.from_json)
        )
        return cls(_part(data, "request", RequestRecord.from_json), response, data.get("error"))


@dataclass(frozen=True, slots=True)
class Step:
    """A further call of a case (the lifecycle's get, delete, get)."""

    call: str
    exchange: ExchangeRecord
    extra: Json = field(default_factory=dict, compare=False, repr=False)

    def to_json(self) -> Json:
        return {"call": self.call, **self.exchange.to_json(), **self.extra}

    @classmethod
    def from_json(cls, data: Any) -> Step:
        data = _object(data)
        return cls(
            str(data.get("call", "")), ExchangeRecord.from_json(data), _extra(data, _STEP_KEYS)
        )


@dataclass(frozen=True, slots=True)
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
        pairs = (
            ("id", self.id),
            ("phase", self.phase),
            ("call", self.call),
            ("rules", list(self.rules)),
            ("expect", self.expect),
            ("breaks", self.breaks),
            ("request", exchange["request"]),
            ("response", exchange["response"]),
            ("error", exchange["error"]),
            ("steps", [s.to_json() for s in self.steps]),
            ("findings", [f.to_json() for f in self.findings]),
            ("curl", self.curl),
            ("status", self.status),
        )
        return _joined(pairs, self.omitted, self.extra)

    @classmethod
    def from_json(cls, data: Any) -> CaseResult:
        data = _object(data)
        call = str(_required(data, "call"))
        return cls(
            id=str(_required(data, "id")),
            phase=str(data.get("phase", "")),
            call=call,
            rules=tuple(str(rule) for rule in _list(data, "rules")),
            expect=str(data.get("expect", "")),
            breaks=data.get("breaks"),
            exchange=ExchangeRecord.from_json(data),
            steps=_each(data, "steps", Step.from_json),
            findings=_each(data, "findings", lambda item: Finding.from_json(item, call)),
            curl=str(data.get("curl") or ""),
            status=str(data.get("status", "error")),
            extra=_extra(data, _CASE_KEYS),
            omitted=_omitted(data, cls._OPTIONAL),
        )


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One row of the table by rule: a rule on one call (or "any"), how it fared; a row not
    exercised says why (`reason`: the fixture, no --allow-sends, the plan, a cut-short run),
    kept in `extra` as results.json's optional "reason"."""

    id: str
    call: str
    status: str  # passed | failed | not_exercised
    checks: int
    failures: int
    first_failure: str | None
    extra: Json = field(default_factory=dict, compare=False, repr=False)

    _KEYS = ("id", "call", "status", "checks", "failures", "first_failure")
    _KNOWN = frozenset(_KEYS)

    @property
    def reason(self) -> str | None:
        """Why a row not exercised was not, or None."""
        reason = self.extra.get("reason")
        return reason if isinstance(reason, str) and reason else None

    def to_json(self) -> Json:
        return _joined(
            zip(
                self._KEYS,
                (self.id, self.call, self.status, self.checks, self.failures, self.first_failure),
                strict=True,
            ),
            frozenset(),
            self.extra,
        )

    @classmethod
    def from_json(cls, data: Any) -> RuleResult:
        data = _object(data)
        return cls(
            str(_required(data, "id")),
            str(data.get("call", "any")),
            str(data.get("status", "not_exercised")),
            int(data.get("checks", 0)),
            int(data.get("failures", 0)),
            data.get("first_failure"),
            _extra(data, cls._KNOWN),
        )


@dataclass(frozen=True, slots=True)
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

    _KEYS = (
        "base_url",
        "target",
        "stream_id",
        "account_id",
        "seed",
        "max_examples",
        "started_at",
        "finished_at",
        "duration_s",
        "requests",
    )

    def to_json(self) -> Json:
        pairs = ((key, getattr(self, key)) for key in self._KEYS)
        return _joined(pairs, frozenset(), self.extra)

    @classmethod
    def from_json(cls, data: Any) -> RunInfo:
        data = _object(data)
        fields = {key: _required(data, key) for key in cls._KEYS}
        return cls(**fields, extra=_extra(data, frozenset(cls._KEYS)))


@dataclass(frozen=True, slots=True)
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
        pairs = [
            ("version", self.version),
            ("tool", dict(self.tool)),
            ("run", self.run.to_json()),
            ("verdict", self.verdict),
            ("error", self.error),
            ("rules", [row.to_json() for row in self.rules]),
            ("cases", [case.to_json() for case in self.cases]),
        ]
        if self.trace is not None:
            pairs.append(("trace", self.trace))
        return _joined(pairs, self.omitted, self.extra)

    @classmethod
    def from_json(cls, data: Any) -> RunResult:
        data = _object(data)
        tool = data.get("tool")
        trace = data.get("trace")
        return cls(
            run=_part(data, "run", RunInfo.from_json),
            verdict=str(_required(data, "verdict")),
            error=data.get("error"),
            rules=_each(data, "rules", RuleResult.from_json),
            cases=_each(data, "cases", CaseResult.from_json),
            trace=dict(trace) if isinstance(trace, Mapping) else None,
            version=data.get("version", RESULTS_VERSION),
            tool=dict(tool) if isinstance(tool, Mapping) else {},
            extra=_extra(data, _RESULT_KEYS),
            omitted=_omitted(data, ("error",)),
        )
