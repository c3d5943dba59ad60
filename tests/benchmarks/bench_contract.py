"""kore-contract test vs schemathesis alone (`st run`), over the mock's injected defects.

Same spec, same server (the embedded mock, one defect switched on per run), same example
budget, measured in one run: defects detected, requests sent (counted by the mock), wall
time, and false alarms on the clean mock.

    python tests/benchmarks/bench_contract.py [--max-examples 25] [--faults S4-wrong-lname,...]

schemathesis gets the most favourable spec we can give it without our code: the
project's spec with the account's lists, templates and caller ids, and the ids the mock
is pinned to (stream, account, application), spelled out as enums, and each custom
format replaced by an enum of valid values, so that it can make valid creates at all.
schemathesis also fails on the clean mock (it takes refusals of account values it cannot
know, such as a message that is not its template's body, for "schema-valid request
rejected"), so a schemathesis run "detects" a defect when it reports a kind of failure
(ST code) that its clean run did not; kore-contract must exit 1 and name the defect's rule.
"""

from __future__ import annotations

import argparse
import base64
import copy
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from kore_contract import auth
from kore_contract.cli import run as cli_run
from kore_contract.contract import spec
from kore_contract.contract.fixture import load_fixture
from kore_contract.mock.faults import FAULTS
from kore_contract.mock.server import running_mock

STREAM, ACCOUNT, IID = "st", "acc", "app"
MAX_TIME = 60  # seconds a schemathesis run may take (its own --max-time)
FORMAT_VALUES = {
    "caller-id": ["+14155550123", "+919561612345", "KoreAlerts"],
    "clock-12h": ["9:00 AM", "12:30 PM", "6:00 PM"],
    "iana-time-zone": ["Asia/Kolkata", "UTC", "America/New_York"],
}


def schemathesis_spec(path: Path) -> None:
    """The spec with the fixture's values and valid format values as enums."""
    fixture = load_fixture()
    document = copy.deepcopy(spec.load_spec())
    parameters = document["components"]["parameters"]
    for name, value in (
        ("streamId", STREAM),
        ("accountIdQuery", ACCOUNT),
        ("accountIdHeader", ACCOUNT),
        ("iidHeader", IID),
    ):
        parameters[name]["schema"]["enum"] = [value]  # the ids the mock is pinned to
    body = document["components"]["schemas"]["CreateCampaignRequest"]["properties"]
    body["contactLists"]["items"]["enum"] = list(fixture.contact_lists)
    body["message"]["properties"]["template_name"]["enum"] = list(fixture.templates)
    body["message"]["properties"]["message"]["enum"] = [
        base64.b64encode(text.encode()).decode() for text in fixture.templates.values()
    ]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            fmt = node.get("format")
            if isinstance(fmt, str) and fmt in FORMAT_VALUES and "enum" not in node:
                node["enum"] = FORMAT_VALUES[node.pop("format")]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document["components"]["schemas"]["CreateCampaignRequest"])
    walk(document["components"]["schemas"]["CallingHours"])
    walk(document["components"]["schemas"]["DayBlock"])
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def run_ours(base_url: str, max_examples: int, report_dir: Path) -> tuple[int, set[str]]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_run(
        [
            "test",
            "--base-url",
            base_url,
            "--client-id",
            auth.DEFAULT_CLIENT_ID,
            "--client-secret",
            auth.DEFAULT_CLIENT_SECRET,
            "--stream-id",
            "st",
            "--account-id",
            "acc",
            "--iid",
            "app",
            "--report-dir",
            str(report_dir),
            "--max-examples",
            str(max_examples),
        ],
        out,
        err,
    )
    results = json.loads((report_dir / "results.json").read_text())
    return code, {row["id"] for row in results["rules"] if row["status"] == "failed"}


def run_schemathesis(spec_file: Path, base_url: str, max_examples: int) -> tuple[int, set[str]]:
    """Its exit code and the failure codes it reported (ST108 response violates schema, ...)."""
    token = auth.mint_token(auth.DEFAULT_CLIENT_ID, auth.DEFAULT_CLIENT_SECRET, ttl=3600)
    command = [
        shutil.which("st") or "st",
        "run",
        str(spec_file),
        "--url",
        base_url,
        "--max-examples",
        str(max_examples),
        "--checks",
        "all",
        "--seed",
        "1",
        "-H",
        f"auth: {token}",
        "-H",
        "iid: app",
        "-H",
        "accountId: acc",
        "--warnings",
        "off",
        "--max-time",
        str(MAX_TIME),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    return completed.returncode, set(re.findall(r"\b(ST\d{3})\b", completed.stdout))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--faults", default="", help="comma-separated subset (default: all)")
    parser.add_argument("--json", default=None, help="write the table as JSON here")
    args = parser.parse_args()
    faults: list[str | None] = [None] + (args.faults.split(",") if args.faults else sorted(FAULTS))
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        spec_file = Path(scratch) / "st-spec.yaml"
        schemathesis_spec(spec_file)
        for fault in faults:
            row: dict[str, Any] = {"fault": fault or "(clean)"}
            for tool in ("kore-contract", "schemathesis"):
                with running_mock(
                    fault=fault, stream_id="st", account_id="acc", iid="app"
                ) as server:
                    started = time.perf_counter()
                    if tool == "kore-contract":
                        code, failed = run_ours(
                            server.base_url, args.max_examples, Path(scratch) / "reports"
                        )
                        detected = code == 1 and (fault is None or FAULTS[fault].rule in failed)
                    else:
                        code, failed = run_schemathesis(
                            spec_file, server.base_url, args.max_examples
                        )
                        # schemathesis alarms on the clean mock too: a defect counts as
                        # detected when it reports a kind of failure the clean run did not
                        clean_codes = rows[0]["schemathesis"]["codes"] if rows else set()
                        detected = code != 0 and bool(set(failed) - set(clean_codes))
                    row[tool] = {
                        "exit": code,
                        "detected": detected,
                        "codes": sorted(failed),
                        "requests": server.app.requests,
                        "seconds": round(time.perf_counter() - started, 1),
                    }
            rows.append(row)

            def verdict(tool: str, row: dict[str, Any] = row, fault: str | None = fault) -> str:
                if fault is None:
                    return "ALARM " if row[tool]["exit"] != 0 else "clean "
                return "CAUGHT" if row[tool]["detected"] else "missed"

            ours, theirs = row["kore-contract"], row["schemathesis"]
            print(
                f"{row['fault']:<40} ours: {verdict('kore-contract')} {ours['requests']:5} req "
                f"{ours['seconds']:5} s | st: {verdict('schemathesis')} {theirs['requests']:5} "
                f"req {theirs['seconds']:5} s",
                flush=True,
            )
    injected = [r for r in rows if r["fault"] != "(clean)"]
    for tool in ("kore-contract", "schemathesis"):
        caught = sum(r[tool]["detected"] for r in injected)
        clean = rows[0][tool]
        requests = [r[tool]["requests"] for r in rows]
        seconds = [r[tool]["seconds"] for r in rows]
        print(
            f"{tool}: caught {caught}/{len(injected)}; clean server: "
            f"{'FALSE ALARM' if clean['exit'] != 0 else 'no finding'}; requests per run "
            f"{min(requests)}-{max(requests)}; seconds per run {min(seconds)}-{max(seconds)}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
