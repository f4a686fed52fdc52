"""The Ray engine gives the same findings as the local engine (local Ray, 2 CPUs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.detect import run_detectors
from audit.engine.ray import configure_ray_environment
from audit.ingest import ingest_corpus
from audit.store import open_store

configure_ray_environment()  # before Ray is imported
pytest.importorskip("ray", reason="Ray engine is the optional extra `ray`")

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "corpus.yaml"
FINDINGS = """
    SELECT item_id, detector, entity_type, score, "start", "end", bbox::VARCHAR, attributes::VARCHAR
    FROM findings ORDER BY ALL
"""


@pytest.fixture(scope="module")
def ray_local():
    import os

    import ray

    # Ray's workers inherit this environment: they import the test detectors from tests/
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(__file__).resolve().parent), saved) if p
    )
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH")
        else:
            os.environ["PYTHONPATH"] = saved
    yield ray
    ray.shutdown()


def _scan(tmp: Path, engine: str, detectors: list[str]) -> list[tuple]:
    con = open_store(tmp / f"{engine}.duckdb")
    ingest_corpus(con, SAMPLE)
    summary = run_detectors(con, detectors, workers=2, engine=engine)
    assert all(s.analysed > 0 for s in summary.detectors.values())
    rows = con.execute(FINDINGS).fetchall()
    con.close()
    return rows


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample_data not built")
def test_ray_engine_matches_local_on_sample(tmp_path: Path, ray_local) -> None:
    detectors = ["minor_cues", "media_meta", "faces"]
    local = _scan(tmp_path, "local", detectors)
    on_ray = _scan(tmp_path, "ray", detectors)
    assert local, "the sample corpus must produce findings"
    assert on_ray == local


def test_bad_detector_options_fail_before_a_ray_job(tmp_path: Path) -> None:
    """Option errors are one UsageError line; no Ray job (or cluster) is needed to say so."""
    from audit.detectors.base import Content
    from audit.engine.ray import iter_batches
    from audit.errors import UsageError

    contents = [Content(sha256="x", path=str(tmp_path / "a.jpg"))]
    with pytest.raises(UsageError, match="faces.*model must be"):
        next(iter_batches("faces", {"model": "bogus"}, contents, workers=2))


def test_root_cause_names_the_innermost_error() -> None:
    from audit.engine.ray import _root_cause

    try:
        try:
            raise RuntimeError("tesseract is not installed\nsee the docs")
        except RuntimeError as inner:
            raise ValueError("task failed") from inner
    except ValueError as outer:
        assert _root_cause(outer) == "RuntimeError: tesseract is not installed"


def _texts_store(tmp: Path, n: int):
    import json

    corpus = tmp / "posts.jsonl"
    corpus.write_text(
        "\n".join(json.dumps({"item_id": f"i{i}", "text": f"text number {i}"}) for i in range(n))
    )
    con = open_store(tmp / "audit.duckdb")
    ingest_corpus(con, corpus, "generic")
    return con


class _Stop(Exception):
    """Stands for the scan being killed."""


def test_a_killed_ray_stage_resumes_from_its_committed_shards(
    tmp_path: Path, ray_local, monkeypatch
) -> None:
    """Shards committed before the kill stay; a shard a task finished but the driver never
    committed is committed first by the next scan; only the rest runs on Ray again."""
    from audit import cache
    from audit.detect import shard_folder
    from audit.engine.ray import finished_shards, run_shard, write_input_shards

    name, version, n = "_fake_detectors:SlowEcho", "1", 300
    monkeypatch.setenv("AUDIT_RAY_SHARD_ROWS", "20")
    con = _texts_store(tmp_path, n)
    log = tmp_path / "log"
    log.mkdir()
    options = {name: {"log": str(log)}}

    def stop_after_two_shards(label: str, done: int, total: int | None) -> None:
        if label.startswith("detect") and done >= 40:
            raise _Stop

    with pytest.raises(_Stop):
        run_detectors(con, [name], workers=2, engine="ray", options=options,
                      progress=stop_after_two_shards)  # fmt: skip
    first = con.execute("SELECT count(*) FROM analysed").fetchall()[0][0]
    assert 40 <= first < n and first % 20 == 0
    # a shard finished by a task whose driver died before committing it
    folder = shard_folder(con, name, version)
    pending = list(cache.pending_contents(con, name, version, "text"))[:20]
    (shard,) = list(write_input_shards(pending, tmp_path / "orphan", 20))
    run_shard(name, {}, str(shard), str(folder / "out"), 4)
    assert len(finished_shards(folder)) >= 1
    for f in log.iterdir():
        f.unlink()

    summary = run_detectors(con, [name], workers=2, engine="ray", options=options)
    assert summary.detectors[name].analysed == n - first
    on_ray = sum(len(p.read_text().split()) for p in log.iterdir())
    # the orphan (and any shard that finished in flight) was committed, not analysed again
    assert on_ray <= n - first - 20
    assert con.execute("SELECT count(*) FROM analysed").fetchall() == [(n,)]
    assert con.execute("SELECT count(*) FROM findings").fetchall() == [(n,)]
    assert finished_shards(folder) == []
    con.close()
