"""Response checks: each S and A rule of docs/contract.md as a plain registered function.

A check takes the `Observation` of one case (what was sent, what came back, the run's
state) and yields `Finding`s. Shapes and types come from the validator; the echo rules,
uniqueness, lifecycle and leaks are code here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from kore_contract.redaction import encoded_forms
from kore_contract.run.client import Exchange
from kore_contract.run.results import Finding
from kore_contract.validate.api import validate_response

Expectation = Literal["accept", "refuse", "unauthorized"]


@dataclass
class RunState:
    """What checks remember across cases: ids seen (S2) and the secrets that must not leak
    (a `RunSecrets` grows as the run mints tokens)."""

    secrets: Iterable[str] = ()
    seen_ids: dict[str, str] = field(default_factory=dict)
    flows: dict[str, str] = field(default_factory=dict)  # experience flow name -> id (C4)
    known: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> as get answered
    deleted: set[str] = field(default_factory=set)  # ids deleted by the run (L3)


@dataclass
class Observation:
    case_id: str
    call: str
    expect: Expectation
    exchange: Exchange
    state: RunState
    sent: Any = None  # the create body as sent (a dict), when there is one
    breaks: str | None = None  # the rule a refused request breaks ("R7", "A3", ...)
    before: dict[str, Any] | None = None  # the campaign as last answered, before this call
    request: Any = None  # a list call's body (L3)


CheckFunction = Callable[[Observation], Iterator[Finding]]
Precondition = Callable[[Observation], bool]
#: The calls whose accepted answer is a whole campaign in part 1's envelope (U2: S3 to S8
#: hold for an update as for a create).
CAMPAIGN_WRITES = ("create", "update")


@dataclass(frozen=True)
class RegisteredCheck:
    rules: tuple[str, ...]
    applies_to: tuple[str, ...]  # expectations: accept, refuse, unauthorized, any
    function: CheckFunction
    calls: tuple[str, ...] | None = None  # the calls it judges (None: every call)
    when: Precondition | None = None  # a precondition on the answer (skipped when false)


#: Every registered check. The family's (C4, T1, U2, T2, T3, Q1, L2, L3) live in
#: run/family_checks.py and register when it is imported: the runner imports it, and so must
#: any other user of `run_checks` (it imports this module, not the other way round).
CHECKS: list[RegisteredCheck] = []

#: The suite's test per rule (`pytest --pyargs kore_contract.suite`: test_<rule>_<name>), over
#: the cases that exercise the rule (`runner.planned_rules`). A rule judged here without a
#: test name gets none in the suite; R14 and R16 only warn.
SUITE_TESTS = {
    "R1": "non_json_body_refused",
    "R2": "bad_name_refused",
    "R3": "long_description_refused",
    "R4": "bad_contact_lists_refused",
    "R5": "bad_dnc_lists_refused",
    "R6": "campaign_type_not_sms_refused",
    "R7": "bad_priority_refused",
    "R8": "bad_format_refused",
    "R9": "bad_message_refused",
    "R10": "template_mismatch_refused",
    "R11": "bad_caller_id_refused",
    "R12": "bad_calling_hours_refused",
    "R13": "bad_day_block_refused",
    "R15": "bad_schedule_refused",
    "S1": "create_answers_the_envelope",
    "S2": "id_unique",
    "S3": "fields_echoed",
    "S4": "lname_lowercased",
    "S5": "status_non_empty",
    "S6": "message_base64",
    "S7": "timestamps_ordered",
    "S8": "optional_fields_typed",
    "S9": "no_5xx_and_json_refusals",
    "S10": "get_and_delete_lifecycle",
    "S11": "no_secret_in_responses",
    "A1": "valid_token_accepted",
    "A2": "bad_token_refused",
    "A3": "missing_headers_refused",
    "C1": "variant_read_from_the_body",
    "C2": "bad_plain_body_refused",
    "C3": "bad_advanced_body_refused",
    "C4": "variant_answered",
    "U1": "bad_update_refused",
    "U2": "update_answers_the_campaign",
    "U3": "unknown_id_answers_404",
    "T1": "created_campaign_ready",
    "T2": "start_answers_active",
    "T3": "stop_answers_stopped",
    "T4": "transition_not_allowed_refused",
    "T5": "active_campaign_not_changed",
    "T6": "bad_trigger_refused",
    "Q1": "status_answers_the_campaign",
    "L1": "bad_list_body_refused",
    "L2": "list_answers_the_page",
    "L3": "list_matches_the_query",
}


def check(
    *rules: str,
    applies_to: tuple[str, ...] = ("any",),
    calls: tuple[str, ...] | None = None,
    when: Precondition | None = None,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check of `rules` for cases with these expectations ("any" for all), on
    these calls (None: every call), run only when the precondition `when` holds."""

    def register(function: CheckFunction) -> CheckFunction:
        CHECKS.append(RegisteredCheck(rules, applies_to, function, calls, when))
        return function

    return register


def _applies(
    registered: RegisteredCheck, expect: str, only_universal: bool, call: str = "create"
) -> bool:
    if registered.calls is not None and call not in registered.calls:
        return False
    if "any" in registered.applies_to:
        return True
    return not only_universal and expect in registered.applies_to


def rules_checked(
    expect: str, *, only_universal: bool = False, call: str = "create"
) -> frozenset[str]:
    """The rules the registered checks judge in an answer to a case of this expectation
    and call (known before the server is called: the suite parametrizes its tests with it)."""
    return frozenset(
        rule
        for registered in CHECKS
        if _applies(registered, expect, only_universal, call)
        for rule in registered.rules
    )


def run_checks(
    observation: Observation, *, only_universal: bool = False
) -> tuple[set[str], list[Finding]]:
    """The rules exercised by this observation, and what they found.

    `only_universal` runs just the checks that hold for every response (S9, S11).
    """
    exercised: set[str] = set()
    findings: list[Finding] = []
    if observation.exchange.status is None or observation.exchange.error:
        return exercised, findings  # no answer, or one not read whole (too large)
    for registered in CHECKS:
        if _applies(registered, observation.expect, only_universal, observation.call):
            exercised.update(registered.rules)
            if registered.when is None or registered.when(observation):
                findings.extend(registered.function(observation))
    return exercised, findings


def _finding(obs: Observation, rule: str, pointer: str, message: str) -> Finding:
    return Finding(rule, obs.call, pointer, message)


def _server_says(exchange: Exchange) -> str:
    text = exchange.response_text.strip().replace("\n", " ")
    return text[:160] + ("..." if len(text) > 160 else "")


# --- every response --------------------------------------------------------------------


@check("S9")
def not_a_server_error(obs: Observation) -> Iterator[Finding]:
    status = obs.exchange.status or 0
    if status >= 500:
        yield _finding(
            obs,
            "S9",
            "",
            f"answered {status}; no request may get a 5xx "
            f"(server said: {_server_says(obs.exchange)})",
        )


@check("S11")
def no_secret_in_response(obs: Observation) -> Iterator[Finding]:
    exposed = obs.exchange.response_text + " " + " ".join(obs.exchange.response_headers.values())
    for secret in obs.state.secrets:
        pieces = [secret] + ([secret.rsplit(".", 1)[-1]] if secret.count(".") == 2 else [])
        forms = {form for piece in pieces for form in encoded_forms(piece)}
        if any(form and len(form) >= 8 and form in exposed for form in forms):
            yield _finding(
                obs,
                "S11",
                "",
                "the response contains the auth token or the client secret (shown here redacted)",
            )
            return


# --- a create that must be accepted ---------------------------------------------------------


@check("A1", applies_to=("accept",), calls=CAMPAIGN_WRITES)
def valid_token_is_accepted(obs: Observation) -> Iterator[Finding]:
    if obs.exchange.status in (401, 403):
        yield _finding(
            obs,
            "A1",
            "",
            f"a valid HS256 token with appId was refused with "
            f"{obs.exchange.status} (server said: {_server_says(obs.exchange)})",
        )


@check("S1", applies_to=("accept",), calls=CAMPAIGN_WRITES)
def create_is_accepted_as_json(obs: Observation) -> Iterator[Finding]:
    exchange = obs.exchange
    if exchange.status not in (200, 201):
        yield _finding(
            obs,
            "S1",
            "",
            f"a valid {obs.call} was answered {exchange.status}; "
            f"expected 200 or 201 (server said: {_server_says(exchange)})",
        )
        return
    if exchange.response_json_problem:
        yield _finding(
            obs,
            "S1",
            "",
            f"answered a body that is not parseable JSON "
            f"({exchange.response_json_problem}); expected a JSON object",
        )
    elif not exchange.is_json_response:
        content_type = exchange.response_headers.get("content-type", "(none)")
        yield _finding(
            obs,
            "S1",
            "",
            f"answered Content-Type {content_type} with JSON; expected application/json",
        )


@check(
    "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", applies_to=("accept",), calls=CAMPAIGN_WRITES
)
def response_keeps_the_documented_shape(obs: Observation) -> Iterator[Finding]:
    """S1 to S8 where the response alone tells: the validator's response rules."""
    answer = obs.exchange.response_json
    if obs.exchange.status not in (200, 201) or answer is None:
        return
    for violation in validate_response(answer).violations:
        yield _finding(obs, violation.rule, violation.pointer, violation.message)


def campaign_of(exchange: Exchange) -> dict[str, Any] | None:
    """The `data` object of an answer, when there is one."""
    answer = exchange.response_json
    data = answer.get("data") if isinstance(answer, dict) else None
    return data if isinstance(data, dict) else None


def _data(obs: Observation) -> dict[str, Any] | None:
    return campaign_of(obs.exchange) if obs.exchange.status in (200, 201) else None


@check("S2", applies_to=("accept",), calls=("create",))
def id_is_new(obs: Observation) -> Iterator[Finding]:
    data = _data(obs)
    campaign_id = data.get("_id") if data else None
    if not isinstance(campaign_id, str) or not campaign_id:
        return
    first = obs.state.seen_ids.setdefault(campaign_id, obs.case_id)
    if first != obs.case_id:
        yield _finding(
            obs,
            "S2",
            "/data/_id",
            f"_id {campaign_id!r} was already answered for "
            f"case {first}; every created campaign needs its own",
        )


_ECHOED = ("name", "description", "priority", "contactLists", "format")


@check("S3", applies_to=("accept",), calls=CAMPAIGN_WRITES)
def fields_echo_what_was_sent(obs: Observation) -> Iterator[Finding]:
    data, sent = _data(obs), obs.sent
    if data is None or not isinstance(sent, dict):
        return
    for name in _ECHOED:
        if name in sent and name in data and data[name] != sent[name]:
            yield _finding(
                obs,
                "S3",
                f"/data/{name}",
                f"data.{name}: answered {show(data[name])}; sent {show(sent[name])}",
            )
    yield from _dialing_strategy_echo(obs, data, sent)


def _dialing_strategy_echo(
    obs: Observation, data: dict[str, Any], sent: dict[str, Any]
) -> Iterator[Finding]:
    got, want = data.get("dialingStrategy"), sent.get("dialingStrategy")
    if not isinstance(got, dict) or not isinstance(want, dict):
        return
    pairs = [
        ("callerId/phoneNumber", ("callerId", "phoneNumber")),
        ("callingHours/frequency", ("callingHours", "frequency")),
        ("callingHours/timezone", ("callingHours", "timezone")),
        ("callingHours/days", ("callingHours", "days")),
    ]
    for label, (outer, inner) in pairs:
        answered, expected = _dig(got, outer, inner), _dig(want, outer, inner)
        if expected is not None and answered is not None and answered != expected:
            what = "days (in order)" if inner == "days" else label.replace("/", ".")
            yield _finding(
                obs,
                "S3",
                f"/data/dialingStrategy/{label}",
                f"data.dialingStrategy.{what}: answered {show(answered)}; sent {show(expected)}",
            )


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def show(value: Any) -> str:
    """A value as JSON, cut to 80 characters, for a finding's message."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def sent_a_message(obs: Observation) -> bool:
    """The body sent has a message (an advanced body may have none: C3)."""
    return isinstance(obs.sent, dict) and "message" in obs.sent


@check("S6", applies_to=("accept",), calls=CAMPAIGN_WRITES, when=sent_a_message)
def template_name_is_echoed(obs: Observation) -> Iterator[Finding]:
    data, sent = _data(obs), obs.sent
    if data is None or not isinstance(sent, dict):
        return
    message = data.get("message")
    if message is None:
        yield _finding(
            obs,
            "S6",
            "/data/message",
            "data.message: missing from a create's answer; "
            "expected the message object with a base64 message",
        )
        return
    sent_name = _dig(sent, "message", "template_name")
    got_name = message.get("template_name") if isinstance(message, dict) else None
    if got_name is not None and sent_name is not None and got_name != sent_name:
        yield _finding(
            obs,
            "S6",
            "/data/message/template_name",
            f"data.message.template_name: answered {show(got_name)}; sent {show(sent_name)}",
        )


@check("S8", applies_to=("accept",), calls=CAMPAIGN_WRITES)
def dnc_lists_are_echoed(obs: Observation) -> Iterator[Finding]:
    data, sent = _data(obs), obs.sent
    if data is None or not isinstance(sent, dict) or "dncLists" not in sent:
        return
    if data.get("dncLists") != sent["dncLists"]:
        yield _finding(
            obs,
            "S8",
            "/data/dncLists",
            f"data.dncLists: answered {show(data.get('dncLists'))}; sent {show(sent['dncLists'])}",
        )


# --- requests that must be refused -------------------------------------------------------


@check("S9", applies_to=("refuse",))
def refusal_is_a_4xx_with_json(obs: Observation) -> Iterator[Finding]:
    exchange, breaks = obs.exchange, obs.breaks or "a rule"
    status = exchange.status or 0
    rule = "A3" if breaks == "A3" else "S9"
    if 200 <= status < 300:
        yield _finding(
            obs,
            rule,
            "",
            f"a request that breaks {breaks} was accepted with {status}; expected a 4xx refusal",
        )
    elif 400 <= status < 500 and exchange.response_json is None:
        yield _finding(
            obs,
            "S9",
            "",
            f"refused with {status} but the body is not parseable "
            f"JSON ({exchange.response_json_problem or 'null'}): "
            f"{_server_says(exchange)!r}",
        )
    elif status < 400:  # a 5xx is reported by not_a_server_error
        yield _finding(
            obs, rule, "", f"a request that breaks {breaks} was answered {status}; expected a 4xx"
        )


@check("A2", applies_to=("unauthorized",))
def bad_token_is_refused(obs: Observation) -> Iterator[Finding]:
    status = obs.exchange.status or 0
    if status not in (401, 403) and status < 500:
        yield _finding(
            obs, "A2", "", f"{obs.breaks or 'a bad token'}: answered {status}; expected 401 or 403"
        )
