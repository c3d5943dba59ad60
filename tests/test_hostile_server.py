"""The contract client against a hostile server (issue 10, items 10 and 13).

Each server here runs on 127.0.0.1 and misbehaves in one way: an answer too large to hold,
an endless stream, one byte at a time, silence after the probe, cookies, ids that would
change the path, JSON nested 100,000 deep. The client must bound each (size, deadline,
consecutive failures), keep no cookie, keep its paths, and the run must end with reports.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hostile_servers import Handler, serving, url_of

from kore_contract.cli import run as cli_run
from kore_contract.run.client import KoreClient, ServerStoppedAnswering, Target

STREAM = "st"
CAMPAIGNS = f"/campaign/api/v2/public/{STREAM}/campaign"
SENT_LIMIT = 64 * 1024 * 1024  # no test server sends more than this, whatever happens


def run_line(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_run(args, out, err)
    return code, out.getvalue(), err.getvalue()


def client_for(url: str, **options: Any) -> KoreClient:
    return KoreClient(Target(url, STREAM, "acc", "app", "token-for-tests"), **options)


def write_until_hung_up(handler: Handler, chunk: bytes, *, chunked: bool) -> None:
    """Send `chunk` again and again until the client hangs up (or SENT_LIMIT is reached)."""
    sent = 0
    try:
        while sent < SENT_LIMIT and not handler.server.stopping.is_set():
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            sent += len(chunk)
    except OSError:
        pass
    finally:
        handler.server.seen[-1]["sent"] = sent
        handler.close_connection = True


def huge_or_endless(handler: Handler) -> None:
    if handler.path.startswith(f"{CAMPAIGNS}/small"):
        handler.answer(404, {"errors": [{"msg": "not found"}]})
        return
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    endless = "endless" in handler.path
    if endless:
        handler.send_header("Transfer-Encoding", "chunked")
    else:
        handler.send_header("Content-Length", str(200 * 1024 * 1024))
    handler.end_headers()
    write_until_hung_up(handler, b" " * 65536, chunked=endless)


@pytest.mark.parametrize("kind", ["declared-200MB", "endless"])
def test_response_larger_than_the_cap_is_an_error_and_the_run_goes_on(kind: str) -> None:
    with serving(huge_or_endless) as server:
        client = client_for(url_of(server), max_response_bytes=1024 * 1024)
        big = client.get(kind)
        after = client.get("small")
        sent = server.seen[0].get("sent", 0)
    assert big.error == "response larger than 1048576 bytes"
    assert big.status == 200 and big.response_text == ""
    assert after.status == 404 and after.error is None  # the run goes on
    assert sent < SENT_LIMIT  # the client hung up; the server did not send all it wanted


def test_default_response_cap_is_8_mb() -> None:
    with serving(huge_or_endless) as server:
        client = client_for(url_of(server))
        assert client.get("endless").error == "response larger than 8388608 bytes"


def trickle(handler: Handler) -> None:
    """One byte every 0.5 s: of the status line and headers, or of the body."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    slow_head = "head" in handler.path
    sent = 0
    try:
        if not slow_head:
            handler.wfile.write(head)
        for byte in head if slow_head else b" " * 1000:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            sent += 1
            if handler.server.stopping.wait(0.5):
                break
    except OSError:
        pass
    handler.server.seen[-1]["sent"] = sent
    handler.close_connection = True


@pytest.mark.parametrize("where", ["head", "body"])
def test_a_trickling_answer_is_cut_at_the_call_deadline(where: str) -> None:
    with serving(trickle) as server:
        client = client_for(url_of(server), timeout=1.2)
        exchange = client.send("GET", f"{CAMPAIGNS}/{where}")
        deadline_hit = time.monotonic()
        while "sent" not in server.seen[0] and time.monotonic() - deadline_hit < 5:
            time.sleep(0.05)  # the server notices the hang-up at its next byte
        sent = server.seen[0].get("sent")
    assert exchange.status is None
    assert exchange.error == "no complete answer within 1.2 s (--timeout)"
    assert sent is not None and sent < 20  # per-read timeouts alone would have waited for all


def silent_after_probe(handler: Handler) -> None:
    """Answer the probe (a GET); then never answer again."""
    if handler.command == "GET" and "kore-contract-probe" in handler.path:
        handler.answer(404, {"errors": [{"msg": "no such campaign"}]})
        return
    handler.server.stopping.wait(30)
    handler.close_connection = True


def test_a_server_that_stops_answering_stops_the_run_with_exit_2(tmp_path: Path) -> None:
    with serving(silent_after_probe) as server:
        code, out, err = run_line(
            [
                "test",
                "--base-url",
                url_of(server),
                "--token",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
                "--report-dir",
                str(tmp_path),
                "--timeout",
                "0.3",
                "--no-fuzz",
                "--max-examples",
                "1",
            ]
        )
        unanswered = len(server.seen) - 1
    assert code == 2, out + err
    assert "stopped answering: 5 requests in a row got no answer" in err
    assert "Traceback" not in err
    assert 5 <= unanswered <= 6  # five in a row, then at most one cleanup attempt
    results = json.loads((tmp_path / "results.json").read_text("utf-8"))
    assert results["verdict"] == "error" and "stopped answering" in results["error"]
    assert {"report.html", "report.md", "junit.xml"} <= {p.name for p in tmp_path.iterdir()}


def test_consecutive_failures_raise_after_the_limit() -> None:
    with serving(silent_after_probe) as server:
        client = client_for(url_of(server), timeout=0.2, max_failures=3)
        first = client.send("POST", CAMPAIGNS)
        with pytest.raises(ServerStoppedAnswering, match="3 requests in a row"):
            client.get("x")  # two tries fail: three in a row
    assert first.error == "no complete answer within 0.2 s (--timeout)"


def sets_cookies(handler: Handler) -> None:
    handler.answer(404, {"errors": []}, headers={"Set-Cookie": "sid=kept; Path=/"})


def test_cookies_a_server_sets_are_never_sent_back() -> None:
    with serving(sets_cookies) as server:
        client = client_for(url_of(server))
        for _ in range(3):
            assert client.get("x").response_headers["set-cookie"].startswith("sid=")
        cookies = [seen["headers"].get("Cookie") for seen in server.seen]
    assert cookies == [None, None, None]
    assert len(client.session.cookies) == 0


HOSTILE_IDS = {
    "../../x": "..%2F..%2Fx",
    "a/b?c": "a%2Fb%3Fc",
    "x#y": "x%23y",
    "a b": "a%20b",
    "%2F": "%252F",
    "\ud800": "%3F",
}


@pytest.mark.parametrize("hostile", sorted(HOSTILE_IDS))
def test_hostile_campaign_ids_do_not_change_the_path(hostile: str) -> None:
    def creates_with_hostile_id(handler: Handler) -> None:
        if handler.command == "POST":
            handler.answer(201, {"status": "success", "data": {"_id": hostile}})
        else:
            handler.answer(404, {"errors": []})

    with serving(creates_with_hostile_id) as server:
        client = client_for(url_of(server))
        created = client.create({"name": "x"})
        client.get(hostile)
        client.delete(hostile)
        paths = [seen["path"].split("?")[0] for seen in server.seen]
    assert created.status == 201
    assert paths[0] == CAMPAIGNS
    assert len(paths) > 2 and set(paths[1:]) == {f"{CAMPAIGNS}/{HOSTILE_IDS[hostile]}"}


@pytest.mark.parametrize("dots", [".", ".."])
def test_a_dot_segment_id_is_not_sent(dots: str) -> None:
    """ "%2E%2E" is decoded back to ".." by requests, and ".." resolves to another path."""
    with serving(lambda handler: handler.answer(404, {"errors": []})) as server:
        client = client_for(url_of(server))
        got, deleted = client.get(dots), client.delete(dots)
        assert server.seen == []
    assert got.status is None and deleted.status is None
    assert got.error is not None and "'..' segment" in got.error
    assert client.failures_in_a_row == 0


DEEP = "[" * 100_000 + "]" * 100_000


def deep_json(handler: Handler) -> None:
    status = 201 if handler.command == "POST" else 404
    handler.answer(status, DEEP)


def test_deeply_nested_answers_are_findings_not_a_crash(tmp_path: Path) -> None:
    with serving(deep_json) as server:
        code, out, err = run_line(
            [
                "test",
                "--base-url",
                url_of(server),
                "--token",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
                "--report-dir",
                str(tmp_path),
                "--no-fuzz",
                "--max-examples",
                "1",
            ]
        )
    assert code == 1, out + err
    assert "Traceback" not in out + err
    results = json.loads((tmp_path / "results.json").read_text("utf-8"))
    findings = {(f["rule"], f["message"]) for case in results["cases"] for f in case["findings"]}
    deep = "not parseable JSON (nested deeper than 100 levels)"
    assert ("S1", f"answered a body that is {deep}; expected a JSON object") in findings
    assert any(rule == "S9" and deep in message for rule, message in findings), findings
