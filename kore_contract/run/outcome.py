"""What one case of a run gathered: its exchanges, the rules they exercised, the findings.

Its own module so that the runner and the family lifecycle walk (run/family.py, which the
runner calls) both use it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kore_contract.run.client import Exchange
from kore_contract.run.planning import PlannedCase
from kore_contract.run.results import Finding


@dataclass
class CaseOutcome:
    case: PlannedCase
    exchanges: list[tuple[str, Exchange]] = field(default_factory=list)  # (call, exchange)
    exercised: set[tuple[str, str]] = field(default_factory=set)  # (rule, call)
    findings: list[Finding] = field(default_factory=list)
    #: The exchange the first finding is about (its curl reproduces the failure).
    failing_exchange: int | None = None

    @property
    def failed(self) -> bool:
        return bool(self.findings)

    def found(self, findings: list[Finding]) -> None:
        """Add findings about the latest exchange."""
        if findings and self.failing_exchange is None:
            self.failing_exchange = len(self.exchanges) - 1
        self.findings.extend(findings)
