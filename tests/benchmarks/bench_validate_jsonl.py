"""Benchmark: `kore-contract validate --jsonl` beside check-jsonschema on the same bodies.

Not part of the default test run; `python tests/benchmarks/bench_validate_jsonl.py [--lines N]
[--worst-lines N] [--repeat R]` prints two tables, every row measured in the same run:

1. Realistic: `--lines` (default 100,000) create bodies of 1 to 2 KB, about 20% breaking
   one rule (bench_validate.py's `generate`), one a line in a JSON Lines file:
   `kore-contract validate --jsonl FILE --format json` (whole process, every check, to
   /dev/null) beside `check-jsonschema --schemafile` (bench_validate.py's equivalent schema)
   on the first `--files` (default 20,000: a command line holds no more) of the same bodies
   written as files, one file each, the two run in turns. Bodies per second and the ratio.
2. Worst case: every line invalid with many violations (past the per-body cap of
   MAX_VIOLATIONS): `--worst-lines` lines (default 100,000) through `validate --jsonl`, and
   check-jsonschema on the first `--worst-files` of them as files; one run each (minutes).

Goal (issue 13): at least 50,000 lines/s on this machine's cores. The machine may be shared
and noisy: read the ratios, and the best of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_validate  # the sibling benchmark: same bodies, same schema

SAMPLE = Path(__file__).resolve().parents[1] / "payloads" / "valid" / "docs-sample-corrected.json"


def realistic_lines(folder: Path, count: int) -> list[bytes]:
    """bench_validate's bodies, each as one compact line."""
    paths = bench_validate.generate(folder, count)
    lines = [json.dumps(json.loads(path.read_bytes()), ensure_ascii=False) for path in paths]
    for path in paths:
        path.unlink()
    return [line.encode() for line in lines]


def worst_line(rng: random.Random, index: int) -> bytes:
    """A body of about 2 KB breaking every field it has, with more violations than the cap
    (MAX_VIOLATIONS): wrong values at the top, 20 contact lists that are numbers, 30 broken
    day blocks. Each line its own (`index`): no answer is remembered from another line."""
    body: dict[str, Any] = json.loads(SAMPLE.read_text())
    body["name"] = index
    body["priority"] = 9
    body["campaignType"] = "voice"
    body["contactLists"] = [rng.randint(0, 9) for _ in range(20)]
    body["dialingStrategy"]["callingHours"]["days"] = [
        {"day": "XX", "start": "25:00", "end": ""} for _ in range(30)
    ]
    return json.dumps(body, separators=(",", ":")).encode()


def write_lines(path: Path, lines: list[bytes]) -> None:
    with path.open("wb") as handle:
        for line in lines:
            handle.write(line + b"\n")


def write_files(folder: Path, lines: list[bytes]) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, line in enumerate(lines):
        path = folder / f"body-{index:06d}.json"
        path.write_bytes(line)
        paths.append(str(path))
    return paths


def tool(name: str) -> str | None:
    """The tool's own script beside this Python (not a version manager's shim, which costs
    a shell and a lookup per run), else the one on PATH."""
    own = Path(sys.executable).parent / name
    return str(own) if own.exists() else shutil.which(name)


@contextlib.contextmanager
def measured(times: list[tuple[float, float]]) -> Iterator[None]:
    """Append (wall seconds, CPU seconds of the child processes) of what runs inside."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    yield
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    times.append((wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime))


def best_time(
    command: list[str], repeat: int, *, warm_up: bool = True, exit_codes: tuple[int, ...] = (1,)
) -> tuple[float, float]:
    """Best (wall, CPU) time of `repeat` whole-process runs (after one warm-up run, if asked); a
    run that exits otherwise than `exit_codes` stops the benchmark (a crash is not fast)."""
    run = bench_validate.ENV
    if warm_up:
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=run)
    times: list[tuple[float, float]] = []
    for _ in range(repeat):
        with measured(times):
            done = subprocess.run(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=run, check=False
            )
        if done.returncode not in exit_codes:
            raise SystemExit(f"{command[0]} exited {done.returncode}: {done.stderr[-2000:]!r}")
    return min(times)


Rate = tuple[float, float]  # bodies per second of wall time, and per CPU second


def check_jsonschema_rate(
    schema_file: Path, paths: list[str], repeat: int, *, warm_up: bool = True
) -> Rate | None:
    checker = tool("check-jsonschema")
    if not checker:
        return None
    command = [checker, "--schemafile", str(schema_file), *paths]
    wall, cpu = best_time(command, repeat, warm_up=warm_up)
    return len(paths) / wall, len(paths) / cpu


def kore_rate(jsonl: Path, count: int, repeat: int) -> tuple[Rate, int]:
    """Lines per second of `validate --jsonl FILE --format json` (best of `repeat` runs), and
    its exit status; every run's JSON is checked to hold one result per line (a crash is
    not fast)."""
    command = [tool("kore-contract") or "kore-contract", "validate", "--jsonl", str(jsonl)]
    command += ["--format", "json"]
    times: list[tuple[float, float]] = []
    status = 0
    for _ in range(repeat):
        with measured(times):
            done = subprocess.run(command, capture_output=True, env=bench_validate.ENV, check=False)
        try:
            summary = json.loads(done.stdout)["summary"]
        except ValueError:
            summary = None
        if summary is None or summary["files"] != count:
            raise SystemExit(
                f"validate --jsonl answered {summary}, not {count} results: {done.stderr[-2000:]!r}"
            )
        status = done.returncode
    wall, cpu = min(times)
    return (count / wall, count / cpu), status


def best(rates: list[Rate]) -> Rate:
    """The best wall rate and the best CPU rate of several runs."""
    return max(rate[0] for rate in rates), max(rate[1] for rate in rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=20_000, help="check-jsonschema's share")
    parser.add_argument("--worst-lines", type=int, default=100_000, help="0: no worst case")
    parser.add_argument("--worst-files", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the best counts")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kore-bench-jsonl-") as tmp:
        root = Path(tmp)
        bench_validate.ENV.clear()
        bench_validate.ENV.update(bench_validate._process_env(root))
        schema_file = root / "equivalent-schema.json"
        schema_file.write_text(json.dumps(bench_validate.equivalent_schema()))

        lines = realistic_lines(root / "generated", args.lines)
        jsonl = root / "bodies.jsonl"
        write_lines(jsonl, lines)
        files = write_files(root / "files", lines[: args.files])
        sizes = sorted(map(len, lines))
        print(
            f"{len(lines):,} lines of {sizes[0]}-{sizes[-1]} bytes, {os.cpu_count()} cores, "
            f"Python {sys.version.split()[0]}; check-jsonschema on the first {len(files):,} "
            "of them, one file each"
        )
        kore_rate(jsonl, len(lines), 1)  # warm-up (byte code, disk cache)
        check_jsonschema_rate(schema_file, files, 1, warm_up=False)
        ours, others = [], []
        for _ in range(args.repeat):  # in turns: both tools see the same load
            rate, status = kore_rate(jsonl, len(lines), 1)
            ours.append(rate)
            other = check_jsonschema_rate(schema_file, files, 1, warm_up=False)
            others += [other] if other else []
        mine, theirs = best(ours), best(others) if others else None
        _table(
            f"realistic (about 20% invalid; exit {status})",
            [
                ("kore-contract validate --jsonl (whole process)", mine),
                ("check-jsonschema, the same bodies as files", theirs),
            ],
            theirs,
        )

        if not args.worst_lines:
            return 0
        rng = random.Random(13)
        worst = [worst_line(rng, index) for index in range(args.worst_lines)]
        worst_jsonl = root / "worst.jsonl"
        write_lines(worst_jsonl, worst)
        worst_files = write_files(root / "worst-files", worst[: args.worst_files])
        print(
            f"\n{len(worst):,} worst lines of {len(worst[0])} bytes; check-jsonschema on the "
            f"first {len(worst_files):,} of them as files; one run each"
        )
        mine, status = kore_rate(worst_jsonl, len(worst), 1)  # minutes: one run each
        theirs = check_jsonschema_rate(schema_file, worst_files, 1, warm_up=False)
        _table(
            f"worst case (every line invalid, past the cap; exit {status})",
            [
                ("kore-contract validate --jsonl (whole process)", mine),
                ("check-jsonschema, the same bodies as files", theirs),
            ],
            theirs,
        )
    return 0


def _table(title: str, rows: list[tuple[str, Rate | None]], baseline: Rate | None) -> None:
    """Bodies per second (wall), per CPU second (the processes' own time, which a busy
    machine disturbs less), and both ratios to check-jsonschema."""
    print(f"\n{title}")
    print(f"{'':50} {'lines/s':>9} {'per CPU-s':>10} {'ratio':>7} {'ratio CPU':>10}")
    for name, rate in rows:
        if rate is None:
            print(f"{name:50} {'-':>9}")
            continue
        ratio = f"{rate[0] / baseline[0]:.1f}x" if baseline else "-"
        ratio_cpu = f"{rate[1] / baseline[1]:.1f}x" if baseline else "-"
        print(f"{name:50} {rate[0]:9,.0f} {rate[1]:10,.0f} {ratio:>7} {ratio_cpu:>10}")


if __name__ == "__main__":
    sys.exit(main())
