"""Issue 10 item 1: each pytest session of `kore_contract.suite` judges its own server.

Two sessions back to back in one folder (the second against a server with a fault) must give
the second its own verdict, with and without xdist; the ledger lands where the user finds it.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kore_contract import auth
from kore_contract.mock.server import running_mock

pytest_plugins = ["pytester"]

SUITE = [
    "--pyargs",
    "kore_contract.suite",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:randomly",
    f"--kore-client-id={auth.DEFAULT_CLIENT_ID}",
    f"--kore-client-secret={auth.DEFAULT_CLIENT_SECRET}",
    "--kore-max-examples=1",
    "-rf",
]


def failed_tests(stdout: str) -> set[str]:
    """The failed tests' names (without the case), from `-rf` lines."""
    return set(re.findall(r"^FAILED \S*::(test_\w+)\[", stdout, flags=re.MULTILINE))


def session(pytester: pytest.Pytester, fault: str | None, *extra: str) -> Any:
    with running_mock(fault=fault) as server:
        result = pytester.runpytest_subprocess(*SUITE, f"--kore-base-url={server.base_url}", *extra)
        assert server.store.count() == 0  # the session deleted what it created
    return result


@pytest.mark.parametrize(
    ("fault", "rule_test", "xdist"),
    [
        ("S4-wrong-lname", "test_S4_lname_lowercased", []),
        ("A2-accept-alg-none", "test_A2_bad_token_refused", ["-n", "2"]),
    ],
    ids=["S4-one-process", "A2-xdist"],
)
def test_suite_results_are_per_session(
    pytester: pytest.Pytester, fault: str, rule_test: str, xdist: list[str]
) -> None:
    first = session(pytester, None, *xdist)
    assert first.ret == 0, first.stdout.str()[-1500:]
    ledger = pytester.path / "reports" / "ledger.jsonl"  # the default: under the rootdir
    assert ledger.is_file()
    assert f"ledger: {ledger} (every campaign the run created is deleted)" in first.stdout.str()

    second = session(pytester, fault, *xdist, "--kore-report-dir=elsewhere")
    text = second.stdout.str()
    assert "planned but not run" not in text
    assert failed_tests(text) == {rule_test}, text[-3000:]
    assert f"ledger: {pytester.path / 'elsewhere' / 'ledger.jsonl'} (" in text


# --- where the shared results live (unit level: no server needed) -----------------------------


def fake_config(workerinput: dict[str, str] | None) -> Any:
    config = SimpleNamespace()
    if workerinput is not None:
        config.workerinput = workerinput
    return config


class FakeFactory:
    def __init__(self, basetemp: Path) -> None:
        self.basetemp = basetemp

    def getbasetemp(self) -> Path:
        return self.basetemp


def test_suite_results_path_is_the_sessions_own_without_xdist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kore_contract.integrations.pytest_plugin import shared_results_path

    # an outer xdist run leaks its variables into a nested, non-xdist session: not ours
    monkeypatch.setenv("PYTEST_XDIST_TESTRUNUID", "outer-run")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    one = shared_results_path(fake_config(None), FakeFactory(tmp_path / "pytest-1"))
    two = shared_results_path(fake_config(None), FakeFactory(tmp_path / "pytest-2"))
    assert one != two
    assert one.parent == tmp_path / "pytest-1"


def test_suite_results_path_is_shared_by_one_runs_workers_only(tmp_path: Path) -> None:
    from kore_contract.integrations.pytest_plugin import shared_results_path

    run = tmp_path / "pytest-7"
    gw0 = shared_results_path(
        fake_config({"testrunuid": "abc", "workerid": "gw0"}), FakeFactory(run / "popen-gw0")
    )
    gw1 = shared_results_path(
        fake_config({"testrunuid": "abc", "workerid": "gw1"}), FakeFactory(run / "popen-gw1")
    )
    other = shared_results_path(
        fake_config({"testrunuid": "def", "workerid": "gw0"}), FakeFactory(run / "popen-gw0")
    )
    assert gw0 == gw1
    assert other != gw0
    assert gw0.parent == run
