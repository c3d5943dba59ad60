"""The mock server: serves create, get and delete from the spec, seeded from a fixture.

`running_mock()` starts it in a background thread on a free loopback port (tests, the
contract run's default); `kore-contract mock` runs it in the foreground.
"""

from kore_contract.mock.faults import FAULTS, Fault
from kore_contract.mock.server import MockError, MockServer, running_mock

__all__ = ["FAULTS", "Fault", "MockError", "MockServer", "running_mock"]
