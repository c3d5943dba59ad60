"""What validating a payload answers: a `Result`, listing at most MAX_VIOLATIONS violations
(and as many warnings) and counting the rest, so that the cost stays bounded whatever the
payload."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kore_contract.contract.violation import Violation

#: The most violations (and, apart, warnings) one payload's result lists; the rest are counted.
MAX_VIOLATIONS = 100

#: How many violations (or warnings) a bounded check looks for: one past the cap tells
#: that there are more than it lists.
LIMIT = MAX_VIOLATIONS + 1


@dataclass
class Result:
    """What is wrong with a payload: at most MAX_VIOLATIONS violations (and as many
    warnings), and how many more were found beyond them. A payload with more violations
    than that gets no advice (warnings) until it has fewer."""

    violations: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)
    more_violations: int = 0  # found beyond the listed ones
    more_warnings: int = 0
    #: False when the search stopped once past the cap: there are at least `more_*` more,
    #: maybe many (counting them all would cost as much as listing them).
    more_exact: bool = True
    #: The create variant the body was read as (C1), for a create or update body.
    variant: str | None = None

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def rules(self) -> set[str]:
        return {v.rule for v in self.violations}


class Capped:
    """At most MAX_VIOLATIONS violations (or warnings) in the order added, and how many
    were found beyond them."""

    __slots__ = ("exact", "listed", "more")

    def __init__(self) -> None:
        self.listed: list[Violation] = []
        self.more = 0
        self.exact = True

    def add(self, found: Sequence[Violation], *, complete: bool = True, beyond: int = 0) -> None:
        """`found`, and `beyond` more not given; `complete`: nothing else was left unsought."""
        if not found and not beyond:  # the usual case
            self.exact = self.exact and complete
            return
        room = max(MAX_VIOLATIONS - len(self.listed), 0)
        self.listed += found[:room]
        self.more += max(len(found) - room, 0) + beyond
        self.exact = self.exact and complete

    def add_bounded(self, found: Sequence[Violation]) -> None:
        """What a check that stops at LIMIT found: reaching it leaves some unsought."""
        self.add(found, complete=len(found) < LIMIT)

    @property
    def over(self) -> bool:
        """More are known than are listed: checks that would only add to the count may be
        skipped (the count is then a lower bound)."""
        return self.more > 0


def result_of(violations: Capped, warnings: Capped, variant: str | None = None) -> Result:
    return Result(
        violations.listed,
        warnings.listed,
        violations.more,
        warnings.more,
        violations.exact and warnings.exact,
        variant,
    )
