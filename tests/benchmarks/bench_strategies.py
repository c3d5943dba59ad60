"""Benchmark: valid create bodies per second, ours against hypothesis-jsonschema.

Not part of the default test run (pytest collects `test_*.py` only). Run either
`pytest tests/benchmarks/bench_strategies.py` (prints the table) or
`python tests/benchmarks/bench_strategies.py [--examples N] [--budget SECONDS]`.

Every row is measured in the same run, on the same machine, over N examples (1,000 by
default); a row that cannot reach N within the time budget reports what it made:

- `generate()` (ours): what `kore-contract fuzz` and the contract run use; a seeded
  `@given` that draws one body per Hypothesis test case and keeps each body once.
- `@given(campaigns())` (ours): one body per test case, as a user's property test sees it.
- `from_schema` (hypothesis-jsonschema) on an equivalent plain JSON Schema of the request
  body: custom formats become patterns (`clock-12h`, `caller-id`, `base64-utf8`), the
  time zone an `enum` of the tz database's zones; one body per test case.

A second table times the family's strategies (issue 12) through `generate()`: each create
variant, update bodies of any variant and list request bodies, with how many pass the
validator for their call and variant.

For each row: bodies per second, how many bodies pass the validator, and over those
bodies how many reach each edge (name at 48, description at 256, each priority and
weekday, AM and PM, a 12:xx time, a zone with an odd offset, E.164 and sender ids, a
message that decodes to UTF-8 text). The machine may be shared: compare the rows, not
the absolute numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st

from kore_contract import strategies
from kore_contract.contract import formats, spec
from kore_contract.strategies import _valid
from kore_contract.validate import validate_request

PATTERNS = {
    "caller-id": r"^(\+[1-9][0-9]{1,14}|(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11})$",
    "clock-12h": r"^(0?[1-9]|1[0-2]):[0-5][0-9] (AM|PM)$",
    "base64-utf8": r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
}


def equivalent_schema() -> dict[str, Any]:
    """The request body schema as plain JSON Schema: formats become patterns or an enum."""
    zones = sorted(formats.time_zones())

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items() if not k.startswith("x-")}
            if isinstance(out.get("format"), str):  # a keyword, not the `format` property
                name = out.pop("format")
                if name == "iana-time-zone":
                    out["enum"] = zones
                elif name in PATTERNS:
                    out["pattern"] = PATTERNS[name]
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    schema: dict[str, Any] = walk(copy.deepcopy(spec.request_body_schema()))
    return schema


class _Enough(Exception):
    """The time budget is spent."""


def given_loop(strategy: st.SearchStrategy[Any], count: int, budget: float) -> list[Any]:
    """Bodies from a plain `@given` test, one per test case, until `count` or `budget` s."""
    found: list[Any] = []
    deadline = time.perf_counter() + budget

    @settings(
        database=None,
        deadline=None,
        max_examples=count,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    @given(strategy)
    def collect(body: Any) -> None:
        if len(found) < count:
            found.append(body)
        if time.perf_counter() > deadline:
            raise _Enough

    with contextlib.suppress(_Enough):
        collect()
    return found


def edge_counts(bodies: list[Any]) -> Counter[str]:
    schema = spec.request_body_schema()["properties"]
    week = _valid.schema_at("dialingStrategy", "callingHours", "days", "[]", "day")["enum"]
    odd = set(strategies.edge_time_zones())
    counts: Counter[str] = Counter({f"priority {p}": 0 for p in schema["priority"]["enum"]})
    counts.update({f"day {d}": 0 for d in week})
    for body in bodies:
        if not isinstance(body, dict):
            continue
        counts["valid"] += validate_request(body).ok
        for key in ("name", "description"):
            if isinstance(body.get(key), str):
                counts[f"{key} at {schema[key]['maxLength']}"] += (
                    len(body[key]) == schema[key]["maxLength"]
                )
        counts[f"priority {body.get('priority')}"] += 1
        hours = body.get("dialingStrategy", {}).get("callingHours", {})
        times = [t for b in hours.get("days", []) for t in (b.get("start", ""), b.get("end", ""))]
        for block in hours.get("days", []):
            counts[f"day {block.get('day')}"] += 1
        counts["AM"] += any(t.endswith("AM") for t in times)
        counts["PM"] += any(t.endswith("PM") for t in times)
        counts["12:xx"] += any(t.lstrip("0").startswith("12:") for t in times)
        counts["odd-offset zone"] += hours.get("timezone") in odd
        phone = body.get("dialingStrategy", {}).get("callerId", {}).get("phoneNumber", "")
        counts["E.164"] += phone.startswith("+")
        counts["sender id"] += bool(phone) and not phone.startswith("+")
        message = body.get("message", {}).get("message", "")
        counts["message is UTF-8 text"] += formats.decode_base64_text(message) is not None
        counts["non-ASCII name"] += not str(body.get("name", "")).isascii()
    return counts


Row = tuple[str, int, float, Counter[str] | None, str]


def measure(label: str, make: Callable[[], list[Any]]) -> Row:
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bodies = make()
    except Exception as error:  # a library that fails outright is a result too
        return label, 0, time.perf_counter() - start, None, f"{type(error).__name__}: {error}"
    return label, len(bodies), time.perf_counter() - start, edge_counts(bodies), ""


def run(examples: int, budget: float) -> list[Row]:
    ours = strategies.campaigns()
    strategies.generate(ours, 50, seed=0)  # warm the pools
    rows = [
        measure("generate(campaigns())", lambda: strategies.generate(ours, examples, seed=1)),
        measure("@given(campaigns())", lambda: given_loop(ours, examples, budget)),
    ]

    def from_schema() -> list[Any]:
        from hypothesis_jsonschema import from_schema as hjs

        return given_loop(hjs(equivalent_schema()), examples, budget)

    rows.append(measure("from_schema (hypothesis-jsonschema)", from_schema))
    return rows


FamilyRow = tuple[str, int, float, int]


def run_family(examples: int) -> list[FamilyRow]:
    """The family's strategies (issue 12): bodies per second and how many pass the
    validator for their call and variant, `generate()` as the fuzz command runs it."""
    kinds: list[tuple[str, Any, dict[str, Any]]] = [
        (
            f"campaigns(variant={variant!r})",
            strategies.campaigns(variant=variant),
            {"call": "create", "variant": variant},
        )
        for variant in spec.variant_names()
    ]
    kinds += [
        ("updates()", strategies.updates(), {"call": "update"}),
        ("list_requests()", strategies.list_requests(), {"call": "list"}),
    ]
    rows = []
    for label, strategy, how in kinds:
        strategies.generate(strategy, 20, seed=0)  # warm the pools
        start = time.perf_counter()
        bodies = strategies.generate(strategy, examples, seed=1)
        seconds = time.perf_counter() - start
        rows.append((label, len(bodies), seconds, sum(_family_valid(b, how) for b in bodies)))
    return rows


def _family_valid(body: Any, how: dict[str, Any]) -> bool:
    return bool(validate_request(body, strict=True, **how).ok)


def render_family(rows: list[FamilyRow], examples: int) -> str:
    lines = [
        f"family bodies, {examples} asked per row (generate(), same run)",
        "",
        f"{'row':<38}{'bodies':>8}{'seconds':>9}{'bodies/s':>10}{'valid':>8}",
    ]
    for label, made, seconds, valid in rows:
        rate = made / seconds if seconds else 0.0
        lines.append(f"{label:<38}{made:>8}{seconds:>9.2f}{rate:>10.1f}{valid:>8}")
    return "\n".join(lines) + "\n"


def render(rows: list[Row], examples: int) -> str:
    lines = [f"valid create bodies, {examples} examples asked per row (same run)", ""]
    lines.append(f"{'row':<38}{'bodies':>8}{'seconds':>9}{'bodies/s':>10}")
    for label, made, seconds, _, error in rows:
        rate = made / seconds if seconds else 0.0
        lines.append(f"{label:<38}{made:>8}{seconds:>9.2f}{rate:>10.1f}")
        if error:
            lines.append(f"    failed: {error[:200]}")
    counted = [(label, counts) for label, _, _, counts, _ in rows if counts is not None]
    keys = sorted({k for _, counts in counted for k in counts}, key=_key_order)
    lines += [
        "",
        f"{'edge (bodies reaching it)':<26}" + "".join(f"{label[:22]:>24}" for label, _ in counted),
    ]
    for key in keys:
        lines.append(f"{key:<26}" + "".join(f"{counts[key]:>24}" for _, counts in counted))
    return "\n".join(lines) + "\n"


def _key_order(key: str) -> tuple[int, str]:
    order = [
        "valid",
        "name",
        "description",
        "priority",
        "day",
        "AM",
        "PM",
        "12",
        "odd",
        "E.164",
        "sender",
        "message",
        "non-ASCII",
    ]
    return next((i for i, prefix in enumerate(order) if key.startswith(prefix)), 99), key


def test_bench_strategies(capsys: Any) -> None:
    rows = run(examples=1000, budget=120.0)
    with capsys.disabled():
        sys.stdout.write("\n" + render(rows, 1000))
    ours = rows[0][3]
    assert ours is not None
    for key, found in ours.items():
        assert found > 0, key
    family = run_family(examples=1000)
    with capsys.disabled():
        sys.stdout.write("\n" + render_family(family, 1000))
    for label, made, _, valid in family:
        assert made == valid == 1000, label


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument(
        "--budget",
        type=float,
        default=120.0,
        help="seconds a row may take before it reports what it made",
    )
    args = parser.parse_args(argv)
    sys.stdout.write(render(run(args.examples, args.budget), args.examples))
    sys.stdout.write("\n" + render_family(run_family(args.examples), args.examples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
