"""Benchmark: the kore-contract mock against Stoplight Prism, in one run on loopback.

    python tests/benchmarks/bench_mock.py [--seconds 10] [--load 5000] [--json out.json]

1. Throughput: wrk (2 threads, 32 connections) posts one valid create body with the
   documentation's curl headers (post_create.lua) to each server: creates/s and p99.
2. Refusals: the same set of invalid bodies (kore_contract.strategies._broken's named examples, plus
   malformed JSON, a wrong content type, bad tokens and a non-ASCII refusal) to each
   server; which each refuses (4xx), accepts (2xx), fails (5xx) or drops.
3. Load (ours only): 32 clients, N generated valid and N invalid creates, then a get of
   every created campaign (mock_load).

Needs `wrk` (Debian package) and `prism` (npm @stoplight/prism-cli) on PATH; a missing
one is reported and skipped. Not collected by pytest (bench_*.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the mock helpers
from mock_testing import create_url, curl_headers

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token, sign_claims
from kore_contract.contract import spec
from kore_contract.contract.fixture import load_fixture
from kore_contract.strategies import _broken as broken

HERE = Path(__file__).resolve().parent
LUA = HERE / "post_create.lua"
TOKEN = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            requests.get(url, timeout=1)
            return time.perf_counter() - started
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError(f"{url} not up after {seconds} s")


class Server:
    def __init__(self, name: str, argv: list[str], port: int) -> None:
        self.name, self.argv, self.port = name, argv, port
        self.base_url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.startup = 0.0
        self.restarts = 0

    def start(self) -> Server:
        self.process = subprocess.Popen(
            self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.startup = wait_until_up(self.base_url + "/", self.process)
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def ours(port: int) -> Server:
    return Server(
        "kore-contract mock",
        [sys.executable, "-m", "kore_contract", "mock", "--port", str(port), "--quiet"],
        port,
    )


def prism(port: int) -> Server:
    document = str(spec.spec_path())
    return Server(
        "prism mock",
        ["prism", "mock", document, "-p", str(port), "-h", "127.0.0.1", "-v", "silent"],
        port,
    )


def run_wrk(server: Server, body_file: str, seconds: int) -> dict[str, Any]:
    url = create_url(server.base_url, account="acc-bench", stream="st-bench")
    env = {**os.environ, "KORE_BODY_FILE": body_file, "KORE_TOKEN": TOKEN}
    completed = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-s", str(LUA), url],
        capture_output=True,
        text=True,
        env=env,
        timeout=seconds + 60,
        check=False,
    )
    text = completed.stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", text)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:.*", text)

    def ms(match: re.Match[str] | None) -> float | None:
        if match is None:
            return None
        return float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match[2]]

    return {
        "requests_per_s": float(rate[1]) if rate else None,
        "p50_ms": ms(p50),
        "p99_ms": ms(p99),
        "non_2xx": int(non2xx[1]) if non2xx else 0,
        "socket_errors": errors[0] if errors else "",
        "raw": text,
    }


def invalid_cases() -> list[tuple[str, bytes, dict[str, str]]]:
    """(name, body, headers): every named broken body, then requests broken elsewhere."""
    fixture = load_fixture()
    headers = curl_headers(TOKEN)
    cases = [(f"{b.rule}:{b.case}", b.to_bytes(), headers) for b in broken.broken_examples(fixture)]
    sample = json.dumps(spec.examples("create", "request")["docsSample"]).encode()
    none = "eyJhbGciOiJub25lIn0.eyJhcHBJZCI6ImtvcmUtY29udHJhY3QtY2xpZW50In0."
    for name, token in (
        ("A2:no-token", None),
        ("A2:not-a-jwt", "abc"),
        ("A2:alg-none", none),
        ("A2:wrong-secret", mint_token(DEFAULT_CLIENT_ID, "wrong-secret-x")),
        ("A2:wrong-appId", mint_token("other-client", DEFAULT_CLIENT_SECRET)),
        (
            "A2:expired",
            mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, ttl=1, now=time.time() - 60),
        ),
        ("A2:missing-appId", sign_claims({"sub": "1"}, DEFAULT_CLIENT_SECRET)),
    ):
        changed = dict(headers)
        if token is None:
            del changed["auth"]
        else:
            changed["auth"] = token
        cases.append((name, sample, changed))
    no_iid = {k: v for k, v in headers.items() if k != "iid"}
    cases.append(("A3:no-iid-header", sample, no_iid))
    cases.append(("A3:text/plain-body", sample, {**headers, "Content-Type": "text/plain"}))
    cases.append(("R1:malformed-json", b'{"name": ', headers))
    body = json.loads(sample)
    body["name"] = "Campaña de facturación " + "x" * 40  # too long, with non-ASCII: last
    cases.append(
        ("R2:non-ascii-name-too-long", json.dumps(body, ensure_ascii=False).encode(), headers)
    )
    return cases


def send_invalid(server: Server, cases: list[tuple[str, bytes, dict[str, str]]]) -> dict[str, str]:
    """Each case's outcome: refused NNN, ACCEPTED NNN, 5xx NNN, dropped, server exited."""
    outcome: dict[str, str] = {}
    for name, body, headers in cases:
        if not server.alive():
            server.restarts += 1
            server.start()
        url = create_url(server.base_url)
        try:
            answer = requests.post(url, data=body, headers=headers, timeout=10)
            status = answer.status_code
            outcome[name] = (
                "refused" if 400 <= status < 500 else "ACCEPTED" if status < 300 else "5xx"
            ) + f" {status}"
        except requests.RequestException:
            time.sleep(0.3)
            outcome[name] = "server exited" if not server.alive() else "dropped (no answer)"
    query_cases = {
        "A3:no-accountId-query": create_url(server.base_url).replace("accountId=", "x="),
        "R6:query-campaignType-voice": create_url(server.base_url, campaign_type="voice"),
    }
    sample = json.dumps(spec.examples("create", "request")["docsSample"]).encode()
    for name, url in query_cases.items():
        if not server.alive():
            server.restarts += 1
            server.start()
        try:
            status = requests.post(
                url, data=sample, headers=curl_headers(TOKEN), timeout=10
            ).status_code
            outcome[name] = (
                "refused" if 400 <= status < 500 else "ACCEPTED" if status < 300 else "5xx"
            ) + f" {status}"
        except requests.RequestException:
            outcome[name] = "server exited" if not server.alive() else "dropped (no answer)"
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument(
        "--load",
        type=int,
        default=5000,
        help="valid and invalid creates each in the load test (0: skip)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    body = json.dumps(spec.examples("create", "request")["docsSample"])
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        handle.write(body)
    report: dict[str, Any] = {"cpus": os.cpu_count()}
    servers = [ours(free_port())]
    if shutil.which("prism"):
        servers.append(prism(free_port()))
    else:
        print("prism not on PATH: npm install -g @stoplight/prism-cli; skipped")
    cases = invalid_cases()
    try:
        for server in servers:
            server.start()
            entry: dict[str, Any] = {"startup_s": round(server.startup, 2)}
            # one valid create first: both must accept it
            first = requests.post(
                create_url(server.base_url, account="acc-bench", stream="st-bench"),
                data=body,
                headers=curl_headers(TOKEN, account="acc-bench"),
                timeout=10,
            )
            entry["valid_create_status"] = first.status_code
            if shutil.which("wrk"):
                entry["wrk"] = run_wrk(server, handle.name, args.seconds)
            else:
                print("wrk not on PATH: apt-get install wrk; skipped")
            if not server.alive():
                server.start()
            entry["invalid"] = send_invalid(server, cases)
            entry["restarts_after_exit"] = server.restarts
            report[server.name] = entry
            server.stop()
        if args.load:
            from mock_load import bodies, run_load

            started = time.perf_counter()
            valid, invalid = bodies(args.load, seed=1)
            generated = time.perf_counter() - started
            server = ours(free_port()).start()
            try:
                result = run_load(server.base_url, valid, invalid, clients=32, token=TOKEN)
            finally:
                server.stop()
            report["load"] = {
                "summary": result.summary(),
                "ok": result.ok,
                "generation_s": round(generated, 1),
            }
    finally:
        for server in servers:
            server.stop()
        os.unlink(handle.name)
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=str) + "\n")
    return 0


def print_report(report: dict[str, Any]) -> None:
    names = [n for n in ("kore-contract mock", "prism mock") if n in report]
    print(f"\nloopback, {report['cpus']} CPUs, wrk -t2 -c32, one valid create body")
    for name in names:
        entry = report[name]
        wrk = entry.get("wrk", {})
        print(
            f"  {name:20} {wrk.get('requests_per_s') or 0:8.0f} creates/s  p50 "
            f"{wrk.get('p50_ms') or 0:6.2f} ms  p99 {wrk.get('p99_ms') or 0:6.2f} ms  "
            f"non-2xx {wrk.get('non_2xx')}  startup {entry['startup_s']} s  "
            f"first create {entry['valid_create_status']}"
        )
    print("\ninvalid requests (same set to each):")
    cases = list(report[names[0]]["invalid"]) if names else []
    for case in cases:
        print(
            f"  {case:48} " + "  ".join(f"{report[n]['invalid'].get(case, '-'):22}" for n in names)
        )
    for name in names:
        outcomes = report[name]["invalid"].values()
        refused = sum(o.startswith("refused") for o in outcomes)
        print(
            f"  {name}: refused {refused}/{len(outcomes)}; accepted "
            f"{sum(o.startswith('ACCEPTED') for o in outcomes)}; 5xx "
            f"{sum(o.startswith('5xx') for o in outcomes)}; dropped "
            f"{sum(o.startswith('dropped') for o in outcomes)}; server exited "
            f"{sum(o.startswith('server exited') for o in outcomes)}"
        )
    if "load" in report:
        print(f"\nload test (ours): {report['load']['summary']}; ok={report['load']['ok']}")


if __name__ == "__main__":
    sys.exit(main())
