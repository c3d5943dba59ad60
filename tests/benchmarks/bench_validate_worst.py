"""Benchmark: the worst payloads for `validate` at the size limits (issue 10, item 6).

Not part of the default test run; `python tests/benchmarks/bench_validate_worst.py` prints
three tables, every row measured in the same run:

1. In process, at the mock's body limit (`kore_contract.mock.app.MAX_BODY_BYTES`, 1 MB):
   what the mock does with a body (`parse_json`, then `validate_request` with the fixture),
   each case in a fresh process. Columns: best time of `--repeat` runs; peak memory that
   tracemalloc sees in `validate_request` past the parsed payload; the process's peak RSS
   during the parse and check over its RSS before (the payload's own objects included);
   violations and warnings listed, and found beyond them (`>=`: the search stopped there).
   Goal: under 100 ms and 50 MB.
2. and 3. Whole processes on the same bodies written as files, at 1 MB and at the file
   limit (`contract.loader.MAX_BYTES`, 10 MB): `kore-contract validate FILE --format json`
   beside `check-jsonschema --schemafile` (the equivalent schema of bench_validate.py),
   wall time and peak RSS of each, and their ratio. A tool is stopped at `--timeout`
   seconds or `--memory` MB (shown as `>`).

The machine may be shared and noisy: read the ratios and the orders of magnitude.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "payloads" / "valid" / "docs-sample-corrected.json"
BLOCK = {"day": "MO", "start": "9:00 AM", "end": "5:00 PM"}


def _sample() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(SAMPLE.read_text())
    return body


def _repeat_to(size: int, head: bytes, item: bytes, tail: bytes) -> bytes:
    """`head item,item,...,item tail`, as many items as fit in `size` bytes."""
    count = max(1, (size - len(head) - len(tail) + 1) // (len(item) + 1))
    return head + b",".join([item] * count) + tail


def _in_sample(size: int, place: str, item: bytes, last: bytes = b"") -> bytes:
    """The corrected sample with the list at `place` (contactLists or days) filled to `size`
    with `item`, and `last` after them."""
    marker = b'"@@"'
    body = _sample()
    if place == "days":
        body["dialingStrategy"]["callingHours"]["days"] = "@@"
    else:
        body[place] = "@@"
    head, tail = json.dumps(body).encode().split(marker)
    return _repeat_to(size - len(last), head + b"[", item, last + b"]" + tail)


def _extra_keys(size: int, duplicated: bool) -> bytes:
    head = json.dumps(_sample()).encode()[:-1] + b", "
    count = size // 16
    if duplicated:
        items = (b'"k%d": 1, "k%d": 2' % (i, i) for i in range(size // 20))
    else:
        items = (b'"x%d": %d' % (i, i) for i in range(count))
    return (head + b", ".join(items))[: size - 1].rsplit(b",", 1)[0] + b"}"


def _deep(size: int) -> bytes:
    """Legal nesting as deep as the parsers take (900 levels), over and over."""
    one = b'{"a": ' * 900 + b"1" + b"}" * 900
    head = json.dumps(_sample()).encode()[:-1] + b', "deep": ['
    return _repeat_to(size, head, one, b"]}")


def _long_message(size: int) -> bytes:
    body = _sample()
    body["message"]["message"] = base64.b64encode(b"x" * (size * 3 // 4 - 1000)).decode()
    return json.dumps(body).encode()


def _long_name(size: int) -> bytes:
    body = _sample()
    body["name"] = "\u00e9" * (size // 2 - 1000)
    return json.dumps(body, ensure_ascii=False).encode()


#: name -> (builder of a body of about `size` bytes, --strict)
CASES: dict[str, tuple[Callable[[int], bytes], bool]] = {
    "contactLists: [0, 0, ...]": (
        lambda n: _repeat_to(n, b'{"contactLists":[', b"0", b"]}"),
        False,
    ),
    "days: [{}, {}, ...]": (
        lambda n: _repeat_to(n, b'{"dialingStrategy":{"callingHours":{"days":[', b"{}", b"]}}}"),
        False,
    ),
    "days: [0, 0, ...] in the sample": (lambda n: _in_sample(n, "days", b"0"), False),
    "days: equal blocks (valid, R14 overlaps)": (
        lambda n: _in_sample(n, "days", json.dumps(BLOCK).encode()),
        True,
    ),
    "contactLists: unknown names (R4)": (
        lambda n: _in_sample(n, "contactLists", b'"no such list"'),
        False,
    ),
    "contactLists: known names, the last one 0": (
        lambda n: _in_sample(n, "contactLists", b'"Billing customers"', last=b",0"),
        False,
    ),
    "undocumented keys (--strict)": (lambda n: _extra_keys(n, False), True),
    "duplicated keys (R1)": (lambda n: _extra_keys(n, True), False),
    "legal nesting 900 deep, repeated": (_deep, True),
    "message: base64 of the whole size": (_long_message, False),
    "name: one long string": (_long_name, False),
}


# --- one case, in a fresh process ------------------------------------------------------


def _memory_kb(field: str) -> int:
    """VmRSS (in use now) or VmHWM (the peak since `_reset_peak`) of this process, in KB."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1])


def _reset_peak() -> None:
    """Set the peak RSS (VmHWM) to the RSS now (Linux 4.0 and later)."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


def child(case: str, body_file: str, repeat: int) -> dict[str, Any]:
    """What the mock does with one body: parse it, check it with the fixture."""
    from kore_contract.contract.fixture import load_fixture
    from kore_contract.contract.loader import Parsed, parse_json
    from kore_contract.validate import validate_request, validate_text
    from kore_contract.validate.engine import warm_up

    strict = CASES[case][1]
    body = Path(body_file).read_bytes()
    fixture = load_fixture()
    warm_up("request")
    validate_text(json.dumps(_sample()).encode(), fixture=fixture, strict=strict)  # imports
    _reset_peak()
    before = _memory_kb("VmRSS")
    result = validate_text(body, fixture=fixture, strict=strict)
    grown = _memory_kb("VmHWM") - before
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        validate_text(body, fixture=fixture, strict=strict)
        times.append(time.perf_counter() - start)
    parsed = parse_json(body)
    assert isinstance(parsed, Parsed), parsed
    tracemalloc.start()
    validate_request(
        parsed.payload, fixture=fixture, strict=strict, duplicate_keys=parsed.duplicate_keys
    )
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert not isinstance(result, Parsed)
    return {
        "bytes": len(body),
        "ms": min(times) * 1000,
        "traced_mb": peak / 2**20,
        "rss_mb": grown / 1024,
        "listed": len(getattr(result, "violations", [])) + len(getattr(result, "warnings", [])),
        "more": getattr(result, "more_violations", 0) + getattr(result, "more_warnings", 0),
        "exact": getattr(result, "more_exact", True),
    }


def in_process(case: str, size: int, repeat: int, folder: Path) -> dict[str, Any]:
    body = folder / "in-process.json"
    body.write_bytes(CASES[case][0](size))
    done = subprocess.run(
        [sys.executable, __file__, "--child", case, "--body", str(body), "--repeat", str(repeat)],
        capture_output=True,
        check=True,
        text=True,
    )
    measured: dict[str, Any] = json.loads(done.stdout)
    return measured


# --- whole processes --------------------------------------------------------------------


def whole_process(command: list[str], timeout: float, memory_mb: int) -> tuple[float, float, bool]:
    """(wall seconds, peak RSS in MB, stopped): the command run once, stopped past
    `timeout` seconds or `memory_mb` of address space."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))

    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=limit
    )
    stopped = False
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - start > timeout:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
            stopped = True
            break
        time.sleep(0.005)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # a crash, most likely out of memory
        stopped = True
    return elapsed, usage.ru_maxrss / 1024, stopped


def _shown(value: float, stopped: bool, unit: str) -> str:
    return f"{'>' if stopped else ''}{value:,.0f} {unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs in process; best counts")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per whole process")
    parser.add_argument("--memory", type=int, default=4096, help="MB of address space per tool")
    parser.add_argument("--cases", nargs="*", default=list(CASES), help="case names (default all)")
    parser.add_argument("--no-files", action="store_true", help="skip the whole-process table")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--body", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.body, args.repeat)))
        return 0

    from kore_contract.mock.app import MAX_BODY_BYTES

    sys.path.insert(0, str(HERE))
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="kore-bench-worst-") as tmp:
        print(f"\n1. in process, {MAX_BODY_BYTES:,} bytes (the mock's body limit): parse + check")
        print(f"{'':42} {'time':>9} {'traced':>9} {'RSS +':>9} {'listed':>7} {'more':>10}")
        for case in args.cases:
            m = in_process(case, MAX_BODY_BYTES, args.repeat, Path(tmp))
            more = f"{'>=' if not m['exact'] else ''}{m['more']:,}"
            print(
                f"{case:42} {m['ms']:6.1f} ms {m['traced_mb']:6.1f} MB {m['rss_mb']:6.1f} MB "
                f"{m['listed']:7} {more:>10}"
            )
        if not args.no_files:
            files(args, Path(tmp))
    return 0


def files(args: argparse.Namespace, tmp: Path) -> None:
    """Table 2: both tools, whole processes, on the bodies written as files."""
    from bench_validate import equivalent_schema

    from kore_contract.contract.loader import MAX_BYTES
    from kore_contract.mock.app import MAX_BODY_BYTES

    kore = shutil.which("kore-contract") or "kore-contract"
    checker = shutil.which("check-jsonschema")
    schema_file = tmp / "equivalent-schema.json"
    schema_file.write_text(json.dumps(equivalent_schema()))
    for number, size in enumerate((MAX_BODY_BYTES, MAX_BYTES - 1024), start=2):
        print(
            f"\n{number}. whole process, files of {size / 2**20:.0f} MB (one run each; stopped at "
            f"{args.timeout:.0f} s or {args.memory:,} MB)"
        )
        print(f"{'':42} {'kore-contract':>22} {'check-jsonschema':>22} {'time ratio':>11}")
        for case in args.cases:
            build, strict = CASES[case]
            path = tmp / "body.json"
            path.write_bytes(build(size))
            command = [kore, "validate", str(path), "--format", "json"]
            mine = whole_process(command + ["--strict"] * strict, args.timeout, args.memory)
            row = f"{case:42} {_shown(mine[0] * 1000, mine[2], 'ms'):>11}"
            row += f" {_shown(mine[1], mine[2], 'MB'):>10}"
            if checker:
                theirs = whole_process(
                    [checker, "--schemafile", str(schema_file), str(path)],
                    args.timeout,
                    args.memory,
                )
                row += f" {_shown(theirs[0] * 1000, theirs[2], 'ms'):>11}"
                row += f" {_shown(theirs[1], theirs[2], 'MB'):>10}"
                row += f" {'>' if theirs[2] else ''}{theirs[0] / mine[0]:9.1f}x"
            print(row, flush=True)


if __name__ == "__main__":
    sys.exit(main())
