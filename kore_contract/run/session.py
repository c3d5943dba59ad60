"""The contract run end to end: target, token, plan, run, clean up, report, exit code."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from kore_contract import auth
from kore_contract.redaction import RunSecrets
from kore_contract.run.client import (
    MAX_CONSECUTIVE_FAILURES,
    KoreClient,
    ServerStoppedAnswering,
    Target,
    base_url_problem,
    is_loopback,
)
from kore_contract.run.ledger import Ledger

EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN = 0, 1, 2
LIVE_DEFAULT_RATE = 5.0


@dataclass
class ContractRunOptions:
    base_url: str | None
    stream_id: str
    account_id: str
    iid: str
    client_id: str | None = None
    client_secret: str | None = None
    token: str | None = None
    fixture: str | None = None
    max_examples: int = 25
    seed: int = 0
    report_dir: str = "reports"
    timeout: float = 10.0
    rate: float | None = None
    allow_writes: bool = False
    fault: str | None = None
    fuzz: bool = True
    docs: list[str] = field(default_factory=list)


class CannotRun(Exception):
    """The run could not be made; the message says why and what to do."""


@contextlib.contextmanager
def _target_server(options: ContractRunOptions, fixture_path: str | None) -> Iterator[str]:
    """The base URL to test: the given one, or an embedded mock for the run's length."""
    if options.base_url:
        yield options.base_url
        return
    from kore_contract.contract.fixture import load_fixture
    from kore_contract.mock.server import running_mock

    with running_mock(load_fixture(fixture_path), client_id=options.client_id or "",
                      client_secret=options.client_secret or "", stream_id=options.stream_id,
                      account_id=options.account_id, iid=options.iid,
                      fault=options.fault) as server:
        yield server.base_url


def _credentials(options: ContractRunOptions, secrets: RunSecrets
                 ) -> tuple[str, str | None, str | None]:
    """The token to send, and the client id and secret when known (all in `secrets`)."""
    if options.base_url is None and not options.token:
        options.client_id = options.client_id or auth.DEFAULT_CLIENT_ID
        options.client_secret = options.client_secret or auth.DEFAULT_CLIENT_SECRET
    secrets.add(options.client_secret)
    secrets.add(options.token)
    if options.client_id and options.client_secret:
        token = options.token or auth.mint_token(options.client_id, options.client_secret,
                                                 ttl=3600)
        secrets.add(token)
        return token, options.client_id, options.client_secret
    if options.token:
        return options.token, options.client_id, None
    raise CannotRun("no credentials: pass --client-id and --client-secret (or "
                    "KORE_CLIENT_ID/KORE_CLIENT_SECRET), or --token")


def run_contract(options: ContractRunOptions, out: TextIO, err: TextIO) -> int:
    from kore_contract.contract.fixture import FixtureError, load_fixture

    secrets = RunSecrets()
    try:
        _check_base_url(options)
        fixture = load_fixture(options.fixture)
        if not fixture.contact_lists or not fixture.templates:
            raise CannotRun(f"{fixture.source}: the fixture needs at least one contact list and "
                            "one template to build valid creates")
        token, client_id, client_secret = _credentials(options, secrets)
        with _target_server(options, options.fixture) as base_url, secrets.active():
            target = Target(base_url, options.stream_id, options.account_id, options.iid, token)
            return _run(options, target, fixture, client_id, client_secret, secrets, out, err)
    except (CannotRun, FixtureError) as error:
        err.write(f"kore-contract test: {error}\n")
        return EXIT_CANNOT_RUN


def _check_base_url(options: ContractRunOptions) -> None:
    """Refuse, before any request, a base URL that is ambiguous or, without --allow-writes,
    not loopback (decided on the host the HTTP client would connect to)."""
    if not options.base_url:
        return
    problem = base_url_problem(options.base_url)
    if problem:
        raise CannotRun(f"--base-url {options.base_url!r} {problem}")
    if not is_loopback(options.base_url) and not options.allow_writes:
        raise CannotRun(f"{options.base_url} is not a loopback address: creating campaigns "
                        "there writes to a real account; pass --allow-writes to go ahead")


def _run(options: ContractRunOptions, target: Target, fixture: Any, client_id: str | None,
         client_secret: str | None, secrets: RunSecrets, out: TextIO, err: TextIO) -> int:
    from kore_contract.run.console import print_summary, progress_bar
    from kore_contract.run.planning import plan_cases
    from kore_contract.run.runner import Runner, build_results, now_iso, run_record

    report_dir = Path(options.report_dir)
    ledger = Ledger(report_dir / "ledger.jsonl")
    rate = options.rate or (None if is_loopback(target.base_url) else LIVE_DEFAULT_RATE)
    client = KoreClient(target, timeout=options.timeout, rate=rate, ledger=ledger,
                        max_failures=MAX_CONSECUTIVE_FAILURES)
    probe = client.send("GET", target.call_path("get", "kore-contract-probe"),
                        query={"accountId": target.account_id},
                        headers=target.standard_headers())
    if probe.status is None:
        raise CannotRun(f"cannot reach {target.base_url}: {probe.error}")
    started, started_at = time.perf_counter(), now_iso()
    planned = plan_cases(target, fixture, max_examples=options.max_examples, seed=options.seed,
                         client_id=client_id, client_secret=client_secret, secrets=secrets)
    if options.fuzz:
        from kore_contract.run.fuzz_phase import plan_fuzz_cases

        planned += plan_fuzz_cases(target, fixture, max_examples=options.max_examples,
                                   seed=options.seed)
    runner = Runner(client, secrets=secrets)
    error, stopped = None, False
    try:
        with progress_bar(err, total=len(planned)) as advance:
            runner.progress = advance
            runner.run_plan(planned)
    except KeyboardInterrupt:
        error = "interrupted"
    except ServerStoppedAnswering as why:
        error, stopped = f"{why}; the reports hold the cases run before", True
    finally:
        client.close()
    left = runner.left_behind
    if left:
        error = (error or "") + f" {len(left)} campaign(s) could not be deleted; run " \
                                f"kore-contract cleanup --ledger {ledger.path} " \
                                f"--base-url {target.base_url}"
    run_info = run_record(client, live=options.base_url is not None, seed=options.seed,
                          max_examples=options.max_examples, started=started,
                          started_at=started_at)
    results = build_results(runner.outcomes, run=run_info, secrets=secrets,
                            error=error.strip() if error else None)
    if options.docs:
        from kore_contract.trace.tracer import trace_documents

        results["trace"] = trace_documents(options.docs).to_json()
    written = write_reports(results, report_dir)
    print_summary(results, out, written)
    if error == "interrupted":
        return 130
    if stopped:
        err.write(f"kore-contract test: {results['error']}\n")
        return EXIT_CANNOT_RUN
    return EXIT_FINDINGS if results["verdict"] != "pass" else EXIT_OK


def write_reports(results: dict[str, Any], report_dir: Path) -> list[Path]:
    """The four reports, each written whole; `CannotRun` (one line, naming the reports that
    were written) when one of them cannot be."""
    from kore_contract.common.escape import terminal
    from kore_contract.report import ReportsNotWritten
    from kore_contract.report import write_reports as write_all

    try:
        return write_all(results, report_dir)
    except ReportsNotWritten as failed:
        written = ", ".join(str(path) for path in failed.written) or "none"
        raise CannotRun(terminal(f"{failed}; reports written: {written}")) from None
