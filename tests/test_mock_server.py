"""The mock as a server: limits, concurrency, slow clients, start and stop, the command."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from mock_testing import (
    ACCOUNT,
    IID,
    call,
    campaign_url,
    create_path,
    create_url,
    curl_headers,
)

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token
from kore_contract.contract import spec
from kore_contract.mock import MockError, MockServer, running_mock
from kore_contract.mock.app import MAX_BODY_BYTES
from kore_contract.mock.server import make_app

TIMEOUT = 10
TOKEN = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
SAMPLE = spec.examples("create", "request")["docsSample"]
BODY = json.dumps(SAMPLE).encode()


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with running_mock() as server:
        yield server


@pytest.fixture(autouse=True)
def _no_error_inside_the_mock(mock: MockServer) -> Iterator[None]:
    yield
    mock.check()


def raw_request(mock: MockServer, head: bytes, body: bytes = b"") -> bytes:
    with socket.create_connection((mock.host, mock.port), timeout=TIMEOUT) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def create_head(mock: MockServer, length: int | None, extra: bytes = b"") -> bytes:
    lines = [
        f"POST {create_path()}?accountId={ACCOUNT}&campaignType=sms HTTP/1.1",
        f"Host: {mock.host}:{mock.port}",
        f"auth: {TOKEN}",
        f"accountid: {ACCOUNT}",
        f"iid: {IID}",
        "Content-Type: application/json",
        "Connection: close",
    ]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n").encode() + extra + b"\r\n"


# --- limits -----------------------------------------------------------------------------------


def test_body_over_the_limit_is_refused_413(mock: MockServer) -> None:
    big = b'{"name": "' + b"x" * MAX_BODY_BYTES + b'"}'
    answer = requests.post(
        create_url(mock.base_url), data=big, headers=curl_headers(TOKEN), timeout=TIMEOUT
    )
    assert answer.status_code == 413 and answer.json()["errors"][0]["rule"] == "R1"


def test_chunked_body_over_the_limit_is_refused_413(mock: MockServer) -> None:
    piece = b"x" * 65536

    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // len(piece) + 2):
            yield piece

    answer = requests.post(
        create_url(mock.base_url), data=chunks(), headers=curl_headers(TOKEN), timeout=TIMEOUT
    )
    assert answer.status_code == 413


def test_chunked_valid_body_is_accepted(mock: MockServer) -> None:
    answer = requests.post(
        create_url(mock.base_url),
        data=iter([BODY[:100], BODY[100:]]),
        headers=curl_headers(TOKEN),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 201, answer.text


def test_the_connection_is_reused_after_a_refusal(mock: MockServer) -> None:
    with requests.Session() as session:
        for data in (b"{", BODY, b"x" * (MAX_BODY_BYTES + 1), BODY):
            answer = session.post(
                create_url(mock.base_url), data=data, headers=curl_headers(TOKEN), timeout=TIMEOUT
            )
            assert answer.status_code in (201, 400, 413)


def test_malformed_http_gets_a_4xx_or_a_close_never_a_5xx(mock: MockServer) -> None:
    for head in (
        b"GARBAGE\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        b"GET /\x00 HTTP/1.1\r\n\r\n",
    ):
        answer = raw_request(mock, head)
        assert not answer.startswith(b"HTTP/1.1 5"), answer


def test_body_shorter_than_its_content_length_does_not_block(mock: MockServer) -> None:
    answer = raw_request(mock, create_head(mock, len(BODY) + 50), BODY)
    assert not answer.startswith(b"HTTP/1.1 5")  # the client hung up: no answer, or a 4xx


def test_raw_request_with_exact_length_is_created(mock: MockServer) -> None:
    answer = raw_request(mock, create_head(mock, len(BODY)), BODY)
    assert answer.startswith(b"HTTP/1.1 201"), answer[:200]


# --- concurrency and slow clients -------------------------------------------------------------


def test_concurrent_clients_all_get_their_campaign(mock: MockServer) -> None:
    def one(index: int) -> str:
        body = {**SAMPLE, "name": f"Concurrent {index}"}
        answer = requests.post(
            create_url(mock.base_url), json=body, headers=curl_headers(TOKEN), timeout=TIMEOUT
        )
        assert answer.status_code == 201
        data: dict[str, Any] = answer.json()["data"]
        assert data["name"] == f"Concurrent {index}"
        return str(data["_id"])

    with ThreadPoolExecutor(max_workers=32) as pool:
        ids = list(pool.map(one, range(200)))
    assert len(set(ids)) == 200


def test_slow_and_half_open_clients_do_not_block_others(mock: MockServer) -> None:
    stalled = []
    for _ in range(20):  # headers sent, body promised, never sent
        sock = socket.create_connection((mock.host, mock.port), timeout=TIMEOUT)
        sock.sendall(create_head(mock, len(BODY)))
        stalled.append(sock)
    half = socket.create_connection((mock.host, mock.port), timeout=TIMEOUT)
    half.sendall(b"POST /campaign/api/v2/pub")  # half a request line
    try:
        started = time.perf_counter()
        answer = requests.post(
            create_url(mock.base_url), data=BODY, headers=curl_headers(TOKEN), timeout=TIMEOUT
        )
        assert answer.status_code == 201
        assert time.perf_counter() - started < 1.0
    finally:
        for sock in [*stalled, half]:
            sock.close()


def test_body_sent_byte_by_byte_is_accepted(mock: MockServer) -> None:
    with socket.create_connection((mock.host, mock.port), timeout=TIMEOUT) as sock:
        sock.sendall(create_head(mock, len(BODY)))
        for start in range(0, len(BODY), 200):
            sock.sendall(BODY[start : start + 200])
            time.sleep(0.002)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 201")


def test_body_that_never_completes_is_answered_408(monkeypatch: pytest.MonkeyPatch) -> None:
    from kore_contract.mock import app as app_module

    monkeypatch.setattr(app_module, "BODY_TIMEOUT", 0.2)
    with (
        running_mock() as server,
        socket.create_connection((server.host, server.port), timeout=TIMEOUT) as sock,
    ):
        sock.sendall(create_head(server, len(BODY)) + BODY[:10])
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 408"), answer


# --- start, stop, in-process ------------------------------------------------------------------


def test_mock_starts_well_under_a_second_and_stops_cleanly() -> None:
    started = time.perf_counter()
    with running_mock() as server:
        assert time.perf_counter() - started < 1.0
        port = server.port
        requests.get(server.base_url + "/", timeout=TIMEOUT)  # an open keep-alive connection
    assert time.perf_counter() - started < 3.0
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_two_mocks_get_two_free_ports() -> None:
    with running_mock() as one, running_mock() as two:
        assert one.port != two.port and one.base_url.startswith("http://127.0.0.1:")


def test_unexpected_error_is_answered_500_and_reraised_by_check() -> None:
    with running_mock() as server:

        def explode(*args: Any, **kwargs: Any) -> None:
            raise ZeroDivisionError("boom")

        server.app._get = explode  # type: ignore[method-assign,assignment]
        answer = requests.get(
            campaign_url(server.base_url, "cd-1"), headers=curl_headers(TOKEN), timeout=TIMEOUT
        )
        assert answer.status_code == 500 and answer.json()["errors"][0]["rule"] == "S9"
        with pytest.raises(MockError, match="ZeroDivisionError"):
            server.check()


def test_unknown_fault_name_fails_at_start() -> None:
    with pytest.raises(KeyError, match="S4-wrong-lname"), running_mock(fault="S4-nope"):
        pass


def test_in_process_call_helper_matches_http() -> None:
    app = make_app()
    reply = call(
        app,
        "POST",
        create_path(),
        query=f"accountId={ACCOUNT}&campaignType=sms",
        headers=curl_headers(TOKEN),
        body=BODY,
    )
    assert reply.status == 201 and reply.json()["data"]["name"] == SAMPLE["name"]


# --- log lines --------------------------------------------------------------------------------


def test_one_log_line_per_request_with_the_token_redacted() -> None:
    lines: list[str] = []
    with running_mock(log=lines.append) as server:
        requests.post(
            create_url(server.base_url) + f"&leak={TOKEN}",
            data=BODY,
            headers=curl_headers(TOKEN),
            timeout=TIMEOUT,
        )
        requests.post(
            create_url(server.base_url),
            json={**SAMPLE, "priority": 5},
            headers=curl_headers(TOKEN),
            timeout=TIMEOUT,
        )
    assert len(lines) == 2
    assert " POST /campaign/api/v2/public/" in lines[0] and " 201 " in lines[0]
    assert " 400 R7 " in lines[1]
    assert TOKEN not in "".join(lines) and "[redacted]" in lines[0]


# --- the command ------------------------------------------------------------------------------


def start_command(
    *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "kore_contract", "mock", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    banner: list[str] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        banner.append(line)
        if line.startswith("Ctrl-C"):
            break
    return process, banner


def field(banner: list[str], name: str) -> str:
    for line in banner:
        if line.strip().startswith(name):
            return line.strip()[len(name) :].strip()
    raise AssertionError(f"{name!r} not in {banner}")


def test_mock_command_prints_url_ids_token_and_a_curl_line_that_works() -> None:
    started = time.perf_counter()
    process, banner = start_command()
    try:
        base_url = field(banner, "base URL")
        assert time.perf_counter() - started < 5
        assert "any non-empty value" in field(banner, "stream id")
        token = field(banner, "token")
        curl = "".join(banner[banner.index("try:\n") + 1 :]).split("Ctrl-C")[0]
        assert "-H 'accountid: acc-mock'" in curl and "Content-Type: application/json" in curl
        url = curl.split("'")[1]
        headers = {
            "auth": token,
            "accountid": "acc-mock",
            "iid": "st-mock",
            "Content-Type": "application/json",
        }
        assert url.startswith(base_url)
        answer = requests.post(url, data=BODY, headers=headers, timeout=TIMEOUT)
        assert answer.status_code == 201, answer.text
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "stopped after 1 request(s)" in out
    log = [line for line in err.splitlines() if " POST " in line]
    assert len(log) == 1 and token not in err


def test_mock_command_pins_ids_and_reads_the_secret_from_the_environment() -> None:
    process, banner = start_command(
        "--stream-id",
        "st-9",
        "--client-id",
        "cs-9",
        "--quiet",
        env={"KORE_CLIENT_SECRET": "a-secret-from-the-env"},
    )
    try:
        assert field(banner, "stream id") == "st-9 (only)"
        token = mint_token("cs-9", "a-secret-from-the-env")
        headers = curl_headers(token)
        url = create_url(field(banner, "base URL"), stream="st-9")
        assert requests.post(url, data=BODY, headers=headers, timeout=TIMEOUT).status_code == 201
        assert "a-secret-from-the-env" not in "".join(banner)
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0 and " POST " not in err


def test_mock_command_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    from kore_contract.cli import main

    assert main(["mock", "--fault", "S4-nope"]) == 2
    assert "--fault=S4-nope: unknown" in capsys.readouterr().err
    assert main(["mock", "--fixture", "/no/such/fixture.json"]) == 2
    assert "fixture file not found" in capsys.readouterr().err
    assert main(["mock", "--port", "70000"]) == 2
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["mock", "--port", str(busy.getsockname()[1])]) == 2
    assert "try --port 0" in capsys.readouterr().err


def test_mock_command_lists_faults(capsys: pytest.CaptureFixture[str]) -> None:
    from kore_contract.cli import main

    assert main(["mock", "--list-faults"]) == 0
    assert "S4-wrong-lname" in capsys.readouterr().out


def test_threads_do_not_leak_after_stop() -> None:
    before = threading.active_count()
    for _ in range(3):
        with running_mock():
            pass
    assert threading.active_count() <= before
