"""The campaign a conforming server answers for a valid create body (S1 to S8).

`build_campaign` takes a body the validator accepted; `with_fault` then breaks one rule
on purpose when the mock runs with a fault (kore_contract.mock.faults).
"""

from __future__ import annotations

import base64
import functools
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from kore_contract.contract.fixture import Fixture

Campaign = dict[str, Any]

_NAMESPACE = uuid.UUID("6f1c1a52-6c1e-4b8e-9f0a-0b5e4b7c2d11")


def now_iso() -> str:
    """`2025-12-05T08:08:45.668Z`: UTC, milliseconds, with its zone (S7)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    return f"cd-{uuid.uuid4()}"


@functools.lru_cache(maxsize=1024)
def template_id(name: str) -> str:
    return f"cmt-{uuid.uuid5(_NAMESPACE, name)}"


@functools.lru_cache(maxsize=1024)
def _base64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def build_campaign(body: dict[str, Any], fixture: Fixture, *, campaign_id: str | None = None,
                   at: str | None = None) -> Campaign:
    """The `data` of a create answer, in the order of the documentation's sample.

    A valid body has every field; a faulty mock that accepts a broken one (mock/faults.py)
    still answers, with what the body holds, rather than a 500.
    """
    name = body.get("name")
    sent_message = body.get("message")
    message: dict[str, Any] = sent_message if isinstance(sent_message, dict) else {}
    template = message.get("template_name")
    registered = fixture.templates.get(template) if isinstance(template, str) else None
    encoded = _base64(registered) if registered is not None else message.get("message")
    stamp = at or now_iso()
    data: Campaign = {
        "_id": campaign_id or new_id(),
        "name": name,
        "lname": name.lower() if isinstance(name, str) else name,
        "description": body.get("description"),
        "status": "Ready",
    }
    if "dncLists" in body:
        data["dncLists"] = body["dncLists"]
    data["priority"] = body.get("priority")
    data["dialingStrategy"] = body.get("dialingStrategy")
    data["message"] = {"template_name": template, "message": encoded,
                       "templateId": template_id(template)}
    data["isImported"] = False
    data["isFiltersEnabled"] = False
    data["totalMessagesSent"] = 0
    data["createdAt"] = stamp
    data["updatedAt"] = stamp
    schedule = body.get("schedule")
    data["schedule"] = ({"isSchedulingEnabled": False, **schedule}
                        if isinstance(schedule, dict) else {"isSchedulingEnabled": False})
    data["contactLists"] = body.get("contactLists")
    data["format"] = body.get("format")
    return data


def envelope(data: Campaign, message: str) -> dict[str, Any]:
    """S1: `{"status": "success", "message": ..., "data": ...}`."""
    return {"status": "success", "message": message, "data": data}


def with_fault(data: Campaign, fault: str, *, token: str | None = None) -> Campaign:
    """A copy of `data` that breaks one S rule the way `fault` names (else `data`)."""
    change = _DATA_FAULTS.get(fault)
    if change is None:
        return data
    broken: Campaign = _copy(data)
    change(broken, token)
    return broken


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _earlier(stamp: str) -> str:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) - timedelta(hours=1)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _days(data: Campaign) -> list[Any]:
    days: list[Any] = data["dialingStrategy"]["callingHours"]["days"]
    return days


def _reverse_days(d: Campaign, _: str | None) -> None:
    days = _days(d)
    days.reverse()
    if len(days) == 1:  # one block: reversing changes nothing, so change its day
        days.append(dict(days[0]))


_DATA_FAULTS: dict[str, Any] = {
    "S2-duplicate-id": lambda d, _: d.update(_id="cd-00000000-0000-4000-8000-000000000000"),
    "S2-empty-id": lambda d, _: d.update(_id=""),
    "S3-priority-number": lambda d, _: d.update(priority=int(d["priority"])
                                                if str(d["priority"]).isdigit() else 5),
    "S3-name-changed": lambda d, _: d.update(name=d["name"] + " (copy)",
                                             lname=(d["name"] + " (copy)").lower()),
    "S3-description-truncated": lambda d, _: d.update(description=d["description"][:20] + "~"),
    "S3-days-reversed": _reverse_days,
    "S3-contact-lists-missing": lambda d, _: d.pop("contactLists"),
    "S3-timezone-changed": lambda d, _: d["dialingStrategy"]["callingHours"].update(
        timezone="UTC" if d["dialingStrategy"]["callingHours"]["timezone"] != "UTC" else "GMT"),
    "S4-wrong-lname": lambda d, _: d.update(lname=d["name"] if d["name"] != d["lname"]
                                            else d["name"].upper()),
    "S4-lname-ascii-lower": lambda d, _: d.update(lname="".join(
        c.lower() if "A" <= c <= "Z" else c for c in d["name"])),
    "S5-empty-status": lambda d, _: d.update(status=""),
    "S6-message-not-base64": lambda d, _: d["message"].update(
        message=base64.b64decode(d["message"]["message"]).decode("utf-8", "replace") + " "),
    "S6-template-name-changed": lambda d, _: d["message"].update(
        template_name=d["message"]["template_name"] + "-v2"),
    "S7-updated-before-created": lambda d, _: d.update(updatedAt=_earlier(d["createdAt"])),
    "S7-created-without-zone": lambda d, _: d.update(createdAt=d["createdAt"].rstrip("Z")),
    "S8-scheduling-as-string": lambda d, _: d["schedule"].update(isSchedulingEnabled="false"),
    "S8-dnc-not-echoed": lambda d, _: d.update(dncLists={"name": "not-what-was-sent"}),
    "S8-total-messages-negative": lambda d, _: d.update(totalMessagesSent=-1),
    "S11-token-echo": lambda d, token: d.update(createdBy={"auth": token}),
}
