"""The kore-contract pytest plugin (entry point `pytest11`): options and fixtures.

Installing the package is enough: `pytest --pyargs kore_contract.suite` runs the contract
as pytest tests, and users' own tests get fixtures: `kore_target`, `kore_client`,
`kore_fixture`, `kore_mock`, `kore_token`, `kore_strategies`. Options read their KORE_*
environment variable when not given on the command line.

The suite runs the contract once per session (shared by that session's xdist workers only)
and writes its ledger of created campaigns to `<report dir>/ledger.jsonl` (default
`reports/` under the rootdir); the terminal summary names it.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

OPTIONS = (
    ("--kore-base-url", "KORE_BASE_URL", "server to test (default: the embedded mock)"),
    ("--kore-fixture", "KORE_FIXTURE", "the account's fixture file (default: the bundled one)"),
    ("--kore-max-examples", "KORE_MAX_EXAMPLES", "generated valid bodies (default: 25)"),
    ("--kore-seed", "KORE_SEED", "seed of generated cases (default: 0)"),
    ("--kore-stream-id", "KORE_STREAM_ID", "streamId"),
    ("--kore-account-id", "KORE_ACCOUNT_ID", "accountId"),
    ("--kore-iid", "KORE_IID", "application id (iid header)"),
    ("--kore-client-id", "KORE_CLIENT_ID", "client id (the appId claim)"),
    ("--kore-client-secret", "KORE_CLIENT_SECRET", "client secret (prefer the variable)"),
    ("--kore-token", "KORE_TOKEN", "a ready JWT for the auth header"),
    ("--kore-report-dir", "KORE_REPORT_DIR",
     "where the suite writes its ledger.jsonl (default: reports/ under the rootdir)"),
)
#: The suite's run, as the terminal summary reports it (set where the contract ran).
RUN_NOTE = pytest.StashKey[dict[str, Any]]()
_NOTE_KEY = "kore_contract_run"  # the same note, sent by an xdist worker to the controller


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kore-contract", "Kore.ai SMS campaign v2 contract")
    for flag, variable, help_text in OPTIONS:
        group.addoption(flag, default=None, help=f"{help_text} [env {variable}]")
    group.addoption("--kore-allow-writes", action="store_true", default=None,
                    help="allow creating campaigns on a non-loopback server "
                         "[env KORE_ALLOW_WRITES=1]")


@dataclass(frozen=True)
class KoreSettings:
    base_url: str | None
    fixture: str | None
    max_examples: int
    seed: int
    stream_id: str
    account_id: str
    iid: str
    client_id: str | None
    client_secret: str | None
    token: str | None
    allow_writes: bool
    report_dir: Path


def read_settings(config: pytest.Config) -> KoreSettings:
    """The plugin's settings: command-line option, else KORE_* variable, else default."""
    from kore_contract.commands.test import DEFAULT_ACCOUNT_ID, DEFAULT_IID, DEFAULT_STREAM_ID

    def value(flag: str, variable: str) -> str | None:
        given = config.getoption(flag.lstrip("-").replace("-", "_"))
        return str(given) if given not in (None, "") else (os.environ.get(variable) or None)

    def number(flag: str, variable: str, default: int) -> int:
        text = value(flag, variable)
        try:
            return int(text) if text is not None else default
        except ValueError:
            raise pytest.UsageError(f"{flag}={text}: must be a whole number") from None

    allow = config.getoption("kore_allow_writes")
    report_dir = value("--kore-report-dir", "KORE_REPORT_DIR")
    return KoreSettings(
        base_url=value("--kore-base-url", "KORE_BASE_URL"),
        fixture=value("--kore-fixture", "KORE_FIXTURE"),
        max_examples=number("--kore-max-examples", "KORE_MAX_EXAMPLES", 25),
        seed=number("--kore-seed", "KORE_SEED", 0),
        stream_id=value("--kore-stream-id", "KORE_STREAM_ID") or DEFAULT_STREAM_ID,
        account_id=value("--kore-account-id", "KORE_ACCOUNT_ID") or DEFAULT_ACCOUNT_ID,
        iid=value("--kore-iid", "KORE_IID") or DEFAULT_IID,
        client_id=value("--kore-client-id", "KORE_CLIENT_ID"),
        client_secret=value("--kore-client-secret", "KORE_CLIENT_SECRET"),
        token=value("--kore-token", "KORE_TOKEN"),
        allow_writes=bool(allow) if allow is not None else
        os.environ.get("KORE_ALLOW_WRITES", "").lower() in ("1", "true", "yes"),
        report_dir=(config.invocation_params.dir / report_dir if report_dir
                    else config.rootpath / "reports"),
    )


# --- fixtures for users' own tests ----------------------------------------------------------


@pytest.fixture(scope="session")
def kore_settings(pytestconfig: pytest.Config) -> KoreSettings:
    """The plugin's settings (options, KORE_* variables, defaults)."""
    return read_settings(pytestconfig)


@pytest.fixture(scope="session")
def kore_fixture(kore_settings: KoreSettings) -> Any:
    """The account under test (kore_contract.contract.fixture.Fixture)."""
    from kore_contract.contract.fixture import FixtureError, load_fixture

    try:
        return load_fixture(kore_settings.fixture)
    except FixtureError as error:
        raise pytest.UsageError(str(error)) from None


@pytest.fixture(scope="session")
def kore_credentials(kore_settings: KoreSettings) -> tuple[str | None, str | None]:
    """The client id and secret (the mock's defaults when testing the embedded mock)."""
    from kore_contract import auth

    if kore_settings.base_url is None and not kore_settings.token:
        return (kore_settings.client_id or auth.DEFAULT_CLIENT_ID,
                kore_settings.client_secret or auth.DEFAULT_CLIENT_SECRET)
    return kore_settings.client_id, kore_settings.client_secret


@pytest.fixture(scope="session")
def kore_token(kore_settings: KoreSettings,
               kore_credentials: tuple[str | None, str | None]) -> str:
    """A JWT for the auth header: --kore-token, or minted from the client id and secret."""
    from kore_contract import auth

    client_id, secret = kore_credentials
    if kore_settings.token:
        return kore_settings.token
    if not (client_id and secret):
        raise pytest.UsageError("kore-contract: pass --kore-client-id and --kore-client-secret "
                                "(or KORE_CLIENT_ID/KORE_CLIENT_SECRET), or --kore-token")
    return auth.mint_token(client_id, secret, ttl=3600)


@pytest.fixture(scope="session")
def kore_mock(kore_settings: KoreSettings, kore_fixture: Any,
              kore_credentials: tuple[str | None, str | None]) -> Iterator[Any]:
    """The embedded mock, running for the session on a free loopback port."""
    from kore_contract.mock.server import running_mock

    client_id, secret = kore_credentials
    with running_mock(kore_fixture, client_id=client_id or "", client_secret=secret or "",
                      stream_id=kore_settings.stream_id, account_id=kore_settings.account_id,
                      iid=kore_settings.iid) as server:
        yield server
        server.check()  # errors inside the mock's thread fail the session here


@pytest.fixture(scope="session")
def kore_base_url(request: pytest.FixtureRequest, kore_settings: KoreSettings) -> str:
    """The server under test: --kore-base-url, or the session's embedded mock."""
    from kore_contract.run.client import is_loopback

    if kore_settings.base_url is None:
        return str(request.getfixturevalue("kore_mock").base_url)
    if not is_loopback(kore_settings.base_url) and not kore_settings.allow_writes:
        raise pytest.UsageError(f"{kore_settings.base_url} is a real account: pass "
                                "--kore-allow-writes (or KORE_ALLOW_WRITES=1) to create campaigns")
    return kore_settings.base_url


@pytest.fixture(scope="session")
def kore_target(kore_settings: KoreSettings, kore_base_url: str, kore_token: str) -> Any:
    """Where and as whom to call (kore_contract.run.client.Target)."""
    from kore_contract.run.client import Target

    return Target(kore_base_url, kore_settings.stream_id, kore_settings.account_id,
                  kore_settings.iid, kore_token)


@pytest.fixture
def kore_client(kore_target: Any) -> Iterator[Any]:
    """A client for the three calls; campaigns it creates are deleted after the test."""
    from kore_contract.run.client import KoreClient

    client = KoreClient(kore_target)
    yield client
    client.delete_pending()
    client.close()


@pytest.fixture(scope="session")
def kore_strategies() -> ModuleType:
    """kore_contract.strategies: Hypothesis strategies derived from the spec."""
    from kore_contract import strategies

    return strategies


# --- the contract run shared by the suite (once per session, also under xdist) ---------------


def shared_results_path(config: Any, tmp_path_factory: Any) -> Path:
    """Where one session keeps its contract run: shared by its own xdist workers, no one else.

    An xdist worker's basetemp is `<the session's basetemp>/popen-gwN`: its parent, with the
    run's uid in the name. Without xdist, the session's own basetemp (its parent is shared by
    every session). xdist's environment variables are not trusted: a pytest started inside an
    xdist worker inherits them without being one.
    """
    workerinput = getattr(config, "workerinput", None)
    uid = workerinput.get("testrunuid") if isinstance(workerinput, dict) else None
    if uid:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", str(uid))
        return Path(tmp_path_factory.getbasetemp()).parent / f"kore-contract-results-{safe}.json"
    return Path(tmp_path_factory.getbasetemp()) / "kore-contract-results.json"


@pytest.fixture(scope="session")
def kore_contract_results(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory,
                          kore_settings: KoreSettings, kore_target: Any, kore_fixture: Any,
                          kore_credentials: tuple[str | None, str | None]) -> dict[str, Any]:
    """The results of this session's contract run (run once, by one xdist worker)."""
    from filelock import FileLock

    shared = shared_results_path(pytestconfig, tmp_path_factory)
    with FileLock(str(shared) + ".lock"):
        if shared.is_file():
            results: dict[str, Any] = json.loads(shared.read_text(encoding="utf-8"))
            return results
        ledger_path = kore_settings.report_dir / "ledger.jsonl"
        results = run_suite_contract(kore_settings, kore_target, kore_fixture, kore_credentials,
                                     ledger_path)
        note_run(pytestconfig, ledger_path, results)
        shared.write_text(json.dumps(results), encoding="utf-8")
        return results


def note_run(config: pytest.Config, ledger_path: Path, results: dict[str, Any]) -> None:
    """Keep what the terminal summary says about the run (sent on by an xdist worker)."""
    run = results.get("run", {})
    note = {"ledger": str(ledger_path), "base_url": str(run.get("base_url", "")),
            "left": len(run.get("left_behind", [])),
            "possibly_created": len(run.get("possibly_created", []))}
    config.stash[RUN_NOTE] = note
    workeroutput = getattr(config, "workeroutput", None)
    if isinstance(workeroutput, dict):
        workeroutput[_NOTE_KEY] = note


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist's controller: keep the note of the worker that ran the contract."""
    note = (getattr(node, "workeroutput", None) or {}).get(_NOTE_KEY)
    config = getattr(node, "config", None)
    if note and config is not None:
        config.stash[RUN_NOTE] = note


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    note = config.stash.get(RUN_NOTE, None)
    if note is None:
        return
    ledger, base_url = note["ledger"], note["base_url"]
    if note["left"] or note["possibly_created"]:
        state = (f"{note['left']} campaign(s) not deleted, {note['possibly_created']} possibly "
                 f"created: run kore-contract cleanup --ledger {ledger} --base-url {base_url}")
    else:
        state = "every campaign the run created is deleted"
    terminalreporter.write_sep("-", "kore-contract")
    terminalreporter.write_line(f"ledger: {ledger} ({state})")


def run_suite_contract(settings: KoreSettings, target: Any, fixture: Any,
                       credentials: tuple[str | None, str | None], ledger_path: Path
                       ) -> dict[str, Any]:
    """Plan, run and clean up the whole contract; the results.json dict."""
    from kore_contract.run.client import KoreClient, is_loopback
    from kore_contract.run.ledger import Ledger
    from kore_contract.run.planning import plan_cases
    from kore_contract.run.runner import Runner, build_results, now_iso, run_record

    client_id, secret = credentials
    rate = None if is_loopback(target.base_url) else 5.0
    client = KoreClient(target, rate=rate, ledger=Ledger(ledger_path))
    runner = Runner(client, secrets=[s for s in (target.token, secret) if s])
    started, started_at = time.perf_counter(), now_iso()
    try:
        runner.run_plan(plan_cases(target, fixture, max_examples=settings.max_examples,
                                   seed=settings.seed, client_id=client_id,
                                   client_secret=secret))
    finally:
        client.close()
    run = run_record(client, live=settings.base_url is not None, seed=settings.seed,
                     max_examples=settings.max_examples, started=started, started_at=started_at)
    run["left_behind"] = runner.left_behind
    run["possibly_created"] = [entry["name"] for entry in client.ledger.unresolved.values()]
    return build_results(runner.outcomes, run=run, secrets=runner.secrets)
