"""A HAR written by mitmproxy: `mitmdump` in reverse mode before the embedded mock, with
`--set hardump=FILE`; an application's session through it; `kore-contract validate
--traffic` on the HAR it writes when it stops.

mitmproxy is not a dependency of the project: mitmproxy 11.0.2 pins h11<=0.14,
cryptography<44.1 and Flask<=3.1.0, which would downgrade h11 0.16 (httpcore, which
httpx needs, requires h11>=0.16) and cryptography 48 in this environment. Install it in
a virtualenv of its own and name its `mitmdump` in KORE_MITMDUMP (or put it on PATH);
without it this test is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from traffic_testing import App, body

from kore_contract.mock.server import running_mock


def mitmdump() -> str:
    found = os.environ.get("KORE_MITMDUMP") or shutil.which("mitmdump")
    if not found:
        pytest.skip(
            "mitmdump not found: install mitmproxy in a virtualenv of its own (its pins "
            "conflict with this project's h11 and cryptography) and set KORE_MITMDUMP"
        )
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"mitmdump exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("mitmdump did not listen within 60 s")


def test_mitmdump_har_of_a_session_is_checked_by_validate_traffic(tmp_path: Path) -> None:
    binary = mitmdump()
    har = tmp_path / "mitm.har"
    port = free_port()
    with running_mock(fault="S4-wrong-lname") as mock:
        process = subprocess.Popen(
            [binary, "--mode", f"reverse:{mock.base_url}", "--listen-host", "127.0.0.1",
             "--listen-port", str(port), "--set", f"hardump={har}", "-q"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            wait_for_port(port, process)
            app = App(f"http://127.0.0.1:{port}")
            campaign_id = app.created_id()
            app.get(campaign_id)
            app.create(body(priority="6"))
            app.delete(campaign_id)
            app.get(campaign_id)
        finally:
            process.send_signal(signal.SIGINT)
            _, errors = process.communicate(timeout=60)
    assert har.is_file(), errors.decode(errors="replace")
    done = subprocess.run(
        [sys.executable, "-m", "kore_contract", "validate", "--traffic", str(har),
         "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    results = json.loads(done.stdout)["results"]
    seen = [(r["call"], r["http_status"], r["verdict"]) for r in results]
    assert seen == [
        ("create", 201, "violations"),  # S4: the mock's fault
        ("get", 200, "violations"),  # the same campaign, as get answers it
        ("create", 400, "violations"),  # R7: the application's own bad request
        ("delete", 200, "violations"),  # delete answers the campaign too
        ("get", 404, "ok"),
    ]
    assert {v["rule"] for v in results[0]["violations"]} == {"S4"}
    assert {v["rule"] for v in results[2]["violations"]} == {"R7"}
