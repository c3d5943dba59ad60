"""Issue 11 item 4: one place per fault. A fault is one entry of mock/faults.py carrying all of
its effects; the app, the campaign builder and the token check ask it, never its name.

Item 5 (one redaction): the mock's byte-level scrub and its log-line redaction are those of
kore_contract.redaction, not copies of their own.
"""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest
from mock_testing import ACCOUNT, call, create_path, curl_headers
from test_mock_faults import probe

import kore_contract
from kore_contract.auth import DEFAULT_CLIENT_ID, mint_token
from kore_contract.commands import mock as mock_command
from kore_contract.mock import faults
from kore_contract.mock.faults import FAULTS, NO_FAULT, Fault
from kore_contract.mock.server import make_app

PACKAGE = Path(kore_contract.__file__).parent
#: The modules that carry out a fault's effects, and the token check.
ASKERS = ("mock/app.py", "mock/campaign.py", "auth.py")


def source(relative: str) -> str:
    return (PACKAGE / relative).read_text("utf-8")


@pytest.mark.parametrize("relative", ASKERS)
def test_4_no_module_but_faults_names_a_fault(relative: str) -> None:
    text = source(relative)
    named = [name for name in FAULTS if name in text]
    assert named == [], f"{relative} names faults {named}; their effects belong in faults.py"
    assert not re.search(r"fault\s*(==|!=|\bin\b)", text), f"{relative} compares a fault"


def test_4_auth_knows_nothing_of_the_mock() -> None:
    tree = ast.parse(source("auth.py"))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not any(module.startswith("kore_contract.mock") for module in imported), imported
    assert "Holes" not in source("auth.py")
    assert not re.search(r"\bfault", source("auth.py"), re.IGNORECASE)


def test_4_a_new_fault_is_one_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """What adding a fault costs: one Fault in FAULTS; the app, the command and the probe
    know it by its name with no other edit."""
    new = Fault(
        "S7-updated-without-zone",
        "answers updatedAt without a zone",
        change_created=lambda data, _token: data.update(updatedAt=data["updatedAt"].rstrip("Z")),
    )
    monkeypatch.setitem(FAULTS, new.name, new)
    assert new.rule == "S7"
    assert probe(make_app(fault=new.name)) == {"S7"}
    out = io.StringIO()
    parser = __import__("argparse").ArgumentParser()
    mock_command.add_arguments(parser)
    assert mock_command.run(parser.parse_args(["--list-faults"]), out, io.StringIO()) == 0
    assert new.name in out.getvalue()


def test_4_the_clean_mock_asks_an_object_with_no_effect() -> None:
    assert faults.fault(None) is NO_FAULT
    assert make_app().fault is NO_FAULT
    assert probe(make_app(fault=NO_FAULT)) == set()
    assert make_app(fault="S4-wrong-lname").fault is FAULTS["S4-wrong-lname"]


def test_4_every_fault_has_an_effect() -> None:
    for entry in FAULTS.values():
        assert entry != Fault(entry.name, entry.description), f"{entry.name} changes nothing"


def test_S11_the_mock_redacts_with_the_redaction_module() -> None:
    tree = ast.parse(source("mock/app.py"))
    defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert not defined & {"_scrub", "_redact_line"}, defined
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert not names & {"REDACTED", "JWT_SHAPE", "MIN_SECRET_LENGTH"}, names


def test_S11_mock_log_redacts_a_percent_encoded_secret() -> None:
    """The log line gets the redaction every other output gets: the client secret in each
    encoded form, not only verbatim."""
    secret = "a secret/with+odd chars"
    lines: list[str] = []
    app = make_app(client_secret=secret, log=lines.append)
    token = mint_token(DEFAULT_CLIENT_ID, secret)
    call(
        app,
        "GET",
        create_path() + "/cd-1",
        query=f"accountId={ACCOUNT}&leak=a%20secret%2Fwith%2Bodd%20chars",
        headers=curl_headers(token),
    )
    assert len(lines) == 1
    assert "a%20secret%2Fwith%2Bodd%20chars" not in lines[0] and "[redacted]" in lines[0]
