"""C1 as the strategies need it: which variant a body is read as.

The reading is the spec's own (`x-variants` on the create body: the first entry whose
`when` schema holds names the variant), so a broken template body whose `message` is no
object, or an advanced body whose `format` is not "advanced", is seen for what a
validator sees: a body of another variant, not a broken one of this.
"""

from __future__ import annotations

import functools
from typing import Any

from kore_contract.contract import spec

#: Where a C1 violation points: the body itself (its variant is read from the whole body).
C1_POINTER = ""


@functools.lru_cache(maxsize=1)
def _readers() -> tuple[tuple[str, Any], ...]:
    from jsonschema import Draft202012Validator

    return tuple((variant, Draft202012Validator(when)) for variant, when in spec.variants())


def read_variant(body: Any) -> str:
    """The variant C1 reads `body` as (the first `x-variants` entry whose `when` holds)."""
    for variant, reader in _readers():
        if reader.is_valid(body):
            return variant
    raise AssertionError("the spec's x-variants end with no catch-all entry")


def stays(variant: str, payload: Any) -> bool:
    """Whether a broken payload is still read as `variant`. Raw bytes (R1) and JSON values
    that are no object (R1 at the root) have no variant to lose."""
    return not isinstance(payload, dict) or read_variant(payload) == variant
