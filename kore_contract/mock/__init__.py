"""The mock server: serves every call of the spec (the SMS campaign v2 family) with the
campaign's state machine, seeded from a fixture.

`running_mock()` starts it in a background thread on a free loopback port (tests, the
contract run's default); `kore-contract mock` runs it in the foreground. The names below
are imported on first use, so that `kore_contract.mock.limits` (read by the command's
help) costs no server import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kore_contract.mock.faults import FAULTS, Fault
    from kore_contract.mock.server import MockError, MockServer, running_mock

__all__ = ["FAULTS", "Fault", "MockError", "MockServer", "running_mock"]

_HOMES = {
    "FAULTS": "faults",
    "Fault": "faults",
    "MockError": "server",
    "MockServer": "server",
    "running_mock": "server",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
