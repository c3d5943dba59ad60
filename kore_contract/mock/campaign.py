"""The campaign a conforming server answers for a valid create body (S1 to S8).

`build_campaign` takes a body the validator accepted. A mock running with a fault breaks
one rule of it on purpose afterwards (`Fault.created`, kore_contract.mock.faults).
"""

from __future__ import annotations

import base64
import functools
import uuid
from datetime import datetime, timezone
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
