"""A real browser client through the proxy: Playwright's Python package driving Debian's
`chromium` (no browser download), headless. The page is one the proxy's own origin serves
(the upstream's 404 for `/`), so the contract's calls are same-origin `fetch`es (no CORS).
Playwright records a HAR (`record_har_path`); `kore-contract validate --traffic` reads it
and must give each call the verdict the proxy gave it live.

Skipped only where Chromium is missing and this is not CI (CI=true makes that a failure).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mock_testing import call_url, curl_headers
from test_proxy import proxied
from traffic_testing import KIND, body

from kore_contract.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, mint_token

pytestmark = pytest.mark.browser

CHROMIUM_NAMES = ("chromium", "chromium-browser")
ACCOUNT = "acc-browser"
#: fetch() one request from the page; the status and the body's text.
FETCH = """async ([method, path, headers, body]) => {
    const answer = await fetch(path, {method, headers, body});
    return [answer.status, await answer.text()];
}"""


def chromium() -> str:
    found = os.environ.get("CHROMIUM") or next(
        (path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None
    )
    if found:
        return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("Chromium is not installed, and CI=true: install the chromium package")
    pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it")


def browser_session(base_url: str, har: Path) -> list[tuple[str, int]]:
    """The contract's calls from a page of the proxy's origin, with a bad create among
    them; (method, status) of each, in order. Playwright records `har`."""
    from playwright.sync_api import sync_playwright

    token = mint_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
    headers = {k: v for k, v in curl_headers(token, account=ACCOUNT).items() if k != "User-Agent"}
    done: list[tuple[str, int]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True)
        try:
            context = browser.new_context(record_har_path=str(har))
            page = context.new_page()
            page.goto(base_url + "/")

            def send(
                method: str, call: str, campaign_id: str | None, sent: Any, **query: str
            ) -> Any:
                path = call_url("", call, campaign_id, accountId=ACCOUNT, **query)
                data = None if sent is None else json.dumps(sent)
                status, text = page.evaluate(FETCH, [method, path, headers, data])
                done.append((method, status))
                try:
                    return json.loads(text)
                except ValueError:
                    return None

            created = send("POST", "create", None, body(name="From the browser"), campaignType=KIND)
            campaign_id = created["data"]["_id"]
            send("GET", "get", campaign_id, None)
            send(
                "PUT", "update", campaign_id, body(name="Renamed in the browser"), campaignType=KIND
            )
            send("POST", "status", campaign_id, {})
            send("POST", "trigger", campaign_id, None, campaignType=KIND, trigger="play")
            send("POST", "status", campaign_id, {})
            send("POST", "trigger", campaign_id, None, campaignType=KIND, trigger="stop")
            send("POST", "list", None, {"type": KIND, "sortBy": {"name": "asc"}})
            send("POST", "create", None, body(priority="6"), campaignType=KIND)  # R7
            send("DELETE", "delete", campaign_id, None)
            send("GET", "get", campaign_id, None)
            context.close()  # writes the HAR
        finally:
            browser.close()
    return done


def test_browser_traffic_through_the_proxy_is_checked_live_and_from_its_har(
    tmp_path: Path,
) -> None:
    har = tmp_path / "browser.har"
    with proxied() as seen:
        statuses = browser_session(seen.url, har)
    live = [(v.call, v.status, v.verdict, v.rules) for v in seen.checker.verdicts if v.call]
    assert [status for _, status in statuses] == [
        201,
        200,
        200,
        200,
        200,
        200,
        200,
        200,
        400,
        200,
        404,
    ]
    assert [verdict for _, _, verdict, _ in live] == ["ok"] * 8 + ["violations"] + ["ok"] * 2
    assert live[8][3] == ("R7",)

    done = subprocess.run(
        [sys.executable, "-m", "kore_contract", "validate", "--traffic", str(har),
         "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # the bad create
    recorded = [r for r in json.loads(done.stdout)["results"] if r["call"]]
    assert [(r["call"], r["http_status"], r["verdict"]) for r in recorded] == [
        (call, status, verdict) for call, status, verdict, _ in live
    ]
    assert {v["rule"] for v in recorded[8]["violations"]} == {"R7"}
    assert [r["call"] for r in recorded] == [
        "create", "get", "update", "status", "start", "status", "stop", "list", "create",
        "delete", "get",
    ]  # fmt: skip
