"""`st run` with the project's schemathesis hooks: our formats and checks inside schemathesis."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kore_contract import auth
from kore_contract.mock.server import running_mock

SPEC = Path(__file__).resolve().parents[1] / "openapi" / "kore-sms-campaign-v2.yaml"


def st_run(base_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    st = shutil.which("st") or shutil.which("schemathesis")
    if st is None:
        pytest.fail("schemathesis' st command is not installed (a test dependency)")
    token = auth.mint_token(auth.DEFAULT_CLIENT_ID, auth.DEFAULT_CLIENT_SECRET)
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "kore_contract.integrations.schemathesis_hooks"}
    return subprocess.run(
        [
            st,
            "run",
            str(SPEC),
            "--url",
            base_url,
            "--checks",
            "kore_contract_rules",
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            "10",
            "--seed",
            "7",
            "-H",
            f"auth: {token}",
            "-H",
            "iid: app",
            "-H",
            "accountId: acc",
            "--max-time",
            "10",
            "--warnings",
            "off",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )


def test_S11_hooks_catch_a_server_that_echoes_the_token(tmp_path: Path) -> None:
    with running_mock(fault="S11-token-echo") as server:
        completed = st_run(server.base_url, tmp_path)
    assert completed.returncode != 0, completed.stdout[-2000:]
    assert "kore_contract_rules" in completed.stdout
    assert "S11 /: the response contains the auth token" in completed.stdout


def test_hooks_raise_no_alarm_on_the_clean_mock(tmp_path: Path) -> None:
    with running_mock() as server:
        completed = st_run(server.base_url, tmp_path)
    assert "kore_contract_rules" not in completed.stdout, completed.stdout[-2000:]
