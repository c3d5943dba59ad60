"""`kore-contract proxy` as a user runs it: a subprocess in front of the embedded mock
(`--upstream mock`), an application's requests through it, then Ctrl-C (SIGINT), SIGTERM
or --duration; the four reports and the HAR; exit codes; the secrets nowhere."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from traffic_testing import App, body

from kore_contract.auth import mint_token
from kore_contract.redaction import encoded_forms

REPORTS = ("results.json", "junit.xml", "report.html", "report.md")
CLIENT_ID = "proxy-test-client"
SECRET = "proxy-test-secret-Zq8vW3"


@dataclass
class Running:
    process: subprocess.Popen[str]
    url: str
    first_line: str

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str, str]:
        self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, self.first_line + out, err


def command_of(*args: str) -> list[str]:
    return [sys.executable, "-m", "kore_contract", *args]


def command(*args: str) -> list[str]:
    return command_of("proxy", *args)


@contextmanager
def proxy_process(*args: str) -> Iterator[Running]:
    """`kore-contract proxy --port 0 ARGS` until its first line names the URL."""
    env = {**os.environ, "KORE_CLIENT_SECRET": SECRET}
    process = subprocess.Popen(
        command("--port", "0", *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=30):
            pytest.fail("the proxy printed nothing within 30 s")
        line = process.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), (
            line + process.stderr.read() if process.stderr else ""
        )
        yield Running(process, line.split()[2], line)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def test_ctrl_c_writes_the_four_reports_and_the_har(tmp_path: Path) -> None:
    token = mint_token(CLIENT_ID, SECRET)
    har = tmp_path / "seen.har"
    with proxy_process(
        "--upstream", "mock", "--client-id", CLIENT_ID,
        "--report-dir", str(tmp_path / "reports"), "--har-out", str(har),
    ) as running:  # fmt: skip
        app = App(running.url, token=token)
        app.clean_session()
        code, out, err = running.stop(signal.SIGINT)
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[1] == "#0000 create 201 ok"
    assert sum(line.startswith("#") for line in lines) == len(app.exchanges)
    for name in REPORTS:
        assert (tmp_path / "reports" / name).is_file(), name
    results = json.loads((tmp_path / "reports" / "results.json").read_text())
    assert results["verdict"] == "pass"
    assert len(results["cases"]) == len(app.exchanges)
    entries = json.loads(har.read_text())["log"]["entries"]
    assert [e["request"]["method"] for e in entries] == [e.method for e in app.exchanges]
    # the HAR replays through the same checks: the same verdicts as the proxy's lines
    replay = subprocess.run(
        command_of("validate", "--traffic", str(har), "--format", "json"),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert replay.returncode == 0, replay.stderr
    replayed = [
        f"#{n:04d} {r['call']} {r['http_status']} {r['verdict']}"
        for n, r in enumerate(json.loads(replay.stdout)["results"])
    ]
    assert replayed == [line for line in lines if line.startswith("#")]


def test_S11_token_and_secret_are_in_no_output_nor_file(tmp_path: Path) -> None:
    token = mint_token(CLIENT_ID, SECRET)
    with proxy_process(
        "--upstream", "mock", "--client-id", CLIENT_ID,
        "--report-dir", str(tmp_path / "reports"), "--har-out", str(tmp_path / "seen.har"),
    ) as running:  # fmt: skip
        app = App(running.url, token=token)
        app.create(body(description=f"see {token}"))  # refused by the mock (S11)
        app.get(app.created_id())
        app.send("GET", running.url + f"/echo?auth={token}&secret={SECRET}")
        app.create(headers={**app.headers, "auth": mint_token(CLIENT_ID, "wrong-secret-x1")})
        code, out, err = running.stop(signal.SIGINT)
    assert code == 1, out + err  # the bad token (A2)
    texts = {"stdout": out, "stderr": err}
    for path in tmp_path.rglob("*"):
        if path.is_file():
            texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    assert len(texts) == 2 + len(REPORTS) + 1
    forbidden = encoded_forms(token) | encoded_forms(SECRET) | {token.rsplit(".", 1)[1]}
    for where, text in texts.items():
        for secret in forbidden:
            assert secret not in text, f"{secret[:12]}... in {where}"


def test_sigterm_writes_the_reports_too(tmp_path: Path) -> None:
    with proxy_process("--upstream", "mock", "--report-dir", str(tmp_path)) as running:
        code, out, err = running.stop(signal.SIGTERM)
    assert code == 0, out + err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(REPORTS)
    assert json.loads((tmp_path / "results.json").read_text())["cases"] == []


def test_S4_fault_behind_the_proxy_exits_1_and_the_report_names_it(tmp_path: Path) -> None:
    with proxy_process(
        "--upstream", "mock", "--fault", "S4-wrong-lname", "--client-id", CLIENT_ID,
        "--report-dir", str(tmp_path), "--duration", "600",
    ) as running:  # fmt: skip
        App(running.url, token=mint_token(CLIENT_ID, SECRET)).create()
        code, out, _ = running.stop()
    assert code == 1
    assert "#0000 create 201 violations S4" in out
    results = json.loads((tmp_path / "results.json").read_text())
    failed = {row["id"] for row in results["rules"] if row["status"] == "failed"}
    assert failed == {"S4"}


def test_duration_ends_the_proxy_by_itself(tmp_path: Path) -> None:
    started = subprocess.run(
        command("--upstream", "mock", "--port", "0", "--duration", "0.5",
                "--report-dir", str(tmp_path)),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("listening on http://127.0.0.1:")
    assert (tmp_path / "results.json").is_file()


def test_a_non_loopback_host_is_served_with_a_warning(tmp_path: Path) -> None:
    started = subprocess.run(
        command("--upstream", "mock", "--host", "0.0.0.0", "--port", "0",
                "--duration", "0.3", "--report-dir", str(tmp_path)),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    assert "warning: listening on 0.0.0.0, not loopback" in started.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "--upstream is required"),
        (("--upstream", "ftp://example.com"), "must be an http:// or https:// URL"),
        (("--upstream", "mock", "--timeout", "0"), "--timeout=0.0: must be positive"),
        (("--upstream", "mock", "--duration", "-1"), "--duration=-1.0: must be positive"),
        (("--upstream", "mock", "--fault", "no-such-fault"), "unknown mock fault"),
        (("--upstream", "http://127.0.0.1:9", "--fault", "S4-wrong-lname"), "mock only"),
        (("--upstream", "mock", "--fixture", "/nonexistent.json"), "nonexistent.json"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        command(*args, "--port", "0", "--report-dir", str(tmp_path)),
        capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if k != "KORE_UPSTREAM"},
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("kore-contract proxy: ")
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "results.json").exists()


def test_a_port_in_use_exits_2(tmp_path: Path) -> None:
    with proxy_process("--upstream", "mock", "--report-dir", str(tmp_path / "a")) as running:
        port = running.url.rsplit(":", 1)[1]
        done = subprocess.run(
            command("--upstream", "mock", "--port", port, "--report-dir", str(tmp_path / "b")),
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        running.stop()
    assert done.returncode == 2
    assert done.stderr.startswith(f"kore-contract proxy: cannot listen on 127.0.0.1:{port}")


def test_help_names_every_option() -> None:
    done = subprocess.run(command("--help"), capture_output=True, text=True, timeout=60)
    for flag in (
        "--upstream", "--host", "--port", "--fixture", "--client-id", "--client-secret",
        "--report-dir", "--enforce", "--har-out", "--duration", "--timeout",
    ):  # fmt: skip
        assert flag in done.stdout


def test_reports_that_cannot_be_written_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the report directory should be")
    done = subprocess.run(
        command("--upstream", "mock", "--port", "0", "--duration", "0.3",
                "--report-dir", str(blocker)),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("kore-contract proxy: ")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("upstream", ["mock", "http://127.0.0.1:9"])
def test_a_long_session_keeps_at_most_MAX_CASES_exchanges_as_cases(upstream: str) -> None:
    """A proxy left running keeps its memory bounded: the reports hold the first MAX_CASES
    exchanges as cases (the rule rows count every one), as `validate --traffic` does."""
    import argparse

    from kore_contract.commands.proxy import _upstream
    from kore_contract.proxy.checker import MAX_CASES
    from kore_contract.redaction import RunSecrets

    args = argparse.Namespace(
        upstream=upstream, fixture=None, client_id=None, client_secret=None, fault=None
    )
    with _upstream(args, RunSecrets()) as (_, checker):
        assert checker.max_cases == MAX_CASES


def test_har_out_in_a_folder_not_made_yet_is_written_with_the_reports(tmp_path: Path) -> None:
    """`--har-out reports/s.har` before reports/ exists: the HAR's folder is made as the
    reports' is (it once failed, exit 2, and the reports were never written)."""
    reports = tmp_path / "reports"
    done = subprocess.run(
        command("--upstream", "mock", "--port", "0", "--duration", "0.3",
                "--report-dir", str(reports), "--har-out", str(reports / "s.har")),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads((reports / "s.har").read_text())["log"]["entries"] == []
    assert (reports / "results.json").is_file()


def test_a_har_that_cannot_be_written_loses_no_report(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the HAR's folder should be")
    done = subprocess.run(
        command("--upstream", "mock", "--port", "0", "--duration", "0.3",
                "--report-dir", str(tmp_path / "reports"), "--har-out", str(blocker / "s.har")),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "--har-out" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "reports" / "results.json").is_file()
