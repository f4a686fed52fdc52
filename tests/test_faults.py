"""Faults during a real `audit scan` subprocess: kill -9 anywhere, read-only output, two scans.

tests/test_scan.py covers the lock and unwritable-folder errors in-process and
tests/test_scan_pipeline.py one kill at a known point (mid-pii); this file adds kills at
random moments (several seeds), a read-only folder that already holds outputs, and two real
scans racing for one folder. Cheap detectors keep a scan of the sample corpus at ~10 s.
Seeds: ``AUDIT_FAULT_SEEDS=0,1,2,...`` (default three).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, SAMPLE_CORPUS, skip_unless_pipeline
from test_scan_pipeline import flag_set

CLI = [sys.executable, "-c", "from audit.cli import run; run()"]
DETECTORS = "minor_cues,media_meta,faces"
SEEDS = [int(s) for s in os.environ.get("AUDIT_FAULT_SEEDS", "11,23,37").split(",")]
OUTPUTS = ("audit.duckdb", "report.html", "report.json", "flags.parquet", "exclusions.txt")


def scan_args(out: Path) -> list[str]:
    """The CLI invocation every test here runs (same corpus, detectors, one worker)."""
    return [*CLI, "scan", str(SAMPLE_CORPUS), "--out", str(out), "--quiet",
            "--detectors", DETECTORS, "--workers", "1"]  # fmt: skip


def _popen(out: Path) -> subprocess.Popen[str]:
    # Own session: kill -9 hits the scan and any helper it started, as losing the node would.
    return subprocess.Popen(
        scan_args(out), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """A clean scan's out folder and its wall time (the window kills are drawn from)."""
    skip_unless_pipeline()
    out = tmp_path_factory.mktemp("faults") / "clean"
    started = time.monotonic()
    proc = subprocess.run(scan_args(out), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out, time.monotonic() - started


def _statuses(out: Path) -> list[str]:
    con = duckdb.connect(str(out / "audit.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()
        return [r[0] for r in rows]
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("seed", SEEDS)
def test_kill_9_at_a_random_moment_then_rerun_matches_clean(
    reference: tuple[Path, float], tmp_path: Path, seed: int
) -> None:
    clean, wall = reference
    delay = random.Random(seed).uniform(0.2, wall)
    out = tmp_path / "out"
    proc = _popen(out)
    time.sleep(delay)
    killed = proc.poll() is None
    if killed:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == (-signal.SIGKILL if killed else 0), proc.stderr.read()

    rerun = subprocess.run(scan_args(out), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, f"seed {seed}, killed after {delay:.1f}s: {rerun.stderr}"
    assert flag_set(out) == flag_set(clean), f"seed {seed}, killed after {delay:.1f}s"
    statuses = _statuses(out)
    assert statuses[-1] == "complete"
    assert set(statuses[:-1]) <= {"interrupted", "complete"}, statuses
    assert not list(out.glob(".*.tmp")), "a killed atomic write left its temp file"


def _read_only(folder: Path, args: list[str]) -> list[str] | None:
    """``args`` run with ``folder`` really read-only, or None when this machine cannot.

    Root ignores permission bits, so as root the folder is bind-mounted read-only in a
    private mount namespace (the scan sees EROFS, as on a read-only volume).
    """
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return args
    if shutil.which("unshare") is None:
        return None
    probe = subprocess.run(
        ["unshare", "--mount", "sh", "-c", 'mount --bind -o ro "$0" "$0"', str(folder)],
        capture_output=True,
    )
    if probe.returncode != 0:
        return None
    return ["unshare", "--mount", "sh", "-c",
            'mount --bind -o ro "$0" "$0" && shift && exec "$@"', str(folder), "_", *args]  # fmt: skip


@pytest.mark.timeout(600)
def test_read_only_out_folder_exits_2_and_leaves_outputs(
    reference: tuple[Path, float], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(reference[0], out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    args = _read_only(out, scan_args(out))
    if args is None:
        pytest.skip("cannot make a folder read-only for root here (no unshare/mount)")
    try:
        proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        out.chmod(0o755)
    assert proc.returncode == 2, proc.stderr
    assert f"{out}: output folder is not writable" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_second_concurrent_scan_refuses_and_first_completes(
    reference: tuple[Path, float], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = _popen(out)
    lock = out / ".audit.lock"
    deadline = time.monotonic() + 120
    # The lock file names its holder once it is taken.
    while not (lock.exists() and lock.read_text().startswith("pid")):
        assert first.poll() is None, first.stderr.read()
        assert time.monotonic() < deadline, "first scan never took the folder lock"
        time.sleep(0.05)
    second = subprocess.run(scan_args(out), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert first.wait(timeout=600) == 0, first.stderr.read()
    assert second.returncode == 2
    assert "another audit run is using this output folder" in second.stderr
    assert f"pid {first.pid}" in second.stderr
    assert flag_set(out) == flag_set(reference[0])
    assert _statuses(out) == ["complete"]  # the refused scan wrote no run row
