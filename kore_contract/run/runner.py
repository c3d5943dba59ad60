"""Run the planned cases against a target and collect everything into one `RunResult`.

Each case: send, check (checks.py), and for accepted creates the lifecycle (get, delete,
get: S10). Every created campaign goes to the ledger before the run goes on and is deleted
by the end, also after Ctrl-C or a crash.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from kore_contract.common.version import __version__
from kore_contract.contract.rules import RULES
from kore_contract.redaction import RunSecrets, redact
from kore_contract.run import family_checks as _family_checks  # noqa: F401 (registers them)
from kore_contract.run import lifecycle
from kore_contract.run.checks import Observation, RunState, rules_checked, run_checks
from kore_contract.run.client import Exchange, KoreClient, ServerStoppedAnswering
from kore_contract.run.outcome import CaseOutcome as CaseOutcome  # re-exported
from kore_contract.run.planning import PlannedCase
from kore_contract.run.results import (
    RESULTS_VERSION,
    CaseResult,
    ExchangeRecord,
    Finding,
    RequestRecord,
    ResponseRecord,
    RuleResult,
    RunInfo,
    RunResult,
    Step,
)

Progress = Callable[[str], None]
#: Why a campaign may not be started (its contact lists), or None: options.start_refusal.
StartPolicy = Callable[[Any], "str | None"]
#: The rules a family lifecycle case exercises, besides its create's checks.
FAMILY_RULES = frozenset(
    {"S10", "U1", "U2", "U3", "T2", "T3", "T4", "T5", "T6", "Q1", "L2", "L3", "C4", "S9", "S11"}
)
#: The rules the listing case (family.walk_listing) exercises, besides its creates' checks.
LISTING_RULES = frozenset({"L2", "L3", "S10", "S9", "S11"})
#: The rule a create's lifecycle (get, delete, get) exercises.
LIFECYCLE_RULE = "S10"


def own_rules(case: PlannedCase, call: str) -> set[str]:
    """The rules a case exercises besides the registered checks of its expectation: the rule
    its request breaks (when it must be refused), and the advisory rule a create only
    warrants a warning for (it must still be accepted)."""
    rules = set()
    if case.breaks and case.expect != "accept":
        rules.add(case.breaks)
    if case.tolerates and call == "create":
        rules.add(case.tolerates)
    return rules


def planned_rules(case: PlannedCase) -> frozenset[str]:
    """The rules a case exercises when the server answers it, known before it is sent: the
    suite runs each rule's test over the cases that exercise that rule."""
    rules = rules_checked(case.expect, call=case.call) | own_rules(case, case.call)
    if "family" in case.notes:
        rules |= FAMILY_RULES
    if "listing" in case.notes:
        rules |= LISTING_RULES
    if case.follow_lifecycle:
        rules |= {LIFECYCLE_RULE} | rules_checked(case.expect, only_universal=True)
    return frozenset(rules)


class Runner:
    def __init__(
        self,
        client: KoreClient,
        *,
        secrets: Iterable[str] | RunSecrets = (),
        progress: Progress | None = None,
        start_policy: StartPolicy | None = None,
        flows: dict[str, str] | None = None,
    ) -> None:
        self.client = client
        self.secrets = secrets if isinstance(secrets, RunSecrets) else RunSecrets(secrets)
        self.state = RunState(secrets=self.secrets, flows=dict(flows or {}))
        self.start_policy: StartPolicy = start_policy or (lambda _: None)
        self.not_exercised: dict[str, str] = {}  # rule -> why (no start on a live server)
        self.progress = progress or (lambda _: None)
        self.outcomes: list[CaseOutcome] = []
        self.lifecycles = 0
        self.left_behind: list[str] = []

    # --- one case ---------------------------------------------------------------------

    def run_case(self, case: PlannedCase) -> CaseOutcome:
        outcome = CaseOutcome(case)
        self._remember_token(case)
        if case.call == "create":
            exchange = self.client.create(
                case.body, headers=case.headers, query=case.query, raw=case.raw
            )
        elif case.call == "list":
            exchange = self.client.list_campaigns(case.body)
        else:
            exchange = self._call(case.call, str(case.notes["campaign_id"]), case.body)
        self._observe(outcome, case.call, exchange, case.expect)
        if case.expect != "accept" or exchange.status not in (200, 201):
            self._delete_if_created(outcome, exchange)
        elif "family" in case.notes:
            from kore_contract.run.family import walk

            walk(self, outcome, exchange)
        elif "listing" in case.notes:
            from kore_contract.run.family import walk_listing

            walk_listing(self, outcome, exchange)
        elif case.follow_lifecycle:
            self._lifecycle(outcome, exchange)
        else:
            self._delete_if_created(outcome, exchange)
        self.outcomes.append(outcome)
        self.progress(case.id)
        return outcome

    def _call(self, call: str, campaign_id: str, body: Any = None) -> Exchange:
        """One call on a campaign id (get, update, start, stop, status, delete)."""
        calls: dict[str, Callable[[], Exchange]] = {
            "get": lambda: self.client.get(campaign_id),
            "update": lambda: self.client.update(campaign_id, body or {}),
            "start": lambda: self.client.start(campaign_id),
            "stop": lambda: self.client.stop(campaign_id),
            "status": lambda: self.client.status(campaign_id),
            "delete": lambda: self.client.delete(campaign_id),
        }
        return calls[call]()

    def _remember_token(self, case: PlannedCase) -> None:
        """A JWT a case sends is a secret of the run, however it was planned (S11)."""
        token = (case.headers or {}).get("auth")
        if token and token.count(".") == 2:
            self.secrets.add(token)

    def _observe(
        self,
        outcome: CaseOutcome,
        call: str,
        exchange: Exchange,
        expect: Any,
    ) -> None:
        outcome.exchanges.append((call, exchange))
        observation = Observation(
            outcome.case.id,
            call,
            expect,
            exchange,
            self.state,
            sent=outcome.case.body if call == "create" else None,
            breaks=outcome.case.breaks,
        )
        exercised, findings = run_checks(observation)
        outcome.exercised |= {(rule, call) for rule in exercised | own_rules(outcome.case, call)}
        if outcome.case.breaks and expect != "accept" and findings:
            what = outcome.case.notes.get("what", outcome.case.id)
            findings.append(
                Finding(
                    outcome.case.breaks,
                    call,
                    outcome.case.pointer,
                    f"the server did not refuse a request that breaks "
                    f"{outcome.case.breaks}: {what}",
                )
            )
        if outcome.case.tolerates and call == "create" and exchange.status not in (200, 201):
            findings.append(
                Finding(
                    outcome.case.tolerates,
                    call,
                    outcome.case.pointer,
                    f"refused with {exchange.status} a body that only "
                    f"warrants a warning: {outcome.case.notes.get('what')}",
                )
            )
        outcome.found(findings)

    def _lifecycle(self, outcome: CaseOutcome, created_exchange: Exchange) -> None:
        answer = created_exchange.response_json
        created = answer.get("data") if isinstance(answer, dict) else None
        campaign_id = created.get("_id") if isinstance(created, dict) else None
        if not isinstance(created, dict) or not isinstance(campaign_id, str) or not campaign_id:
            return
        steps: list[tuple[str, Exchange, list[Finding]]] = []
        got = self.client.get(campaign_id)
        steps.append(("get", got, list(lifecycle.get_answers_the_campaign(created, got))))
        self.lifecycles += 1  # every second delete leaves out the optional campaignType (S10)
        deleted = self.client.delete(campaign_id, campaign_type=self.lifecycles % 2 == 1)
        steps.append(
            ("delete", deleted, list(lifecycle.delete_answers_the_campaign(created, deleted)))
        )
        gone = self.client.get(campaign_id)
        steps.append(("get", gone, list(lifecycle.deleted_campaign_is_gone(gone))))
        for call, exchange, findings in steps:
            outcome.exchanges.append((call, exchange))
            observation = Observation(outcome.case.id, call, "accept", exchange, self.state)
            exercised, common = run_checks(observation, only_universal=True)
            outcome.exercised |= {(rule, call) for rule in {LIFECYCLE_RULE, *exercised}}
            outcome.found(findings + common)

    def _delete_if_created(self, outcome: CaseOutcome, exchange: Exchange) -> None:
        campaign_id = self.client.record_created(exchange) if exchange.status else None
        if campaign_id:
            self.client.delete(campaign_id)

    # --- the whole run ----------------------------------------------------------------

    def run_plan(self, planned: Iterable[PlannedCase]) -> None:
        """Run every case; whatever happens (Ctrl-C, a crash), delete what was created.

        The ids that could not be deleted are in `left_behind` afterwards.
        """
        try:
            for case in planned:
                self.run_case(case)
        finally:
            self.left_behind = self.cleanup()

    def cleanup(self) -> list[str]:
        """Delete whatever the ledger still holds; the ids left behind (all of them when
        the server has stopped answering: the ledger keeps them for `cleanup`)."""
        try:
            if self.client.ledger.unresolved:
                self.client.settle_unresolved()
            return self.client.delete_pending()
        except ServerStoppedAnswering:
            return list(self.client.ledger.pending)


#: Why a rule was not exercised, when nothing more precise is known (`not_exercised`).
NOT_REACHED = (
    "its cases ran, but no answer reached its check (a create refused has no campaign to check)"
)
CUT_SHORT = "the run stopped before a case that exercises it"
NOT_PLANNED = (
    "no case of this run's plan exercises it "
    "(--max-examples, --no-fuzz and the fixture make the plan)"
)


def rule_results(
    outcomes: list[CaseOutcome],
    not_exercised: dict[str, str] | None = None,
    *,
    cut_short: bool = False,
) -> list[RuleResult]:
    """One row per (rule, call): checks run, failures, the first failing case; a row "any"
    for each catalogue rule the run did not exercise, saying why: the reason the run knows
    (`not_exercised`: no start on a live server, a variant the fixture cannot make), else
    whether its cases ran, the run was `cut_short`, or the plan has none. In catalogue
    order, then by call."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}

    def row(rule: str, call: str, checks: int) -> dict[str, Any]:
        return rows.setdefault((rule, call), {"checks": checks, "failures": 0, "first": None})

    for outcome in outcomes:
        for rule, call in sorted(outcome.exercised):
            row(rule, call, 0)["checks"] += 1
        for key in {(f.rule, f.call) for f in outcome.findings}:
            failed = row(*key, 1)
            failed["failures"] += 1
            failed["first"] = failed["first"] or outcome.case.id
    exercised_rules = {rule for rule, _ in rows}
    results = [
        RuleResult(
            rule,
            call,
            "failed" if counts["failures"] else "passed",
            counts["checks"],
            counts["failures"],
            counts["first"],
        )
        for (rule, call), counts in rows.items()
    ]
    reasons = not_exercised or {}
    ran = frozenset().union(*(planned_rules(outcome.case) for outcome in outcomes))
    fallback = CUT_SHORT if cut_short else NOT_PLANNED
    results += [
        RuleResult(
            rule_id,
            "any",
            "not_exercised",
            0,
            0,
            None,
            {"reason": reasons.get(rule_id) or (NOT_REACHED if rule_id in ran else fallback)},
        )
        for rule_id in RULES
        if rule_id not in exercised_rules
    ]
    order = list(RULES)
    calls = ["create", "get", "update", "start", "stop", "status", "list", "delete", "any"]
    return sorted(
        results,
        key=lambda r: (
            order.index(r.id) if r.id in order else len(order),
            calls.index(r.call) if r.call in calls else len(calls),
        ),
    )


def exchange_record(exchange: Exchange) -> ExchangeRecord:
    body_json = exchange.request_json
    request = RequestRecord(
        exchange.method,
        exchange.url,
        dict(exchange.headers),
        body_json,
        None
        if body_json is not None or exchange.body is None
        else exchange.body.decode("utf-8", "replace"),
    )
    response = (
        None
        if exchange.status is None
        else ResponseRecord(
            exchange.status,
            exchange.response_headers,
            exchange.response_json,
            exchange.response_text if exchange.response_json is None else None,
            round(exchange.elapsed_ms, 2),
        )
    )
    return ExchangeRecord(request, response, exchange.error)


def case_result(outcome: CaseOutcome) -> CaseResult:
    case = outcome.case
    first_call, first = outcome.exchanges[0]
    return CaseResult(
        id=case.id,
        phase=case.phase,
        call=first_call,
        rules=tuple(sorted({rule for rule, _ in outcome.exercised})),
        expect=case.expect,
        breaks=case.breaks,
        exchange=exchange_record(first),
        steps=tuple(Step(call, exchange_record(ex)) for call, ex in outcome.exchanges[1:]),
        findings=tuple(outcome.findings),
        curl=outcome.exchanges[outcome.failing_exchange or 0][1].curl(),
        status="error" if first.error else ("failed" if outcome.failed else "passed"),
    )


def build_result(
    outcomes: list[CaseOutcome],
    *,
    run: RunInfo,
    secrets: Iterable[str],
    error: str | None = None,
    not_exercised: dict[str, str] | None = None,
    cut_short: bool = False,
) -> RunResult:
    """The run's result, every secret redacted (in its JSON form: keys, bodies, curl lines)."""
    rows = rule_results(outcomes, not_exercised, cut_short=cut_short)
    failed = any(row.status == "failed" for row in rows)
    result = RunResult(
        run=run,
        verdict="error" if error else ("fail" if failed else "pass"),
        error=error,
        rules=tuple(rows),
        cases=tuple(case_result(o) for o in outcomes),
        version=RESULTS_VERSION,
        tool={"name": "kore-contract", "version": __version__},
    )
    return RunResult.from_json(redact(result.to_json(), list(secrets)))


def run_info(
    client: KoreClient, *, live: bool, seed: int, max_examples: int, started: float, started_at: str
) -> RunInfo:
    """results.json's `run`: where, with what budget, when, how many requests."""
    target = client.target
    return RunInfo(
        base_url=target.base_url,
        target="live" if live else "mock",
        stream_id=target.stream_id,
        account_id=target.account_id,
        seed=seed,
        max_examples=max_examples,
        started_at=started_at,
        finished_at=now_iso(),
        duration_s=elapsed_since(started),
        requests=client.requests_sent,
    )


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def elapsed_since(started: float) -> float:
    return round(time.perf_counter() - started, 3)
