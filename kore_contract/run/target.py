"""Where and as whom a run calls: the `Target` (base URL, ids, token) and its paths.

Its own module so that the client and the ledger both use it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from kore_contract.contract.spec import operations


def path_segment(value: str) -> str:
    """`value` percent-encoded as one path segment: "/", "?", "#" cannot change which path
    is called. (A bare "." or ".." cannot be encoded: `send` refuses such a path.) A lone
    surrogate (a JSON escape no UTF-8 text can hold) is sent as "?", percent-encoded."""
    return quote(value.encode("utf-8", "replace").decode("utf-8"), safe="")


@dataclass(frozen=True)
class Target:
    """Where and as whom to call: the base URL, the ids of docs/design.md's options, the token."""

    base_url: str
    stream_id: str
    account_id: str
    iid: str
    token: str

    def call_path(self, call: str, campaign_id: str | None = None) -> str:
        template: str = operations()[call]["path"]  # type: ignore[index]
        path = template.replace("{streamId}", path_segment(self.stream_id))
        return path.replace("{campaignId}", path_segment(campaign_id or ""))

    def standard_headers(self) -> dict[str, str]:
        return {"auth": self.token, "iid": self.iid, "accountId": self.account_id}
