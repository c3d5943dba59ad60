"""Which planned cases each rule's test runs over (known before the server is called).

Nothing here restates the run: the cases are the session's plan (`plan_session`, the same
options as the run), and a case belongs to a rule's test when the run exercises that rule
in it (`planned_rules`: the registered checks of its expectation, the rule it breaks, its
lifecycle). The tests' names are the checks' (`SUITE_TESTS`).
"""

from __future__ import annotations

import functools

import pytest

from kore_contract.run.checks import SUITE_TESTS
from kore_contract.run.options import SessionOptions
from kore_contract.run.planning import PlannedCase

__all__ = ["SUITE_TESTS", "applicable_cases", "planned_cases"]


@functools.lru_cache(maxsize=4)
def planned_cases(options: SessionOptions) -> tuple[PlannedCase, ...]:
    """The session's plan for these options, against a target that is never called."""
    from kore_contract.contract.fixture import load_fixture
    from kore_contract.run.client import Target
    from kore_contract.run.session import client_credentials, plan_session

    target = Target("http://planning.invalid", options.stream_id, options.account_id,
                    options.iid, "planning")
    client_id, client_secret = client_credentials(options)
    planned = plan_session(options, target, load_fixture(options.fixture),
                           client_id=client_id or "planning", client_secret=client_secret)
    return tuple(planned)


def applicable_cases(config: pytest.Config, rule: str) -> list[str]:
    """The ids of the cases in which the run exercises `rule`, in the run's order."""
    from kore_contract.integrations.pytest_plugin import read_settings
    from kore_contract.run.runner import planned_rules

    return [case.id for case in planned_cases(read_settings(config))
            if rule in planned_rules(case)]
