"""Benchmark: the added latency and throughput of `kore-contract proxy` against Stoplight
Prism's proxy mode (`prism proxy DOC UPSTREAM`), on the same upstream in the same run.

    python tests/benchmarks/bench_proxy.py [--seconds 5] [--concurrency 1,8,32] [--json FILE]
        [--before DIR] [--rounds N]

The upstream is the embedded mock in its own process (`kore-contract mock --quiet`, store
limits raised so creates never fill it). For each call (a valid create with the
documentation's curl headers; a get of one campaign) and each concurrency level, wrk
(`--latency`) drives three targets in turn: the mock directly, through our proxy (checking
both sides with the bundled fixture and the client secret, one line per exchange to
/dev/null), and through Prism's proxy (request and response validation on, its default).
Added latency = the proxied p50 (p99) minus the direct one at the same concurrency;
cpu/req = each server process's CPU milliseconds per request (from /proc), which stays
meaningful when other work shares the cores.

`--before DIR` adds a column for our proxy run from another copy of the package (DIR holds
`kore_contract/`, e.g. `git archive COMMIT kore_contract | tar -x -C DIR`): a change's
before and after in the same run, under the same load. `--rounds N` runs each target N
times per level, the targets in turns, and shows each figure's median (p99 swings with
whatever else shares the cores).

Our p99 is the garbage collector's to lose: what the proxy keeps for good (the cases, the
campaigns seen, --har-out's entries) is packed in bytes so that full collections, which
hold the event loop, do not walk it (before: 100-400 ms pauses, p99 +120 to +330 ms).
A p99 that grows with the run's length points there first (gc.callbacks show the pauses).

Every server is its own process on this machine's cores, wrk too: the figures are
relative (same machine, same run). Needs `wrk` (Debian package) and Prism (`prism` on
PATH, the npx cache, or `npx --yes @stoplight/prism-cli`); without Prism its column is
left out. Not collected by pytest (bench_*.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the mock helpers
from mock_testing import call_url, create_url, curl_headers

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token
from kore_contract.contract import spec
from kore_contract.contract.fixture import example_fixture_path

HERE = Path(__file__).resolve().parent
POST_LUA = HERE / "post_create.lua"
TOKEN = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
ACCOUNT, IID = "acc-bench", "st-bench"
NPX_PRISM = Path("/root/.npm/_npx/bafec163626a88fa/node_modules/.bin/prism")
GET_LUA = """
wrk.method = "GET"
wrk.headers["auth"] = os.getenv("KORE_TOKEN") or ""
wrk.headers["accountid"] = "acc-bench"
wrk.headers["iid"] = "st-bench"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A server process on a free loopback port (stopped by its own pid)."""

    def __init__(self, name: str, argv: list[str], port: int) -> None:
        self.name, self.argv, self.port = name, argv, port
        self.base_url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str] | None = None, cwd: str | None = None) -> Server:
        self.process = subprocess.Popen(
            self.argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
        )
        started = time.perf_counter()
        while time.perf_counter() - started < 90:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            try:
                requests.get(self.base_url + "/", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} not up after 90 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # no reports wanted: the proxy's would hold every exchange
            self.process.wait()


def cpu_seconds(server: Server) -> float | None:
    """CPU time (user + system) the server's process has used so far (Linux /proc): the
    cost per request it gives holds even when other work shares the cores."""
    if server.process is None:
        return None
    try:
        fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prism_command() -> list[str] | None:
    found = shutil.which("prism")
    if found:
        return [found]
    if NPX_PRISM.exists():
        return [str(NPX_PRISM)]
    if shutil.which("npx"):
        return ["npx", "--yes", "@stoplight/prism-cli"]
    return None


def wrk(url: str, script: Path, connections: int, seconds: int) -> dict[str, Any]:
    env = {**os.environ, "KORE_TOKEN": TOKEN, "KORE_BODY_FILE": str(BODY_FILE)}
    threads = min(2, connections)
    done = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
         "-s", str(script), url],
        capture_output=True, text=True, env=env, timeout=seconds + 60, check=False,
    )  # fmt: skip
    text = done.stdout

    def ms(label: str) -> float | None:
        found = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", text)
        if found is None:
            return None
        return float(found[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found[2]]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    total = re.search(r"(\d+) requests in", text)
    return {
        "rps": float(rate[1]) if rate else None,
        "p50_ms": ms("50%"),
        "p99_ms": ms("99%"),
        "requests": int(total[1]) if total else 0,
        "non_2xx": int(non2xx[1]) if non2xx else 0,
    }


BODY_FILE = Path(tempfile.gettempdir()) / f"bench-proxy-body-{os.getpid()}.json"


def campaign_to_get(base_url: str) -> str:
    answer = requests.post(
        create_url(base_url, account=ACCOUNT, stream="st-bench"),
        data=BODY_FILE.read_bytes(),
        headers=curl_headers(TOKEN, account=ACCOUNT, iid=IID),
        timeout=10,
    )
    answer.raise_for_status()
    campaign_id: str = answer.json()["data"]["_id"]
    return str(call_url("", "get", campaign_id, stream="st-bench", accountId=ACCOUNT))


def measure(
    target: Server, path: str, script: Path, level: int, args: argparse.Namespace
) -> dict[str, Any]:
    """One wrk run against `target`, with the CPU its process spent per request."""
    before = cpu_seconds(target)
    run = wrk(target.base_url + path, script, level, args.seconds)
    after = cpu_seconds(target)
    spent = after - before if after is not None and before is not None else None
    run["cpu_ms_per_request"] = (
        spent * 1000 / run["requests"] if spent is not None and run["requests"] else None
    )
    return run


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the rounds (None where a round lacks it)."""
    merged: dict[str, Any] = {}
    for key in runs[0]:
        values = [run[key] for run in runs]
        merged[key] = None if None in values else statistics.median(values)
    return merged


def fmt(value: float | None, width: int = 7, digits: int = 2) -> str:
    return f"{value:{width}.{digits}f}" if value is not None else " " * (width - 1) + "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=5, help="per target and level")
    parser.add_argument("--concurrency", default="1,8,32", help="connections, comma-separated")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--rounds", type=int, default=1, help="runs per target and level, in turns (medians)"
    )
    parser.add_argument(
        "--before", metavar="DIR", help="also our proxy from DIR/kore_contract (a column)"
    )
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.concurrency.split(",")]
    if not shutil.which("wrk"):
        print("wrk not on PATH: apt-get install wrk")
        return 2
    BODY_FILE.write_text(json.dumps(spec.examples("create", "request")["docsSample"]))
    get_lua = Path(tempfile.gettempdir()) / f"bench-proxy-get-{os.getpid()}.lua"
    get_lua.write_text(GET_LUA)
    report_dir = tempfile.mkdtemp(prefix="bench-proxy-")
    port = free_port()
    upstream = Server(
        "mock",
        [sys.executable, "-m", "kore_contract", "mock", "--port", str(port), "--quiet",
         "--max-campaigns", "100000000", "--max-store-mb", "100000"],
        port,
    )  # fmt: skip
    servers: list[Server] = []
    figures: dict[str, Any] = {"cpus": os.cpu_count(), "seconds": args.seconds}
    figures |= {"rounds": [], "runs": []}
    try:
        upstream.start()
        port = free_port()

        def proxy_argv(port: int) -> list[str]:
            return [
                *[sys.executable, "-m", "kore_contract", "proxy", "--upstream", upstream.base_url],
                *["--port", str(port), "--report-dir", report_dir],
                *["--fixture", str(example_fixture_path()), "--client-id", DEFAULT_CLIENT_ID],
            ]

        ours = Server("kore-contract proxy", proxy_argv(port), port)
        ours.start({"KORE_CLIENT_SECRET": DEFAULT_CLIENT_SECRET})
        servers.append(ours)
        if args.before:
            before_dir = str(Path(args.before).resolve())
            port = free_port()
            older = Server("ours before", proxy_argv(port), port)
            older.start(
                {"KORE_CLIENT_SECRET": DEFAULT_CLIENT_SECRET, "PYTHONPATH": before_dir},
                cwd=before_dir,
            )
            servers.append(older)
        command = prism_command()
        if command is not None:
            port = free_port()
            prism = Server(
                "prism proxy",
                [*command, "proxy", str(spec.spec_path()), upstream.base_url,
                 "-p", str(port), "-h", "127.0.0.1", "-v", "silent"],
                port,
            )  # fmt: skip
            prism.start()
            servers.append(prism)
        else:
            print("prism not found (npm install -g @stoplight/prism-cli): its column is left out")
        targets = [upstream, *servers]
        get_path = campaign_to_get(upstream.base_url)
        calls = {
            "create": (create_url("", account=ACCOUNT, stream="st-bench"), POST_LUA),
            "get": (get_path, get_lua),
        }
        for call, (path, script) in calls.items():
            for level in levels:
                rounds: dict[str, list[dict[str, Any]]] = {t.name: [] for t in targets}
                for _ in range(args.rounds):  # the targets in turns: the same load for each
                    for target in targets:
                        rounds[target.name].append(measure(target, path, script, level, args))
                for name, measured in rounds.items():
                    row = {"call": call, "concurrency": level, "target": name}
                    figures["runs"].append({**row, **median_of(measured)})
                    figures["rounds"] += [{**row, **one} for one in measured]
    finally:
        for server in [*servers, upstream]:
            server.stop()
        BODY_FILE.unlink(missing_ok=True)
        get_lua.unlink(missing_ok=True)
        shutil.rmtree(report_dir, ignore_errors=True)
    print_table(figures["runs"])
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


def print_table(runs: list[dict[str, Any]]) -> None:
    names = list(dict.fromkeys(run["target"] for run in runs))
    proxies = names[1:]
    head = f"{'call':6} {'conc':>4} | {'direct p50/p99 ms':>17} {'rps':>7} {'cpu/req':>7}"
    for name in proxies:
        head += f" | {name + ' +p50/+p99 ms':>30} {'rps':>7} {'cpu/req':>7}"
    print(head)
    print("-" * len(head))
    keys = list(dict.fromkeys((run["call"], run["concurrency"]) for run in runs))
    for call, level in keys:
        row = {r["target"]: r for r in runs if r["call"] == call and r["concurrency"] == level}
        direct = row[names[0]]
        line = (
            f"{call:6} {level:>4} | {fmt(direct['p50_ms'])}/{fmt(direct['p99_ms'])}  "
            f"{fmt(direct['rps'], 7, 0)} {fmt(direct.get('cpu_ms_per_request'), 7)}"
        )
        for name in proxies:
            run = row.get(name, {})
            added = [
                run[k] - direct[k] if run.get(k) is not None and direct.get(k) is not None else None
                for k in ("p50_ms", "p99_ms")
            ]
            errors = f" ({run['non_2xx']} non-2xx)" if run.get("non_2xx") else ""
            line += (
                f" | {fmt(added[0], 13)}/{fmt(added[1], 15)} {fmt(run.get('rps'), 7, 0)}"
                f" {fmt(run.get('cpu_ms_per_request'), 7)}{errors}"
            )
        print(line)


if __name__ == "__main__":
    raise SystemExit(main())
