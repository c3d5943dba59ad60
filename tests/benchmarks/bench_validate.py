"""Benchmark: `kore-contract validate` beside check-jsonschema and in-process loops.

Not part of the default test run (pytest collects `test_*.py` only); `tox -e bench` or
`python tests/benchmarks/bench_validate.py [--files N] [--repeat R]` runs it and prints one
table, every row measured in the same run over the same generated files (10,000 create
bodies of 1 to 2 KB, about 20% of them breaking one rule).

The machine may be shared and noisy: read the ratios to check-jsonschema, not the raw
numbers. Rows:

- kore-contract validate: whole process (`--format json` to /dev/null), every check.
- check-jsonschema: whole process, with `equivalent_schema()` (the request body schema,
  custom formats mapped to `pattern` where a regex can say them, the zone check dropped).
- json.loads + jsonschema / jsonschema-rs / fastjsonschema (if installed): read, parse and
  validate each file with the equivalent schema, in one process on one core.
- orjson parse only: read and parse, nothing checked (the floor).
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

WORDS = [
    "billing",
    "alert",
    "reminder",
    "payment",
    "due",
    "customer",
    "account",
    "service",
    "notice",
    "update",
    "thank",
    "you",
    "please",
    "visit",
    "renew",
    "plan",
    "order",
    "status",
    "ticket",
    "help",
    "support",
    "offer",
]
ZONES = ["Asia/Kolkata", "America/New_York", "Europe/Madrid", "UTC", "Australia/Sydney"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def _sentence(rng: random.Random, n_words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n_words)).capitalize() + "."


def _time(rng: random.Random, pm: bool) -> str:
    hour = rng.randint(1, 11)
    shown = f"{hour:02d}" if rng.random() < 0.2 else str(hour)  # a leading zero is allowed
    return f"{shown}:{rng.choice(['00', '15', '30', '45'])} {'PM' if pm else 'AM'}"


def valid_body(rng: random.Random) -> dict[str, Any]:
    days = rng.sample(DAYS, rng.randint(1, 7))
    body: dict[str, Any] = {
        "name": f"{_sentence(rng, 3)[:40]} {rng.randint(1, 9999)}",
        "description": _sentence(rng, rng.randint(5, 30))[:256],
        "contactLists": [f"List {rng.randint(1, 50)}" for _ in range(rng.randint(1, 4))],
        "campaignType": "sms",
        "priority": str(rng.randint(1, 5)),
        "format": "simple",
        "message": {
            "template_name": rng.choice(["Welcome", "Greetings", "Reminder"]),
            "message": base64.b64encode(_sentence(rng, rng.randint(15, 60)).encode()).decode(),
        },
        "dialingStrategy": {
            "callerId": {
                "phoneNumber": rng.choice(
                    [
                        "+919561612345",
                        "+14155550123",
                        "KoreAlerts",
                        f"+44{rng.randint(10**9, 10**10)}",
                    ]
                )
            },
            "callingHours": {
                "frequency": rng.choice(["WEEKLY", "DAILY", "CUSTOM"]),
                "timezone": rng.choice(ZONES),
                "days": [
                    {"day": d, "start": _time(rng, False), "end": _time(rng, True)} for d in days
                ],
            },
        },
    }
    if rng.random() < 0.5:
        body["dncLists"] = {"name": "testdnc"}
    if rng.random() < 0.5:
        body["schedule"] = {"isSchedulingEnabled": rng.random() < 0.5}
    return body


# One way to break each rule; every broken file breaks exactly one.
BREAKS: list[Callable[[dict[str, Any]], None]] = [
    lambda b: b.update(name="x" * 49),
    lambda b: b.update(description="d" * 257),
    lambda b: b.update(contactLists=[]),
    lambda b: b.update(campaignType="voice"),
    lambda b: b.update(priority=5),
    lambda b: b.update(format="advanced"),
    lambda b: b["message"].update(message=b["message"]["message"].rstrip("=") + "%3D"),
    lambda b: b["message"].update(  # bytes that are not UTF-8
        message=base64.b64encode(b"\xff" + base64.b64decode(b["message"]["message"])).decode()
    ),
    lambda b: b["dialingStrategy"]["callerId"].update(phoneNumber="+0123"),
    lambda b: b["dialingStrategy"]["callingHours"].update(timezone="asia/kolkata"),
    lambda b: b["dialingStrategy"]["callingHours"]["days"][0].update(start="13:00 PM"),
    lambda b: b["dialingStrategy"]["callingHours"]["days"][0].update(day="MON"),
    lambda b: b["dialingStrategy"].pop("callerId"),
]


def generate(
    folder: Path, count: int = 10_000, *, invalid_share: float = 0.2, seed: int = 20251205
) -> list[Path]:
    """`count` create bodies of 1 to 2 KB in `folder`; returns their paths."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        body = valid_body(rng)
        text = json.dumps(body, indent=1)
        while len(text) < 1100:  # pad the description up to its limit, then the days
            body["description"] = (body["description"] + " " + _sentence(rng, 8))[:256]
            body["dialingStrategy"]["callingHours"]["days"].append(
                {"day": rng.choice(DAYS), "start": "1:00 AM", "end": "2:00 AM"}
            )
            text = json.dumps(body, indent=1)
        while len(text) > 2048:
            body["dialingStrategy"]["callingHours"]["days"].pop()
            text = json.dumps(body, indent=1)
        if rng.random() < invalid_share:
            rng.choice(BREAKS)(body)
            text = json.dumps(body, indent=1)
        path = folder / f"body-{index:05d}.json"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def equivalent_schema() -> dict[str, Any]:
    """The request body schema as plain JSON Schema: custom formats become patterns."""
    from kore_contract.contract import spec

    patterns = {
        "caller-id": r"^(\+[1-9][0-9]{1,14}|(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11})$",
        "clock-12h": r"^(0?[1-9]|1[0-2]):[0-5][0-9] (AM|PM)$",
        "base64-utf8": r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
    }

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items() if not k.startswith("x-")}
            if isinstance(out.get("format"), str):  # a keyword, not the `format` property
                name = out.pop("format")
                if name in patterns:
                    out["pattern"] = patterns[name]
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(copy.deepcopy(spec.request_body_schema()))  # type: ignore[no-any-return]


def _process_env(tmp: Path) -> dict[str, str]:
    """Every tool runs with byte-code caching on (as after a normal install), in a temp folder."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    return env


ENV: dict[str, str] = dict(os.environ)


def _whole_process(command: list[str], repeat: int) -> float:
    """Best wall time of `repeat` runs (the least disturbed by other load), after a warm-up."""
    subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV
    )
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV
        )
        times.append(time.perf_counter() - start)
    return min(times)


def _loop(paths: list[Path], check: Callable[[bytes], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for path in paths:
            check(path.read_bytes())
        times.append(time.perf_counter() - start)
    return min(times)


def rows(
    paths: list[Path], folder: Path, schema_file: Path, repeat: int
) -> Iterator[tuple[str, float]]:
    n = len(paths)
    kore = shutil.which("kore-contract") or "kore-contract"
    yield (
        "kore-contract validate (whole process, every check)",
        n / _whole_process([kore, "validate", str(folder), "--format", "json"], repeat),
    )
    checker = shutil.which("check-jsonschema")
    if checker:
        yield (
            "check-jsonschema (whole process)",
            n
            / _whole_process([checker, "--schemafile", str(schema_file), *map(str, paths)], repeat),
        )
    schema = json.loads(schema_file.read_text())
    import jsonschema

    reference = jsonschema.Draft202012Validator(schema)
    yield (
        "json.loads + jsonschema loop (1 core)",
        n / _loop(paths, lambda data: reference.is_valid(json.loads(data)), repeat),
    )
    try:
        import fastjsonschema
    except ImportError:
        pass
    else:
        compiled = fastjsonschema.compile(schema)

        def fast(data: bytes) -> bool:
            try:
                compiled(json.loads(data))
            except fastjsonschema.JsonSchemaException:
                return False
            return True

        yield "json.loads + fastjsonschema loop (1 core)", n / _loop(paths, fast, repeat)
    import jsonschema_rs

    rust = jsonschema_rs.validator_for(schema)
    yield (
        "json.loads + jsonschema-rs loop (1 core)",
        n / _loop(paths, lambda data: rust.is_valid(json.loads(data)), repeat),
    )
    import orjson

    yield "orjson parse only loop (1 core, the floor)", n / _loop(paths, orjson.loads, repeat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the best counts")
    parser.add_argument("--small-runs", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kore-bench-") as tmp:
        ENV.clear()
        ENV.update(_process_env(Path(tmp)))
        folder = Path(tmp) / "payloads"
        paths = generate(folder, args.files)
        sizes = [p.stat().st_size for p in paths]
        schema_file = Path(tmp) / "equivalent-schema.json"
        schema_file.write_text(json.dumps(equivalent_schema()))
        print(
            f"{len(paths)} files, {min(sizes)}-{max(sizes)} bytes, "
            f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
        )
        measured = list(rows(paths, folder, schema_file, args.repeat))
        baseline = dict(measured).get("check-jsonschema (whole process)")
        print(f"\n{'':52} {'files/s':>9} {'vs check-jsonschema':>20}")
        for name, rate in measured:
            ratio = f"{rate / baseline:.1f}x" if baseline else "-"
            print(f"{name:52} {rate:9,.0f} {ratio:>20}")
        one = paths[0]
        kore = shutil.which("kore-contract") or "kore-contract"
        checker = shutil.which("check-jsonschema")
        print(f"\none small file, whole process (best of {args.small_runs}):")
        python = _whole_process([sys.executable, "-c", "pass"], args.small_runs)
        print(f"  {'python -c pass':40} {python * 1000:7.0f} ms")
        mine = _whole_process([kore, "validate", str(one)], args.small_runs)
        print(f"  {'kore-contract validate':40} {mine * 1000:7.0f} ms")
        if checker:
            theirs = _whole_process(
                [checker, "--schemafile", str(schema_file), str(one)], args.small_runs
            )
            print(f"  {'check-jsonschema':40} {theirs * 1000:7.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
