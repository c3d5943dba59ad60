"""Validate many paths: every path gets a result dict, on every core for large sets.

A result is DESIGN.md's shape: `{"path", "status": valid|invalid|unreadable,
"violations": [...], "warnings": [...], "error": str | None}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kore_contract.loader import Unreadable, expand_paths, read_bytes, read_stdin
from kore_contract.validate import Kind, validate_text, warm_up

if TYPE_CHECKING:
    from kore_contract.fixture import Fixture

_settings: dict[str, Any] = {}


def check_bytes(
    name: str, data: bytes | Unreadable, kind: Kind, fixture: Fixture | None, strict: bool
) -> dict[str, Any]:
    if not isinstance(data, Unreadable):
        outcome = validate_text(data, kind=kind, fixture=fixture, strict=strict)
    else:
        outcome = data
    if isinstance(outcome, Unreadable):
        return {
            "path": name,
            "status": "unreadable",
            "violations": [],
            "warnings": [],
            "error": outcome.reason,
        }
    return {
        "path": name,
        "status": "valid" if outcome.ok else "invalid",
        "violations": [v.to_json() for v in outcome.violations],
        "warnings": [w.to_json() for w in outcome.warnings],
        "error": None,
    }


def _check_path(item: tuple[str, str]) -> dict[str, Any]:
    name, path = item
    return check_bytes(name, read_bytes(path), **_settings)


def _init_worker(settings: dict[str, Any]) -> None:
    _settings.update(settings)


def check_all(
    arguments: Iterable[str],
    *,
    kind: Kind,
    fixture: Fixture | None,
    strict: bool,
    jobs: int,
    parallel_from: int,
) -> list[dict[str, Any]]:
    """One result per path, in the order given (folders expanded, sorted)."""
    settings = {"kind": kind, "fixture": fixture, "strict": strict}
    entries = list(expand_paths(arguments))
    files = [(name, str(path)) for name, path in entries if isinstance(path, Path)]
    checked: dict[str, dict[str, Any]] = {}
    if jobs > 1 and len(files) >= parallel_from:
        import multiprocessing

        warm_up(kind)  # compiled once here; the forked workers inherit it
        # Each worker gets a few large chunks: fewer round trips, and still balanced.
        chunk = max(16, min(1024, len(files) // (jobs * 4)))
        with multiprocessing.get_context("fork").Pool(
            jobs, initializer=_init_worker, initargs=(settings,)
        ) as pool:
            for result in pool.imap(_check_path, files, chunksize=chunk):
                checked[result["path"]] = result
    else:
        _init_worker(settings)
        for item in files:
            checked[item[0]] = _check_path(item)
    results = []
    for name, path in entries:
        if path is None:
            results.append(check_bytes("-", read_stdin(), kind, fixture, strict))
        elif isinstance(path, Unreadable):
            results.append(check_bytes(name, path, kind, fixture, strict))
        else:
            results.append(checked[name])
    return results


def exit_code(results: list[dict[str, Any]]) -> int:
    statuses = {r["status"] for r in results}
    if "unreadable" in statuses:
        return 2
    return 1 if "invalid" in statuses else 0
