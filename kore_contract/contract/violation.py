"""A broken rule, as data: which rule, where (an RFC 6901 pointer), and a message a person
can act on. Validators, checks, the mock and auth all yield it; nothing raises it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    rule: str  # "R7"
    pointer: str  # "/priority"
    message: str

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "pointer": self.pointer, "message": self.message}

    def __str__(self) -> str:
        return f"{self.pointer or '(root)'}: {self.message} ({self.rule})"
