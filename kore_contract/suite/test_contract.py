"""The contract under test, rule by rule: each test asserts that its rule found nothing.

The whole contract runs once per session (kore_contract_results, shared by xdist workers);
these tests read its findings, so a server that breaks one rule fails that rule's tests.
Each test runs once per case that exercises its rule: the plugin parametrizes every test
that names its rule (`kore_rule`) from the run's own plan. The tests' names are the
checks' (`kore_contract.run.checks.SUITE_TESTS`).
"""

from __future__ import annotations

from typing import Any

import pytest

from kore_contract.run.checks import SUITE_TESTS
from kore_contract.run.results import CaseResult, Finding, RunResult


def _failure_text(rule: str, case: CaseResult, findings: tuple[Finding, ...]) -> str:
    lines = [f"{rule} broken in case {case.id} ({case.call}):"]
    lines += [f"  {f.call} {f.pointer or '/'}: {f.message}" for f in findings]
    lines.append(f"Reproduce with: {case.curl}")
    return "\n".join(lines)


def _make_test(rule: str, name: str) -> Any:
    def test(case_id: str, kore_contract_results: RunResult) -> None:
        case = kore_contract_results.case(case_id)
        if case is None:
            why = f": {kore_contract_results.error}" if kore_contract_results.error else ""
            pytest.fail(f"case {case_id} was planned but not run{why}", pytrace=False)
        findings = case.findings_of(rule)
        if findings:
            pytest.fail(_failure_text(rule, case, findings), pytrace=False)

    test.__name__ = f"test_{rule}_{name}"
    test.__doc__ = f"{rule}: the server keeps this rule in every case it applies to."
    test.kore_rule = rule  # type: ignore[attr-defined]
    return test


for _rule, _name in SUITE_TESTS.items():
    globals()[f"test_{_rule}_{_name}"] = _make_test(_rule, _name)
