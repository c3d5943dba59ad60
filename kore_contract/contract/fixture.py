"""The account under test: the contact lists, DNC lists, templates, caller ids and
experience flows it has, and which contact lists are safe to send to.

A contract can only be checked against what exists in the account (R4, R10, C3). The mock
is seeded from a fixture, and the contract run draws its values from it. A started campaign
sends real messages: a run starts campaigns on a live account only on the contact lists the
fixture marks `sendableContactLists`.
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
    #: C3: experience flow name -> its id (`data.experienceFlow` of an advanced campaign).
    experience_flows: dict[str, str] = field(default_factory=dict)
    #: Contact lists a live run may start campaigns on (real messages go to them).
    sendable_contact_lists: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The fixture file's form (docs/design.md); the family's keys only where set."""
        data: dict[str, Any] = {
            "contactLists": list(self.contact_lists),
            "dncLists": list(self.dnc_lists),
            "templates": dict(self.templates),
            "callerIds": list(self.caller_ids),
        }
        if self.experience_flows:
            data["experienceFlows"] = dict(self.experience_flows)
        if self.sendable_contact_lists:
            data["sendableContactLists"] = list(self.sendable_contact_lists)
        return data


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
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise FixtureError(f"{source}: unknown fixture keys {unknown}; expected {', '.join(KEYS)}")
    contact_lists = _names(data, "contactLists", source)
    sendable = _names(data, "sendableContactLists", source)
    strangers = [name for name in sendable if name not in contact_lists]
    if strangers:
        raise FixtureError(
            f"{source}: /sendableContactLists names {strangers}, which /contactLists does "
            "not; a sendable list must be one of the account's contact lists"
        )
    return Fixture(
        contact_lists=contact_lists,
        dnc_lists=_names(data, "dncLists", source),
        templates=_mapping(
            data, "templates", source, "map template names to their registered body text"
        ),
        caller_ids=_names(data, "callerIds", source),
        source=source,
        experience_flows=_mapping(
            data, "experienceFlows", source, "map experience flow names to their ids"
        ),
        sendable_contact_lists=sendable,
    )


#: The keys of a fixture file, in docs/design.md's order.
KEYS = (
    "contactLists",
    "dncLists",
    "templates",
    "callerIds",
    "experienceFlows",
    "sendableContactLists",
)


def _names(data: dict[str, Any], key: str, source: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise FixtureError(f"{source}: /{key} must be a list of non-empty strings")
    return tuple(value)


def _mapping(data: dict[str, Any], key: str, source: str, what: str) -> dict[str, str]:
    value = data.get(key, {})
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    ):
        raise FixtureError(f"{source}: /{key} must {what} (non-empty strings)")
    return dict(value)
