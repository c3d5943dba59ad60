"""The README's --jsonl example is what `kore-contract validate --jsonl` prints for its log:
two good bodies (the docs' sample), one with priority 5 (a number: R7), one line not JSON."""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path

import pytest

from kore_contract.cli import run
from kore_contract.contract import spec

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_output() -> str:
    section = README.read_text(encoding="utf-8").split("with `--jsonl`", 1)[1]
    shown = re.search(r"```\n(sent\.jsonl:.*?)```", section, re.S)
    assert shown
    return shown[1]


def test_R1_R7_the_README_jsonl_example_is_the_output_of_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = spec.examples("create", "request")["docsSample"]
    bad = copy.deepcopy(sample)
    bad["priority"] = 5
    lines = [json.dumps(sample), json.dumps(sample), json.dumps(bad), "not json"]
    (tmp_path / "sent.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    code = run(["validate", "--jsonl", "sent.jsonl"], out, err)
    assert code == 2  # a line could not be read
    assert out.getvalue() == readme_output()
