"""Run the planned cases against a target and collect everything into one RunResult.

Each case: send, check (checks.py), and for accepted creates the lifecycle (get, delete,
get: S10). Every created campaign goes to the ledger before the run goes on and is deleted
by the end, also after Ctrl-C or a crash.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from kore_contract import __version__
from kore_contract.contract.rules import RULES
from kore_contract.redaction import RunSecrets, redact
from kore_contract.report import RESULTS_VERSION
from kore_contract.run import lifecycle
from kore_contract.run.checks import Finding, Observation, RunState, run_checks
from kore_contract.run.client import Exchange, KoreClient, ServerStoppedAnswering
from kore_contract.run.planning import PlannedCase

Progress = Callable[[str], None]


@dataclass
class CaseOutcome:
    case: PlannedCase
    exchanges: list[tuple[str, Exchange]] = field(default_factory=list)  # (call, exchange)
    exercised: set[tuple[str, str]] = field(default_factory=set)  # (rule, call)
    findings: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.findings)


class Runner:
    def __init__(self, client: KoreClient, *, secrets: Iterable[str] | RunSecrets = (),
                 progress: Progress | None = None) -> None:
        self.client = client
        self.secrets = secrets if isinstance(secrets, RunSecrets) else RunSecrets(secrets)
        self.state = RunState(secrets=self.secrets)
        self.progress = progress or (lambda _: None)
        self.outcomes: list[CaseOutcome] = []
        self.lifecycles = 0
        self.left_behind: list[str] = []

    # --- one case ---------------------------------------------------------------------

    def run_case(self, case: PlannedCase) -> CaseOutcome:
        outcome = CaseOutcome(case)
        self._remember_token(case)
        if case.call == "create":
            exchange = self.client.create(case.body, headers=case.headers, query=case.query,
                                          raw=case.raw)
        elif case.call == "get":
            exchange = self.client.get(str(case.notes["campaign_id"]))
        else:
            exchange = self.client.delete(str(case.notes["campaign_id"]))
        self._observe(outcome, case.call, exchange, case.expect)
        if case.expect != "accept" or exchange.status not in (200, 201):
            self._delete_if_created(outcome, exchange)
        elif case.follow_lifecycle:
            self._lifecycle(outcome, exchange)
        else:
            self._delete_if_created(outcome, exchange)
        self.outcomes.append(outcome)
        self.progress(case.id)
        return outcome

    def _remember_token(self, case: PlannedCase) -> None:
        """A JWT a case sends is a secret of the run, however it was planned (S11)."""
        token = (case.headers or {}).get("auth")
        if token and token.count(".") == 2:
            self.secrets.add(token)

    def _observe(self, outcome: CaseOutcome, call: str, exchange: Exchange, expect: Any,
                 ) -> None:
        outcome.exchanges.append((call, exchange))
        observation = Observation(outcome.case.id, call, expect, exchange, self.state,
                                  sent=outcome.case.body if call == "create" else None,
                                  breaks=outcome.case.breaks)
        exercised, findings = run_checks(observation)
        outcome.exercised |= {(rule, call) for rule in exercised}
        if outcome.case.breaks and expect != "accept":
            outcome.exercised.add((outcome.case.breaks, call))
            if findings:
                what = outcome.case.notes.get("what", outcome.case.id)
                findings.append(Finding(outcome.case.breaks, call, outcome.case.pointer,
                                        f"the server did not refuse a request that breaks "
                                        f"{outcome.case.breaks}: {what}"))
        if outcome.case.tolerates and call == "create":
            outcome.exercised.add((outcome.case.tolerates, call))
            if exchange.status not in (200, 201):
                findings.append(Finding(outcome.case.tolerates, call, outcome.case.pointer,
                                        f"refused with {exchange.status} a body that only "
                                        f"warrants a warning: {outcome.case.notes.get('what')}"))
        outcome.findings.extend(findings)

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
        steps.append(("delete", deleted,
                      list(lifecycle.delete_answers_the_campaign(created, deleted))))
        gone = self.client.get(campaign_id)
        steps.append(("get", gone, list(lifecycle.deleted_campaign_is_gone(gone))))
        for call, exchange, findings in steps:
            outcome.exchanges.append((call, exchange))
            observation = Observation(outcome.case.id, call, "accept", exchange, self.state)
            exercised, common = run_checks(observation, only_universal=True)
            outcome.exercised |= {("S10", call)} | {(rule, call) for rule in exercised}
            outcome.findings.extend(findings + common)

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
            return self.client.delete_pending()
        except ServerStoppedAnswering:
            return list(self.client.ledger.pending)


def rule_rows(outcomes: list[CaseOutcome]) -> list[dict[str, Any]]:
    """One row per (rule, call): checks run, failures, the first failing case."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for outcome in outcomes:
        for rule, call in sorted(outcome.exercised):
            row = rows.setdefault((rule, call), {"id": rule, "call": call, "status": "passed",
                                                 "checks": 0, "failures": 0,
                                                 "first_failure": None})
            row["checks"] += 1
        failed_keys = {(f.rule, f.call) for f in outcome.findings}
        for key in failed_keys:
            row = rows.setdefault(key, {"id": key[0], "call": key[1], "status": "passed",
                                        "checks": 1, "failures": 0, "first_failure": None})
            row["failures"] += 1
            row["status"] = "failed"
            row["first_failure"] = row["first_failure"] or outcome.case.id
    exercised_rules = {rule for rule, _ in rows}
    for rule_id in RULES:
        if rule_id not in exercised_rules:
            rows[(rule_id, "any")] = {"id": rule_id, "call": "any", "status": "not_exercised",
                                      "checks": 0, "failures": 0, "first_failure": None}
    order = list(RULES)
    calls = ["create", "get", "delete", "any"]
    return sorted(rows.values(), key=lambda r: (order.index(r["id"]) if r["id"] in order
                                               else len(order), calls.index(r["call"])))


def exchange_json(exchange: Exchange) -> dict[str, Any]:
    body_json = exchange.request_json
    return {
        "request": {
            "method": exchange.method, "url": exchange.url, "headers": dict(exchange.headers),
            "body": body_json,
            "body_text": None if body_json is not None or exchange.body is None
            else exchange.body.decode("utf-8", "replace"),
        },
        "response": None if exchange.status is None else {
            "status": exchange.status, "headers": exchange.response_headers,
            "body": exchange.response_json,
            "body_text": exchange.response_text if exchange.response_json is None else None,
            "elapsed_ms": round(exchange.elapsed_ms, 2),
        },
        "error": exchange.error,
    }


def outcome_json(outcome: CaseOutcome) -> dict[str, Any]:
    case = outcome.case
    first_call, first = outcome.exchanges[0]
    record = {
        "id": case.id, "phase": case.phase, "call": first_call,
        "rules": sorted({rule for rule, _ in outcome.exercised}),
        "expect": case.expect, "breaks": case.breaks,
        **exchange_json(first),
        "steps": [{"call": call, **exchange_json(ex)} for call, ex in outcome.exchanges[1:]],
        "findings": [f.to_json() for f in outcome.findings],
        "curl": first.curl(),
        "status": "error" if first.error else ("failed" if outcome.failed else "passed"),
    }
    return record


def build_results(outcomes: list[CaseOutcome], *, run: dict[str, Any], secrets: Iterable[str],
                  error: str | None = None) -> dict[str, Any]:
    cases = [outcome_json(o) for o in outcomes]
    rows = rule_rows(outcomes)
    failed = any(r["status"] == "failed" for r in rows)
    results = {
        "version": RESULTS_VERSION,
        "tool": {"name": "kore-contract", "version": __version__},
        "run": run,
        "verdict": "error" if error else ("fail" if failed else "pass"),
        "error": error,
        "rules": rows,
        "cases": cases,
    }
    redacted: dict[str, Any] = redact(results, list(secrets))
    return redacted


def run_record(client: KoreClient, *, live: bool, seed: int, max_examples: int,
               started: float, started_at: str) -> dict[str, Any]:
    """results.json's `run`: where, with what budget, when, how many requests."""
    target = client.target
    return {"base_url": target.base_url, "target": "live" if live else "mock",
            "stream_id": target.stream_id, "account_id": target.account_id, "seed": seed,
            "max_examples": max_examples, "started_at": started_at, "finished_at": now_iso(),
            "duration_s": elapsed_since(started), "requests": client.requests_sent}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def elapsed_since(started: float) -> float:
    return round(time.perf_counter() - started, 3)
