"""kore-contract: is the Kore.ai SMS campaign v2 API, and what you send it, keeping its contract?

Public API: `validate_request`, `validate_response` (payloads), `load_fixture` (the account
under test). Strategies live in `kore_contract.strategies`, the mock in `kore_contract.mock`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kore_contract.common.version import __version__

__all__ = ["__version__", "load_fixture", "validate_request", "validate_response"]

if TYPE_CHECKING:
    from kore_contract.contract.fixture import load_fixture
    from kore_contract.validate.api import validate_request, validate_response


def __getattr__(name: str) -> Any:
    # Lazy, so that `kore-contract validate` on one file imports only what it needs.
    if name in ("validate_request", "validate_response"):
        from kore_contract.validate import api

        return getattr(api, name)
    if name == "load_fixture":
        from kore_contract.contract.fixture import load_fixture

        return load_fixture
    raise AttributeError(f"module 'kore_contract' has no attribute {name!r}")
