"""The kore-contract pytest plugin (entry point `pytest11`): options and fixtures.

Options read their KORE_* environment variable when not given.
"""

from __future__ import annotations

import os

import pytest

OPTIONS = (
    ("--kore-base-url", "KORE_BASE_URL", "server to test (default: the embedded mock)"),
    ("--kore-fixture", "KORE_FIXTURE", "the account's fixture file"),
    ("--kore-max-examples", "KORE_MAX_EXAMPLES", "generated valid bodies per run"),
    ("--kore-stream-id", "KORE_STREAM_ID", "streamId"),
    ("--kore-account-id", "KORE_ACCOUNT_ID", "accountId"),
    ("--kore-iid", "KORE_IID", "application id (iid header)"),
    ("--kore-client-id", "KORE_CLIENT_ID", "client id (appId claim)"),
    ("--kore-client-secret", "KORE_CLIENT_SECRET", "client secret (prefer the variable)"),
    ("--kore-token", "KORE_TOKEN", "a ready JWT"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kore-contract", "Kore.ai SMS campaign v2 contract")
    for flag, variable, help_text in OPTIONS:
        group.addoption(flag, default=os.environ.get(variable) or None,
                        help=f"{help_text} [env {variable}]")
    group.addoption("--kore-allow-writes", action="store_true",
                    default=os.environ.get("KORE_ALLOW_WRITES", "") in ("1", "true", "yes"),
                    help="allow creating campaigns on a non-loopback server "
                         "[env KORE_ALLOW_WRITES]")
