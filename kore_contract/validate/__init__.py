"""Bytes -> Result: the validator of payloads (requests) and answers (responses).

`validate_request` and `validate_response` are the public entry points; `batch` checks many
files (a fork pool for large sets) and `output` renders results as text, JSON or JUnit.
"""

from kore_contract.validate.engine import (
    MAX_VIOLATIONS,
    Result,
    Violation,
    validate_request,
    validate_response,
    validate_text,
)

__all__ = ["MAX_VIOLATIONS", "Result", "Violation", "validate_request", "validate_response",
           "validate_text"]
