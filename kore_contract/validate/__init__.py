"""Bytes -> Result: the validator of payloads (requests) and answers (responses).

`validate_request` and `validate_response` are the public entry points. Inside, one job a
module: `schemas` (the spec's schemas, cached), `engine` (the fast and the reference engine),
`explain` (an engine's errors told as violations, at a bounded cost), `semantic` (the rules
JSON Schema cannot say), `messages` (the words of a violation), `result` (what an answer
lists), `api` (the entry points); `batch` checks many files and `output` renders results as
text, JSON or JUnit.
"""

from kore_contract.contract.violation import Violation
from kore_contract.validate.api import (
    validate_parsed,
    validate_request,
    validate_response,
    validate_text,
)
from kore_contract.validate.messages import printable
from kore_contract.validate.result import MAX_VIOLATIONS, Result
from kore_contract.validate.schemas import PayloadKind

__all__ = [
    "MAX_VIOLATIONS",
    "PayloadKind",
    "Result",
    "Violation",
    "printable",
    "validate_parsed",
    "validate_request",
    "validate_response",
    "validate_text",
]
