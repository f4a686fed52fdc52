"""report.html in headless Chromium: no console errors, Plotly charts rendered, screenshot.

Screenshots go to tests/artifacts/ (git-ignored) for a human look.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, build_fixture_db

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed"),
]


def _check_in_browser(report: Path, screenshot: Path) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=20_000)
        charts = page.locator(".js-plotly-plot").count()
        rendered = page.locator(".js-plotly-plot .main-svg").count()
        page.locator("details.rule").first.evaluate("d => d.open = true")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    assert errors == []
    assert charts >= 3 and rendered >= charts
    # Offline: the page loads nothing but itself.
    assert [u for u in requests if not u.startswith("file:")] == []


def test_fixture_report_renders(tmp_path: Path) -> None:
    from audit.report.render import rerender

    db = build_fixture_db(tmp_path / "out" / "audit.duckdb")
    outputs = rerender(db.path.parent)
    _check_in_browser(Path(outputs["report.html"]), ARTIFACTS / "report_fixture.png")


def test_sample_report_renders(sample_scan: Path) -> None:
    _check_in_browser(sample_scan / "report.html", ARTIFACTS / "report_sample.png")
