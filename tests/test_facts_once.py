"""Issue 11, item 5: each fact stated once. Limits, enums, literals and paths come from the
spec; a format is one row of one table; `Violation` lives in the contract layer; validate/ is
small modules with one job each, without a cycle; internal modules import the module they
need, never the top-level facade.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kore_contract.contract import formats, spec

PACKAGE = Path(__file__).resolve().parent.parent / "kore_contract"
TESTS = Path(__file__).resolve().parent


def _modules(root: Path = PACKAGE) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _constants(path: Path) -> list[tuple[int, str]]:
    """The string constants of a module's code (docstrings left out: prose may name facts)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


# --- the campaign type, the API paths and the name limit come from the spec ---------------


def test_campaign_type_is_read_from_the_spec() -> None:
    body = spec.request_field("campaignType")
    assert spec.campaign_type() == body["enum"][0] == "sms"


def test_sms_literal_is_written_only_in_the_spec() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in [*_modules(), TESTS / "mock_testing.py"]
        for line, value in _constants(path)
        if value == "sms"
    ]
    assert found == [], "the campaign type is spec.campaign_type(), not a literal"


def test_api_paths_are_read_from_the_spec() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in [
            *_modules(PACKAGE / "run"),
            *_modules(PACKAGE / "validate"),
            *_modules(PACKAGE / "strategies"),
            TESTS / "mock_testing.py",
        ]
        for line, value in _constants(path)
        if "/campaign/api/" in value
    ]
    assert found == [], "a call's path is spec.call_path(call), not a literal"


def test_variant_names_are_read_from_the_spec() -> None:
    """C1's variants (and what makes each) are the spec's `x-variants`: validate/ and the
    command name none of them (prose aside)."""
    names = set(spec.variant_names())
    assert names == {"template", "plain", "advanced"}
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in [*_modules(PACKAGE / "validate"), PACKAGE / "commands" / "validate.py"]
        for line, value in _constants(path)
        if value in names
    ]
    assert found == [], "a variant is read from spec.variants(), not written"


def test_call_path_fills_the_spec_template() -> None:
    create = spec.operations()["create"]["path"]
    assert spec.call_path("create", streamId="st-1") == create.replace("{streamId}", "st-1")
    assert spec.call_path("get", streamId="st-1", campaignId="c-9").endswith("/st-1/campaign/c-9")
    with pytest.raises(KeyError, match="campaignId"):
        spec.call_path("get", streamId="st-1")


def test_name_limit_is_the_spec_max_length(monkeypatch: pytest.MonkeyPatch) -> None:
    from kore_contract.run import planning

    assert spec.max_length("name") == spec.request_field("name")["maxLength"]
    body = {"name": "n" * 60}
    assert len(planning.with_run_prefix(body, "run-1-")["name"]) == spec.max_length("name")
    monkeypatch.setattr(spec, "max_length", lambda *path: 20)
    assert len(planning.with_run_prefix(body, "run-1-")["name"]) == 20


# --- one format table (STYLE.md 16) --------------------------------------------------------


def _spec_formats(node: Any) -> set[str]:
    if isinstance(node, dict):
        own = {node["format"]} if isinstance(node.get("format"), str) else set()
        return own.union(*(_spec_formats(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_spec_formats(value) for value in node))
    return set()


def test_a_format_is_one_row_of_one_table() -> None:
    table = formats.FORMAT_TABLE
    assert all(name == row.name for name, row in table.items())
    documented = _spec_formats(spec.request_body_schema()) | _spec_formats(
        spec.response_envelope_schema()
    )
    assert set(table) == documented
    for row in table.values():
        assert callable(row.accepts) and callable(row.explain)
    # No second dict keyed by the same names beside the table.
    keyed = [
        name
        for name, value in vars(formats).items()
        if isinstance(value, dict) and value and set(value) <= set(table) and value is not table
    ]
    assert keyed == []


def test_the_fast_patterns_are_rows_of_the_table() -> None:
    with_pattern = {name for name, row in formats.FORMAT_TABLE.items() if row.fast_pattern}
    assert with_pattern == {"caller-id", "clock-12h", "base64-utf8"}
    assert formats.FORMAT_TABLE["iana-time-zone"].fast_values is formats.time_zones


# --- Violation is a contract-level value; validate/ is small and acyclic --------------------


def test_violation_lives_in_the_contract_layer() -> None:
    from kore_contract import validate
    from kore_contract.contract.violation import Violation

    assert validate.Violation is Violation


def test_auth_does_not_import_the_validator() -> None:
    code = "import sys, kore_contract.auth; print('kore_contract.validate' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=60)
    assert done.stdout == b"False\n"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_validate_modules_are_small_and_import_no_cycle() -> None:
    folder = PACKAGE / "validate"
    names = {p.stem: p for p in folder.glob("*.py")}
    sizes = {name: len(p.read_text(encoding="utf-8").splitlines()) for name, p in names.items()}
    assert max(sizes.values()) <= 450, sizes
    graph = {
        name: {
            other
            for other in names
            if other != name and f"kore_contract.validate.{other}" in _imports(path)
        }
        for name, path in names.items()
        if name != "__init__"
    }

    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
            for nxt in graph.get(start, ())
        )

    assert [name for name in graph if reaches(name, name)] == []


OWNED = (
    *_modules(PACKAGE / "contract"),
    *_modules(PACKAGE / "validate"),
    *_modules(PACKAGE / "strategies"),
    PACKAGE / "commands" / "validate.py",
    PACKAGE / "commands" / "fuzz.py",
)


def test_internal_modules_import_the_module_not_the_package() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
        for path in OWNED
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module == "kore_contract"
    ]
    assert found == []


# --- the deliberate fast/slow twins name the test that proves them equal ------------------

TWIN_CITATION = re.compile(r"(?:Fast|fast) twin of .*?(?:proved equal by|proved to accept)", re.S)
CITED_TEST = re.compile(r"(tests/test_\w+\.py)::(test_\w+)")


def test_each_fast_twin_cites_a_test_that_exists() -> None:
    sources = {p: p.read_text(encoding="utf-8") for p in _modules()}
    twins = {p: len(TWIN_CITATION.findall(text)) for p, text in sources.items()}
    cited = {(file, name) for text in sources.values() for file, name in CITED_TEST.findall(text)}
    # The R14 fast path and sweep, the fast engine, the bounded explanation, the clock
    # table, one-pass base64, orjson's parse (the format table's rows cite theirs too).
    assert sum(twins.values()) >= 7, {str(p): n for p, n in twins.items() if n}
    missing = [
        f"{file}::{name}"
        for file, name in sorted(cited)
        if not re.search(rf"^def {name}\(", (TESTS.parent / file).read_text(encoding="utf-8"), re.M)
    ]
    assert missing == []
    assert len(cited) >= 12
