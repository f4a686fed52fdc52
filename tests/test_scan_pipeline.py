"""The real pipeline on sample_data: golden flags, outputs contract, resume after kill -9.

Skips (with the reason) while a stage module or the sample corpus has not landed.
Regenerate the golden file deliberately with ``UPDATE_GOLDEN=1 uv run pytest tests/test_scan_pipeline.py``.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, SAMPLE_CORPUS, skip_unless_pipeline

GOLDEN = ROOT / "tests" / "golden" / "sample_flags.csv"
CLI = [sys.executable, "-c", "from audit.cli import run; run()"]


def flag_set(out: Path) -> set[tuple[str, str]]:
    """(item_id, rule_id) pairs of an out folder's flags.parquet."""
    con = duckdb.connect()
    rows = con.execute(
        "SELECT item_id, rule_id FROM read_parquet($p)", {"p": str(out / "flags.parquet")}
    ).fetchall()
    return set(rows)


def test_golden_flags(sample_scan: Path) -> None:
    flags = sorted(flag_set(sample_scan))
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        with open(GOLDEN, "w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["item_id", "rule_id"])
            writer.writerows(flags)
    if not GOLDEN.exists():
        pytest.skip("no golden file yet: run with UPDATE_GOLDEN=1 to create it")
    with open(GOLDEN, newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        golden = sorted((r[0], r[1]) for r in reader)
    added = sorted(set(flags) - set(golden))[:10]
    removed = sorted(set(golden) - set(flags))[:10]
    assert flags == golden, (
        f"flags changed (+{len(set(flags) - set(golden))} / -{len(set(golden) - set(flags))}); "
        f"e.g. added {added}, removed {removed}. If intended: UPDATE_GOLDEN=1"
    )


def test_sample_maps_all_six_visibilities_and_hashes_every_text(sample_scan: Path) -> None:
    """Issue #2's check on the scanned sample: the platform vocabularies map onto all six
    canonical visibility values; the detect stage left no non-empty text unhashed."""
    con = duckdb.connect(str(sample_scan / "audit.duckdb"), read_only=True)
    by_visibility = dict(
        con.execute("SELECT visibility, count(*) FROM items GROUP BY 1").fetchall()
    )
    assert set(by_visibility) == {"public", "unlisted", "followers", "private", "direct", "unknown"}
    assert con.execute("SELECT count(DISTINCT platform) FROM items").fetchone()[0] >= 3
    unhashed = con.execute(
        "SELECT count(*) FROM items WHERE text <> '' AND text_sha256 IS DISTINCT FROM sha256(text)"
    ).fetchone()[0]
    assert unhashed == 0
    con.close()


def test_outputs_contract(sample_scan: Path) -> None:
    names = {p.name for p in sample_scan.iterdir() if not p.name.startswith(".")}
    assert {
        "audit.duckdb", "report.html", "report.json", "flags.parquet",
        "findings.parquet", "exclusions.txt", "manifest.json",
    } <= names  # fmt: skip
    con = duckdb.connect()
    flag_cols = [
        d[0] for d in con.execute(f"SELECT * FROM '{sample_scan}/flags.parquet'").description
    ]
    finding_cols = [
        d[0] for d in con.execute(f"SELECT * FROM '{sample_scan}/findings.parquet'").description
    ]
    assert flag_cols == ["item_id", "rule_id", "severity", "action", "evidence"]
    assert finding_cols == ["item_id", "detector", "entity_type", "score", "start", "end", "bbox"]
    excluded = con.execute(
        f"SELECT DISTINCT item_id FROM '{sample_scan}/flags.parquet' WHERE action = 'exclude' ORDER BY 1"
    ).fetchall()
    lines = (sample_scan / "exclusions.txt").read_text().splitlines()
    assert lines == [r[0] for r in excluded] == sorted(lines)
    manifest = json.loads((sample_scan / "manifest.json").read_text())
    report = json.loads((sample_scan / "report.json").read_text())
    assert report["manifest"] == manifest
    assert manifest["rules"]["files"] and len(manifest["rules"]["digest"]) == 64
    assert manifest["corpus"]["sources"] and manifest["detectors"]
    assert report["headline"]["excluded_items"] == len(lines)
    db = duckdb.connect(str(sample_scan / "audit.duckdb"), read_only=True)
    status = db.execute("SELECT status FROM runs WHERE run_id = ?", [manifest["run_id"]]).fetchone()
    db.close()
    assert status == ("complete",)


def test_known_emails_masked_in_report(sample_scan: Path) -> None:
    db = duckdb.connect(str(sample_scan / "audit.duckdb"), read_only=True)
    emails = [
        r[0]
        for r in db.execute(
            'SELECT substr(i.text, f.start + 1, f."end" - f.start) FROM findings f JOIN items i'
            " USING (item_id) WHERE f.entity_type = 'EMAIL_ADDRESS' AND f.start IS NOT NULL"
        ).fetchall()
    ]
    db.close()
    assert emails, "the sample corpus should contain detected emails"
    html = (sample_scan / "report.html").read_text()
    report = (sample_scan / "report.json").read_text()
    leaked = [e for e in emails if e in html or e in report]
    assert leaked == []


def _wait_for_partial_detection(proc: subprocess.Popen, deadline: float) -> str:
    """Read progress lines until a detector reports committed work; return that line."""
    assert proc.stderr is not None
    for line in proc.stderr:
        match = re.match(r"detect pii: (\d+)", line)
        if match and int(match.group(1)) > 0:
            return line
        if time.monotonic() > deadline:
            break
    raise AssertionError("scan finished or stalled before detection progress was seen")


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, grandchildren, ...), from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its exit status is left


@pytest.mark.slow
def test_resume_after_kill_9(sample_scan: Path, tmp_path: Path) -> None:
    skip_unless_pipeline()
    out = tmp_path / "out"
    args = [*CLI, "scan", str(SAMPLE_CORPUS), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(
        args, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    try:
        _wait_for_partial_detection(proc, time.monotonic() + 300)
        tree = _descendants(proc.pid)  # the forkserver and its pool workers
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert len(tree) >= 3, f"expected a forkserver and 2 workers below the scan, got {tree}"
    deadline = time.monotonic() + 20
    while (left := {p for p in tree if _alive(p)}) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"{len(left)} processes of the killed scan are still running: {left}"

    reference = json.loads((sample_scan / "manifest.json").read_text())
    contents = reference["detectors"]["pii"]["contents"]
    db = duckdb.connect(str(out / "audit.duckdb"), read_only=True)
    done = db.execute("SELECT count(*) FROM analysed WHERE detector = 'pii'").fetchone()[0]
    status = db.execute("SELECT status FROM runs").fetchall()
    db.close()
    assert 0 < done < contents, f"kill should land mid-detection: {done}/{contents}"
    assert status == [("running",)]

    rerun = subprocess.run(
        [*args, "--json", "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["detectors"]["pii"]["cache_hits"] >= done  # committed work was not redone
    assert manifest["detectors"]["pii"]["analysed"] == contents - done
    assert summary["run_id"] == manifest["run_id"]
    assert flag_set(out) == flag_set(sample_scan)
    db = duckdb.connect(str(out / "audit.duckdb"), read_only=True)
    statuses = sorted(r[0] for r in db.execute("SELECT status FROM runs").fetchall())
    db.close()
    assert statuses == ["complete", "interrupted"]
