"""results.json: the run as data, pretty-printed, redacted, with its format version."""

from __future__ import annotations

import json
from typing import Any

from kore_contract.report import RESULTS_VERSION
from kore_contract.report.redact import sanitize


def render(results: dict[str, Any]) -> str:
    data = sanitize(results)
    data = {"version": data.get("version", RESULTS_VERSION), **data}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
