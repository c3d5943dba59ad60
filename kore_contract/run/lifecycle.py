"""S10: get answers the created campaign, delete answers it, and then it is gone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kore_contract.run.checks import campaign_of, show
from kore_contract.run.client import Exchange
from kore_contract.run.results import Finding
from kore_contract.validate.api import validate_response

#: The rule of a difference between what get (or delete) answers and the campaign.
RULE = "S10"


def _envelope_findings(exchange: Exchange, call: str) -> Iterator[Finding]:
    answer = exchange.response_json
    if answer is None:
        yield Finding(
            "S10",
            call,
            "",
            f"{call} answered a body that is not parseable JSON "
            f"({exchange.response_json_problem or 'null'})",
        )
        return
    for violation in validate_response(answer).violations:
        yield Finding(violation.rule, call, violation.pointer, violation.message)


def get_answers_the_campaign(created: dict[str, Any], exchange: Exchange) -> Iterator[Finding]:
    if exchange.status != 200:
        yield Finding(
            "S10",
            "get",
            "",
            f"get of a campaign just created answered {exchange.status}; expected 200",
        )
        return
    yield from _envelope_findings(exchange, "get")
    data = campaign_of(exchange)
    if data is None:
        return
    for name, value in created.items():
        if data.get(name) != value:
            yield Finding(
                "S10",
                "get",
                f"/data/{name}",
                f"data.{name}: get answered {show(data.get(name))}; create answered {show(value)}",
            )


def delete_answers_the_campaign(created: dict[str, Any], exchange: Exchange) -> Iterator[Finding]:
    if exchange.status != 200:
        yield Finding(
            "S10",
            "delete",
            "",
            f"delete of a campaign just created answered {exchange.status}; expected 200",
        )
        return
    yield from _envelope_findings(exchange, "delete")
    data = campaign_of(exchange)
    if data is not None and data.get("_id") != created.get("_id"):
        yield Finding(
            "S10",
            "delete",
            "/data/_id",
            f"delete answered campaign {show(data.get('_id'))}; deleted {show(created.get('_id'))}",
        )


def deleted_campaign_is_gone(exchange: Exchange) -> Iterator[Finding]:
    status = exchange.status or 0
    if 200 <= status < 300:
        yield Finding(
            "S10",
            "get",
            "",
            f"get after delete answered {status}; the campaign should be gone (404)",
        )
    elif status < 400:
        yield Finding("S10", "get", "", f"get after delete answered {status}; expected 404")
