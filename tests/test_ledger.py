"""Issue 10 items 5 and 12: the ledger survives a killed run; cleanup deletes only where told.

Servers here are plain sockets on 127.0.0.1 (one that answers the probe and then holds a
create forever, one that only counts connections) or the embedded mock.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kore_contract import auth
from kore_contract.cli import run as cli_run
from kore_contract.contract.fixture import load_fixture
from kore_contract.mock.server import MockServer, running_mock
from kore_contract.run.client import KoreClient, Target
from kore_contract.run.ledger import KINDS, Ledger, read_ledger
from kore_contract.strategies import base_campaign

CREDENTIALS = ["--client-id", auth.DEFAULT_CLIENT_ID, "--client-secret", auth.DEFAULT_CLIENT_SECRET]
NOT_LOOPBACK = "http://192.0.2.1:9"  # a string only: nothing may connect to it


def run_line(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_run(args, out, err)
    return code, out.getvalue(), err.getvalue()


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


# --- small socket servers ----------------------------------------------------------------------


@dataclass
class HoldingServer:
    """Answers every GET with a JSON 404; accepts a POST and never answers it."""

    base_url: str
    create_arrived: threading.Event = field(default_factory=threading.Event)
    connections: int = 0
    held: list[socket.socket] = field(default_factory=list)


def _read_head(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


@contextmanager
def holding_server() -> Iterator[HoldingServer]:
    listener = socket.create_server(("127.0.0.1", 0))
    server = HoldingServer(f"http://127.0.0.1:{listener.getsockname()[1]}")
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            if stop.is_set():  # the wake-up connection of the teardown
                connection.close()
                return
            server.connections += 1
            head = _read_head(connection)
            if head.startswith(b"POST"):
                server.held.append(connection)
                server.create_arrived.set()
                continue
            body = b'{"errors": [{"msg": "not found", "code": 404}]}'
            connection.sendall(
                b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
            )
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        socket.create_connection(listener.getsockname(), timeout=5).close()  # wakes accept()
        listener.close()
        for connection in server.held:
            connection.close()
        thread.join(timeout=5)


# --- item 12: an intent line before every create ----------------------------------------------


def test_ledger_intent_is_on_disk_while_the_create_is_in_flight(tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.jsonl"
    body = {**base_campaign(load_fixture()), "name": "kc00042 in flight"}
    with holding_server() as server:
        target = Target(server.base_url, "st", "acc", "app", "secret.token.value")
        client = KoreClient(target, timeout=30, ledger=Ledger(ledger_path))
        sender = threading.Thread(target=client.create, args=(body,), daemon=True)
        sender.start()
        assert server.create_arrived.wait(timeout=10)
        on_disk = lines_of(ledger_path)  # the create is in flight: no answer yet
        server.held[0].close()
        sender.join(timeout=10)
        client.close()
    assert [line.get("intent") is not None for line in on_disk] == [True]
    assert on_disk[0]["name"] == "kc00042 in flight"
    assert on_disk[0]["base_url"] == server.base_url
    assert "secret.token.value" not in ledger_path.read_text("utf-8")
    assert [entry["name"] for entry in read_ledger(ledger_path).unresolved] == ["kc00042 in flight"]


def test_ledger_sigkill_during_a_create_leaves_a_name_cleanup_reports(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    with holding_server() as server:
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kore_contract",
                "test",
                "--base-url",
                server.base_url,
                "--token",
                "x.y.z",
                "--report-dir",
                str(reports),
                "--max-examples",
                "1",
                "--no-fuzz",
                "--timeout",
                "60",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert server.create_arrived.wait(timeout=60)
        finally:
            os.kill(run.pid, signal.SIGKILL)
            run.wait(timeout=10)
        ledger = reports / "ledger.jsonl"
        last = lines_of(ledger)[-1]
        assert "intent" in last and last["name"].startswith("kc")
        code, out, err = run_line(
            [
                "cleanup",
                "--ledger",
                str(ledger),
                "--base-url",
                server.base_url,
                "--token",
                "x.y.z",
                "--timeout",
                "1",
            ]
        )
    assert code == 1, out + err  # the list call (to find it by name) is held too: unresolved
    assert f"possibly created, name {json.dumps(last['name'])}: check the account" in out
    assert "Traceback" not in err


def test_ledger_every_intent_of_a_run_is_settled(tmp_path: Path) -> None:
    code, _, err = run_line(
        ["test", "--report-dir", str(tmp_path), "--max-examples", "1", "--no-fuzz"]
    )
    assert code == 0, err
    state = read_ledger(tmp_path / "ledger.jsonl")
    assert (state.pending, state.unresolved, state.bad_lines) == ([], [], [])
    kinds = {next(k for k in KINDS if k in line) for line in lines_of(tmp_path / "ledger.jsonl")}
    # the family's walk starts and stops its campaigns (issue 12 item 6: state changes recorded)
    assert kinds == set(KINDS)


# --- item 12: bad lines are skipped, reported, and the rest is cleaned up ---------------------


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with running_mock(stream_id="st", account_id="acc", iid="app") as server:
        yield server


def created_on(server: MockServer, ledger_path: Path, count: int) -> list[str]:
    token = auth.mint_token(auth.DEFAULT_CLIENT_ID, auth.DEFAULT_CLIENT_SECRET)
    client = KoreClient(
        Target(server.base_url, "st", "acc", "app", token), ledger=Ledger(ledger_path)
    )
    ids = []
    for _ in range(count):
        exchange = client.create(base_campaign(load_fixture()))
        assert exchange.status == 201
        ids.append(exchange.response_json["data"]["_id"])
    client.close()
    return ids


def test_ledger_truncated_last_line_is_skipped_and_the_rest_cleaned_up(
    tmp_path: Path, mock: MockServer
) -> None:
    ledger_path = tmp_path / "ledger.jsonl"
    created_on(mock, ledger_path, 2)
    with ledger_path.open("a", encoding="utf-8") as handle:
        handle.write('{"created": "65f0c0ffee", "base_url": "http://127.0')  # killed mid-write
    code, out, err = run_line(
        ["cleanup", "--ledger", str(ledger_path), "--base-url", mock.base_url, *CREDENTIALS]
    )
    assert code == 0, out + err
    assert mock.store.count() == 0
    number = len(ledger_path.read_text("utf-8").splitlines())
    assert f"{ledger_path}:{number - 2}: skipped: truncated" in err  # 2 deleted lines since
    assert "Traceback" not in err


BAD_LINES: dict[str, str | bytes] = {
    "not JSON": "this is not json",
    "not a JSON object": "[1, 2, 3]",
    "'created' must be a non-empty string": '{"created": 5, "base_url": "x"}',
    "needs base_url": '{"created": "abc", "stream_id": "st", "account_id": "a", "iid": "i"}',
    "needs exactly one of the keys": '{"intent": "k", "deleted": "abc"}',
    "not UTF-8 text": b'{"deleted": "\xff\xfe"}',
    "not JSON (": "[" * 100_000,
    "not JSON (Exceeds": '{"answered": "k", "status": ' + "9" * 5000 + "}",
    "'name' must be a string": '{"intent": "k", "name": 7, "base_url": "u", "stream_id": "s",'
    ' "account_id": "a", "iid": "i"}',
}


def test_ledger_malformed_lines_are_reported_by_number_and_skipped(
    tmp_path: Path, mock: MockServer
) -> None:
    ledger_path = tmp_path / "ledger.jsonl"
    with ledger_path.open("wb") as handle:
        for line in BAD_LINES.values():
            handle.write((line if isinstance(line, bytes) else line.encode()) + b"\n")
    created_on(mock, ledger_path, 1)
    code, out, err = run_line(
        ["cleanup", "--ledger", str(ledger_path), "--base-url", mock.base_url, *CREDENTIALS]
    )
    assert code == 0, out + err
    assert mock.store.count() == 0
    reported = err.splitlines()
    assert len(reported) == len(BAD_LINES)
    for number, (problem, reported_line) in enumerate(zip(BAD_LINES, reported, strict=True), 1):
        assert reported_line.startswith(
            f"kore-contract cleanup: {ledger_path}:{number}: skipped: "
        ), reported_line
        assert problem in reported_line
        assert len(reported_line) < 300
    assert "Traceback" not in err


def test_ledger_append_after_a_cut_line_starts_on_a_new_line(tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.jsonl"
    ledger_path.write_text('{"intent": "old-1", "name": "kc0', encoding="utf-8")
    Ledger(ledger_path).intent("kc00001 next run", Target("http://127.0.0.1:1", "s", "a", "i", "t"))
    state = read_ledger(ledger_path)
    assert [entry["name"] for entry in state.unresolved] == ["kc00001 next run"]
    assert [bad.number for bad in state.bad_lines] == [1]


def test_ledger_not_a_regular_file_is_exit_2(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code, _, err = run_line(
        ["cleanup", "--ledger", str(fifo), "--base-url", "http://127.0.0.1:9", "--token", "x"]
    )
    assert code == 2
    assert err.count("\n") == 1 and "not a regular file" in err


# --- item 5: cleanup deletes only on the base URL it is given ---------------------------------


def test_cleanup_sends_no_token_to_a_base_url_other_than_the_given_one(
    tmp_path: Path, mock: MockServer
) -> None:
    ledger_path = tmp_path / "ledger.jsonl"
    mine = created_on(mock, ledger_path, 1)
    with holding_server() as other:
        foreign = [
            {"created": "elsewhere-1", "base_url": other.base_url},
            {"created": "elsewhere-2", "base_url": NOT_LOOPBACK},
        ]
        with ledger_path.open("a", encoding="utf-8") as handle:
            for entry in foreign:
                handle.write(
                    json.dumps({**entry, "stream_id": "st", "account_id": "acc", "iid": "app"})
                    + "\n"
                )
        code, out, err = run_line(
            [
                "cleanup",
                "--ledger",
                str(ledger_path),
                "--base-url",
                mock.base_url,
                *CREDENTIALS,
                "--timeout",
                "2",
            ]
        )
        assert other.connections == 0
    assert code == 1, out + err  # campaigns elsewhere are still there
    assert f"deleted {mine[0]}" in out
    assert mock.store.count() == 0
    for url in (other.base_url, NOT_LOOPBACK):
        assert f"skipped 1 campaign(s) created on {url}" in out
    assert {entry["created"] for entry in Ledger.read_pending(ledger_path)} == {
        "elsewhere-1",
        "elsewhere-2",
    }


def test_cleanup_refuses_a_non_loopback_base_url_without_allow_writes(tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.jsonl"
    ledger_path.write_text(
        json.dumps(
            {
                "created": "x",
                "base_url": NOT_LOOPBACK,
                "stream_id": "s",
                "account_id": "a",
                "iid": "i",
            }
        )
        + "\n"
    )
    code, out, err = run_line(
        ["cleanup", "--ledger", str(ledger_path), "--base-url", NOT_LOOPBACK, "--token", "x.y.z"]
    )
    assert code == 2
    assert err.count("\n") == 1 and "--allow-writes" in err and NOT_LOOPBACK in err
    assert out == ""


def test_cleanup_needs_a_base_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger_path = tmp_path / "ledger.jsonl"
    ledger_path.write_text("")
    monkeypatch.delenv("KORE_BASE_URL", raising=False)
    code, _, err = run_line(["cleanup", "--ledger", str(ledger_path), "--token", "x"])
    assert code == 2
    assert err.count("\n") == 1 and "--base-url" in err


def test_cleanup_reads_KORE_BASE_URL(
    tmp_path: Path, mock: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger_path = tmp_path / "ledger.jsonl"
    created_on(mock, ledger_path, 1)
    monkeypatch.setenv("KORE_BASE_URL", mock.base_url)
    code, out, err = run_line(["cleanup", "--ledger", str(ledger_path), *CREDENTIALS])
    assert code == 0, out + err
    assert mock.store.count() == 0
