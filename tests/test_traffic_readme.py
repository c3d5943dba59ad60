"""The README's recorded-traffic example (section "Check recorded traffic") is what
`kore-contract validate --traffic` prints for that session against the embedded mock."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from traffic_testing import App, body, write_har

from kore_contract.cli import run
from kore_contract.contract.fixture import load_fixture
from kore_contract.mock.server import running_mock

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_example() -> tuple[str, str]:
    """The command and the output the README shows."""
    section = README.read_text(encoding="utf-8").split("## Check recorded traffic", 1)[1]
    command = re.search(r"```sh\n(.*?)\n```", section, re.S)
    output = re.search(r"```text\n(.*?)```", section, re.S)
    assert command and output
    return command[1], output[1]


def test_the_README_example_is_the_output_of_its_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_mock() as server:
        app = App(server.base_url)
        campaign = app.created_id(body(name="Spring sale"))
        app.get(campaign)
        app.create(body(priority="6"))
        app.start(campaign)
        app.status(campaign)
        app.send("GET", server.base_url + "/favicon.ico")
        app.delete(campaign)  # Active: refused 409, as T5 wants
        app.stop(campaign)
    monkeypatch.chdir(tmp_path)
    write_har(Path("session.har"), app.exchanges)
    Path("account.json").write_text(json.dumps(load_fixture().to_json()))
    command, shown = readme_example()
    argv = command.split()
    assert argv[:2] == ["kore-contract", "validate"]
    out, err = io.StringIO(), io.StringIO()
    assert run(argv[1:], out, err) == 1
    assert out.getvalue() == shown
