"""The README's proxy example (section "Check live traffic") is what `kore-contract proxy`
prints for that application's session: real HTTP through the proxy to the embedded mock."""

from __future__ import annotations

import io
import re
from pathlib import Path

from traffic_testing import App, body

from kore_contract.contract.fixture import load_fixture
from kore_contract.mock.server import running_mock
from kore_contract.proxy.checker import TrafficChecker
from kore_contract.proxy.server import running_proxy
from kore_contract.run.console import print_summary

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_lines() -> tuple[list[str], str]:
    """The exchange lines and the verdict the README shows."""
    section = README.read_text(encoding="utf-8").split("## Check live traffic", 1)[1]
    section = section.split("\n## ", 1)[0]
    lines = re.search(r"```text\n(.*?)```", section, re.S)
    verdict = re.search(r"ends with `(FAIL: .*?)`", section, re.S)
    assert lines and verdict
    return lines[1].splitlines(), " ".join(verdict[1].split())


def test_R7_T5_the_README_proxy_example_is_what_the_proxy_prints() -> None:
    shown, verdict = readme_lines()
    printed: list[str] = []
    checker = TrafficChecker(fixture=load_fixture())
    with (
        running_mock() as mock,
        running_proxy(mock.base_url, checker, emit=printed.append) as proxy,
    ):
        app = App(proxy.base_url)
        campaign = app.created_id()
        app.get(campaign)
        app.create(body(priority="6"))
        app.start(campaign)
        app.delete(campaign)  # refused 409 while Active: T5 kept
        app.stop(campaign)
        app.delete(campaign)
    assert printed == shown
    summary = io.StringIO()
    print_summary(checker.result(), summary, [])
    assert verdict in " ".join(summary.getvalue().split())


def test_R7_the_reproduce_line_of_a_proxied_failure_replays_at_the_upstream() -> None:
    """The curl line a report shows for a failing exchange seen through the proxy leaves out
    the Host the application sent (the proxy's own): run as shown, it reaches the upstream
    and gets the same refusal."""
    import shlex
    import shutil
    import subprocess

    import pytest

    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    checker = TrafficChecker(fixture=load_fixture())
    with (
        running_mock() as mock,
        running_proxy(mock.base_url, checker, emit=lambda _: None) as proxy,
    ):
        App(proxy.base_url).create(body(priority="6"))
        case = next(case for case in checker.result().cases if case.status == "failed")
        argv = shlex.split(case.curl.replace("[redacted]", App(proxy.base_url).headers["auth"]))
        assert not any(part.lower().startswith("host:") for part in argv)
        replay = subprocess.run([*argv, "-sS"], capture_output=True, text=True, timeout=30)
    assert '"rule":"R7"' in replay.stdout.replace(" ", ""), replay.stdout + replay.stderr
