"""Benchmark: the mock's list call at 1,000, 10,000 and 100,000 stored campaigns, and its
create throughput against Stoplight Prism, in one run on loopback.

    python tests/benchmarks/bench_mock_family.py [--queries 400] [--seconds 10]
        [--sizes 1000,10000,100000] [--json out.json]

1. List: the mock runs as `kore-contract mock` (its own process). wrk fills one account
   with creates of distinct names and priorities (post_create_varied.lua) up to each size;
   a tenth of them are then started (half of those stopped again) and a twentieth updated,
   so states, priorities, names and update times all vary. Then one client on one
   keep-alive connection sends a seeded mix of list bodies: every sortBy (name, createdAt,
   updatedAt, asc and desc, and two keys), status and priority filters or none, a
   createdAt window on a third of them, limits 10 to 100, skips anywhere in the matches or
   a page. p50 and p99 of the answer time as the client sees it (HTTP included), overall
   and per kind of body; the goal is p99 under 20 ms at 100,000.
2. Create: wrk (2 threads, 32 connections) posts one valid create body to the mock and to
   Prism (`prism` on PATH, else `npx --yes @stoplight/prism-cli`), as
   tests/benchmarks/bench_mock.py does; the goal is at least twice Prism's creates/s.

Needs `wrk` (Debian package); Prism is skipped (and said so) where npx cannot run it. Not
collected by pytest (bench_*.py).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: the mock helpers
sys.path.insert(0, str(HERE))
from bench_mock import Server, free_port, run_wrk  # noqa: E402
from mock_testing import call_url, curl_headers  # noqa: E402

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token  # noqa: E402
from kore_contract.contract import spec  # noqa: E402

LUA = HERE / "post_create_varied.lua"
TOKEN = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
ACCOUNT = "acc-bench-list"
STREAM = "st-bench"
KIND = spec.campaign_type()


def ours(port: int, capacity: int) -> Server:
    return Server(
        "kore-contract mock",
        [
            sys.executable,
            "-m",
            "kore_contract",
            "mock",
            "--port",
            str(port),
            "--quiet",
            "--max-campaigns",
            str(capacity + 1000),
            "--max-store-mb",
            "2048",
        ],
        port,
    )


def prism(port: int) -> Server | None:
    document = str(spec.spec_path())
    if shutil.which("prism"):
        command = ["prism"]
    elif shutil.which("npx"):
        command = ["npx", "--yes", "@stoplight/prism-cli"]
    else:
        return None
    return Server(
        "prism mock",
        [*command, "mock", document, "-p", str(port), "-h", "127.0.0.1", "-v", "silent"],
        port,
    )


def fill(server: Server, target: int, body_file: str) -> float:
    """Creates (by wrk) until the account holds `target` campaigns or a few more; seconds
    taken. wrk's threads stop at their quota, but wrk itself runs its whole duration: so
    rounds of a duration the last round's rate says suffices."""
    started = time.perf_counter()
    rate = 1000.0  # creates per second, until measured
    while (missing := target - stored(server)) > 0:
        threads = 2
        url = call_url(
            server.base_url, "create", stream=STREAM, accountId=ACCOUNT, campaignType=KIND
        )
        env = {
            **os.environ,
            "KORE_BODY_FILE": body_file,
            "KORE_TOKEN": TOKEN,
            "KORE_QUOTA": str(-(-missing // threads)),
            "KORE_ACCOUNT": ACCOUNT,
        }
        seconds = max(1, min(60, round(missing / rate * 1.1)))
        begun = time.perf_counter()
        subprocess.run(
            ["wrk", f"-t{threads}", "-c16", f"-d{seconds}s", "-s", str(LUA), url],
            capture_output=True,
            text=True,
            env=env,
            timeout=seconds + 60,
            check=True,
        )
        rate = max(
            100.0, (missing - max(0, target - stored(server))) / (time.perf_counter() - begun)
        )
    return time.perf_counter() - started


def stored(server: Server) -> int:
    answer = requests.post(
        call_url(server.base_url, "list", stream=STREAM, accountId=ACCOUNT),
        json={"type": KIND, "limit": 1},
        timeout=60,
        headers=curl_headers(TOKEN, account=ACCOUNT),
    )
    answer.raise_for_status()
    return int(answer.json()["data"]["totalResults"])


def vary(server: Server, rng: random.Random, share: float = 0.1) -> None:
    """Start a share of the campaigns still Ready, drawn from pages anywhere (stop every
    fourth again), and update every other one first: states and update times then differ
    from creation's."""
    session = requests.Session()
    headers = curl_headers(TOKEN, account=ACCOUNT)
    total = stored(server)
    ids: list[str] = []
    for _ in range(-(-int(total * share) // 100)):
        answer = session.post(
            call_url(server.base_url, "list", stream=STREAM, accountId=ACCOUNT),
            json={
                "type": KIND,
                "limit": 100,
                "skip": rng.randrange(0, max(1, total - 100)),
                "filters": {"status": ["Ready"]},
            },
            headers=headers,
            timeout=60,
        ).json()["data"]
        ids += [r["id"] for r in answer["results"]]
    body = json.loads(Path(BODY_TEMPLATE).read_text().replace("@PRIORITY@", "3"))
    for index, campaign_id in enumerate(dict.fromkeys(ids)):
        trigger = call_url(
            server.base_url,
            "trigger",
            campaign_id,
            stream=STREAM,
            campaignType=KIND,
            trigger="play",
            accountId=ACCOUNT,
        )
        if index % 2 == 0:
            body["name"] = f"Updated {rng.random():.10f}"
            session.put(
                call_url(
                    server.base_url,
                    "update",
                    campaign_id,
                    stream=STREAM,
                    accountId=ACCOUNT,
                    campaignType=KIND,
                ),
                json=body,
                headers=headers,
                timeout=60,
            )
        session.post(trigger, headers=headers, timeout=60)
        if index % 4 == 1:
            session.post(
                trigger.replace("trigger=play", "trigger=stop"), headers=headers, timeout=60
            )


def list_bodies(
    rng: random.Random, total: int, created: tuple[str, str], count: int
) -> list[tuple[str, dict[str, Any]]]:
    """(kind, body): a seeded mix of list requests."""
    sorts: list[dict[str, str] | None] = [
        None,
        {"name": "asc"},
        {"name": "desc"},
        {"createdAt": "asc"},
        {"createdAt": "desc"},
        {"updatedAt": "asc"},
        {"updatedAt": "desc"},
        {"name": "asc", "createdAt": "desc"},
    ]
    statuses = [None, ["Ready"], ["Active"], ["Ready", "Stopped"]]
    priorities = [None, [5], [1, 2, 3]]
    first, last = (time.mktime(time.strptime(c[:19], "%Y-%m-%dT%H:%M:%S")) for c in created)
    bodies = []
    for _ in range(count):
        body: dict[str, Any] = {"type": KIND, "limit": rng.choice([10, 50, 100])}
        sort = rng.choice(sorts)
        kind = "+".join(sort) if sort else "default order"
        if sort:
            body["sortBy"] = sort
        filters: dict[str, Any] = {}
        if (status := rng.choice(statuses)) is not None:
            filters["status"] = status
        if (priority := rng.choice(priorities)) is not None:
            filters["priority"] = priority
        if filters:
            body["filters"] = filters
            kind += ", filtered"
        if rng.random() < 1 / 3:
            low = rng.uniform(first - 1, last + 1)
            high = rng.uniform(low, last + 2)
            body["startDate"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(low))
            body["endDate"] = time.strftime("%Y-%m-%dT%H:%M:%S.999Z", time.gmtime(high))
            kind += ", window"
        if rng.random() < 0.5:
            body["skip"] = rng.randrange(0, max(1, total))
        else:
            body["page"] = rng.randint(1, 5)
        bodies.append((kind, body))
    return bodies


def measure_lists(server: Server, bodies: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    path = call_url("", "list", stream=STREAM, accountId=ACCOUNT)
    headers = curl_headers(TOKEN, account=ACCOUNT)
    times: dict[str, list[float]] = {}
    every: list[float] = []
    statuses: set[int] = set()
    for kind, body in bodies:
        data = json.dumps(body)
        started = time.perf_counter()
        connection.request("POST", path, data, headers)
        answer = connection.getresponse()
        answer.read()
        elapsed = (time.perf_counter() - started) * 1000
        statuses.add(answer.status)
        times.setdefault(kind.split(",")[0], []).append(elapsed)
        times.setdefault("with a window" if "window" in kind else "no window", []).append(elapsed)
        every.append(elapsed)
    connection.close()
    return {
        "p50_ms": percentile(every, 50),
        "p99_ms": percentile(every, 99),
        "max_ms": round(max(every), 2),
        "queries": len(every),
        "statuses": sorted(statuses),
        "by_kind": {
            k: {"p50_ms": percentile(v, 50), "p99_ms": percentile(v, 99), "n": len(v)}
            for k, v in sorted(times.items())
        },
    }


def percentile(values: list[float], which: int) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return round(ordered[0], 2)
    return round(statistics.quantiles(ordered, n=100, method="inclusive")[which - 1], 2)


def creation_range(server: Server) -> tuple[str, str]:
    def one(direction: str) -> str:
        answer = requests.post(
            call_url(server.base_url, "list", stream=STREAM, accountId=ACCOUNT),
            json={"type": KIND, "limit": 1, "sortBy": {"createdAt": direction}},
            headers=curl_headers(TOKEN, account=ACCOUNT),
            timeout=60,
        )
        return str(answer.json()["data"]["results"][0]["createdAt"])

    return one("asc"), one("desc")


BODY_TEMPLATE = ""


def main(argv: list[str] | None = None) -> int:
    global BODY_TEMPLATE
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queries", type=int, default=400, help="list bodies per size")
    parser.add_argument("--seconds", type=int, default=10, help="wrk seconds per server")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk not on PATH: apt-get install wrk")
        return 2
    sizes = [int(s) for s in args.sizes.split(",")]
    sample = dict(spec.examples("create", "request")["docsSample"])
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        handle.write(json.dumps({**sample, "name": "@NAME@", "priority": "@PRIORITY@"}))
    BODY_TEMPLATE = handle.name
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as plain:
        plain.write(json.dumps(sample))
    report: dict[str, Any] = {"cpus": os.cpu_count(), "list": {}, "create": {}}
    rng = random.Random(12)
    server = ours(free_port(), max(sizes)).start()
    try:
        for size in sizes:
            seconds = fill(server, size, handle.name)
            vary(server, rng)
            held = stored(server)
            bodies = list_bodies(rng, held, creation_range(server), args.queries)
            measure_lists(server, bodies[:20])  # warm the caches of the answers' encoding
            figures = measure_lists(server, bodies)
            figures.update(stored=held, fill_s=round(seconds, 1))
            report["list"][str(size)] = figures
            print(
                f"list at {held:>7,} campaigns: p50 {figures['p50_ms']:6.2f} ms  p99 "
                f"{figures['p99_ms']:6.2f} ms  max {figures['max_ms']:6.2f} ms  "
                f"({figures['queries']} bodies, answers {figures['statuses']}; filled in "
                f"{seconds:.0f} s)",
                flush=True,
            )
    finally:
        server.stop()
    for make in (lambda port: ours(port, 10**6), prism):
        candidate = make(free_port())
        if candidate is None:
            print("prism: neither prism nor npx on PATH; skipped")
            continue
        try:
            candidate.start()
            first = requests.post(
                call_url(
                    candidate.base_url,
                    "create",
                    stream=STREAM,
                    accountId="acc-bench",
                    campaignType=KIND,
                ),
                data=json.dumps(sample),
                headers=curl_headers(TOKEN, account="acc-bench"),
                timeout=30,
            )
            wrk = run_wrk(candidate, plain.name, args.seconds)
            wrk.pop("raw")
            report["create"][candidate.name] = {"first_status": first.status_code, **wrk}
        except (RuntimeError, OSError) as error:
            report["create"][candidate.name] = {"error": str(error)}
        finally:
            candidate.stop()
    os.unlink(handle.name)
    os.unlink(plain.name)
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def print_report(report: dict[str, Any]) -> None:
    print(f"\nloopback, {report['cpus']} CPUs")
    for figures in report["list"].values():
        print(
            f"  list, {figures['stored']:>7,} campaigns: p50 {figures['p50_ms']:6.2f} ms, "
            f"p99 {figures['p99_ms']:6.2f} ms, max {figures['max_ms']:6.2f} ms"
        )
        for kind, numbers in figures["by_kind"].items():
            print(
                f"      {kind:28} p50 {numbers['p50_ms']:6.2f} ms  p99 "
                f"{numbers['p99_ms']:6.2f} ms  ({numbers['n']})"
            )
    rates = {name: entry.get("requests_per_s") for name, entry in report["create"].items()}
    for name, entry in report["create"].items():
        print(
            f"  create, {name:20} {entry.get('requests_per_s') or 0:8.0f}/s  p99 "
            f"{entry.get('p99_ms') or 0:6.2f} ms  first create {entry.get('first_status')}"
            f"  non-2xx {entry.get('non_2xx')}  {entry.get('error', '')}"
        )
    ours_rate, prism_rate = rates.get("kore-contract mock"), rates.get("prism mock")
    if ours_rate and prism_rate:
        print(f"  create ratio: {ours_rate / prism_rate:.1f}x Prism's (goal: at least 2x)")


if __name__ == "__main__":
    sys.exit(main())
