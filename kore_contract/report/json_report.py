"""results.json: the run as data, pretty-printed, redacted, with its format version.

Any string a server sent is kept exactly; JSON escapes what UTF-8 or a terminal cannot take.
"""

from __future__ import annotations

from typing import Any

from kore_contract.common.escape import json_text
from kore_contract.report import RESULTS_VERSION
from kore_contract.report.redact import sanitize


def render(results: dict[str, Any]) -> str:
    data = sanitize(results)
    data = {"version": data.get("version", RESULTS_VERSION), **data}
    return json_text(data) + "\n"
