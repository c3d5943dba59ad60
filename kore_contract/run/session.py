"""One contract run, the same for `kore-contract test` and the pytest plugin.

`SessionOptions` holds every setting and its default, once. A `ContractSession` refuses an
ambiguous or (without allow_writes) non-loopback base URL before any request, loads the
fixture, works out the credentials, starts the embedded mock when no base URL is given,
probes the server, plans the cases (planned cases with their lifecycles, then the
schemathesis phase), runs them with every created campaign in the ledger
(`<report dir>/ledger.jsonl`), deletes what it created, and returns a `SessionOutcome`: the
typed `RunResult` and how the run ended. The shells decide what to show and write:
commands/test.py writes the reports and the exit code, the plugin turns the result into
pytest verdicts.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

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
from kore_contract.run.options import LIVE_DEFAULT_RATE, CannotRun, SessionOptions
from kore_contract.run.results import RunResult

if TYPE_CHECKING:
    from kore_contract.contract.fixture import Fixture
    from kore_contract.mock.server import MockServer
    from kore_contract.run.planning import PlannedCase
    from kore_contract.run.runner import Runner

__all__ = [
    "CannotRun",
    "ContractSession",
    "Credentials",
    "SessionOptions",
    "SessionOutcome",
    "check_base_url",
    "client_credentials",
    "credentials",
    "embedded_mock",
    "fuzz_plan",
    "load_run_fixture",
    "offline_plan",
    "plan_session",
]

#: How a shell shows progress: given the number of cases, a context that yields the
#: function called with each case's id as it is done.
ProgressBar = Callable[[int], contextlib.AbstractContextManager[Callable[[str], None]]]


@dataclass(frozen=True)
class Credentials:
    """The token the run sends, and the client id and secret when known (A2's probes are
    signed with the secret)."""

    token: str
    client_id: str | None
    client_secret: str | None


@dataclass(frozen=True)
class SessionOutcome:
    """A run's result and how it ended."""

    result: RunResult
    ledger: Path
    interrupted: bool = False  # Ctrl-C: the result holds the cases run before
    stopped: bool = False  # the server stopped answering: likewise
    left_behind: tuple[str, ...] = ()  # campaigns created and not deleted
    possibly_created: tuple[str, ...] = ()  # creates sent without a readable answer


# --- before any request -----------------------------------------------------------------------


def check_base_url(options: SessionOptions) -> None:
    """Refuse, before any request, a base URL that is ambiguous or, without allow_writes,
    not loopback (decided on the host the HTTP client would connect to)."""
    if not options.base_url:
        return
    problem = base_url_problem(options.base_url)
    if problem:
        raise CannotRun(f"{options.flag('base-url')} {options.base_url!r} {problem}")
    if not is_loopback(options.base_url) and not options.allow_writes:
        raise CannotRun(
            f"{options.base_url} is not a loopback address: creating campaigns "
            f"there writes to a real account; pass {options.flag('allow-writes')} "
            "to go ahead"
        )


def client_credentials(options: SessionOptions) -> tuple[str | None, str | None]:
    """The client id and secret: the embedded mock's defaults when it is tested without a
    token, else what was given."""
    if options.base_url is None and not options.token:
        return (
            options.client_id or auth.DEFAULT_CLIENT_ID,
            options.client_secret or auth.DEFAULT_CLIENT_SECRET,
        )
    return options.client_id, options.client_secret


def credentials(options: SessionOptions, secrets: RunSecrets) -> Credentials:
    """The token to send (given, or minted from the client id and secret), every secret
    added to `secrets` as it becomes known."""
    client_id, client_secret = client_credentials(options)
    secrets.add(client_secret)
    secrets.add(options.token)
    if client_id and client_secret:
        token = options.token or auth.mint_token(client_id, client_secret, ttl=3600)
        secrets.add(token)
        return Credentials(token, client_id, client_secret)
    if options.token:
        return Credentials(options.token, client_id, None)
    raise CannotRun(
        f"no credentials: pass {options.flag('client-id')} and "
        f"{options.flag('client-secret')} (or KORE_CLIENT_ID/KORE_CLIENT_SECRET), "
        f"or {options.flag('token')}"
    )


def load_run_fixture(options: SessionOptions) -> Fixture:
    """The account under test; `CannotRun` when it cannot be read or cannot make a valid
    create (no contact list or no template)."""
    from kore_contract.contract.fixture import FixtureError, load_fixture

    try:
        fixture = load_fixture(options.fixture)
    except FixtureError as error:
        raise CannotRun(str(error)) from None
    check_fixture(fixture)
    return fixture


def check_fixture(fixture: Fixture) -> None:
    if not fixture.contact_lists or not fixture.templates:
        raise CannotRun(
            f"{fixture.source}: the fixture needs at least one contact list and "
            "one template to build valid creates"
        )


@contextlib.contextmanager
def embedded_mock(options: SessionOptions, fixture: Fixture) -> Iterator[MockServer]:
    """The embedded mock on a free loopback port, accepting the options' ids and the
    credentials of `client_credentials`, for as long as the context lasts."""
    from kore_contract.mock.server import running_mock

    client_id, client_secret = client_credentials(options)
    with running_mock(
        fixture,
        client_id=client_id or "",
        client_secret=client_secret or "",
        stream_id=options.stream_id,
        account_id=options.account_id,
        iid=options.iid,
        fault=options.fault,
    ) as server:
        yield server


def plan_session(
    options: SessionOptions,
    target: Target,
    fixture: Fixture,
    *,
    client_id: str | None,
    client_secret: str | None,
    secrets: RunSecrets | None = None,
) -> list[PlannedCase]:
    """Every case of the run, in order: the planned cases, then the schemathesis phase
    (unless `fuzz` is off). The same for the same options: the suite plans it to name its
    tests before the server is called, the run plans it again with the real target."""
    from kore_contract.run.planning import plan_cases

    planned = plan_cases(
        target,
        fixture,
        max_examples=options.max_examples,
        seed=options.seed,
        client_id=client_id,
        client_secret=client_secret,
        secrets=secrets,
    )
    if options.fuzz:
        planned += fuzz_plan(target, fixture, max_examples=options.max_examples, seed=options.seed)
    return planned


_FUZZ_PLANS: dict[tuple[object, ...], tuple[PlannedCase, ...]] = {}


def fuzz_plan(
    target: Target, fixture: Fixture, *, max_examples: int, seed: int
) -> tuple[PlannedCase, ...]:
    """The schemathesis phase's cases, drawn once per process for the same account, ids and
    budget: they do not depend on the base URL or the token, so the suite's collection and
    its run share one draw (and agree on what each case breaks)."""
    from kore_contract.run import fuzz_phase

    key = (
        fixture.contact_lists,
        fixture.dnc_lists,
        tuple(sorted(fixture.templates.items())),
        fixture.caller_ids,
        target.stream_id,
        target.account_id,
        target.iid,
        max_examples,
        seed,
    )
    if key not in _FUZZ_PLANS:
        if len(_FUZZ_PLANS) >= 4:
            _FUZZ_PLANS.clear()
        _FUZZ_PLANS[key] = tuple(
            fuzz_phase.plan_fuzz_cases(target, fixture, max_examples=max_examples, seed=seed)
        )
    return _FUZZ_PLANS[key]


@functools.lru_cache(maxsize=4)
def offline_plan(options: SessionOptions) -> tuple[PlannedCase, ...]:
    """The run's plan for these options, made against a target that is never called: the
    suite names its tests with it before the server is called."""
    from kore_contract.contract.fixture import load_fixture

    target = Target(
        "http://planning.invalid", options.stream_id, options.account_id, options.iid, "planning"
    )
    client_id, client_secret = client_credentials(options)
    return tuple(
        plan_session(
            options,
            target,
            load_fixture(options.fixture),
            client_id=client_id or "planning",
            client_secret=client_secret,
        )
    )


# --- the session ------------------------------------------------------------------------------


class ContractSession:
    """One contract run: `with ContractSession(options) as session: session.run()`.

    Entering it makes the run's secrets the active ones (every report written meanwhile
    redacts them) and, without a base URL, starts the embedded mock. A shell that already
    has a target, a fixture or credentials (the plugin's fixtures) passes them in.
    """

    def __init__(
        self,
        options: SessionOptions,
        *,
        fixture: Fixture | None = None,
        creds: Credentials | None = None,
        target: Target | None = None,
    ) -> None:
        self.options = options
        self.secrets = RunSecrets()
        check_base_url(options)
        if fixture is None:
            self.fixture = load_run_fixture(options)
        else:
            check_fixture(fixture)
            self.fixture = fixture
        if creds is None:
            self.credentials = credentials(options, self.secrets)
        else:
            self.credentials = creds
            for secret in (creds.token, creds.client_secret):
                self.secrets.add(secret)
        self._given_target = target
        self._target: Target | None = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> ContractSession:
        self._stack.enter_context(self.secrets.active())
        self._target = self._given_target or self._start_target()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stack.close()

    def _start_target(self) -> Target:
        options = self.options
        base_url = options.base_url
        if base_url is None:
            base_url = self._stack.enter_context(embedded_mock(options, self.fixture)).base_url
        return Target(
            base_url, options.stream_id, options.account_id, options.iid, self.credentials.token
        )

    @property
    def target(self) -> Target:
        if self._target is None:
            raise RuntimeError("enter the session (`with ContractSession(...)`) first")
        return self._target

    def plan(self) -> list[PlannedCase]:
        return plan_session(
            self.options,
            self.target,
            self.fixture,
            client_id=self.credentials.client_id,
            client_secret=self.credentials.client_secret,
            secrets=self.secrets,
        )

    def start_policy(self, contact_lists: object) -> str | None:
        """Why a campaign with these contact lists may not be started here, or None (item 6:
        on a live server only with allow_sends, only on the sendable contact lists)."""
        from kore_contract.run.options import start_refusal

        sendable = tuple(self.fixture.to_json().get("sendableContactLists", ()))
        return start_refusal(
            self.options,
            self.target.base_url,
            is_loopback(self.target.base_url),
            contact_lists,
            sendable,
        )

    def client(self) -> KoreClient:
        """The run's client: the rate cap (none on loopback unless given), the ledger, the
        stop after MAX_CONSECUTIVE_FAILURES unanswered requests."""
        options, target = self.options, self.target
        rate = options.rate or (None if is_loopback(target.base_url) else LIVE_DEFAULT_RATE)
        return KoreClient(
            target,
            timeout=options.timeout,
            rate=rate,
            ledger=Ledger(options.ledger_path),
            max_failures=MAX_CONSECUTIVE_FAILURES,
        )

    def run(self, progress: ProgressBar | None = None) -> SessionOutcome:
        """Probe, plan, run and clean up; `CannotRun` when the server cannot be reached."""
        from kore_contract.run.planning import plan_gaps
        from kore_contract.run.runner import Runner, build_result, now_iso, run_info

        client = self.client()
        try:
            self._probe(client)
            started, started_at = time.perf_counter(), now_iso()
            planned = self.plan()
            runner = Runner(
                client,
                secrets=self.secrets,
                start_policy=self.start_policy,
                flows=self.fixture.to_json().get("experienceFlows"),
            )
            runner.not_exercised.update(plan_gaps(self.fixture))
            error, interrupted, stopped = self._run_plan(runner, planned, progress)
        finally:
            client.close()
        left = tuple(runner.left_behind)
        if left:
            error = (
                (error or "") + f" {len(left)} campaign(s) could not be deleted; run "
                f"kore-contract cleanup --ledger {client.ledger.path} "
                f"--base-url {client.target.base_url}"
            )
        info = run_info(
            client,
            live=self.options.base_url is not None,
            seed=self.options.seed,
            max_examples=self.options.max_examples,
            started=started,
            started_at=started_at,
        )
        result = build_result(
            runner.outcomes,
            run=info,
            secrets=self.secrets,
            error=error.strip() if error else None,
            not_exercised=runner.not_exercised,
            cut_short=interrupted or stopped,
        )
        possibly = tuple(str(entry.get("name")) for entry in client.ledger.unresolved.values())
        return SessionOutcome(
            result, self.options.ledger_path, interrupted, stopped, left, possibly
        )

    def _probe(self, client: KoreClient) -> None:
        target = self.target
        probe = client.send(
            "GET",
            target.call_path("get", "kore-contract-probe"),
            query={"accountId": target.account_id},
            headers=target.standard_headers(),
        )
        if probe.status is None:
            raise CannotRun(f"cannot reach {target.base_url}: {probe.error}")

    @staticmethod
    def _run_plan(
        runner: Runner, planned: list[PlannedCase], progress: ProgressBar | None
    ) -> tuple[str | None, bool, bool]:
        """Run every case (the runner deletes what was created, whatever happens); the
        error to report, whether Ctrl-C stopped the run, whether the server did."""
        bar = progress(len(planned)) if progress else contextlib.nullcontext(None)
        try:
            with bar as advance:
                if advance is not None:
                    runner.progress = advance
                runner.run_plan(planned)
        except KeyboardInterrupt:
            return "interrupted", True, False
        except ServerStoppedAnswering as why:
            return f"{why}; the reports hold the cases run before", False, True
        return None, False, False
