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
        (path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None
    )
    if found:
        return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("Chromium is not installed, and CI=true: install the chromium package")
    pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it")


def headless(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
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
    fetched = re.findall(
        r"""\s(?:src|href|srcset|action|poster|xlink:href)\s*=\s*["']?\s*"""
        r"""((?:https?:)?//[^"'\s>]*)""",
        dom,
        re.IGNORECASE,
    )
    assert fetched == []


@pytest.mark.parametrize(("name", "size"), SIZES.items())
def test_report_screenshot(report_url: str, tmp_path: Path, name: str, size: str) -> None:
    REPORTS.mkdir(exist_ok=True)
    target = REPORTS / name
    target.unlink(missing_ok=True)
    done = headless(
        chromium(),
        tmp_path / "profile",
        f"--screenshot={target}",
        f"--window-size={size}",
        report_url,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


MEASURE = """<script>
addEventListener("load", () => {
  const table = document.querySelector("table.rules");
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({
    viewport: document.documentElement.clientWidth,
    table: table.scrollWidth,
    page: document.documentElement.scrollWidth,
    cards: getComputedStyle(table.querySelector("tr")).display === "block",
  });
  document.body.appendChild(out);
});
</script>"""


def test_rule_table_fits_a_phone_width_390(tmp_path: Path) -> None:
    """At 390x844 the rule table is no wider than the viewport (it reflows into a card per
    rule); measured in Chromium on a copy of the report with a measuring script (the report
    itself runs none: its CSP forbids scripts). Screenshot: reports/report-rules-390.png."""
    import json

    from test_report_family import FAMILY_ROWS

    data = sample_results()
    for rule, call, status in FAMILY_ROWS:
        data["rules"].append(
            {
                "id": rule,
                "call": call,
                "status": status,
                "checks": 1,
                "failures": int(status == "failed"),
                "first_failure": data["cases"][0]["id"] if status == "failed" else None,
            }
        )
    out = tmp_path / "reports"
    write_reports(data, out)
    html = (out / "report.html").read_text()
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    page = tmp_path / "measured.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"))
    done = headless(
        chromium(),
        tmp_path / "profile",
        "--window-size=390,844",
        "--virtual-time-budget=3000",
        "--dump-dom",
        page.as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout)
    assert found, done.stdout[-2000:]
    measured = json.loads(found[1].replace("&quot;", '"'))
    assert measured["table"] <= measured["viewport"], measured
    assert measured["page"] <= measured["viewport"], measured
    assert measured["cards"], measured
    REPORTS.mkdir(exist_ok=True)
    target = REPORTS / "report-rules-390.png"
    target.unlink(missing_ok=True)
    shot = headless(
        chromium(),
        tmp_path / "profile2",
        f"--screenshot={target}",
        "--window-size=390,844",
        (out / "report.html").as_uri() + "#chart",
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
