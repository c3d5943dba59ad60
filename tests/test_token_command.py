"""`kore-contract token`: the JWT of jwt-token.md, printed alone."""

from __future__ import annotations

import io
import time

import jwt
import pytest

from kore_contract.auth import check_token
from kore_contract.cli import run


def run_line(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(argv, out, err)
    return code, out.getvalue(), err.getvalue()


def test_A1_token_command_prints_an_hs256_token_with_appId() -> None:
    code, out, err = run_line(
        ["token", "--client-id", "cs-1", "--client-secret", "k" * 32, "--sub", "1234567890"]
    )
    assert code == 0 and err == ""
    token = out.strip()
    assert out == token + "\n"
    assert jwt.decode(token, "k" * 32, algorithms=["HS256"]) == {
        "sub": "1234567890",
        "appId": "cs-1",
    }


def test_token_command_reads_the_secret_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KORE_CLIENT_SECRET", "from-the-environment")
    monkeypatch.setenv("KORE_CLIENT_ID", "cs-env")
    code, out, _ = run_line(["token"])
    assert code == 0 and check_token(out.strip(), "cs-env", "from-the-environment") is None


def test_token_command_ttl_and_jti() -> None:
    code, out, _ = run_line(
        ["token", "--client-id", "c", "--client-secret", "s", "--ttl", "60", "--jti"]
    )
    claims = jwt.decode(out.strip(), options={"verify_signature": False})
    assert code == 0 and 55 <= claims["exp"] - time.time() <= 61 and claims["jti"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["token", "--client-secret", "s"], "--client-id (or KORE_CLIENT_ID) is required"),
        (["token", "--client-id", "c"], "--client-secret (or KORE_CLIENT_SECRET) is required"),
        (
            ["token", "--client-id", "c", "--client-secret", "s", "--ttl", "0"],
            "--ttl=0: must be at least 1 second",
        ),
    ],
)
def test_token_command_usage_errors_exit_2(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], message: str
) -> None:
    monkeypatch.delenv("KORE_CLIENT_ID", raising=False)
    monkeypatch.delenv("KORE_CLIENT_SECRET", raising=False)
    code, out, err = run_line(argv)
    assert code == 2 and out == "" and message in err
