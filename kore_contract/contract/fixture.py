"""The account under test: the contact lists, DNC lists, templates and caller ids it has.

A contract can only be checked against what exists in the account (R4, R10). The mock is
seeded from a fixture, and the contract run draws its values from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any


class FixtureError(ValueError):
    """A fixture file that cannot be used; the message names the file and what to fix."""


@dataclass(frozen=True)
class Fixture:
    contact_lists: tuple[str, ...]
    dnc_lists: tuple[str, ...] = ()
    templates: dict[str, str] = field(default_factory=dict)
    caller_ids: tuple[str, ...] = ()
    source: str = "<memory>"

    def to_json(self) -> dict[str, Any]:
        return {
            "contactLists": list(self.contact_lists),
            "dncLists": list(self.dnc_lists),
            "templates": dict(self.templates),
            "callerIds": list(self.caller_ids),
        }


def example_fixture_path() -> Path:
    return Path(str(resources.files("kore_contract.contract") / "data" / "example-fixture.json"))


def load_fixture(path: str | Path | None = None) -> Fixture:
    """Read a fixture file (docs/design.md's format); None reads the bundled example."""
    from kore_contract.contract.loader import NOT_FOUND, Unreadable, read_json_file

    where = Path(path) if path is not None else example_fixture_path()
    parsed = read_json_file(where)  # a regular file, size-bounded, strict JSON: never raises
    if isinstance(parsed, Unreadable):
        if parsed.reason == NOT_FOUND:
            raise FixtureError(f"{where}: fixture file not found")
        raise FixtureError(f"{where}: cannot use the fixture: {parsed.reason}")
    return fixture_from_json(parsed.payload, source=str(where))


def fixture_from_json(data: Any, source: str = "<memory>") -> Fixture:
    if not isinstance(data, dict):
        raise FixtureError(
            f"{source}: a fixture is a JSON object with contactLists, templates, ..."
        )
    unknown = sorted(set(data) - {"contactLists", "dncLists", "templates", "callerIds"})
    if unknown:
        raise FixtureError(
            f"{source}: unknown fixture keys {unknown}; "
            "expected contactLists, dncLists, templates, callerIds"
        )
    return Fixture(
        contact_lists=_names(data, "contactLists", source),
        dnc_lists=_names(data, "dncLists", source),
        templates=_templates(data.get("templates", {}), source),
        caller_ids=_names(data, "callerIds", source),
        source=source,
    )


def _names(data: dict[str, Any], key: str, source: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise FixtureError(f"{source}: /{key} must be a list of non-empty strings")
    return tuple(value)


def _templates(value: Any, source: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    ):
        raise FixtureError(
            f"{source}: /templates must map template names to their registered body text"
        )
    return dict(value)
