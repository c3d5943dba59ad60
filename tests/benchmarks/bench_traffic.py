"""Benchmark: recorded traffic, `kore-contract validate --traffic` over a large HAR (issue 13).

Not part of the default test run; `python tests/benchmarks/bench_traffic.py [--megabytes N]
[--keep FILE]` records an application's session against the embedded mock (every call, and the
requests a server must refuse: tests/traffic_testing.py's probe session), writes it again and
again into one HAR of about N MB (default 1024: the issue's 1 GB), then measures, each in a
process of its own:

1. reading alone (`proxy.recorded.read_traffic`): MB/s, entries/s, peak RSS;
2. the whole command, `kore-contract validate --traffic FILE --format json` to /dev/null:
   seconds, exchanges/s, peak RSS.

The peak RSS is the point: the file is streamed, never in memory at once. The exchanges
repeat (the same ids again: S2 findings), which costs the checks what real traffic does.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

READER = """
import sys, time
from kore_contract.proxy.recorded import read_traffic
started = time.perf_counter()
count = sum(1 for _ in read_traffic(sys.argv[1]))
print(count, time.perf_counter() - started)
"""


def record() -> list[str]:
    """The entries (JSON text) of one probe session and one clean session."""
    from test_mock_faults import family_fixture
    from traffic_testing import App, har_entry, probe_session

    from kore_contract.mock.server import running_mock

    with running_mock(family_fixture()) as server:
        app = App(server.base_url)
        probe_session(app)
        app.clean_session()
    return [json.dumps(har_entry(exchange)) for exchange in app.exchanges]


def write_large(path: Path, entries: list[str], megabytes: int) -> int:
    count = 0
    limit = megabytes * 1024 * 1024
    with path.open("w", encoding="utf-8") as out:
        out.write('{"log": {"version": "1.2", "creator": {"name": "bench", "version": "1"}, ')
        out.write('"entries": [')
        while out.tell() < limit:
            for entry in entries:
                out.write(("," if count else "") + entry)
                count += 1
        out.write("]}}")
    return count


def measured(argv: list[str]) -> tuple[float, float, str]:
    """Seconds, peak RSS (MB) of the child, its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode not in (0, 1):
        raise SystemExit(f"{argv[:4]} exited {done.returncode}: {done.stderr[-2000:]}")
    return seconds, max(peak, before) / 1024, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=1024)
    parser.add_argument("--keep", metavar="FILE", help="write the HAR here and keep it")
    args = parser.parse_args()
    entries = record()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(args.keep) if args.keep else Path(folder) / "large.har"
        started = time.perf_counter()
        count = write_large(path, entries, args.megabytes)
        size = path.stat().st_size / 1024 / 1024
        print(
            f"HAR: {size:,.0f} MB, {count:,} entries ({len(entries)} recorded, repeated), "
            f"written in {time.perf_counter() - started:.1f} s"
        )
        seconds, peak, output = measured([sys.executable, "-c", READER, str(path)])
        read, inside = output.split()
        print(
            f"read_traffic:        {float(inside):7.1f} s  {size / float(inside):6.1f} MB/s  "
            f"{int(read) / float(inside):9,.0f} entries/s  peak RSS {peak:6.0f} MB"
        )
        command = [
            sys.executable,
            "-m",
            "kore_contract.cli",
            "validate",
            "--traffic",
            str(path),
            "--format",
            "json",
        ]
        seconds, peak, output = measured(command)
        summary = json.loads(output)["summary"]
        print(
            f"validate --traffic:  {seconds:7.1f} s  {size / seconds:6.1f} MB/s  "
            f"{summary['exchanges'] / seconds:9,.0f} exchanges/s  peak RSS {peak:6.0f} MB  "
            f"({summary['invalid']:,} with violations)"
        )


if __name__ == "__main__":
    main()
