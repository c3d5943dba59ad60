"""Checks of the family's rules (docs/contract.md part 2): C1, C4, T1, U2, U3, T2, T3, Q1, L2, L3.

Each is a registered check (checks.check) on one observation: the call, its answer, and
what the run knew before it (`Observation.before`, `RunState.known`, `RunState.deleted`).
Refused transitions (T4, T5, T6) and unknown ids (U3) go through the refusal check of
checks.py with the rule they break; whether the state stayed unchanged is judged by the
status call that follows (Q1's observation carries the state expected in `before`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from kore_contract.contract import spec
from kore_contract.run.checks import Observation, _finding, campaign_of, check, show
from kore_contract.run.results import Finding

#: The fields of a list result that must equal get's `data` for that id (L2).
LIST_SHARED = ("name", "status", "priority", "contactLists", "format", "createdAt", "updatedAt")
#: The priorities a campaign created without one may answer (C4: "1" to "5").
PRIORITIES = ("1", "2", "3", "4", "5")


def _answer(obs: Observation) -> dict[str, Any] | None:
    answer = obs.exchange.response_json
    return answer if isinstance(answer, dict) else None


def answered_200(obs: Observation) -> bool:
    """A 200 whose body is a JSON object (a refusal is judged by S9 and the breaking rule)."""
    return obs.exchange.status == 200 and _answer(obs) is not None


def answered_2xx_campaign(obs: Observation) -> bool:
    return obs.exchange.status in (200, 201) and campaign_of(obs.exchange) is not None


def instant(value: Any) -> datetime | None:
    """A date-time with a zone, or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


# --- create and update answers ------------------------------------------------------------------


@check("C1", applies_to=("accept",), calls=("create", "update"), when=answered_2xx_campaign)
def variant_is_read_from_the_body(obs: Observation) -> Iterator[Finding]:
    """The campaign answered is of the variant the body is read as (C1, spec.variant_of:
    format "advanced", else template_name, else plain), read the same way from `data`."""
    data, sent = campaign_of(obs.exchange) or {}, obs.sent
    if not isinstance(sent, dict):
        return
    sent_variant, answered = spec.variant_of(sent), spec.variant_of(data)
    if answered != sent_variant:
        yield _finding(
            obs,
            "C1",
            "/data",
            f"a {sent_variant} body was answered as a {answered} campaign "
            f"(format {show(data.get('format'))}, message {show(data.get('message'))})",
        )


@check("C4", applies_to=("accept",), calls=("create", "update"), when=answered_2xx_campaign)
def variant_is_answered(obs: Observation) -> Iterator[Finding]:
    data, sent = campaign_of(obs.exchange) or {}, obs.sent
    if not isinstance(sent, dict):
        return
    if sent.get("format") == "advanced":
        yield from _advanced_answer(obs, data, sent)
        return
    sent_message = sent.get("message")
    if isinstance(sent_message, dict) and "template_name" not in sent_message:
        got = data.get("message")
        got_text = got.get("message") if isinstance(got, dict) else None
        if got_text != sent_message.get("message"):
            yield _finding(
                obs,
                "C4",
                "/data/message/message",
                f"data.message.message: "
                f"answered {show(got_text)}; sent {show(sent_message.get('message'))}",
            )


def _advanced_answer(
    obs: Observation, data: dict[str, Any], sent: dict[str, Any]
) -> Iterator[Finding]:
    if data.get("format") != "advanced":
        yield _finding(
            obs,
            "C4",
            "/data/format",
            f"data.format: answered "
            f"{show(data.get('format'))} for an advanced campaign; expected "
            '"advanced"',
        )
    flow = obs.state.flows.get(str(sent.get("experienceFlowName")))
    if flow is not None and data.get("experienceFlow") != flow:
        yield _finding(
            obs,
            "C4",
            "/data/experienceFlow",
            f"data.experienceFlow: answered "
            f"{show(data.get('experienceFlow'))}; the flow named is {show(flow)}",
        )
    if "message" in data and not isinstance(data["message"], dict):
        yield _finding(
            obs,
            "C4",
            "/data/message",
            f"data.message: answered {show(data['message'])}; expected an object where present",
        )
    if "priority" not in sent and data.get("priority") not in PRIORITIES:
        yield _finding(
            obs,
            "C4",
            "/data/priority",
            f"data.priority: answered "
            f"{show(data.get('priority'))} for a campaign created without one; "
            'expected a string "1" to "5"',
        )


@check("T1", applies_to=("accept",), calls=("create",), when=answered_2xx_campaign)
def created_campaign_is_ready(obs: Observation) -> Iterator[Finding]:
    status = (campaign_of(obs.exchange) or {}).get("status")
    if isinstance(status, str) and status and status != "Ready":  # a missing or empty one: S5
        yield _finding(
            obs,
            "T1",
            "/data/status",
            f'data.status: a created campaign answered {show(status)}; expected "Ready"',
        )


@check("U2", applies_to=("accept",), calls=("update",))
def update_answers_the_campaign(obs: Observation) -> Iterator[Finding]:
    if obs.exchange.status != 200:
        yield _finding(
            obs, "U2", "", f"a valid update answered {obs.exchange.status}; expected 200"
        )
        return
    data, before = campaign_of(obs.exchange), obs.before or {}
    if data is None:
        yield _finding(obs, "U2", "/data", "the update's answer has no data object")
        return
    for name in ("_id", "createdAt"):
        if name in before and data.get(name) != before[name]:
            yield _finding(
                obs,
                "U2",
                f"/data/{name}",
                f"data.{name}: update answered {show(data.get(name))}; it was {show(before[name])}",
            )
    was, now = instant(before.get("updatedAt")), instant(data.get("updatedAt"))
    if was is not None and now is not None and now < was:
        yield _finding(
            obs,
            "U2",
            "/data/updatedAt",
            f"data.updatedAt: update answered "
            f"{show(data.get('updatedAt'))}, before the campaign's previous "
            f"{show(before.get('updatedAt'))}",
        )
    new_name = obs.sent.get("name") if isinstance(obs.sent, dict) else None
    if isinstance(new_name, str) and data.get("lname") != new_name.lower():
        yield _finding(
            obs,
            "U2",
            "/data/lname",
            f"data.lname: answered "
            f"{show(data.get('lname'))}; expected the new name lowercased "
            f"{show(new_name.lower())}",
        )


# --- start and stop ---------------------------------------------------------------------------


def _transition(
    obs: Observation, rule: str, state: str, extra: tuple[str, ...] = ()
) -> Iterator[Finding]:
    if obs.exchange.status != 200:
        yield _finding(
            obs,
            rule,
            "",
            f"a {obs.call} the state allows answered {obs.exchange.status}; expected 200",
        )
        return
    answer = _answer(obs)
    if answer is None:
        yield _finding(obs, rule, "", "the answer is not a JSON object")
        return
    if answer.get("status") != state:
        yield _finding(
            obs,
            rule,
            "/status",
            f"status: answered {show(answer.get('status'))}; expected {show(state)}",
        )
    if not isinstance(answer.get("message"), str):
        yield _finding(
            obs,
            rule,
            "/message",
            f"message: answered {show(answer.get('message'))}; expected a string",
        )
    if instant(answer.get("updatedAt")) is None:
        yield _finding(
            obs,
            rule,
            "/updatedAt",
            f"updatedAt: answered "
            f"{show(answer.get('updatedAt'))}; expected a date-time with a zone",
        )
    for name in extra:
        if not isinstance(answer.get(name), str) or not answer[name]:
            yield _finding(
                obs,
                rule,
                f"/{name}",
                f"{name}: answered {show(answer.get(name))}; expected a non-empty string",
            )


@check("T2", applies_to=("accept",), calls=("start",))
def start_answers_active(obs: Observation) -> Iterator[Finding]:
    yield from _transition(obs, "T2", "Active")


@check("T3", applies_to=("accept",), calls=("stop",))
def stop_answers_stopped(obs: Observation) -> Iterator[Finding]:
    yield from _transition(obs, "T3", "Stopped", ("campaignExecutionType",))


# --- status -----------------------------------------------------------------------------------


@check("Q1", applies_to=("accept",), calls=("status",))
def status_answers_the_campaign(obs: Observation) -> Iterator[Finding]:
    answer = _answer(obs) if obs.exchange.status == 200 else None
    if answer is None:
        yield _finding(
            obs, "Q1", "", f"status answered {obs.exchange.status}; expected 200 with a JSON object"
        )
        return
    if answer.get("status") != "success":
        yield _finding(
            obs,
            "Q1",
            "/status",
            f'status: answered {show(answer.get("status"))}; expected "success"',
        )
    if "message" in answer and not isinstance(answer["message"], str):
        yield _finding(obs, "Q1", "/message", "message: present and not a string")
    data = answer.get("data")
    if not isinstance(data, dict):
        yield _finding(obs, "Q1", "/data", f"data: answered {show(data)}; expected an object")
        return
    before = obs.before or {}
    expected = {"id": before.get("_id"), "status": before.get("status"), "name": before.get("name")}
    for name, value in expected.items():
        if value is not None and data.get(name) != value:
            yield _finding(
                obs,
                "Q1",
                f"/data/{name}",
                f"data.{name}: answered {show(data.get(name))}; expected {show(value)}",
            )


# --- list -------------------------------------------------------------------------------------


def _page(obs: Observation) -> dict[str, Any] | None:
    answer = _answer(obs)
    data = answer.get("data") if answer else None
    return data if isinstance(data, dict) else None


@check("L2", applies_to=("accept",), calls=("list",))
def list_answers_the_page(obs: Observation) -> Iterator[Finding]:
    answer, page = _answer(obs), _page(obs)
    if obs.exchange.status != 200 or answer is None or page is None:
        yield _finding(
            obs,
            "L2",
            "",
            f"a valid list answered {obs.exchange.status}; expected "
            "200 with {status, message, data}",
        )
        return
    if answer.get("status") != "success" or not isinstance(answer.get("message"), str):
        yield _finding(obs, "L2", "/status", 'status must be "success" and message a string')
    for field_name, kind in (
        ("skip", int),
        ("limit", int),
        ("hasMore", bool),
        ("totalPages", int),
        ("totalResults", int),
        ("results", list),
    ):
        value = page.get(field_name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            yield _finding(
                obs,
                "L2",
                f"/data/{field_name}",
                f"data.{field_name}: answered {show(value)}; expected {kind.__name__}",
            )
    for index, result in enumerate(page.get("results") or []):
        yield from _result_findings(obs, index, result)


def _result_findings(obs: Observation, index: int, result: Any) -> Iterator[Finding]:
    where = f"/data/results/{index}"
    if not isinstance(result, dict) or not isinstance(result.get("id"), str):
        yield _finding(obs, "L2", where, f"a result without an id string: {show(result)}")
        return
    if not isinstance(result.get("priority"), str):
        yield _finding(
            obs,
            "L2",
            f"{where}/priority",
            f"priority: answered {show(result.get('priority'))}; expected a string",
        )
    known = obs.state.known.get(result["id"]) or {}
    for name in LIST_SHARED:
        if name in known and name in result and result[name] != known[name]:
            yield _finding(
                obs,
                "L2",
                f"{where}/{name}",
                f"{name} of {result['id']}: listed "
                f"{show(result[name])}; get answers {show(known[name])}",
            )


def results_beyond_shared(obs: Observation) -> Iterator[Finding]:
    """L2 for the fields a result shares with get's `data` beyond `LIST_SHARED` (which the
    registered check compares): each equal to what the run knows get answers. Not a
    registered check: the walks and the traffic checker (proxy/checker.py) call it after a list."""
    for index, result in enumerate((_page(obs) or {}).get("results") or []):
        if not isinstance(result, dict) or not isinstance(result.get("id"), str):
            continue
        known = obs.state.known.get(result["id"]) or {}
        for name in sorted(set(result) & set(known) - {"id", *LIST_SHARED}):
            if result[name] != known[name]:
                yield _finding(
                    obs,
                    "L2",
                    f"/data/results/{index}/{spec.escape_token(name)}",
                    f"{name} of {result['id']}: listed "
                    f"{show(result[name])}; get answers {show(known[name])}",
                )


@check("L3", applies_to=("accept",), calls=("list",), when=answered_200)
def list_matches_the_query(obs: Observation) -> Iterator[Finding]:
    page, query = _page(obs), obs.request if isinstance(obs.request, dict) else {}
    results = page.get("results") if page else None
    if page is None or not isinstance(results, list):
        return
    rows = [result for result in results if isinstance(result, dict)]
    yield from _filters_hold(obs, rows, query)
    yield from _ordered(obs, rows, query.get("sortBy"))
    yield from _paging_holds(obs, page, rows, query)
    for index, row in enumerate(rows):
        if row.get("id") in obs.state.deleted:
            yield _finding(
                obs,
                "L3",
                f"/data/results/{index}",
                f"campaign {show(row['id'])} is listed after it was deleted",
            )


def _filters_hold(
    obs: Observation, rows: list[dict[str, Any]], query: dict[str, Any]
) -> Iterator[Finding]:
    given = query.get("filters")
    filters: dict[str, Any] = given if isinstance(given, dict) else {}
    statuses, priorities = filters.get("status"), filters.get("priority")
    start, end = instant(query.get("startDate")), instant(query.get("endDate"))
    for index, row in enumerate(rows):
        created = instant(row.get("createdAt"))
        if created is not None and (
            (start is not None and created < start) or (end is not None and created > end)
        ):
            yield _finding(
                obs,
                "L3",
                f"/data/results/{index}/createdAt",
                f"createdAt {show(row.get('createdAt'))} is outside the window "
                f"{show(query.get('startDate'))} to {show(query.get('endDate'))}",
            )
        if isinstance(statuses, list) and row.get("status") not in statuses:
            yield _finding(
                obs,
                "L3",
                f"/data/results/{index}/status",
                f"status {show(row.get('status'))} is not among the filter's {show(statuses)}",
            )
        if isinstance(priorities, list) and row.get("priority") not in [str(p) for p in priorities]:
            yield _finding(
                obs,
                "L3",
                f"/data/results/{index}/priority",
                f"priority "
                f"{show(row.get('priority'))} is not among the filter's "
                f"{show(priorities)}",
            )


def _ordered(obs: Observation, rows: list[dict[str, Any]], sort_by: Any) -> Iterator[Finding]:
    if not isinstance(sort_by, dict) or len(sort_by) != 1:
        return  # one key is unambiguous; several keys' precedence is not stated
    ((key, direction),) = sort_by.items()
    values = [row.get(key) for row in rows]
    texts = [value for value in values if isinstance(value, str)]
    if len(texts) != len(values):
        return
    keyed = [text.lower() if key == "name" else text for text in texts]
    if keyed != sorted(keyed, reverse=direction == "desc"):
        yield _finding(
            obs,
            "L3",
            "/data/results",
            f"results are not in {key} {direction} order: {show(values)}",
        )


def _paging_holds(
    obs: Observation, page: dict[str, Any], rows: list[dict[str, Any]], query: dict[str, Any]
) -> Iterator[Finding]:
    limit, total, skip = page.get("limit"), page.get("totalResults"), page.get("skip")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (limit, total, skip)):
        return
    assert isinstance(limit, int) and isinstance(total, int) and isinstance(skip, int)
    asked = query.get("limit")
    if isinstance(asked, int) and not isinstance(asked, bool) and len(rows) > asked:
        yield _finding(obs, "L3", "/data/results", f"{len(rows)} results for a limit of {asked}")
    if page.get("hasMore") is not (skip + len(rows) < total):
        yield _finding(
            obs,
            "L3",
            "/data/hasMore",
            f"hasMore: answered "
            f"{show(page.get('hasMore'))} with skip {skip}, {len(rows)} results "
            f"and totalResults {total}",
        )
    if limit > 0 and page.get("totalPages") != math.ceil(total / limit):
        yield _finding(
            obs,
            "L3",
            "/data/totalPages",
            f"totalPages: answered "
            f"{show(page.get('totalPages'))}; {total} results by {limit} make "
            f"{math.ceil(total / limit)}",
        )
