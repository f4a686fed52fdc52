"""The installed package is the product: build the wheel, install it into a fresh virtual
environment outside the checkout, and run a scan, the dashboard's help and its Overview page
from that install (no source tree on the path, no network: packages come from uv's cache,
pinned by the lock file)."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from test_dashboard_e2e import CHROMIUM, LAUNCH_ARGS, _free_port, _settle, _wait_http

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "sample_flags.csv"

#: `uv run` names its own binary in $UV; otherwise the one on PATH.
UV = os.environ.get("UV") or shutil.which("uv")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(UV is None, reason="uv is not available to build the wheel"),
]


def _uv(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    assert UV is not None
    result = subprocess.run(
        [UV, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"uv {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the built wheel and the locked dependencies; returns its bin/."""
    tmp = tmp_path_factory.mktemp("wheel")
    _uv("build", "--wheel", "--offline", "--out-dir", str(tmp / "dist"))
    [wheel] = (tmp / "dist").glob("corpus_audit-*.whl")
    venv = tmp / "venv"
    _uv("venv", "--python", sys.executable, str(venv), cwd=tmp)
    python = str(venv / "bin" / "python")
    # The lock's runtime dependencies, installed by `uv sync` into that venv: it takes each
    # wheel by the lock's URL, as the checkout's own sync did, so a cache filled by that sync
    # is enough (`uv pip install -r` would need the index pages, which a fresh cache lacks).
    _uv("sync", "--frozen", "--offline", "--no-dev", "--no-install-project", "--python", python,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)})  # fmt: skip
    _uv("pip", "install", "--offline", "--no-deps", "--python", python, str(wheel), cwd=tmp)
    return venv / "bin"


def _env() -> dict[str, str]:
    """No trace of the checkout: the wheel alone must carry presets, rules and dashboard."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def test_wheel_scan_matches_the_checkout(installed: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "sample_data", corpus)
    result = subprocess.run(
        [str(installed / "audit"), "scan", str(corpus / "corpus.yaml"), "--out", "out", "-q"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(tmp_path / "out" / "audit.duckdb"), read_only=True)
    flags = set(con.execute("SELECT item_id, rule_id FROM flags").fetchall())
    con.close()
    with GOLDEN.open(newline="") as fh:
        golden = {(r["item_id"], r["rule_id"]) for r in csv.DictReader(fh)}
    assert flags == golden
    assert (tmp_path / "out" / "report.html").stat().st_size > 10_000


def test_wheel_imports_nothing_from_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [str(installed / "python"), "-c",
         "import audit, dashboard; print(audit.__file__); print(dashboard.__file__)"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    for line in where.stdout.split():
        assert "site-packages" in line and str(ROOT) not in line


def test_wheel_dashboard_help_and_overview(installed: Path, tmp_path: Path) -> None:
    helped = subprocess.run(
        [str(installed / "audit"), "dashboard", "--help"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True,
    )  # fmt: skip
    assert helped.returncode == 0 and "--db" in helped.stdout
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium not installed")
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "sample_data", corpus)
    subprocess.run(
        [str(installed / "audit"), "scan", str(corpus / "corpus.yaml"), "--out", "out", "-q",
         "--detectors", "minor_cues"],
        cwd=tmp_path, env=_env(), check=True, capture_output=True, timeout=900,
    )  # fmt: skip
    port = _free_port()
    server = subprocess.Popen(
        [str(installed / "audit"), "dashboard", "--db", "out/audit.duckdb", "--port", str(port)],
        cwd=tmp_path, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_http(port, server)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            _settle(page)
            page.get_by_text("Consent-safe").first.wait_for(timeout=60_000)
            body = page.inner_text("body")
            browser.close()
        assert "Overview" in body and "5,000" in body
        assert "Traceback" not in body and "Error" not in body.split("Overview", 1)[0]
    finally:
        server.terminate()
        server.wait(10)
