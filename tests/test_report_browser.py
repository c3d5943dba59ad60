"""report.html in headless Chromium: it renders offline, at a phone's width and a desktop's.

Skipped only where Chromium is missing and this is not CI (CI=true makes that a failure).
Screenshots go to reports/ for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_samples import sample_results

from kore_contract.report import write_reports

REPORTS = Path(__file__).resolve().parents[1] / "reports"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
SIZES = {"report-screenshot.png": "390,844", "report-screenshot-desktop.png": "1280,900"}

pytestmark = pytest.mark.browser


def chromium() -> str:
    found = os.environ.get("CHROMIUM") or next(
        (path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)
    if found:
        return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("Chromium is not installed, and CI=true: install the chromium package")
    pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it")


def headless(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--hide-scrollbars",
               f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def report_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("reports")
    write_reports(sample_results(), out)
    return (out / "report.html").as_uri()


def test_report_renders_offline_in_chromium(report_url: str, tmp_path: Path) -> None:
    done = headless(chromium(), tmp_path / "profile", "--dump-dom", report_url)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "FAIL: the server breaks the contract" in dom
    assert re.search(r'<svg class="chart"[^>]*>', dom)
    assert dom.count('class="field-row"') >= 40
    assert '<tr id="rule-S4-create">' in dom
    fetched = re.findall(r"""\s(?:src|href|srcset|action|poster|xlink:href)\s*=\s*["']?\s*"""
                         r"""((?:https?:)?//[^"'\s>]*)""", dom, re.IGNORECASE)
    assert fetched == []


@pytest.mark.parametrize(("name", "size"), SIZES.items())
def test_report_screenshot(report_url: str, tmp_path: Path, name: str, size: str) -> None:
    REPORTS.mkdir(exist_ok=True)
    target = REPORTS / name
    target.unlink(missing_ok=True)
    done = headless(chromium(), tmp_path / "profile", f"--screenshot={target}",
                    f"--window-size={size}", report_url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
