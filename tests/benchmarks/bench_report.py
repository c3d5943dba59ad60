"""How long the four reports take for a run of 1,000 cases (budget: under a second).

Not collected by the default run (not test_*.py); run it with
`pytest -p no:randomly tests/benchmarks/bench_report.py -o python_files=bench_*.py -s`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from report_samples import synthetic_results

from kore_contract.report import FORMATS, render
from kore_contract.report.model import build

CASES = 1000
BUDGET_S = 1.0


def render_all(results: dict[str, Any]) -> dict[str, int]:
    return {fmt: len(render(results, fmt)) for fmt in FORMATS}


def test_render_all_formats_of_1000_cases(benchmark: Any) -> None:
    results = synthetic_results(CASES)
    build(results)  # warm the spec and template caches, as a run's first report would
    started = time.perf_counter()
    sizes = benchmark.pedantic(render_all, args=(results,), rounds=5, iterations=1)
    mean = benchmark.stats.stats.mean
    print(
        f"\nrendered json, junit, html and md for {CASES} cases: mean {mean:.3f} s "
        f"(5 rounds in {time.perf_counter() - started:.2f} s); sizes {sizes}"
    )
    assert mean < BUDGET_S
