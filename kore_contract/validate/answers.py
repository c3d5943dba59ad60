"""The rules JSON Schema cannot say of an answer, beside the schema's: S4 and S7 across a
campaign's fields, and what a list answer says of itself (L3's paging figures, each
campaign once, S7 on each result)."""

from __future__ import annotations

from typing import Any

from kore_contract.contract import formats
from kore_contract.contract.violation import Violation
from kore_contract.validate.messages import printable
from kore_contract.validate.result import LIMIT


def response_cross_field_violations(payload: Any) -> list[Violation]:
    """S4 (lname is name lowercased) and S7 (updatedAt not before createdAt)."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return []
    found: list[Violation] = []
    name, lname = data.get("name"), data.get("lname")
    if isinstance(name, str) and isinstance(lname, str) and lname != name.lower():
        found.append(
            Violation(
                "S4",
                "/data/lname",
                f"data.lname: got {lname!r}; expected {name.lower()!r}, data.name lowercased",
            )
        )
    found += _timestamps_violations(data, "/data", "data")
    return found


def _timestamps_violations(data: dict[str, Any], pointer: str, where: str) -> list[Violation]:
    """S7: `updatedAt` not before `createdAt` (both date-times with a zone)."""
    created, updated = data.get("createdAt"), data.get("updatedAt")
    if isinstance(created, str) and isinstance(updated, str):
        first, last = formats.parse_date_time(created), formats.parse_date_time(updated)
        if first and last and first.tzinfo and last.tzinfo and last < first:
            return [
                Violation(
                    "S7",
                    f"{pointer}/updatedAt",
                    f"{where}.updatedAt: {printable(updated)} is before {where}.createdAt "
                    f"{printable(created)}",
                )
            ]
    return []


def list_answer_violations(payload: Any, limit: int = LIMIT) -> list[Violation]:
    """What a list answer says of itself (L3's paging figures, S7 on each result): at most
    `limit` results looked at past the figures, so the cost stays bounded.

    - `results` holds at most `limit` campaigns, each once;
    - `hasMore` is true exactly when `skip` + the results' count is below `totalResults`;
    - `totalPages` is `totalResults` divided by `limit`, rounded up;
    - a result's `updatedAt` is not before its `createdAt` (S7, which D20 breaks)."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return []
    found: list[Violation] = []
    results = data.get("results")
    figures = [data.get(key) for key in ("skip", "limit", "totalResults", "totalPages")]
    if isinstance(results, list) and all(type(value) is int for value in figures):
        skip, page_size, total, pages = (int(value) for value in figures)  # type: ignore[arg-type]
        count = len(results)
        if page_size > 0 and count > page_size:
            found.append(
                Violation(
                    "L3",
                    "/data/results",
                    f"data.results: {count} campaigns; at most data.limit {page_size} expected",
                )
            )
        has_more = data.get("hasMore")
        if type(has_more) is bool and has_more != (skip + count < total):
            found.append(
                Violation(
                    "L3",
                    "/data/hasMore",
                    f"data.hasMore: {has_more}; expected "
                    f"{not has_more} (skip {skip} + {count} results, "
                    f"{total} in all)",
                )
            )
        if page_size > 0 and pages != -(-total // page_size):
            found.append(
                Violation(
                    "L3",
                    "/data/totalPages",
                    f"data.totalPages: {pages}; "
                    f"expected {-(-total // page_size)} ({total} results, "
                    f"{page_size} a page)",
                )
            )
    if isinstance(results, list):
        found += _result_violations(results, limit - len(found))
    return found[:limit]


def _result_violations(results: list[Any], limit: int) -> list[Violation]:
    """Each listed campaign once (L3), and its updatedAt not before its createdAt (S7)."""
    found: list[Violation] = []
    seen: dict[str, int] = {}
    for index, result in enumerate(results):
        if len(found) >= limit:
            break
        if not isinstance(result, dict):
            continue
        campaign = result.get("id")
        if isinstance(campaign, str):
            if campaign in seen:
                found.append(
                    Violation(
                        "L3",
                        f"/data/results/{index}/id",
                        f"data.results[{index}]"
                        f".id: {printable(campaign[:60])!r} is listed already at "
                        f"data.results[{seen[campaign]}]; each campaign once",
                    )
                )
            else:
                seen[campaign] = index
        found += _timestamps_violations(result, f"/data/results/{index}", f"data.results[{index}]")
    return found[:limit]
