"""results.json: the run as data, pretty-printed, redacted, with its format version.

Any string a server sent is kept exactly; JSON escapes what UTF-8 or a terminal cannot take.
What is written is checked against results.schema.json first (`checked_text`), as what is
read is (`schema_problem`): a file that breaks it is never written.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from kore_contract.common.escape import json_text
from kore_contract.report import SCHEMA_FILE
from kore_contract.report.redact import sanitize
from kore_contract.run.results import RESULTS_VERSION, RunResult

#: A run's results: a `RunResult`, or its JSON form (a results.json document).
Results = RunResult | Mapping[str, Any]


class ResultsBreakSchema(ValueError):
    """The results about to be written break results.schema.json (a bug of the writer)."""


def sanitized(results: Results) -> dict[str, Any]:
    """The results' JSON form, with no secret header value, token or run secret left."""
    data = results.to_json() if isinstance(results, RunResult) else dict(results)
    return sanitize(data)


def text(data: dict[str, Any]) -> str:
    """Redacted JSON data as the file's text: the format version first, then the rest."""
    data = {"version": data.get("version", RESULTS_VERSION), **data}
    return json_text(data) + "\n"


def render(results: Results) -> str:
    return text(sanitized(results))


def checked_text(data: dict[str, Any]) -> str:
    """`text(data)`, once `data` is known to keep results.schema.json."""
    problem = schema_problem(data)
    if problem:
        raise ResultsBreakSchema(f"the results break results.schema.json: {problem}")
    return text(data)


def schema_problem(results: Any) -> str | None:
    """The first way `results` breaks results.schema.json, on one line; None if it keeps it.

    jsonschema-rs answers whether it does (fast: a run's results in about a millisecond);
    only when it does not, or cannot take the data (a lone surrogate), does jsonschema
    find the error that best explains why."""
    if not isinstance(results, Mapping):
        return f"expected a JSON object; got {type(results).__name__}"
    if results.get("version") != RESULTS_VERSION:
        return f"version: got {json.dumps(results.get('version'))}; expected {RESULTS_VERSION}"
    try:
        if _fast_validator().is_valid(results):
            return None
    except (ValueError, TypeError, OverflowError):  # data the Rust side cannot convert
        pass
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator().iter_errors(results))
    if error is None:
        return None
    where = "".join(f"/{part}" for part in error.absolute_path) or "(root)"
    message = " ".join(error.message.split())
    if len(message) > 200:
        message = message[:197] + "..."
    return f"{where}: {message}"


@functools.lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


@functools.lru_cache(maxsize=1)
def _fast_validator() -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(_schema())


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(_schema())
