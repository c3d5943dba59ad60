"""The mock under hostile input (issue 10, items 6 to 9 and 14): no request stalls it,
no connection flood locks it out, its store is bounded, no number or token makes it
answer something that is not JSON."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from mock_testing import (
    ACCOUNT,
    IID,
    Reply,
    call,
    campaign_path,
    campaign_url,
    create_path,
    create_url,
    curl_headers,
)

from kore_contract.auth import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    TokenChecker,
    check_token,
    mint_token,
    sign_claims,
)
from kore_contract.contract import spec
from kore_contract.mock import MockServer, running_mock
from kore_contract.mock.server import make_app
from kore_contract.validate import Result, Violation

TIMEOUT = 10
TOKEN = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
SAMPLE = spec.examples("create", "request")["docsSample"]
BODY = json.dumps(SAMPLE).encode()
CREATE_QUERY = f"accountId={ACCOUNT}&campaignType=sms"
#: The worst bodies of issue 10 item 6, just under the mock's 1 MB body limit.
ZEROS = b'{"contactLists":[' + b",".join([b"0"] * 500_000) + b"]}"
EMPTY_DAYS = (
    b'{"dialingStrategy":{"callingHours":{"days":[' + b",".join([b"{}"] * 330_000) + b"]}}}"
)


def create(app: Any, body: bytes, token: str = TOKEN) -> Reply:
    return call(
        app, "POST", create_path(), query=CREATE_QUERY, headers=curl_headers(token), body=body
    )


def raw_exchange(server: MockServer, data: bytes) -> bytes:
    """Send `data` on a fresh connection; read until the mock closes it."""
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def split_answer(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def head_lines(
    target: str = create_path() + "?" + CREATE_QUERY, *extra: str, method: str = "POST"
) -> bytes:
    lines = [
        f"{method} {target} HTTP/1.1",
        "Host: 127.0.0.1",
        f"auth: {TOKEN}",
        f"accountid: {ACCOUNT}",
        f"iid: {IID}",
        "Content-Type: application/json",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with running_mock() as server:
        yield server


# --- item 6: validation never blocks the event loop; the error body is bounded ------------


def test_6_validating_a_worst_case_body_does_not_block_other_clients(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the 1 MB body is in the validator, a GET on another connection is answered."""
    from kore_contract.mock import app as app_module

    entered, release = threading.Event(), threading.Event()
    still_validating = threading.Event()

    def slow_validator(payload: Any, **_: Any) -> Result:
        still_validating.set()
        entered.set()
        release.wait(5)  # on the event loop, the GET below could not be answered meanwhile
        still_validating.clear()
        return Result([Violation("R5", f"/contactLists/{i}", "x") for i in range(100_000)])

    monkeypatch.setattr(app_module, "validate_request", slow_validator)
    with running_mock() as server:
        answers: list[requests.Response] = []
        post = threading.Thread(
            target=lambda: answers.append(
                requests.post(
                    create_url(server.base_url),
                    data=ZEROS,
                    headers=curl_headers(TOKEN),
                    timeout=TIMEOUT,
                )
            )
        )
        post.start()
        try:
            assert entered.wait(TIMEOUT)
            got = requests.get(
                campaign_url(server.base_url, "cd-1"), headers=curl_headers(TOKEN), timeout=TIMEOUT
            )
            answered_during_validation = still_validating.is_set()
        finally:
            release.set()
            post.join(TIMEOUT)
        assert got.status_code == 404
        assert answered_during_validation, "the GET waited for the validation to end"
        assert answers[0].status_code == 400


def test_6_error_body_is_bounded_and_says_how_many_more(monkeypatch: pytest.MonkeyPatch) -> None:
    from kore_contract.mock import app as app_module

    many = [
        Violation("R5", f"/contactLists/{i}", "contactLists[" + str(i) + "]: " + "y" * 5000)
        for i in range(524_288)
    ]
    monkeypatch.setattr(app_module, "validate_request", lambda *a, **k: Result(many))
    reply = create(make_app(), ZEROS)
    assert reply.status == 400 and len(reply.body) < 64 * 1024
    errors = reply.json()["errors"]
    assert "524,2" in errors[-1]["msg"] and "more" in errors[-1]["msg"]
    assert all(len(e["msg"]) <= 1100 for e in errors)


def test_6_worst_case_bodies_are_refused_with_a_bounded_answer() -> None:
    app = make_app()
    for body in (ZEROS, EMPTY_DAYS):
        reply = create(app, body)
        assert reply.status == 400 and len(reply.body) < 64 * 1024, len(reply.body)
        assert "more" in reply.json()["errors"][-1]["msg"]


# --- item 7: idle and slow connections, a connection cap, the file limit, bounded logs ----


def test_7_idle_connection_is_closed_after_the_header_timeout() -> None:
    with (
        running_mock(header_timeout=0.2) as server,
        socket.create_connection((server.host, server.port), timeout=TIMEOUT) as sock,
    ):
        assert sock.recv(100) == b""  # closed by the mock, nothing said (nothing was asked)


def test_7_slowly_sent_head_is_answered_408_json_and_closed() -> None:
    with (
        running_mock(header_timeout=0.3) as server,
        socket.create_connection((server.host, server.port), timeout=TIMEOUT) as sock,
    ):
        sock.sendall(b"GET / HTTP/1.1\r\n")
        stop = threading.Event()

        def trickle() -> None:  # a byte every 50 ms: never a complete head
            for _ in range(100):
                if stop.wait(0.05):
                    return
                try:
                    sock.sendall(b"x")
                except OSError:
                    return

        sender = threading.Thread(target=trickle)
        sender.start()
        try:
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        finally:
            stop.set()
            sender.join()
    status, headers, body = split_answer(b"".join(chunks))
    assert status == 408 and headers["content-type"] == "application/json"
    assert json.loads(body)["errors"][0]["code"] == 408


def test_7_over_the_connection_cap_idle_connections_make_room() -> None:
    with running_mock(max_connections=10) as server:
        idle = [
            socket.create_connection((server.host, server.port), timeout=TIMEOUT) for _ in range(30)
        ]
        try:
            answer = requests.get(
                campaign_url(server.base_url, "cd-1"), headers=curl_headers(TOKEN), timeout=TIMEOUT
            )
            assert answer.status_code == 404 and answer.json()["errors"][0]["rule"] == "S10"
            closed = sum(1 for sock in idle if _closed_by_peer(sock))
            assert closed >= 20
        finally:
            for sock in idle:
                sock.close()


def _closed_by_peer(sock: socket.socket) -> bool:
    sock.settimeout(TIMEOUT)
    try:
        return sock.recv(1) == b""
    except OSError:
        return True


def _mock_process(nofile: tuple[int, int]) -> tuple[subprocess.Popen[str], str]:
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, nofile)

    process = subprocess.Popen(
        [sys.executable, "-m", "kore_contract", "mock", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limit,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line or line.strip().startswith("base URL"):
            break
    return process, line.split()[-1]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file limits")
def test_7_many_idle_sockets_do_not_lock_the_mock_out() -> None:
    process, base_url = _mock_process((128, 128))
    port = int(base_url.rsplit(":", 1)[1])
    idle: list[socket.socket] = []
    try:
        for index in range(300):
            sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
            if index % 2:
                sock.sendall(b"GET /campaign HTTP/1.1\r\n")  # half a head
            idle.append(sock)
        answer = requests.get(
            campaign_url(base_url, "cd-1"), headers=curl_headers(TOKEN), timeout=TIMEOUT
        )
        assert answer.status_code == 404
    finally:
        for sock in idle:
            sock.close()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=TIMEOUT)
    assert len(err) < 4000, err[:4000]
    assert "Traceback" not in err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/limits")
def test_7_soft_file_limit_is_raised_to_the_hard_limit_at_start() -> None:
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    hard = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    process, _ = _mock_process((128, hard))
    try:
        with open(f"/proc/{process.pid}/limits", encoding="ascii") as limits:
            line = next(x for x in limits if x.startswith("Max open files"))
        assert line.split()[3] == str(hard)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=TIMEOUT)


def test_7_repeated_errors_are_logged_once_per_interval_with_a_count() -> None:
    from kore_contract.mock.logs import RateLimitedLog

    lines: list[str] = []
    clock = [100.0]
    log = RateLimitedLog(lines.append, interval=10.0, clock=lambda: clock[0])
    for _ in range(1000):
        log.error("accept", "socket.accept() out of system resource: Too many open files")
    clock[0] += 11
    log.error("accept", "socket.accept() out of system resource: Too many open files")
    assert len(lines) == 2
    assert "999 more" in lines[1] or "repeated 999" in lines[1], lines


# --- item 8: the store is bounded --------------------------------------------------------


def test_8_store_full_by_count_is_refused_409_saying_how_to_free_it() -> None:
    app = make_app(max_campaigns=2)
    first = create(app, BODY).json()["data"]["_id"]
    assert create(app, BODY).status == 201
    refused = create(app, BODY)
    assert refused.status == 409, refused.body
    message = refused.json()["errors"][0]["msg"]
    assert "store is full" in message and "2 campaigns" in message and "delete" in message
    deleted = call(
        app,
        "DELETE",
        campaign_path(first),
        query=f"accountId={ACCOUNT}",
        headers=curl_headers(TOKEN),
    )
    assert deleted.status == 200
    assert create(app, BODY).status == 201


def test_8_store_full_by_bytes_is_refused_409() -> None:
    app = make_app(max_stored_bytes=20_000)
    big = {**SAMPLE, "schedule": {**SAMPLE.get("schedule", {}), "note": "z" * 30_000}}
    refused = create(app, json.dumps(big).encode())
    assert refused.status == 409 and "bytes" in refused.json()["errors"][0]["msg"]
    assert create(app, BODY).status == 201
    assert app.store.count() == 1


def test_8_the_limits_are_printed_by_mock_help(capsys: pytest.CaptureFixture[str]) -> None:
    from kore_contract.cli import main
    from kore_contract.mock import limits

    assert main(["mock", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert f"{limits.MAX_CAMPAIGNS:,} campaigns" in text
    assert f"{limits.MAX_STORED_BYTES // 2**20} MB" in text


def test_8_store_limit_options_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    from kore_contract.cli import main

    assert main(["mock", "--max-store-mb", "0"]) == 2
    assert capsys.readouterr().err == ("kore-contract mock: --max-store-mb=0: must be at least 1\n")


# --- item 9: numbers JSON cannot carry, tokens with absurd times -------------------------


@pytest.mark.parametrize("number", ["1e999", "-1e999", "1" + "0" * 400 + ".0"])
def test_9_a_number_too_large_for_a_float_is_refused_never_answered_as_infinity(
    number: str,
) -> None:
    text = BODY.decode().replace('"schedule": {', '"schedule": {"x": ' + number + ", ", 1)
    assert text != BODY.decode()
    for body in (text, text[:-1] + ', "extra": ' + number + "}"):
        reply = create(make_app(), body.encode())
        assert b"Infinity" not in reply.body and b"NaN" not in reply.body
        assert reply.status == 400, reply.body[:300]
        error = reply.json()["errors"][0]
        assert error["rule"] == "R1" and error["pointer"] in ("/schedule/x", "/extra")


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": -1e300},
        {"exp": 1e300},
        {"nbf": 1e300},
        {"nbf": -1e300},
        {"exp": 10**400},
        {"exp": -(10**400)},
        {"exp": 1e308 * 10},
    ],
    ids=str,
)
def test_9_a_signed_token_with_an_absurd_time_is_refused_401(claims: dict[str, Any]) -> None:
    token = sign_claims({"sub": "x", "appId": DEFAULT_CLIENT_ID, **claims}, DEFAULT_CLIENT_SECRET)
    app = make_app()
    reply = call(
        app, "GET", campaign_path("cd-1"), query=f"accountId={ACCOUNT}", headers=curl_headers(token)
    )
    assert reply.status == 401, reply.body
    assert reply.json()["errors"][0]["rule"] == "A2"
    assert not app.errors
    assert check_token(token, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET) is not None


def test_9_a_token_with_nan_or_infinity_in_its_claims_is_refused() -> None:
    import jwt

    for raw in (
        b'{"sub":"x","appId":"kore-contract-client","exp":NaN}',
        b'{"sub":"x","appId":"kore-contract-client","exp":Infinity}',
    ):
        token = jwt.api_jws.PyJWS().encode(raw, "x" * 32, algorithm="HS256")
        checker = TokenChecker(DEFAULT_CLIENT_ID, "x" * 32)
        refusal = checker.refusal(token)
        assert refusal is not None and refusal.status == 401


# --- item 14: the access log, uvicorn's refusals, head limits ----------------------------


def test_14_access_log_escapes_control_characters() -> None:
    lines: list[str] = []
    with running_mock(log=lines.append) as server:
        requests.get(
            server.base_url + "/%1b[31mred%1b]0;title%07%0d%0aFAKE%20200",
            headers=curl_headers(TOKEN),
            timeout=TIMEOUT,
        )
        requests.get(
            campaign_url(server.base_url, "cd-%C2%9b1"),
            headers=curl_headers(TOKEN),
            timeout=TIMEOUT,
        )
    assert len(lines) == 2
    for line in lines:
        assert not re.search(r"[\x00-\x1f\x7f-\x9f]", line), repr(line)
    assert "\\x1b[31mred" in lines[0] and "\\r\\nFAKE" in lines[0]


def test_14_bad_chunking_is_refused_with_json(mock: MockServer) -> None:
    answer = raw_exchange(
        mock,
        head_lines(create_path() + "?" + CREATE_QUERY, "Transfer-Encoding: chunked")
        + b"zz\r\n{}\r\n0\r\n\r\n",
    )
    status, headers, body = split_answer(answer)
    assert status == 400 and headers["content-type"] == "application/json", answer
    assert json.loads(body)["errors"][0]["code"] == 400


def test_14_garbage_request_line_is_refused_with_json(mock: MockServer) -> None:
    status, headers, body = split_answer(raw_exchange(mock, b"GARBAGE\r\n\r\n"))
    assert status == 400 and headers["content-type"] == "application/json"
    assert "malformed" in json.loads(body)["errors"][0]["msg"]


def test_14_oversized_url_is_refused_414_json(mock: MockServer) -> None:
    target = create_path() + "?" + CREATE_QUERY + "&pad=" + "a" * 100_000
    status, headers, body = split_answer(raw_exchange(mock, head_lines(target)))
    assert status == 414 and headers["content-type"] == "application/json"
    assert json.loads(body)["errors"][0]["code"] == 414


def test_14_too_many_headers_are_refused_431_json(mock: MockServer) -> None:
    extra = [f"x-h{i}: {i}" for i in range(500)]
    status, headers, body = split_answer(
        raw_exchange(mock, head_lines(create_path() + "?" + CREATE_QUERY, *extra))
    )
    assert status == 431 and headers["content-type"] == "application/json"
    assert "headers" in json.loads(body)["errors"][0]["msg"]


def test_14_an_oversized_header_is_refused_431_json(mock: MockServer) -> None:
    status, headers, _ = split_answer(
        raw_exchange(
            mock, head_lines(create_path() + "?" + CREATE_QUERY, "x-big: " + "b" * 200_000)
        )
    )
    assert status == 431 and headers["content-type"] == "application/json"


def test_14_the_mock_still_serves_after_hostile_heads(mock: MockServer) -> None:
    answer = requests.post(
        create_url(mock.base_url), data=BODY, headers=curl_headers(TOKEN), timeout=TIMEOUT
    )
    assert answer.status_code == 201
