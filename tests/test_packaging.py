"""`pip install .` (not editable) must carry everything the package reads at run time."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_wheel_carries_the_spec_fixture_schema_and_templates(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: building leaves build/ behind
    shutil.copytree(
        REPO,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(".*", "build", "reports", "__pycache__", "*.egg-info"),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        check=True,
        timeout=300,
        cwd=tmp_path,
    )
    wheel = next(tmp_path.glob("kore_contract-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "kore_contract/contract/kore-sms-campaign-v2.yaml",
        "kore_contract/contract/data/example-fixture.json",
        "kore_contract/report/results.schema.json",
        "kore_contract/report/templates/report.html.j2",
        "kore_contract/suite/test_contract.py",
    ):
        assert needed in names, needed
    for test_helper in ("kore_contract/mock/testing.py", "kore_contract/mock/load.py"):
        assert test_helper not in names, f"{test_helper}: test helpers stay out of the wheel"
    spec = zipfile.ZipFile(wheel).read("kore_contract/contract/kore-sms-campaign-v2.yaml")
    assert spec == (REPO / "openapi" / "kore-sms-campaign-v2.yaml").read_bytes()


def test_the_package_holds_the_spec_itself_not_a_link() -> None:
    """The document is package data; the checkout's openapi/ links to it for readers."""
    in_package = REPO / "kore_contract" / "contract" / "kore-sms-campaign-v2.yaml"
    assert in_package.is_file() and not in_package.is_symlink()
    assert not any(path.is_symlink() for path in (REPO / "kore_contract").rglob("*"))
    assert (REPO / "openapi" / "kore-sms-campaign-v2.yaml").resolve() == in_package.resolve()
