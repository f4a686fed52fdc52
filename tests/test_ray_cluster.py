"""A real two-node Ray cluster on this machine: the second node is killed while it has detector
shards in flight, and the scan still finishes with the local engine's findings and flags.

Slow (two `ray start` processes, ~1–3 min on a loaded 2-core machine): marked ``slow``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from _ray_cluster import Cluster, cluster_env

from audit.engine.ray import configure_ray_environment
from audit.scan import ScanOptions, run_scan
from audit.store import open_store

configure_ray_environment()
pytest.importorskip("ray", reason="Ray engine is the optional extra `ray`")

TESTS = Path(__file__).resolve().parent
DETECTOR = "_fake_detectors:SlowEcho"
TEXTS = 480
SHARD_ROWS = 40  # 10 batches of 4 per shard
BATCH_SECONDS = 0.1  # ~1 s per shard: node2 always has a shard in flight when it dies
RESULTS = {
    "findings": 'SELECT item_id, detector, entity_type, score, "start", "end" FROM findings '
    "ORDER BY ALL",
    "flags": "SELECT item_id, rule_id, evidence::VARCHAR FROM flags ORDER BY ALL",
    "analysed": "SELECT content_sha256, status FROM analysed ORDER BY ALL",
}


def _corpus(root: Path) -> Path:
    lines = [
        json.dumps({"item_id": f"i{i}", "author_id": f"a{i % 7}", "visibility": "public",
                    "text": f"post {i} about the weather", "opt_out": i % 50 == 0})
        for i in range(TEXTS)
    ]  # fmt: skip
    (root / "posts.jsonl").write_text("\n".join(lines) + "\n")
    (root / "corpus.yaml").write_text("sources:\n  - {path: posts.jsonl, mapping: generic}\n")
    return root / "corpus.yaml"


def _results(out: Path) -> dict[str, list[tuple]]:
    con = open_store(out / "audit.duckdb", read_only=True)
    try:
        return {k: con.execute(sql).fetchall() for k, sql in RESULTS.items()}
    finally:
        con.close()


def _batches(log: Path, node: str) -> int:
    return sum(len(p.read_text().split()) for p in log.glob(f"{node}-*.log"))


@pytest.mark.slow
def test_scan_survives_losing_a_node_mid_job(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    local = run_scan(
        ScanOptions(corpus=str(corpus), out=tmp_path / "out-local", detectors=(DETECTOR,),
                    workers=1)
    )  # fmt: skip
    assert local.exit_code == 0
    log = tmp_path / "log"
    log.mkdir()
    base = {"PYTHONPATH": str(TESTS), "AUDIT_TEST_LOG": str(log),
            "AUDIT_TEST_BATCH_SECONDS": str(BATCH_SECONDS)}  # fmt: skip
    # a short folder: Ray's socket paths under it must stay within AF_UNIX's 107 bytes
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp")))
    try:
        cluster.start_node(
            "head", head=True, cpus=1, env=cluster_env({**base, "AUDIT_TEST_NODE": "head"})
        )
        node2 = cluster.start_node(
            "node2", head=False, cpus=1, env=cluster_env({**base, "AUDIT_TEST_NODE": "node2"})
        )
        scan = subprocess.Popen(
            [sys.executable, "-c", "from audit.cli import run; run()", "scan", str(corpus),
             "--out", str(tmp_path / "out-ray"), "--engine", "ray", "--detectors", DETECTOR,
             "--quiet"],
            env=cluster_env({**base, "RAY_ADDRESS": cluster.address,
                             "AUDIT_RAY_SHARD_ROWS": str(SHARD_ROWS)}),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 300
        # kill node2 mid-shard: once it has done a few batches of its first shard
        while _batches(log, "node2") < 3:
            assert scan.poll() is None, f"scan ended before node2 worked:\n{scan.stdout.read()}"
            assert time.monotonic() < deadline, "node2 never got work"
            time.sleep(0.1)
        node2.kill()
        killed_at = _batches(log, "head")
        output, _ = scan.communicate(timeout=600)
        assert scan.returncode == 0, output
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)
    assert _batches(log, "head") > killed_at, "the head took over the remaining shards"
    assert _results(tmp_path / "out-ray") == _results(tmp_path / "out-local")
    # every shard was committed and removed
    leftovers = list((tmp_path / "out-ray" / "detect-shards").rglob("*.parquet"))
    assert leftovers == []
    assert os.path.exists(tmp_path / "out-ray" / "report.html")
