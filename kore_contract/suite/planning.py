"""Which planned cases each rule's test runs over (known before the server is called)."""

from __future__ import annotations

import functools

import pytest

from kore_contract.run.planning import PlannedCase

#: The suite's test per rule: test_<rule>_<name>.
RULE_TESTS = {
    "R1": "non_json_body_refused", "R2": "bad_name_refused", "R3": "long_description_refused",
    "R4": "bad_contact_lists_refused", "R5": "bad_dnc_lists_refused",
    "R6": "campaign_type_not_sms_refused", "R7": "bad_priority_refused",
    "R8": "bad_format_refused", "R9": "bad_message_refused", "R10": "template_mismatch_refused",
    "R11": "bad_caller_id_refused", "R12": "bad_calling_hours_refused",
    "R13": "bad_day_block_refused", "R15": "bad_schedule_refused",
    "S1": "create_answers_the_envelope", "S2": "id_unique", "S3": "fields_echoed",
    "S4": "lname_lowercased", "S5": "status_non_empty", "S6": "message_base64",
    "S7": "timestamps_ordered", "S8": "optional_fields_typed", "S9": "no_5xx_and_json_refusals",
    "S10": "get_and_delete_lifecycle", "S11": "no_secret_in_responses",
    "A1": "valid_token_accepted", "A2": "bad_token_refused", "A3": "missing_headers_refused",
}

_ACCEPT_RULES = {"S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "A1"}


def applies(rule: str, case: PlannedCase) -> bool:
    if rule in _ACCEPT_RULES:
        return case.expect == "accept"
    if rule in ("S9", "S11"):
        return True
    if rule == "S10":
        return case.follow_lifecycle or case.breaks == "S10"
    if rule == "A2":
        return case.expect == "unauthorized"
    return case.breaks == rule


@functools.lru_cache(maxsize=4)
def _planned_ids(settings_key: tuple[object, ...]) -> tuple[tuple[str, PlannedCase], ...]:
    from kore_contract.contract.fixture import load_fixture
    from kore_contract.run.client import Target
    from kore_contract.run.planning import plan_cases

    fixture_path, max_examples, seed, stream, account, iid, client_id, has_secret = settings_key
    target = Target("http://planning.invalid", str(stream), str(account), str(iid), "planning")
    fixture = load_fixture(fixture_path)  # type: ignore[arg-type]
    planned = plan_cases(target, fixture, max_examples=int(str(max_examples)),
                         seed=int(str(seed)), client_id=str(client_id or "planning"),
                         client_secret="planning" if has_secret else None)
    return tuple((case.id, case) for case in planned)


def applicable_cases(config: pytest.Config, rule: str) -> list[str]:
    from kore_contract.integrations.pytest_plugin import read_settings

    settings = read_settings(config)
    mock = settings.base_url is None and not settings.token
    key = (settings.fixture, settings.max_examples, settings.seed, settings.stream_id,
           settings.account_id, settings.iid, settings.client_id,
           mock or bool(settings.client_id and settings.client_secret))
    return [case_id for case_id, case in _planned_ids(key) if applies(rule, case)]
