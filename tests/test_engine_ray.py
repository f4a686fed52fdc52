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
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
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
