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
    shutil.copytree(REPO, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".*", "build", "reports", "__pycache__", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(source)], check=True, timeout=300, cwd=tmp_path)
    wheel = next(tmp_path.glob("kore_contract-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("kore_contract/openapi/kore-sms-campaign-v2.yaml",
                   "kore_contract/data/example-fixture.json",
                   "kore_contract/report/results.schema.json",
                   "kore_contract/report/templates/report.html.j2",
                   "kore_contract/suite/test_contract.py"):
        assert needed in names, needed
    spec = zipfile.ZipFile(wheel).read("kore_contract/openapi/kore-sms-campaign-v2.yaml")
    assert spec == (REPO / "openapi" / "kore-sms-campaign-v2.yaml").read_bytes()
