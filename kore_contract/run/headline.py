"""The verdict's one line, said once for the console, the reports and JUnit.

A contract run judges a server: FAIL means the server broke a rule. Checked traffic (the
proxy, `validate --traffic`; results.json's `source: "traffic"`) judges both sides: a failing
request rule (R, C1-C3, U1, L1, A) may be the application's doing, so the line says which
rules failed on which side instead of blaming the server. Traffic in which no exchange of the
contract was seen judged nothing: it is not a PASS.
"""

from __future__ import annotations

from kore_contract.contract.rules import RULES
from kore_contract.run.results import RunResult

#: results.json's top-level `source` of checked traffic (RunResult.extra).
TRAFFIC = "traffic"


def from_traffic(result: RunResult) -> bool:
    return result.extra.get("source") == TRAFFIC


def headline(result: RunResult) -> tuple[str, str]:
    """(label, sentence): PASS, FAIL, ERROR or NOTHING CHECKED, and what it means."""
    if result.verdict == "error":
        return "ERROR", result.error or "the run could not be completed"
    traffic = from_traffic(result)
    if result.verdict == "fail":
        if not traffic:
            return "FAIL", "the server breaks the contract"
        return "FAIL", "the traffic breaks the contract: " + _sides(result)
    if traffic and all(row.status == "not_exercised" for row in result.rules):
        return "NOTHING CHECKED", "no exchange of the contract was seen"
    return "PASS", f"the {'traffic' if traffic else 'server'} keeps the contract"


def _sides(result: RunResult) -> str:
    failed = list(dict.fromkeys(row.id for row in result.rules if row.status == "failed"))
    sent = [rule for rule in failed if rule in RULES and RULES[rule].kind != "response"]
    answered = [rule for rule in failed if rule not in sent]
    parts = []
    if sent:
        parts.append(f"request rules {', '.join(sent)} (what the application sent)")
    if answered:
        parts.append(f"answer rules {', '.join(answered)} (what the server answered)")
    return "; ".join(parts) or "see the rule table"
