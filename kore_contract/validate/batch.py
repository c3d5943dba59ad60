"""Validate many paths: every path gets a result dict, on every core for large sets.

A result is docs/design.md's shape: `{"path", "status": valid|invalid|unreadable,
"violations": [...], "warnings": [...], "error": str | None}`, and for a create or update
body `"variant"` (C1's reading, which the text output names; the JSON output leaves it out,
its shape unchanged). A payload with more than
MAX_VIOLATIONS violations (or warnings) lists that many, and its result adds
`"more_violations": N` and `"more_warnings": N` (how many more were found) and
`"more_exact": false` when the search stopped past the cap (there are at least N more).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kore_contract.contract.loader import (
    Parsed,
    Unreadable,
    expand_names,
    read_bytes,
    read_stdin,
)
from kore_contract.contract.violation import Violation
from kore_contract.validate.api import validate_parsed, validate_text
from kore_contract.validate.engine import warm_up
from kore_contract.validate.result import Result
from kore_contract.validate.schemas import (
    PayloadKind,
    SchemaName,
    request_schema_name,
    response_schema_name,
    variant_calls,
    variant_schema_name,
    variants,
)

if TYPE_CHECKING:
    from kore_contract.contract.fixture import Fixture

_settings: dict[str, Any] = {}

#: What a worker sends back for one file: for valid without warnings (most files) None, or
#: the variant read (a str); else (status, violations, warnings, error, more, variant) with
#: each violation a (rule, pointer, message) tuple and `more` (more violations, more
#: warnings, exact) or None. Small to pickle; the parent makes the result dicts.
Compact = (
    tuple[
        str,
        list[tuple[str, str, str]],
        list[tuple[str, str, str]],
        "str | None",
        "tuple[int, int, bool] | None",
        "str | None",
    ]
    | str
    | None
)

# Files of a pool run, set before the fork: a task is a range of indices into it.
_files: list[str] = []


@dataclass(frozen=True)
class Checking:
    """What every file of one `validate` run is checked as."""

    kind: PayloadKind = "request"
    fixture: Fixture | None = None
    strict: bool = False
    call: str = "create"
    variant: str | None = None

    @property
    def schema(self) -> SchemaName:
        """The schema to compile before a pool forks (the variant's: C1 picks per file)."""
        if self.kind == "response":
            return response_schema_name(self.call)
        if self.call in variant_calls():
            return variant_schema_name(self.variant or variants()[0])
        return request_schema_name(self.call)


def check_bytes(name: str, data: bytes | Unreadable, checking: Checking) -> dict[str, Any]:
    return _expand(name, _check(data, checking))


def _check(data: bytes | Unreadable, checking: Checking) -> Compact:
    outcome = (
        data
        if isinstance(data, Unreadable)
        else validate_text(
            data,
            kind=checking.kind,
            call=checking.call,
            variant=checking.variant,
            fixture=checking.fixture,
            strict=checking.strict,
        )
    )
    return compact_of(outcome)


def check_parsed(payload: Any, checking: Checking) -> Compact:
    """`_check` of a body already parsed the way `parse_json` would (no duplicated key)."""
    return compact_of(
        validate_parsed(
            Parsed(payload),
            kind=checking.kind,
            call=checking.call,
            variant=checking.variant,
            fixture=checking.fixture,
            strict=checking.strict,
        )
    )


def compact_of(outcome: Result | Unreadable) -> Compact:
    """What a worker sends back for one outcome (`Compact`)."""
    if isinstance(outcome, Unreadable):
        return ("unreadable", [], [], outcome.reason, None, None)
    if not outcome.violations and not outcome.warnings:
        return outcome.variant
    more = outcome.more_violations, outcome.more_warnings, outcome.more_exact
    return (
        "invalid" if outcome.violations else "valid",
        [_triple(v) for v in outcome.violations],
        [_triple(w) for w in outcome.warnings],
        None,
        more if more[0] or more[1] else None,
        outcome.variant,
    )


def _triple(violation: Violation) -> tuple[str, str, str]:
    return (violation.rule, violation.pointer, violation.message)


def _expand(name: str, compact: Compact) -> dict[str, Any]:
    if compact is None or isinstance(compact, str):
        valid: dict[str, Any] = {
            "path": name,
            "status": "valid",
            "violations": [],
            "warnings": [],
            "error": None,
        }
        return valid if compact is None else {**valid, "variant": compact}
    status, violations, warnings, error, more, variant = compact
    result: dict[str, Any] = {
        "path": name,
        "status": status,
        "violations": [{"rule": r, "pointer": p, "message": m} for r, p, m in violations],
        "warnings": [{"rule": r, "pointer": p, "message": m} for r, p, m in warnings],
        "error": error,
    }
    if more is not None:
        more_violations, more_warnings, exact = more
        if more_violations:
            result["more_violations"] = more_violations
        if more_warnings:
            result["more_warnings"] = more_warnings
        result["more_exact"] = exact
    if variant is not None:
        result["variant"] = variant
    return result


def _check_range(bounds: tuple[int, int]) -> list[Compact]:
    checking: Checking = _settings["checking"]
    return [_check(read_bytes(path), checking) for path in _files[slice(*bounds)]]


def _init_worker(settings: dict[str, Any]) -> None:
    _settings.update(settings)


def check_all(
    arguments: Iterable[str],
    *,
    kind: PayloadKind,
    fixture: Fixture | None,
    strict: bool,
    jobs: int,
    parallel_from: int,
    call: str = "create",
    variant: str | None = None,
) -> list[dict[str, Any]]:
    """One result per path, in the order given (folders expanded, sorted)."""
    checking = Checking(kind, fixture, strict, call, variant)
    settings = {"checking": checking}
    entries = list(expand_names(arguments))
    files = [path for _, path in entries if isinstance(path, str)]
    checked: list[Compact] = []
    if jobs > 1 and len(files) >= parallel_from:
        import multiprocessing

        warm_up(checking.schema)  # compiled once here; the forked workers inherit it
        _files[:] = files  # the workers inherit the list too: a task is just a range
        # A few large ranges per worker: few round trips, and still balanced on a busy machine.
        step = max(64, -(-len(files) // (jobs * 4)))
        ranges = [(start, start + step) for start in range(0, len(files), step)]
        try:
            with multiprocessing.get_context("fork").Pool(
                jobs, initializer=_init_worker, initargs=(settings,)
            ) as pool:
                for part in pool.imap(_check_range, ranges):
                    checked += part
        finally:
            _files.clear()
    else:
        checked = [_check(read_bytes(path), checking) for path in files]
    results = []
    done = iter(checked)
    for name, path in entries:
        if path is None:
            results.append(check_bytes("-", read_stdin(), checking))
        elif isinstance(path, Unreadable):
            results.append(check_bytes(name, path, checking))
        else:
            results.append(_expand(name, next(done)))
    return results


def exit_code(results: list[dict[str, Any]]) -> int:
    statuses = {r["status"] for r in results}
    if "unreadable" in statuses:
        return 2
    return 1 if "invalid" in statuses else 0
