"""The default `kore-contract test` against the embedded mock: requests and seconds.

Issue 12 item 5's budget: the default run (the whole plan, the family included, and the
schemathesis phase) stays under 600 requests and 10 s against the embedded mock. Each run
is the real command in a fresh process (start-up and imports counted in the wall time),
with its own report directory; the requests are results.json's `run.requests`, the run's
own time its `run.duration_s`. Prints each run and the median of `--runs` (3).

    python tests/benchmarks/bench_default_run.py [--runs 3] [--json]

tests/test_contract_run.py asserts the request count (a count, not a time); the time is
measured only here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REQUEST_BUDGET = 600
SECONDS_BUDGET = 10.0


def one_run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kc-bench-run-") as where:
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "kore_contract", "test", "--report-dir", where],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "NO_COLOR": "1"},
        )
        wall = time.perf_counter() - started
        if completed.returncode != 0:
            raise SystemExit(
                f"kore-contract test exited {completed.returncode}:\n"
                f"{completed.stdout[-2000:]}{completed.stderr[-2000:]}"
            )
        results = json.loads((Path(where) / "results.json").read_text("utf-8"))
    statuses = [row["status"] for row in results["rules"]]
    return {
        "requests": results["run"]["requests"],
        "run_s": results["run"]["duration_s"],
        "wall_s": round(wall, 2),
        "cases": len(results["cases"]),
        "rows_passed": statuses.count("passed"),
        "rows_not_exercised": statuses.count("not_exercised"),
        "rows_failed": statuses.count("failed"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    runs = []
    for index in range(args.runs):
        run = one_run()
        runs.append(run)
        if not args.json:
            print(
                f"run {index + 1}: {run['requests']} requests, {run['run_s']:.2f} s run, "
                f"{run['wall_s']:.2f} s wall; {run['cases']} cases; rule rows "
                f"{run['rows_passed']} passed, {run['rows_failed']} failed, "
                f"{run['rows_not_exercised']} not exercised"
            )
    median = {
        key: statistics.median(run[key] for run in runs)
        for key in ("requests", "run_s", "wall_s", "cases")
    }
    within = median["requests"] < REQUEST_BUDGET and median["wall_s"] < SECONDS_BUDGET
    if args.json:
        print(json.dumps({"runs": runs, "median": median, "within_budget": within}))
    else:
        print(
            f"median of {args.runs}: {median['requests']:.0f} requests "
            f"(budget {REQUEST_BUDGET}), {median['run_s']:.2f} s run, {median['wall_s']:.2f} s "
            f"wall (budget {SECONDS_BUDGET:.0f} s): {'within' if within else 'OVER'} budget"
        )
    return 0 if within else 1


if __name__ == "__main__":
    raise SystemExit(main())
