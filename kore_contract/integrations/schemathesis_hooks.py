"""The project's formats and checks registered into schemathesis, for `st run` users.

    SCHEMATHESIS_HOOKS=kore_contract.integrations.schemathesis_hooks \\
        st run openapi/kore-sms-campaign-v2.yaml --url http://127.0.0.1:8080 \\
        -H "auth: $TOKEN" -H "iid: st-1" -H "accountId: acc-1" --checks all

Schemathesis then generates values that keep the spec's custom formats (caller ids,
12-hour times, IANA zones, base64 of UTF-8 text), and `kore_contract_rules` judges each
answer with the project's oracle (KORE_FIXTURE names the account; default: the bundled
example): a create body the validator refuses must get a 4xx with a JSON body (S9);
nothing may get a 5xx or show a secret (S9, S11); and where the stream and account ids
are the real ones (KORE_STREAM_ID, KORE_ACCOUNT_ID), a create the validator accepts must
be answered as S1-S8 say.
"""

from __future__ import annotations

import functools
import os
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import schemathesis

from kore_contract.contract.fixture import Fixture, load_fixture
from kore_contract.run.checks import Expectation, Observation, RunState, run_checks
from kore_contract.run.client import Exchange
from kore_contract.run.fuzz_phase import format_strategies
from kore_contract.validate.api import validate_request

for _name, _strategy in format_strategies().items():
    schemathesis.openapi.format(_name, _strategy)


@functools.lru_cache(maxsize=1)
def _fixture() -> Fixture:
    return load_fixture(os.environ.get("KORE_FIXTURE") or None)


def _exchange(response: Any, case: Any) -> Exchange:
    headers = {
        name.lower(): ", ".join(values) if isinstance(values, list) else str(values)
        for name, values in response.headers.items()
    }
    return Exchange(
        case.method.upper(),
        str(response.request.url),
        {},
        None,
        status=response.status_code,
        response_headers=headers,
        response_text=response.content.decode("utf-8", "replace"),
    )


def _secrets(headers: dict[str, str]) -> tuple[str, ...]:
    """The token sent and the client secret (KORE_CLIENT_SECRET): no answer may show them."""
    found = (headers.get("auth"), os.environ.get("KORE_CLIENT_SECRET"))
    return tuple(secret for secret in found if secret)


def _ids_known(case: Any, query: dict[str, str]) -> bool:
    """The stream and account ids are the real ones (KORE_STREAM_ID, KORE_ACCOUNT_ID)."""
    stream, account = os.environ.get("KORE_STREAM_ID"), os.environ.get("KORE_ACCOUNT_ID")
    path = case.path_parameters or {}
    return bool(
        stream
        and account
        and str(path.get("streamId")) == stream
        and query.get("accountId") == account
    )


@schemathesis.check
def kore_contract_rules(ctx: Any, response: Any, case: Any) -> bool | None:
    """The S and A rules of docs/contract.md, judged by the project's own oracle."""
    exchange = _exchange(response, case)
    is_create = case.operation.definition.raw.get("x-call") == "create"
    sent = response.request
    query = dict(parse_qsl(urlsplit(str(sent.url)).query, keep_blank_values=True))
    headers = {name.lower(): str(value) for name, value in sent.headers.items()}
    verdict = validate_request(case.body, fixture=_fixture(), query=query) if is_create else None
    complete = (
        all(headers.get(name) for name in ("auth", "iid", "accountid"))
        and bool(query.get("accountId"))
        and "json" in headers.get("content-type", "")
    )
    refused = verdict is not None and not verdict.ok
    expect: Expectation = "accept" if verdict is not None and verdict.ok and complete else "refuse"
    breaks = verdict.violations[0].rule if refused and verdict else None
    observation = Observation(
        "schemathesis",
        "create" if is_create else case.method.lower(),
        expect,
        exchange,
        RunState(_secrets(headers)),
        sent=case.body,
        breaks=breaks,
    )
    # A valid create is only expected to succeed where the account is known to exist.
    known = _ids_known(case, query) and expect == "accept"
    _, findings = run_checks(observation, only_universal=not (refused or known))
    if findings:
        raise AssertionError(
            "\n".join(f"{f.rule} {f.pointer or '/'}: {f.message}" for f in findings)
        )
    return None
