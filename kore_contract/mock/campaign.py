"""What a conforming server answers, field by field: the campaign of a valid create or
update body (S1 to S8, C4, U2), the answers of start and stop (T2, T3), status (Q1) and
list (L2), the list body read as a query (L1, L3), and the campaign's states (T1 to T4).

The mock's other modules never name an API field: they ask this module. A mock running
with a fault breaks one rule of these answers on purpose afterwards (mock/faults.py).
Every builder takes what the validator accepted, and still answers (rather than fail)
when a faulty mock lets a broken body through.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from kore_contract.contract import spec
from kore_contract.contract.fixture import Fixture
from kore_contract.contract.formats import parse_date_time
from kore_contract.mock import limits
from kore_contract.mock.store import Query, SortKey

Campaign = dict[str, Any]

_NAMESPACE = uuid.UUID("6f1c1a52-6c1e-4b8e-9f0a-0b5e4b7c2d11")

#: A created campaign's state (T1).
READY = "Ready"
#: What a stop answers as the campaign's execution type (T3).
EXECUTION_TYPE = "NORMAL"


def now_iso() -> str:
    """`2025-12-05T08:08:45.668Z`: UTC, milliseconds, with its zone (S7)."""
    return iso(datetime.now(timezone.utc).timestamp() * 1000)


def iso(milliseconds: float) -> str:
    """A time stamp in milliseconds since the epoch, as the server writes it."""
    moment = datetime.fromtimestamp(int(milliseconds) / 1000, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    return f"cd-{uuid.uuid4()}"


@functools.lru_cache(maxsize=1024)
def template_id(name: str) -> str:
    return f"cmt-{uuid.uuid5(_NAMESPACE, name)}"


@functools.lru_cache(maxsize=1024)
def flow_id(name: str) -> str:
    """The id answered for an experience flow the fixture does not name (a faulty mock
    that accepts one)."""
    return f"cf-{uuid.uuid5(_NAMESPACE, name)}"


@functools.lru_cache(maxsize=1024)
def _base64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


@functools.lru_cache(maxsize=1)
def assigned_priority() -> str:
    """C4: the priority of an advanced campaign created without one (the middle of R7's
    values)."""
    values: list[str] = spec.request_field("priority")["enum"]
    return values[len(values) // 2]


# --- the campaign (S1 to S8, C4, U2) ---------------------------------------------------------


def build_campaign(
    body: Any,
    fixture: Fixture,
    *,
    campaign_id: str | None = None,
    at: str | None = None,
    created_at: str | None = None,
    status: str = READY,
    priority: str | None = None,
) -> Campaign:
    """The `data` of a create (or update) answer, in the order of the documentation's
    samples. `at` is its updatedAt (and createdAt, unless `created_at` keeps an earlier
    one: U2); `status` its state; `priority` the one it keeps when an advanced body names
    none (C4: else `assigned_priority()`)."""
    if not isinstance(body, dict):
        body = {}
    variant = spec.variant_of(body)  # C1
    name = body.get("name")
    stamp = at or now_iso()
    data: Campaign = {
        "_id": campaign_id or new_id(),
        "name": name,
        "lname": name.lower() if isinstance(name, str) else name,
        "description": body.get("description", ""),
        "status": status,
    }
    if "dncLists" in body:
        data["dncLists"] = body["dncLists"]
    sent_priority = body.get("priority")
    if sent_priority is None and variant == "advanced":
        sent_priority = priority or assigned_priority()
    data["priority"] = sent_priority
    data["dialingStrategy"] = body.get("dialingStrategy")
    sent = body.get("message")
    message: dict[str, Any] = sent if isinstance(sent, dict) else {}
    if variant == "template":
        template = message.get("template_name")
        registered = fixture.templates.get(template) if isinstance(template, str) else None
        data["message"] = {
            "template_name": template,
            "message": _base64(registered) if registered is not None else message.get("message"),
            "templateId": template_id(str(template)),
        }
    elif variant == "plain":
        data["message"] = {key: message[key] for key in ("message", "templateId") if key in message}
    else:
        if isinstance(sent, dict):
            data["message"] = dict(sent)
        flow = body.get("experienceFlowName")
        named = fixture.experience_flows.get(flow) if isinstance(flow, str) else None
        data["experienceFlow"] = named or flow_id(str(flow))
    data["isImported"] = False
    data["isFiltersEnabled"] = False
    data["totalMessagesSent"] = 0
    data["createdAt"] = created_at or stamp
    data["updatedAt"] = stamp
    schedule = body.get("schedule")
    data["schedule"] = (
        {"isSchedulingEnabled": False, **schedule}
        if isinstance(schedule, dict)
        else {"isSchedulingEnabled": False}
    )
    data["contactLists"] = body.get("contactLists")
    data["format"] = body.get("format")
    return data


@dataclass(frozen=True)
class Facts:
    """What the store keeps beside a campaign's JSON: its name, state and priority."""

    name: str
    status: str
    priority: str


def facts(data: Campaign) -> Facts:
    return Facts(str(data.get("name")), str(data.get("status")), str(data.get("priority")))


def campaign_id_of(data: Campaign) -> str:
    return str(data.get("_id"))


def created_at_of(data: Campaign) -> str | None:
    value = data.get("createdAt")
    return value if isinstance(value, str) else None


def priority_of(data: Campaign) -> str | None:
    value = data.get("priority")
    return value if isinstance(value, str) else None


def restated(data: Campaign, status: str, at: str) -> Campaign:
    """The campaign after a state change at `at` (T2, T3: its updatedAt is the answer's)."""
    return {**data, "status": status, "updatedAt": at}


# --- the campaign's states (T1 to T4) --------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """An action of start and stop (`x-actions`): the states it applies to, the state it
    leads to, and the answer's message."""

    action: str
    applies_to: frozenset[str]
    leads_to: str
    message: str


@functools.lru_cache(maxsize=1)
def transitions() -> dict[str, Transition]:
    """T2, T3: start (a Ready or Stopped campaign becomes Active) and stop (an Active one
    becomes Stopped). The states they lead to are read from their answers' schemas."""
    document = spec.load_spec()
    reached: dict[str, str] = {}
    for operation in spec.operations().values():
        for action, entry in operation.get("x-actions", {}).items():
            answer = spec.pointer_get(document, entry["response"].removeprefix("#"))
            reached[action] = answer["properties"]["status"]["enum"][0]
    active, stopped = reached["start"], reached["stop"]
    return {
        "start": Transition("start", frozenset({READY, stopped}), active, "Campaign Started"),
        "stop": Transition("stop", frozenset({active}), stopped, "Campaign Stopped"),
    }


def active_state() -> str:
    """The state in which update and delete are refused (T5)."""
    return transitions()["start"].leads_to


def trigger_answer(transition: Transition, at: str) -> dict[str, Any]:
    """T2's or T3's answer (no `data`)."""
    answer: dict[str, Any] = {
        "status": transition.leads_to,
        "message": transition.message,
        "updatedAt": at,
    }
    if transition.action == "stop":
        answer["campaignExecutionType"] = EXECUTION_TYPE
    return answer


def status_answer(campaign_id: str, status: str, name: str) -> dict[str, Any]:
    """Q1 (the id is `id`, D19)."""
    return {"status": "success", "data": {"id": campaign_id, "status": status, "name": name}}


# --- list (L1 to L3) -------------------------------------------------------------------------

#: The fields of get's `data` a list result shows (L2), in the sample's order.
_LISTED = (
    "name",
    "description",
    "status",
    "dncLists",
    "priority",
    "message",
    "experienceFlow",
    "createdAt",
    "updatedAt",
    "schedule",
)


def list_result(data: Campaign) -> dict[str, Any]:
    """One list result (L2): get's fields, the id as `id` (D19)."""
    result = {key: data[key] for key in _LISTED if key in data}
    result["id"] = data.get("_id")
    result["totalMessagesSent"] = data.get("totalMessagesSent", 0)
    result["campaignExecutionType"] = EXECUTION_TYPE
    result["contactLists"] = data.get("contactLists")
    result["format"] = data.get("format")
    return result


_SORT_KEYS: dict[str, SortKey] = {"createdAt": "created", "updatedAt": "updated", "name": "name"}


@dataclass(frozen=True)
class ListRequest:
    """A list body, read (L1): the query for the store, and whether it asks for this
    mock's campaign type at all."""

    query: Query
    of_this_type: bool


def _whole(value: Any, least: int) -> int | None:
    """An integer of L1 (`5` or `5.0`), at least `least`; None for "" or anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        return None
    whole = int(value)
    return whole if whole >= least else None


def _micros(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    moment = parse_date_time(value)
    if moment is None or moment.tzinfo is None:
        return None
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def read_list_body(body: Any) -> ListRequest:
    """L1 and L3: the list body as a query. "" means absent; `skip` wins over `page`;
    `page` alone means skip = (page - 1) x limit; a `limit` past `MAX_LIST_LIMIT` is
    capped; an empty filter array matches nothing; `dialingMode` is ignored (voice only);
    without `sortBy`, the newest first. A value the validator would refuse reads as
    absent (a faulty mock that lets one through)."""
    if not isinstance(body, dict):
        body = {}
    limit = _whole(body.get("limit"), 1) or limits.DEFAULT_LIST_LIMIT
    limit = min(limit, limits.MAX_LIST_LIMIT)
    skip = _whole(body.get("skip"), 0)
    if skip is None:
        page = _whole(body.get("page"), 1)
        skip = (page - 1) * limit if page is not None else 0
    filters = body.get("filters")
    if not isinstance(filters, dict):
        filters = {}
    statuses = filters.get("status")
    priorities = filters.get("priority")
    sort: list[tuple[SortKey, bool]] = []
    sort_by = body.get("sortBy")
    if isinstance(sort_by, dict):
        for field, direction in sort_by.items():
            if field in _SORT_KEYS and direction in ("asc", "desc"):
                sort.append((_SORT_KEYS[field], direction == "desc"))
    query = Query(
        statuses=frozenset(s for s in statuses if isinstance(s, str))
        if isinstance(statuses, list)
        else None,
        priorities=frozenset(str(p) for p in (_whole(v, 1) for v in priorities) if p is not None)
        if isinstance(priorities, list)
        else None,
        created_from=_micros(body.get("startDate")),
        created_to=_micros(body.get("endDate")),
        sort=tuple(sort) or (("created", True),),
        skip=skip,
        limit=limit,
    )
    return ListRequest(query, body.get("type") == spec.campaign_type())


def list_answer_start() -> bytes:
    """The constant start of a list answer (L2), up to its results."""
    return b'{"status":"success","message":"Campaigns retrieved successfully","data":{"results":['


def list_answer_end(skip: int, limit: int, shown: int, total: int) -> bytes:
    """The end of a list answer after its results: the paging figures (L2, L3)."""
    figures = {
        "skip": skip,
        "limit": limit,
        "hasMore": skip + shown < total,
        "totalPages": -(-total // limit),
        "totalResults": total,
    }
    return b"]," + json.dumps(figures, separators=(",", ":")).encode()[1:-1] + b"}}"
