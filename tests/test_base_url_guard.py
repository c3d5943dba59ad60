"""The loopback guard decides on the host the HTTP client will connect to (issue 10, item 4).

`http://192.0.2.2:19060\\@127.0.0.1` looked like 127.0.0.1 to urlsplit while requests
connected to 192.0.2.2, and `127.evil.example` counted as loopback. 192.0.2.x appears here
only as text: every test proves the run refuses before any connection is attempted.
"""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest

from kore_contract.cli import run as cli_run
from kore_contract.run.client import base_url_problem, is_loopback

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


def run_line(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_run(args, out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a connection was attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


AMBIGUOUS = [
    "http://192.0.2.2:19060\\@127.0.0.1",
    "http://user@127.0.0.1@192.0.2.2/",
    "http://user:pw@127.0.0.1:8080",
    "http://127.0.0.1 :8080",
    "http://127.0.0.1\t/",
    "http://127.0.0.1:8080/?x=@192.0.2.2",
    "http://127.0.0.1#@192.0.2.2",
    "ftp://127.0.0.1/",
    "http:///path-only",
]
NOT_LOOPBACK = [
    "http://127.evil.example",
    "http://127.0.0.1.nip.io",
    "http://localhost.evil",
    "http://192.0.2.2:8080",
    "http://[::ffff:c000:202]/",
    "https://platform.kore.ai",
]
LOOPBACK = [
    "http://127.0.0.1:8080",
    "http://127.1.2.3",
    "http://[::1]:8080",
    "http://localhost:8080",
    "http://LOCALHOST:1/prefix",
]


@pytest.mark.parametrize("url", AMBIGUOUS)
def test_ambiguous_base_url_is_refused(url: str) -> None:
    assert base_url_problem(url) is not None
    assert not is_loopback(url)


@pytest.mark.parametrize("url", NOT_LOOPBACK)
def test_host_names_that_merely_start_with_127_are_not_loopback(url: str) -> None:
    assert base_url_problem(url) is None
    assert not is_loopback(url)


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_is_an_ip_literal_in_127_or_1_or_localhost(url: str) -> None:
    assert base_url_problem(url) is None
    assert is_loopback(url)


@pytest.mark.parametrize("url", AMBIGUOUS[:3])
@pytest.mark.parametrize("allow_writes", [False, True])
def test_backslash_and_userinfo_tricks_are_refused_before_any_connection(
    url: str, allow_writes: bool, tmp_path: Path, no_connection: None
) -> None:
    args = ["test", "--base-url", url, "--token", TOKEN, "--report-dir", str(tmp_path)]
    code, out, err = run_line(args + (["--allow-writes"] if allow_writes else []))
    assert code == 2, out + err
    assert err.startswith(f"kore-contract test: --base-url {url!r} ")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("url", NOT_LOOPBACK[:2])
def test_names_like_127_evil_example_need_allow_writes(
    url: str, tmp_path: Path, no_connection: None
) -> None:
    code, _, err = run_line(
        ["test", "--base-url", url, "--token", TOKEN, "--report-dir", str(tmp_path)]
    )
    assert code == 2
    assert "is not a loopback address" in err and "--allow-writes" in err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("url", AMBIGUOUS[:3])
def test_the_client_itself_sends_nothing_to_an_ambiguous_base_url(
    url: str, no_connection: None
) -> None:
    """A backstop for every caller (the pytest plugin, cleanup): no request, an error."""
    from kore_contract.run.client import KoreClient, Target

    exchange = KoreClient(Target(url, "st", "acc", "app", TOKEN)).get("cd-1")
    assert exchange.status is None
    assert exchange.error is not None and exchange.error.startswith("not sent: the base URL ")
