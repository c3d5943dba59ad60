"""Validate many paths: every path gets a result dict, on every core for large sets.

A result is docs/design.md's shape: `{"path", "status": valid|invalid|unreadable,
"violations": [...], "warnings": [...], "error": str | None}`. A payload with more than
MAX_VIOLATIONS violations (or warnings) lists that many, and its result adds
`"more_violations": N` and `"more_warnings": N` (how many more were found) and
`"more_exact": false` when the search stopped past the cap (there are at least N more).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kore_contract.contract.loader import Unreadable, expand_names, read_bytes, read_stdin
from kore_contract.contract.violation import Violation
from kore_contract.validate.api import validate_text
from kore_contract.validate.engine import warm_up
from kore_contract.validate.schemas import PayloadKind

if TYPE_CHECKING:
    from kore_contract.contract.fixture import Fixture

_settings: dict[str, Any] = {}

#: What a worker sends back for one file: None for valid without warnings (most files),
#: else (status, violations, warnings, error, more) with each violation a (rule, pointer,
#: message) tuple and `more` (more violations, more warnings, exact) or None. Small to
#: pickle; the parent makes the result dicts.
Compact = (
    tuple[
        str,
        list[tuple[str, str, str]],
        list[tuple[str, str, str]],
        "str | None",
        "tuple[int, int, bool] | None",
    ]
    | None
)

# Files of a pool run, set before the fork: a task is a range of indices into it.
_files: list[str] = []


def check_bytes(
    name: str,
    data: bytes | Unreadable,
    kind: PayloadKind,
    fixture: Fixture | None,
    strict: bool,
) -> dict[str, Any]:
    return _expand(name, _check(data, kind, fixture, strict))


def _check(
    data: bytes | Unreadable, kind: PayloadKind, fixture: Fixture | None, strict: bool
) -> Compact:
    outcome = (
        data
        if isinstance(data, Unreadable)
        else validate_text(data, kind=kind, fixture=fixture, strict=strict)
    )
    if isinstance(outcome, Unreadable):
        return ("unreadable", [], [], outcome.reason, None)
    if not outcome.violations and not outcome.warnings:
        return None
    more = outcome.more_violations, outcome.more_warnings, outcome.more_exact
    return (
        "invalid" if outcome.violations else "valid",
        [_triple(v) for v in outcome.violations],
        [_triple(w) for w in outcome.warnings],
        None,
        more if more[0] or more[1] else None,
    )


def _triple(violation: Violation) -> tuple[str, str, str]:
    return (violation.rule, violation.pointer, violation.message)


def _expand(name: str, compact: Compact) -> dict[str, Any]:
    if compact is None:
        return {"path": name, "status": "valid", "violations": [], "warnings": [], "error": None}
    status, violations, warnings, error, more = compact
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
    return result


def _check_range(bounds: tuple[int, int]) -> list[Compact]:
    settings = _settings
    kind, fixture, strict = settings["kind"], settings["fixture"], settings["strict"]
    return [_check(read_bytes(path), kind, fixture, strict) for path in _files[slice(*bounds)]]


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
) -> list[dict[str, Any]]:
    """One result per path, in the order given (folders expanded, sorted)."""
    settings = {"kind": kind, "fixture": fixture, "strict": strict}
    entries = list(expand_names(arguments))
    files = [path for _, path in entries if isinstance(path, str)]
    checked: list[Compact] = []
    if jobs > 1 and len(files) >= parallel_from:
        import multiprocessing

        warm_up(kind)  # compiled once here; the forked workers inherit it
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
        checked = [_check(read_bytes(path), kind, fixture, strict) for path in files]
    results = []
    done = iter(checked)
    for name, path in entries:
        if path is None:
            results.append(check_bytes("-", read_stdin(), kind, fixture, strict))
        elif isinstance(path, Unreadable):
            results.append(check_bytes(name, path, kind, fixture, strict))
        else:
            results.append(_expand(name, next(done)))
    return results


def exit_code(results: list[dict[str, Any]]) -> int:
    statuses = {r["status"] for r in results}
    if "unreadable" in statuses:
        return 2
    return 1 if "invalid" in statuses else 0
