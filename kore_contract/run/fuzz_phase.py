"""Spec-driven fuzzing with schemathesis as one phase of the contract run.

Schemathesis generates requests from the spec (positive and negative data for each call);
the project's own oracle decides what each must get: the validator says whether a create
body is valid for the account, and the run's checks judge the answer. The project's
formats are registered into schemathesis, so its data respects them.
"""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

from kore_contract.contract.fixture import Fixture
from kore_contract.contract.spec import (
    Call,
    campaign_type,
    load_spec,
    operations,
    variant_ref,
)
from kore_contract.run.client import Target
from kore_contract.run.planning import PlannedCase, fitted_to_fixture, with_run_prefix
from kore_contract.validate.api import validate_request

_registered = False


def _register_formats(fixture: Fixture) -> None:
    global _registered
    if _registered:
        return
    import schemathesis

    for name, strategy in format_strategies().items():
        schemathesis.openapi.format(name, strategy)
    _registered = True


def format_strategies() -> dict[str, Any]:
    """The spec's custom formats as Hypothesis strategies (kore_contract.strategies' pieces)."""
    from datetime import timezone

    from hypothesis import strategies as st

    from kore_contract import strategies

    return {
        "caller-id": strategies.caller_ids(),
        "clock-12h": strategies.clock_times(),
        "iana-time-zone": strategies.time_zones(),
        "base64-utf8": strategies.base64_texts(),
        "date-time-with-zone": st.datetimes(timezones=st.just(timezone.utc)).map(
            lambda moment: moment.isoformat().replace("+00:00", "Z")
        ),
    }


def draw_cases(
    operation: Any, mode: Any, count: int, seed: int, fixed: dict[str, Any]
) -> list[Any]:
    """`count` schemathesis cases of one operation, the same for the same seed."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.errors import Unsatisfiable

    drawn: list[Any] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(generation_mode=mode, **fixed))
    def collect(case: Any) -> None:
        if len(drawn) < count:
            drawn.append(case)

    with contextlib.suppress(Unsatisfiable):  # nothing left to negate (fixed headers, query)
        collect()
    return drawn


def fuzz_budget(max_examples: int) -> int:
    return max(3, max_examples // 5)


def plan_fuzz_cases(
    target: Target, fixture: Fixture, *, max_examples: int, seed: int
) -> list[PlannedCase]:
    """Schemathesis cases for each call, positive and negative, judged by the project's oracle."""
    import schemathesis
    from schemathesis import GenerationMode

    _register_formats(fixture)
    schema = schemathesis.openapi.from_dict(planned_spec())
    headers = target.standard_headers()
    query = {"accountId": target.account_id}
    both = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    plans: list[tuple[Call, dict[str, str], int, tuple[GenerationMode, ...]]] = [
        ("create", {"campaignType": campaign_type()}, fuzz_budget(max_examples), both),
        # get: with its headers and query fixed nothing is left to negate; schemathesis
        # draws no negative case, after about a second of trying (Unsatisfiable)
        ("get", {}, 2, (GenerationMode.POSITIVE,)),
        ("delete", {}, 2, both),
    ]
    planned: list[PlannedCase] = []
    for call, extra_query, count, modes in plans:
        operation = schema[operations()[call]["path"]][operations()[call]["method"]]
        for mode in modes:
            fixed: dict[str, Any] = {
                "path_parameters": {"streamId": target.stream_id},
                "headers": dict(headers),
                "query": {**query, **extra_query},
            }
            for index, case in enumerate(draw_cases(operation, mode, count, seed, fixed)):
                planned.append(_planned(call, mode.value, index, case, fixture))
    return planned


def planned_spec() -> dict[str, Any]:
    """The spec as the run plans it: create bodies of the template variant only (the other
    variants and calls join the run with issue 12, item 5)."""
    document = copy.deepcopy(load_spec())
    create = operations()["create"]
    body = document["paths"][create["path"]][create["method"].lower()]["requestBody"]
    body["content"]["application/json"]["schema"] = {"$ref": variant_ref("template")}
    return document


def _planned(call: str, mode: str, index: int, case: Any, fixture: Fixture) -> PlannedCase:
    case_id = f"fuzz-{call}-{mode}-{index + 1}"
    if call != "create":
        campaign_id = str((case.path_parameters or {}).get("campaignId", "")) or "x"
        return PlannedCase(
            case_id,
            "fuzz",
            "refuse",
            call=call,
            breaks="S10",
            notes={
                "campaign_id": f"fuzz-{campaign_id}",
                "what": "a campaign id that does not exist",
            },
        )
    body = case.body
    if isinstance(body, dict) and mode == "positive":
        body = with_run_prefix(_fitted(body, fixture), "kcfz ")
    if isinstance(body, (bytes, str)) or (
        not isinstance(body, (dict, list, int, float, bool)) and body is not None
    ):
        raw = body if isinstance(body, bytes) else str(body).encode()
        return PlannedCase(
            case_id,
            "fuzz",
            "refuse",
            raw=raw,
            breaks="R1",
            notes={"what": "a body that is not a JSON object"},
        )
    verdict = validate_request(body, fixture=fixture)
    if verdict.ok:
        return PlannedCase(case_id, "fuzz", "accept", body=body, follow_lifecycle=False)
    first = verdict.violations[0]
    return PlannedCase(
        case_id,
        "fuzz",
        "refuse",
        body=body,
        breaks=first.rule,
        pointer=first.pointer,
        notes={"what": first.message},
    )


def _fitted(body: dict[str, Any], fixture: Fixture) -> dict[str, Any]:
    """A generated body with the account's values, so that the server can accept it."""
    try:
        return fitted_to_fixture(body, fixture)
    except (KeyError, TypeError, IndexError):
        copied: dict[str, Any] = json.loads(json.dumps(body))
        return copied
