"""The README's family example (issue 12, "Done when": one lifecycle example) runs as printed.

The Python block under "The SMS campaign v2 family" is run against the embedded mock over
real HTTP, and what it prints must be the output the README shows under it: T1 (created),
U2 (update), T2 and Q1 (Active, read back by status), T5 (update refused 409 while Active),
L2/L3 (the list finds it among the Active campaigns), T3 (Stopped), delete and U3 (404).
"""

from __future__ import annotations

import contextlib
import io
import re
import runpy
from pathlib import Path

import pytest

from kore_contract.mock.server import running_mock

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## The SMS campaign v2 family: one campaign's life"


def family_blocks() -> tuple[str, str]:
    """(the Python block, the output block after it) of the README's family section."""
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, "README lost its family section"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    output = re.search(r"It prints:\n\n```\n(.*?)```", section, re.S)
    assert code and output, "the family section needs a python block and its output"
    return code.group(1), output.group(1)


def test_T1_T2_T3_U2_U3_L3_readme_lifecycle_prints_what_the_readme_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, expected = family_blocks()
    script = tmp_path / "lifecycle.py"
    script.write_text(code, encoding="utf-8")
    printed = io.StringIO()
    with running_mock() as mock:
        monkeypatch.setenv("KORE_BASE_URL", mock.base_url)
        with contextlib.redirect_stdout(printed):
            runpy.run_path(str(script), run_name="__main__")
        left = mock.store.count()
    assert printed.getvalue() == expected
    assert left == 0  # the example deletes what it creates


def test_T4_readme_example_fails_loudly_against_a_server_that_refuses_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other side: against a mock whose start answers a wrong status, the printed
    lines differ from the README's, so the check above can fail."""
    code, expected = family_blocks()
    script = tmp_path / "lifecycle.py"
    script.write_text(code, encoding="utf-8")
    printed = io.StringIO()
    with running_mock(fault="T2-start-answers-started") as mock:
        monkeypatch.setenv("KORE_BASE_URL", mock.base_url)
        with contextlib.redirect_stdout(printed), contextlib.suppress(Exception):
            runpy.run_path(str(script), run_name="__main__")
    assert printed.getvalue() != expected
