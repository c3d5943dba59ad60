"""Layers that stay layers (issue 11, item 2) and one name, one meaning (item 5).

The import contracts live in pyproject.toml (`[tool.importlinter]`): `tox -e lint` runs
`lint-imports`, and these tests run the same contracts so that CI checks them too. The layers,
highest first (a module imports only from layers below its own; `|` joins siblings that do
not import each other):

    __main__ > cli > integrations | suite | commands > report | trace | proxy > run > mock
    > validate | strategies | auth | redaction > contract > common

`lint-imports` names the offending import and line; the tests below say the same in their
failure message (`a.b -> c.d`).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

grimp = pytest.importorskip("grimp", reason="import-linter (and grimp) need Python 3.11")
import tomllib  # noqa: E402  (Python 3.11, as grimp)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "kore_contract"
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]
LAYERS = next(c for c in CONFIG["contracts"] if c["id"] == "layers")["layers"]


def parse_layer(text: str) -> grimp.Layer:
    independent = ":" not in text
    names = [name.strip() for name in text.replace(":", "|").split("|")]
    return grimp.Layer(*names, independent=independent)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, cache_dir=None)


def layer_breaches(graph: grimp.ImportGraph) -> dict[tuple[str, str], list[str]]:
    """(importing layer, imported layer) -> the import chains, `a.b -> c.d`."""
    found = graph.find_illegal_dependencies_for_layers(
        layers=[parse_layer(layer) for layer in LAYERS], containers={PACKAGE}
    )
    breaches: dict[tuple[str, str], list[str]] = {}
    for dependency in found:
        key = (dependency.importer.rsplit(".", 1)[-1], dependency.imported.rsplit(".", 1)[-1])
        breaches[key] = sorted(
            " -> ".join((head, *route.middle, tail))
            for route in dependency.routes
            for head in route.heads
            for tail in route.tails
        )
    return breaches


def packages(graph: grimp.ImportGraph, name: str = PACKAGE) -> Iterator[str]:
    children = graph.find_children(name)
    if children:
        yield name
        for child in sorted(children):
            yield from packages(graph, child)


def cycles(graph: grimp.ImportGraph) -> dict[str, set[tuple[str, str]]]:
    """Package -> the imports whose removal would break its cycles."""
    found = {}
    for package in packages(graph):
        breakers = graph.nominate_cycle_breakers(package)
        if breakers:
            found[package] = breakers
    return found


# --- item 2: the layers ---------------------------------------------------------------------


def test_item2_every_subpackage_and_module_is_on_a_layer(graph: grimp.ImportGraph) -> None:
    on_layers = {name.strip() for layer in LAYERS for name in layer.replace(":", "|").split("|")}
    children = {child.rsplit(".", 1)[-1] for child in graph.find_children(PACKAGE)}
    assert children == on_layers


def test_item2_no_layer_is_broken(graph: grimp.ImportGraph) -> None:
    """(importing layer, imported layer) -> the chains of imports that go against the layers."""
    assert layer_breaches(graph) == {}


def test_item2_the_layers_check_finds_an_upward_import(graph: grimp.ImportGraph) -> None:
    """The check can fail: common (layer 0) importing report is a breach."""
    graph.add_import(importer="kore_contract.common.files", imported="kore_contract.report")
    try:
        found = layer_breaches(graph)
    finally:
        graph.remove_import(importer="kore_contract.common.files", imported="kore_contract.report")
    assert found[("common", "report")] == ["kore_contract.common.files -> kore_contract.report"]


def test_item2_no_import_cycle(graph: grimp.ImportGraph) -> None:
    """package -> the imports to cut so that its modules no longer import each other."""
    assert cycles(graph) == {}


def test_item2_the_cycle_check_finds_a_cycle(graph: grimp.ImportGraph) -> None:
    """The check can fail: common.junit importing common.version, which imports it back."""
    graph.add_import(importer="kore_contract.common.junit", imported="kore_contract.common.version")
    graph.add_import(importer="kore_contract.common.version", imported="kore_contract.common.junit")
    try:
        found = cycles(graph)
    finally:
        graph.remove_import(
            importer="kore_contract.common.junit", imported="kore_contract.common.version"
        )
        graph.remove_import(
            importer="kore_contract.common.version", imported="kore_contract.common.junit"
        )
    assert set(found) == {"kore_contract.common"}


def test_item2_internal_modules_never_import_the_facade(graph: grimp.ImportGraph) -> None:
    """`kore_contract/__init__.py` is the public facade; inside, import the module itself."""
    assert graph.find_modules_that_directly_import(PACKAGE) == set()


def test_item2_import_contracts_hold() -> None:
    """What `tox -e lint` runs: every contract of pyproject.toml, by import-linter itself."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
            "--no-cache",
            "--no-logo",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


# --- item 5: one name, one meaning ----------------------------------------------------------


def module_level_names(path: Path) -> set[str]:
    """The classes, constants and type aliases a module defines at its top level."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


@pytest.mark.parametrize(
    "name", ["Unreadable", "Finding", "Defect", "Kind", "FORMATS", "INDEX", "KINDS", "Place"]
)
def test_item5_one_name_one_meaning(name: str) -> None:
    """Each of these names meant two or three things; now at most one module defines it."""
    defining = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / PACKAGE).rglob("*.py")
        if name in module_level_names(path)
    )
    assert len(defining) <= 1, f"{name} is defined in {defining}"
