"""Benchmark: the worst create bodies within the mock's size limit (issue 10, item 6).

    python tests/benchmarks/bench_mock_worst.py [--repeat 3] [--json out.json]

Each body is posted to a fresh `kore-contract mock` process (so its memory is its own)
`--repeat` times; meanwhile a second client sends GETs on its own connection, one after
the other. Reported per body: the answer's status and size, the time to the answer (the
slowest of the repeats), the mock's extra memory (peak RSS after the posts minus RSS
before them, from /proc: Linux only) and the slowest GET that overlapped a post.
Goal: every body answered in under 100 ms with under 50 MB of extra memory, and GETs not
held up meanwhile. Not collected by pytest (bench_*.py).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the mock helpers
from mock_testing import campaign_url, create_url, curl_headers

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token
from kore_contract.contract import spec
from kore_contract.mock.limits import MAX_BODY_BYTES

TOKEN = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
HEADERS = curl_headers(TOKEN)
SAMPLE: dict[str, Any] = spec.examples("create", "request")["docsSample"]
LIMIT = MAX_BODY_BYTES - 64  # room for the closing brackets


def fill(head: bytes, item: bytes, tail: bytes, separator: bytes = b",") -> bytes:
    """head + item, item, ... + tail, as many items as fit in the body limit."""
    count = (LIMIT - len(head) - len(tail)) // (len(item) + len(separator))
    return head + separator.join([item] * count) + tail


def numbered(head: bytes, pattern: str, tail: bytes) -> bytes:
    """Like `fill`, with distinct items (pattern formatted with the item's index)."""
    parts: list[bytes] = []
    size = len(head) + len(tail)
    index = 0
    while True:
        item = pattern.format(index).encode()
        if size + len(item) + 1 > LIMIT:
            break
        parts.append(item)
        size += len(item) + 1
        index += 1
    return head + b",".join(parts) + tail


def with_member(name: str, value: bytes) -> bytes:
    """The documentation's valid sample with one more top-level member."""
    text = json.dumps(SAMPLE)[:-1] + f', "{name}": '
    return text.encode() + value + b"}"


def worst_bodies() -> dict[str, bytes]:
    block = {"day": "Monday", "from": "09:00 AM", "to": "05:00 PM"}
    hours = SAMPLE["dialingStrategy"]["callingHours"]
    day_head = json.dumps(
        {
            **SAMPLE,
            "dialingStrategy": {**SAMPLE["dialingStrategy"], "callingHours": {**hours, "days": []}},
        }
    ).encode()
    cut = day_head.index(b'"days": [') + len(b'"days": [')
    valid_echo = json.dumps(
        {**SAMPLE, "schedule": {**SAMPLE.get("schedule", {}), "note": "z" * (LIMIT - 4096)}}
    ).encode()
    return {
        "contactLists [0, 0, ...]": fill(b'{"contactLists":[', b"0", b"]}"),
        "days [{}, {}, ...]": fill(b'{"dialingStrategy":{"callingHours":{"days":[', b"{}", b"]}}}"),
        "days: overlapping blocks (R14)": fill(
            day_head[:cut], json.dumps(block).encode(), day_head[cut:]
        ),
        "contactLists: distinct unknown names (R4)": numbered(
            b'{"contactLists":[', '"list-{}"', b"]}"
        ),
        "10,000s of extra members (R16)": numbered(
            with_member("x", b"0")[:-1] + b",", '"k{}":0', b"}"
        ),
        "duplicated keys": fill(b"{", b'"a":1', b"}"),
        "[1e999, 1e999, ...]": fill(b'{"contactLists":[', b"1e999", b"]}"),
        "escaped strings (no fast parse)": with_member(
            "note", b'"' + b"\\u00e9" * ((LIMIT - 4096) // 6) + b'"'
        ),
        "one long name (R2)": b'{"name":"' + b"n" * (LIMIT - 16) + b'"}',
        "valid, 1 MB extra property (stored, echoed)": valid_echo,
        "nested arrays": b"[" * (LIMIT // 2) + b"]" * (LIMIT // 2),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


class Mock:
    def __init__(self) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kore_contract", "mock", "--port", str(self.port), "--quiet"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.base_url + "/", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("the mock did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def concurrent_gets(
    base_url: str, stop: threading.Event, record: Callable[[float, float], None]
) -> None:
    """GETs one after the other on one keep-alive connection until `stop`."""
    with requests.Session() as session:
        url = campaign_url(base_url, "cd-none")
        while not stop.is_set():
            started = time.perf_counter()
            session.get(url, headers=HEADERS, timeout=60)
            record(started, time.perf_counter())


def measure(name: str, body: bytes, repeat: int) -> dict[str, Any]:
    mock = Mock()
    try:
        with requests.Session() as session:  # warm: the first create, the first GET
            session.post(create_url(mock.base_url), json=SAMPLE, headers=HEADERS, timeout=60)
        before = memory_kb(mock.process.pid, "VmRSS")
        gets: list[tuple[float, float]] = []
        stop = threading.Event()
        getter = threading.Thread(
            target=concurrent_gets, args=(mock.base_url, stop, lambda a, b: gets.append((a, b)))
        )
        getter.start()
        posts: list[tuple[float, float]] = []
        answer = None
        try:
            with requests.Session() as session:
                for _ in range(repeat):
                    started = time.perf_counter()
                    answer = session.post(
                        create_url(mock.base_url), data=body, headers=HEADERS, timeout=120
                    )
                    posts.append((started, time.perf_counter()))
        finally:
            stop.set()
            getter.join()
        peak = memory_kb(mock.process.pid, "VmHWM")
    finally:
        mock.stop()
    assert answer is not None
    overlapping = [
        end - start
        for start, end in gets
        if any(start < post_end and end > post_start for post_start, post_end in posts)
    ]
    return {
        "body": name,
        "bytes": len(body),
        "status": answer.status_code,
        "answer_bytes": len(answer.content),
        "answer_ms": round(max(end - start for start, end in posts) * 1000, 1),
        "extra_rss_mb": round(max(0, peak - before) / 1024, 1),
        "gets_during": len(overlapping),
        "slowest_get_ms": round(max(overlapping, default=0.0) * 1000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", metavar="TEXT", help="only bodies whose name holds TEXT")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if not Path("/proc/self/status").exists():
        print("needs /proc (Linux) for the memory figures")
        return 2
    rows = [
        measure(name, body, args.repeat)
        for name, body in worst_bodies().items()
        if args.only is None or args.only in name
    ]
    print(
        f"\n{'body':46} {'status':>6} {'answer':>9} {'time':>9} {'extra RSS':>10} "
        f"{'slowest GET meanwhile':>22}"
    )
    for row in rows:
        print(
            f"{row['body']:46} {row['status']:>6} {row['answer_bytes']:>9,} "
            f"{row['answer_ms']:>7} ms {row['extra_rss_mb']:>7} MB "
            f"{row['slowest_get_ms']:>10} ms ({row['gets_during']} GETs)"
        )
    slow = [r["body"] for r in rows if r["answer_ms"] >= 100 or r["extra_rss_mb"] >= 50]
    print(f"\ngoal (< 100 ms, < 50 MB): {'met' if not slow else 'missed by ' + ', '.join(slow)}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
