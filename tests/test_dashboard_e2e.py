"""End to end: a real `streamlit run` server driven by headless Chromium.

Overview → a rule → its items → one item → a decision, and Groups → a group → its items;
asserts on visible text and on the database, saves screenshots under tests/artifacts/
(git-ignored).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dashboard_fixture import build, expected_groups, expected_kpis

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("streamlit did not start")


def _settle(page) -> None:
    """Wait until Streamlit has finished the rerun a click or entry started."""
    page.wait_for_timeout(400)
    page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=60_000)
    page.wait_for_timeout(300)


@pytest.fixture()
def server(tmp_path: Path):
    fx = build(tmp_path)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--", "--db", str(fx.db)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_http(port, proc)
        yield fx, f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_overview_rule_item_decision(server) -> None:
    from playwright.sync_api import expect, sync_playwright

    fx, url = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1800})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        _settle(page)
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        flagged = expected_kpis(fx)["flagged"]
        expect(page.get_by_text(f"{flagged} items with ≥1 flag")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "dashboard-1-overview.png"), full_page=True)

        page.get_by_role("link", name="Rules").click()
        _settle(page)
        expect(page.get_by_text("Why it matters.")).to_be_visible()
        page.get_by_role("button", name="Open its 5 items →").click()  # consent.opted-out
        _settle(page)
        expect(page.get_by_role("heading", name="Items")).to_be_visible()
        expect(page.get_by_text("5 items · page 1 of 1")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "dashboard-2-rule-items.png"), full_page=True)

        page.get_by_role("textbox", name="Reviewer").fill("Erin E2E")
        page.get_by_role("textbox", name="Reviewer").press("Enter")
        _settle(page)
        page.get_by_role("textbox", name="Open item").fill("it-040")
        page.get_by_role("textbox", name="Open item").press("Enter")
        _settle(page)
        expect(page.get_by_role("heading", name="Item it-040")).to_be_visible()
        expect(page.get_by_text("Author opted out of AI training").first).to_be_visible()

        page.get_by_text("False positive", exact=True).last.click()
        page.get_by_role("textbox", name="Comment").fill(
            "opt-out registry entry was for another account"
        )
        page.get_by_role("button", name="Record decision").click()
        _settle(page)
        expect(page.get_by_text("Recorded False positive").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "dashboard-3-decision.png"), full_page=True)
        browser.close()
    assert errors == []
    with duckdb.connect(str(fx.db), read_only=True) as con:
        row = con.execute(
            "SELECT decision, reviewer, comment, decided_at FROM decisions WHERE item_id = 'it-040'"
        ).fetchone()
    assert row[:3] == (
        "false_positive",
        "Erin E2E",
        "opt-out registry entry was for another account",
    )
    assert row[3] is not None


def test_groups_to_a_groups_items(server) -> None:
    from playwright.sync_api import expect, sync_playwright

    fx, url = server
    top = expected_groups(fx, "author")
    top = [g for g in top if g["items"] >= 3][0]  # the page's default minimum size is 3
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1500})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        _settle(page)
        page.get_by_role("link", name="Groups").click()
        _settle(page)
        expect(page.get_by_role("heading", name="Groups")).to_be_visible()
        expect(page.get_by_text("authors with ≥ 3 items, by flagged share")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "dashboard-4-groups.png"), full_page=True)
        page.get_by_role("button", name=f"Open its {top['items']} items →").click()
        _settle(page)
        expect(page.get_by_role("heading", name="Items")).to_be_visible()
        expect(page.get_by_text(f"{top['items']} items · page 1 of 1")).to_be_visible()
        expect(page.get_by_text("Only the items of author id")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "dashboard-5-group-items.png"), full_page=True)
        browser.close()
    assert errors == []
