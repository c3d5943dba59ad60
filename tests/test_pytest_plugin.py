"""The pytest plugin and `pytest --pyargs kore_contract.suite`, driven with pytester."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kore_contract import auth
from kore_contract.mock.server import MockServer, running_mock

pytest_plugins = ["pytester"]

SUITE = ["--pyargs", "kore_contract.suite", "-p", "no:cacheprovider", "-p", "no:randomly"]
CREDENTIALS = [
    f"--kore-client-id={auth.DEFAULT_CLIENT_ID}",
    f"--kore-client-secret={auth.DEFAULT_CLIENT_SECRET}",
]


@pytest.fixture
def faulty_mock() -> Iterator[MockServer]:
    with running_mock(fault="S4-wrong-lname") as server:
        yield server


@pytest.fixture
def clean_mock() -> Iterator[MockServer]:
    with running_mock() as server:
        yield server


def outcomes_by_test(stdout: str) -> dict[str, str]:
    """`test_S4_lname_lowercased[case]` -> PASSED/FAILED, from `-rA` / `-v` output."""
    found: dict[str, str] = {}
    for line in stdout.splitlines():
        match = re.search(r"::(test_\w+\[[^\]]+\]) (PASSED|FAILED|SKIPPED|ERROR)", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_options_are_listed_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    for flag in (
        "--kore-base-url",
        "--kore-fixture",
        "--kore-max-examples",
        "--kore-allow-writes",
        "--kore-stream-id",
        "--kore-account-id",
        "--kore-iid",
        "--kore-client-id",
        "--kore-client-secret",
        "--kore-token",
    ):
        assert flag in result.stdout.str()
    assert "KORE_BASE_URL" in result.stdout.str()


def test_ids_carry_the_rule_and_the_case(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(*SUITE, "--collect-only", "-q")
    ids = result.stdout.str()
    assert "test_contract.py::test_S4_lname_lowercased[create-edge-name-48-chars]" in ids
    assert "test_contract.py::test_A2_bad_token_refused[a2-alg-none]" in ids
    assert (
        "test_contract.py::test_R7_bad_priority_refused[create-breaks-r7-priority-not-in-enum-6]"
    ) in ids


def test_max_examples_reads_its_environment_variable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KORE_MAX_EXAMPLES", "2")
    ids = pytester.runpytest_subprocess(*SUITE, "--collect-only", "-q").stdout.str()
    assert "create-generated-2]" in ids
    assert "create-generated-3]" not in ids
    option = pytester.runpytest_subprocess(
        *SUITE, "--collect-only", "-q", "--kore-max-examples=4"
    ).stdout.str()
    assert "create-generated-4]" in option  # the option wins over the variable


def test_clean_mock_passes_and_every_campaign_is_deleted(
    pytester: pytest.Pytester, clean_mock: MockServer
) -> None:
    result = pytester.runpytest_subprocess(
        *SUITE,
        f"--kore-base-url={clean_mock.base_url}",
        *CREDENTIALS,
        "--kore-max-examples=3",
        "-rs",
    )
    outcomes = result.parseoutcomes()
    result.assert_outcomes(
        failed=0, errors=0, passed=outcomes["passed"], skipped=outcomes.get("skipped", 0)
    )
    skips = [line for line in result.outlines if line.startswith("SKIPPED")]
    assert all("no case of this run exercises it" in line for line in skips), skips
    assert clean_mock.store.count() == 0


def test_a_server_breaking_S4_fails_the_S4_tests_and_no_others(
    pytester: pytest.Pytester, faulty_mock: MockServer
) -> None:
    result = pytester.runpytest_subprocess(
        *SUITE,
        f"--kore-base-url={faulty_mock.base_url}",
        *CREDENTIALS,
        "--kore-max-examples=3",
        "-v",
    )
    outcomes = outcomes_by_test(result.stdout.str())
    failed = sorted(name for name, outcome in outcomes.items() if outcome == "FAILED")
    assert failed, result.stdout.str()[-2000:]
    assert {name.split("[")[0] for name in failed} == {"test_S4_lname_lowercased"}
    text = result.stdout.str()
    assert "S4 broken in case" in text
    assert "data.lname: got" in text
    assert "Reproduce with: curl" in text
    assert "[redacted]" in text and auth.DEFAULT_CLIENT_SECRET not in text
    assert "Traceback" not in text  # the finding, not a wall of internals
    assert faulty_mock.store.count() == 0


def verdicts(report: Path) -> dict[str, str]:
    """test name -> passed/failed/skipped, from a JUnit XML report."""
    from xml.etree import ElementTree

    found = {}
    for case in ElementTree.parse(report).iter("testcase"):
        outcome = "passed"
        for kind in ("failure", "error", "skipped"):
            if case.find(kind) is not None:
                outcome = kind
        found[str(case.get("name"))] = outcome
    return found


def test_xdist_gives_the_same_verdicts_and_cleans_up(
    pytester: pytest.Pytester, faulty_mock: MockServer, tmp_path: Path
) -> None:
    args = [
        *SUITE,
        f"--kore-base-url={faulty_mock.base_url}",
        *CREDENTIALS,
        "--kore-max-examples=3",
    ]
    pytester.runpytest_subprocess(*args, f"--junitxml={tmp_path / 'one.xml'}")
    assert faulty_mock.store.count() == 0
    pytester.runpytest_subprocess(*args, "-n", "2", f"--junitxml={tmp_path / 'two.xml'}")
    single, parallel = verdicts(tmp_path / "one.xml"), verdicts(tmp_path / "two.xml")
    assert len(single) > 500 and "failure" in single.values()
    assert parallel == single
    assert faulty_mock.store.count() == 0


def test_junitxml_names_the_rule(
    pytester: pytest.Pytester, faulty_mock: MockServer, tmp_path: Path
) -> None:
    report = tmp_path / "junit.xml"
    pytester.runpytest_subprocess(
        *SUITE,
        f"--kore-base-url={faulty_mock.base_url}",
        *CREDENTIALS,
        "--kore-max-examples=3",
        f"--junitxml={report}",
    )
    from xml.etree import ElementTree

    failures = [
        case.get("name")
        for case in ElementTree.parse(report).iter("testcase")
        if case.find("failure") is not None
    ]
    assert failures and all(str(name).startswith("test_S4_lname_lowercased[") for name in failures)


def test_live_url_without_allow_writes_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        *SUITE, "--kore-base-url=https://platform.kore.ai", "--kore-token=x.y.z", "-x"
    )
    assert "--kore-allow-writes" in result.stdout.str() + result.stderr.str()
    assert result.ret != 0


def test_user_fixtures_reach_the_embedded_mock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_mine="""
        from hypothesis import given, settings

        def test_create_and_get(kore_client, kore_fixture, kore_strategies):
            body = kore_strategies.base_campaign(kore_fixture)
            created = kore_client.create(body)
            assert created.status == 201
            campaign_id = created.response_json["data"]["_id"]
            assert kore_client.get(campaign_id).status == 200

        def test_token_is_a_jwt(kore_token):
            assert kore_token.count(".") == 2
    """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_item3_an_unreachable_server_fails_the_suite_with_why(pytester: pytest.Pytester) -> None:
    """The suite probes the server as `kore-contract test` does: no case is sent to a server
    that cannot be reached, and every contract test says why (it used to pass them all)."""
    result = pytester.runpytest_subprocess(
        *SUITE,
        "--kore-base-url=http://127.0.0.1:9",
        "--kore-token=x.y.z",
        "--kore-no-fuzz",
        "--kore-max-examples=1",
        "-x",
    )
    text = result.stdout.str()
    assert result.ret != 0
    assert "kore-contract: cannot reach http://127.0.0.1:9: " in text
    assert " passed" not in text.splitlines()[-1], text[-1500:]
