"""The contract inside the project (issue 11, item 7).

docs/contract.md states every rule; the rule catalogue (`kore_contract.contract.rules.RULES`),
the spec's `x-rule` ids and the code cite it. These tests keep the catalogue and the document
in step, both ways, and find any citation of a document the repository does not hold
(`CONTRACT.md`, `DESIGN.md` from the project's early days).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kore_contract.contract.rules import RULES
from kore_contract.contract.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "contract.md"
PART_2 = "# Part 2"
#: A rule table's row: `| R7 | ...`; D ids are the documentation's defects, not rules.
RULE_ROW = re.compile(r"^\|\s*([A-CE-Z]\d+)\s*\|", re.MULTILINE)
#: A citation of a document the repository does not hold (docs/contract.md is the one).
MISSING_DOCUMENT = re.compile(r"(?<![\w/.-])(?:CONTRACT|DESIGN)\.md\b")


def rule_ids(markdown: str) -> set[str]:
    return set(RULE_ROW.findall(markdown))


def parts() -> tuple[set[str], set[str]]:
    """The rule ids of part 1 (the three calls) and of part 2 (the family)."""
    text = DOCUMENT.read_text(encoding="utf-8")
    first, second = text.split(f"\n{PART_2}", 1)
    return rule_ids(first), rule_ids(second)


def test_item7_the_document_has_both_parts() -> None:
    first, second = parts()
    assert {"R", "S", "A"} == {rule[0] for rule in first}
    assert {"C", "U", "T", "Q", "L"} == {rule[0] for rule in second}


def test_item7_rule_rows_are_read_from_the_tables() -> None:
    """The reader finds a rule row and leaves defects, headers and prose alone (so that a
    missing or extra id cannot go unseen)."""
    table = "| id | rule |\n|---|---|\n| R7 | priority |\n| D1 | a defect |\nsee R8 in text\n"
    assert rule_ids(table) == {"R7"}


def test_item7_every_catalogue_rule_is_in_the_document() -> None:
    first, second = parts()
    assert set(RULES) - (first | second) == set()


def test_item7_every_part_1_rule_of_the_document_is_in_the_catalogue() -> None:
    first, _ = parts()
    assert first - set(RULES) == set()


def test_item7_every_part_2_rule_of_the_document_is_in_the_catalogue() -> None:
    _, second = parts()
    assert second - set(RULES) == set()


def x_rules(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "x-rule":
                yield from [value] if isinstance(value, str) else value
            else:
                yield from x_rules(value)
    elif isinstance(node, list):
        for item in node:
            yield from x_rules(item)


def test_item7_every_x_rule_of_the_spec_is_a_rule_of_the_document() -> None:
    first, second = parts()
    cited = set(x_rules(load_spec()))
    assert cited, "the spec cites no rule at all"
    assert cited - (first | second) == set()


def shipped_and_read_files() -> Iterator[Path]:
    """What a user of the package or of the repository reads: the package's text files (code,
    spec, templates), the README and the documents."""
    yield ROOT / "README.md"
    yield from sorted((ROOT / "docs").glob("*.md"))
    for path in sorted((ROOT / "kore_contract").rglob("*")):
        if path.is_file() and path.suffix in (".py", ".yaml", ".j2", ".json", ".md", ".txt"):
            yield path


def test_item7_nothing_cites_a_document_the_repository_does_not_hold() -> None:
    """CONTRACT.md and DESIGN.md are not in the repository: cite docs/contract.md and
    docs/design.md."""
    citing = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in shipped_and_read_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if MISSING_DOCUMENT.search(line)
    ]
    assert citing == []


def test_item7_the_citation_check_sees_a_bare_name() -> None:
    assert MISSING_DOCUMENT.search("Rule ids refer to CONTRACT.md.")
    assert MISSING_DOCUMENT.search("(DESIGN.md's format)")
    assert not MISSING_DOCUMENT.search("see docs/contract.md and docs/design.md")
