"""The kore-contract pytest plugin (entry point `pytest11`): options and fixtures.

Installing the package is enough: `pytest --pyargs kore_contract.suite` runs the contract
as pytest tests, and users' own tests get fixtures: `kore_target`, `kore_client`,
`kore_fixture`, `kore_mock`, `kore_token`, `kore_strategies`. Options read their KORE_*
environment variable when not given on the command line.

The suite runs the contract once per session (shared by that session's xdist workers only)
through the same session as `kore-contract test` (kore_contract.run.session: the same
defaults, reachability probe, phases, ledger and credentials), and writes its ledger of
created campaigns to `<report dir>/ledger.jsonl` (default `reports/` under the rootdir); the
terminal summary names it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from kore_contract.run.options import DEFAULT_MAX_EXAMPLES, DEFAULT_SEED, SessionOptions

if TYPE_CHECKING:
    from kore_contract.run.results import RunResult
    from kore_contract.run.session import SessionOutcome

OPTIONS = (
    ("--kore-base-url", "KORE_BASE_URL", "server to test (default: the embedded mock)"),
    ("--kore-fixture", "KORE_FIXTURE", "the account's fixture file (default: the bundled one)"),
    (
        "--kore-max-examples",
        "KORE_MAX_EXAMPLES",
        f"generated valid bodies (default: {DEFAULT_MAX_EXAMPLES})",
    ),
    ("--kore-seed", "KORE_SEED", f"seed of generated cases (default: {DEFAULT_SEED})"),
    ("--kore-stream-id", "KORE_STREAM_ID", "streamId"),
    ("--kore-account-id", "KORE_ACCOUNT_ID", "accountId"),
    ("--kore-iid", "KORE_IID", "application id (iid header)"),
    ("--kore-client-id", "KORE_CLIENT_ID", "client id (the appId claim)"),
    ("--kore-client-secret", "KORE_CLIENT_SECRET", "client secret (prefer the variable)"),
    ("--kore-token", "KORE_TOKEN", "a ready JWT for the auth header"),
    (
        "--kore-report-dir",
        "KORE_REPORT_DIR",
        "where the suite writes its ledger.jsonl (default: reports/ under the rootdir)",
    ),
)
#: The plugin's switches (store_true): flag, environment variable, help.
SWITCHES = (
    (
        "--kore-allow-writes",
        "KORE_ALLOW_WRITES",
        "allow creating campaigns on a non-loopback server",
    ),
    (
        "--kore-allow-sends",
        "KORE_ALLOW_SENDS",
        "allow starting campaigns on a non-loopback server (the fixture's sendableContactLists)",
    ),
    ("--kore-no-fuzz", "KORE_NO_FUZZ", "skip the schemathesis phase of the contract run"),
)
#: The suite's run, as the terminal summary reports it (set where the contract ran).
RUN_NOTE = pytest.StashKey[dict[str, Any]]()
_NOTE_KEY = "kore_contract_run"  # the same note, sent by an xdist worker to the controller
#: Settings the plugin has no option for keep the session's defaults.
KoreSettings = SessionOptions


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kore-contract", "Kore.ai SMS campaign v2 contract")
    for flag, variable, help_text in OPTIONS:
        group.addoption(flag, default=None, help=f"{help_text} [env {variable}]")
    for flag, variable, help_text in SWITCHES:
        group.addoption(
            flag, action="store_true", default=None, help=f"{help_text} [env {variable}=1]"
        )


def read_settings(config: pytest.Config) -> SessionOptions:
    """The plugin's settings: command-line option, else KORE_* variable, else the session's
    default."""

    def value(flag: str, variable: str) -> str | None:
        given = config.getoption(flag.lstrip("-").replace("-", "_"))
        return str(given) if given not in (None, "") else (os.environ.get(variable) or None)

    def number(flag: str, variable: str) -> dict[str, Any]:
        text = value(flag, variable)
        try:
            return (
                {} if text is None else {flag.removeprefix("--kore-").replace("-", "_"): int(text)}
            )
        except ValueError:
            raise pytest.UsageError(f"{flag}={text}: must be a whole number") from None

    def switch(flag: str, variable: str) -> bool:
        given = config.getoption(flag.lstrip("-").replace("-", "_"))
        if given is not None:
            return bool(given)
        return os.environ.get(variable, "").lower() in ("1", "true", "yes")

    texts: dict[str, Any] = {
        name: value(f"--kore-{name.replace('_', '-')}", f"KORE_{name.upper()}")
        for name in (
            "base_url",
            "fixture",
            "stream_id",
            "account_id",
            "iid",
            "client_id",
            "client_secret",
            "token",
        )
    }
    report_dir = value("--kore-report-dir", "KORE_REPORT_DIR")
    return SessionOptions(
        **{name: text for name, text in texts.items() if text is not None},
        **number("--kore-max-examples", "KORE_MAX_EXAMPLES"),
        **number("--kore-seed", "KORE_SEED"),
        allow_writes=switch("--kore-allow-writes", "KORE_ALLOW_WRITES"),
        allow_sends=switch("--kore-allow-sends", "KORE_ALLOW_SENDS"),
        fuzz=not switch("--kore-no-fuzz", "KORE_NO_FUZZ"),
        report_dir=(
            config.invocation_params.dir / report_dir if report_dir else config.rootpath / "reports"
        ),
        flags="--kore-",
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
    from kore_contract.run.session import client_credentials

    return client_credentials(kore_settings)


@pytest.fixture(scope="session")
def kore_token(kore_settings: KoreSettings) -> str:
    """A JWT for the auth header: --kore-token, or minted from the client id and secret."""
    from kore_contract.redaction import RunSecrets
    from kore_contract.run.session import CannotRun, credentials

    try:
        return credentials(kore_settings, RunSecrets()).token
    except CannotRun as error:
        raise pytest.UsageError(f"kore-contract: {error}") from None


@pytest.fixture(scope="session")
def kore_mock(kore_settings: KoreSettings, kore_fixture: Any) -> Iterator[Any]:
    """The embedded mock, running for the session on a free loopback port."""
    from kore_contract.run.session import embedded_mock

    with embedded_mock(kore_settings, kore_fixture) as server:
        yield server
        server.check()  # errors inside the mock's thread fail the session here


@pytest.fixture(scope="session")
def kore_base_url(request: pytest.FixtureRequest, kore_settings: KoreSettings) -> str:
    """The server under test: --kore-base-url, or the session's embedded mock."""
    from kore_contract.run.session import CannotRun, check_base_url

    if kore_settings.base_url is None:
        return str(request.getfixturevalue("kore_mock").base_url)
    try:
        check_base_url(kore_settings)
    except CannotRun as error:
        raise pytest.UsageError(f"kore-contract: {error}") from None
    return kore_settings.base_url


@pytest.fixture(scope="session")
def kore_target(kore_settings: KoreSettings, kore_base_url: str, kore_token: str) -> Any:
    """Where and as whom to call (kore_contract.run.client.Target)."""
    from kore_contract.run.client import Target

    return Target(
        kore_base_url,
        kore_settings.stream_id,
        kore_settings.account_id,
        kore_settings.iid,
        kore_token,
    )


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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked with the rule it judges (`kore_rule`, as the suite's are) runs once per
    case of the run that exercises the rule (`planned_rules`), in the run's order; a rule no
    case exercises gets one test, skipped, that says so."""
    rule = getattr(metafunc.function, "kore_rule", None)
    if rule is None:
        return
    from kore_contract.run.runner import planned_rules
    from kore_contract.run.session import offline_plan

    cases = offline_plan(read_settings(metafunc.config))
    ids = [case.id for case in cases if rule in planned_rules(case)]
    metafunc.parametrize(
        "case_id",
        ids
        or [
            pytest.param(
                "none", marks=pytest.mark.skip(reason=f"{rule}: no case of this run exercises it")
            )
        ],
    )


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
def kore_contract_results(
    pytestconfig: pytest.Config,
    tmp_path_factory: pytest.TempPathFactory,
    kore_settings: KoreSettings,
    kore_target: Any,
    kore_fixture: Any,
    kore_credentials: tuple[str | None, str | None],
) -> RunResult:
    """The results of this session's contract run (run once, by one xdist worker)."""
    from filelock import FileLock

    from kore_contract.run.session import CannotRun

    shared = shared_results_path(pytestconfig, tmp_path_factory)
    with FileLock(str(shared) + ".lock"):
        if shared.is_file():
            return read_shared(shared)
        try:
            outcome = run_session(kore_settings, kore_target, kore_fixture, kore_credentials)
        except CannotRun as error:  # every contract test of the session fails with why
            write_shared(shared, {"cannot_run": f"kore-contract: {error}"})
            pytest.fail(f"kore-contract: {error}", pytrace=False)
        note_run(pytestconfig, outcome)
        write_shared(shared, outcome.result.to_json())
        return outcome.result


def run_session(
    settings: KoreSettings, target: Any, fixture: Any, credentials: tuple[str | None, str | None]
) -> SessionOutcome:
    """The contract run of `kore-contract test` on the session's target, fixture and
    credentials (`CannotRun` when it cannot be made); Ctrl-C ends the pytest session once
    the run's campaigns are deleted."""
    from kore_contract.run.session import ContractSession, Credentials

    with ContractSession(
        settings, fixture=fixture, target=target, creds=Credentials(target.token, *credentials)
    ) as session:
        outcome = session.run()
    if outcome.interrupted:
        raise KeyboardInterrupt
    return outcome


def write_shared(path: Path, data: dict[str, Any]) -> None:
    """The run's results for the session's other xdist workers (checked against
    results.schema.json, as every results file written is)."""
    from kore_contract.common.files import write_atomic
    from kore_contract.report.json_report import checked_text

    write_atomic(path, json.dumps(data) if "cannot_run" in data else checked_text(data))


def read_shared(path: Path) -> RunResult:
    from kore_contract.report.json_report import schema_problem
    from kore_contract.run.results import RunResult

    data = json.loads(path.read_text(encoding="utf-8"))
    if "cannot_run" in data:
        pytest.fail(str(data["cannot_run"]), pytrace=False)
    problem = schema_problem(data)
    if problem:
        pytest.fail(
            f"kore-contract: {path}: the shared results break results.schema.json: {problem}",
            pytrace=False,
        )
    return RunResult.from_json(data)


def note_run(config: pytest.Config, outcome: SessionOutcome) -> None:
    """Keep what the terminal summary says about the run (sent on by an xdist worker)."""
    note = {
        "ledger": str(outcome.ledger),
        "base_url": outcome.result.run.base_url,
        "left": len(outcome.left_behind),
        "possibly_created": len(outcome.possibly_created),
    }
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
        state = (
            f"{note['left']} campaign(s) not deleted, {note['possibly_created']} possibly "
            f"created: run kore-contract cleanup --ledger {ledger} --base-url {base_url}"
        )
    else:
        state = "every campaign the run created is deleted"
    terminalreporter.write_sep("-", "kore-contract")
    terminalreporter.write_line(f"ledger: {ledger} ({state})")
