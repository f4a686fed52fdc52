"""The detector cache, the detect stage and the local engine (fake detectors, real DuckDB)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from audit.detect import run_detectors
from audit.detectors.base import Content
from audit.engine.local import iter_results
from audit.store import open_memory

ECHO = "_fake_detectors:EchoDetector"
CRASH = "_fake_detectors:CrashDetector"
IMG = "_fake_detectors:ImageSizeDetector"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _store(texts: list[str | None], media: list[str | None] | None = None):  # type: ignore[no-untyped-def]
    con = open_memory()
    media = media or [None] * len(texts)
    for i, (text, uri) in enumerate(zip(texts, media, strict=True)):
        con.execute(
            "INSERT INTO items (item_id, text, text_sha256, media_uri, source_row) "
            "VALUES (?, ?, ?, ?, ?)",
            [f"i{i}", text, _sha(text) if text is not None else None, uri, i + 1],
        )
    return con


def test_duplicates_analysed_once_and_second_run_runs_nothing() -> None:
    from _fake_detectors import EchoDetector

    con = _store(["hello", "hello", "world", "BAD one", None])
    EchoDetector.calls.clear()
    first = run_detectors(con, [ECHO], workers=1, run_id="r1").detectors[ECHO]
    assert sorted(EchoDetector.calls) == ["BAD one", "hello", "world"]  # dedup
    assert (first.contents, first.analysed, first.cache_hits) == (3, 3, 0)
    assert first.findings == 3 and first.errors == 1  # both "hello" items get the finding
    rows = con.execute("SELECT item_id, code, run_id FROM errors WHERE stage = 'detect'").fetchall()
    assert rows == [("i3", "bad_text", "r1")]

    EchoDetector.calls.clear()
    second = run_detectors(con, [ECHO], workers=1).detectors[ECHO]
    assert EchoDetector.calls == []  # warm cache: no model call
    assert (second.analysed, second.cache_hits, second.findings) == (0, 3, 3)


def test_new_item_after_run_is_the_only_one_analysed() -> None:
    from _fake_detectors import EchoDetector

    con = _store(["a", "b"])
    run_detectors(con, [ECHO], workers=1)
    con.execute("INSERT INTO items (item_id, text, text_sha256) VALUES ('n', 'c', ?)", [_sha("c")])
    EchoDetector.calls.clear()
    stats = run_detectors(con, [ECHO], workers=1).detectors[ECHO]
    assert EchoDetector.calls == ["c"] and stats.analysed == 1


def test_interrupted_run_resumes_with_only_missing_contents() -> None:
    """Results are committed per batch: a run stopped mid-way keeps finished batches."""
    from audit import cache

    con = _store([f"t{i}" for i in range(10)])
    pending = cache.pending_contents(con, ECHO, "1", "text")
    first_batch = [next(pending) for _ in range(4)]
    results = list(iter_results(ECHO, {}, first_batch, workers=1, batch_size=4))
    cache.store_results(con, ECHO, "1", results)
    del pending  # the "kill": the rest never ran
    stats = run_detectors(con, [ECHO], workers=1).detectors[ECHO]
    assert (stats.analysed, stats.cache_hits) == (6, 4)


def test_media_hashing_statuses_and_image_findings(tmp_path: Path) -> None:
    img = tmp_path / "a.jpg"
    img.write_bytes(b"\xff\xd8fake-jpeg" * 1000)
    copy = tmp_path / "b.jpg"
    copy.write_bytes(img.read_bytes())  # same bytes, other path: analysed once
    con = _store(
        ["x", "y", "z", "w"],
        [str(img), str(copy), str(tmp_path / "gone.jpg"), "https://cdn.example/p.jpg"],
    )
    stats = run_detectors(con, [IMG], workers=1).detectors[IMG]
    assert (stats.contents, stats.analysed, stats.findings) == (1, 1, 2)
    statuses = dict(con.execute("SELECT media_uri, status FROM media_files").fetchall())
    assert statuses[str(img)] == "ok" and statuses[str(tmp_path / "gone.jpg")] == "missing"
    assert statuses["https://cdn.example/p.jpg"] == "not_local"
    # A remote image is "not analysed (remote)" (media_files.status not_local), not an error:
    # without --fetch-media it is never downloaded (issue #16).
    codes = dict(con.execute("SELECT item_id, code FROM errors WHERE stage='detect'").fetchall())
    assert codes == {"i2": "media_missing"}


@pytest.mark.timeout(180)
def test_worker_segfault_marks_only_the_poison_content() -> None:
    texts = [f"ok {i}" for i in range(10)] + ["POISON pill"] + [f"fine {i}" for i in range(10)]
    contents = [Content(_sha(t), text=t) for t in texts]
    results = {r.sha256: r for r in iter_results(CRASH, {}, contents, workers=2, batch_size=4)}
    assert len(results) == len(texts)
    poison = results[_sha("POISON pill")]
    assert poison.error and poison.error.startswith("worker_crash")
    assert all(results[_sha(t)].error is None for t in texts if "POISON" not in t)


def test_pool_results_match_in_process_results() -> None:
    contents = [Content(_sha(f"w{i}"), text=f"w{i}") for i in range(25)]
    pooled = {r.sha256: r.findings for r in iter_results(ECHO, {}, contents, workers=2)}
    local = {r.sha256: r.findings for r in iter_results(ECHO, {}, contents, workers=1)}
    assert pooled == local


def test_importing_cli_loads_no_model_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, audit.cli, audit.detect, audit.detectors.pii.detector, audit.detectors.minor_cues;"
        "heavy = [m for m in ('presidio_analyzer', 'spacy', 'face_recognition', 'dlib') "
        "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


class BrokenSetupDetector:
    """A detector whose setup() fails like the OCR detector without its tesseract binary."""

    name = "broken"
    version = "1"
    input_kind = "text"

    def setup(self) -> None:
        """Fail the way pytesseract does when the binary is missing (multi-line message)."""
        raise RuntimeError("tesseract is not installed or it's not in your PATH\nsee README")

    def detect_batch(self, batch: list[Content]) -> list:  # type: ignore[type-arg]
        """Never reached."""
        raise AssertionError("detect_batch after a failed setup")

    def describe(self) -> dict:  # type: ignore[type-arg]
        """No versions."""
        return {}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("workers", [1, 2])
def test_setup_failure_is_one_clear_input_error(workers: int) -> None:
    """The real cause reaches the user as one line (exit 2), not as 'workers crashed'."""
    from audit.errors import EXIT_INPUT, InputError

    con = _store([f"t{i}" for i in range(20)])
    name = "test_cache_engine:BrokenSetupDetector"
    with pytest.raises(InputError) as info:
        run_detectors(con, [name], workers=workers)
    assert str(info.value) == (
        f"detector {name!r} could not start: "
        "RuntimeError: tesseract is not installed or it's not in your PATH"
    )
    assert info.value.exit_code == EXIT_INPUT


def test_detect_progress_reports_the_pending_total() -> None:
    """The bar gets a total (distinct uncached contents) from the first update on."""
    con = _store(["a", "a", "b", "c", None])
    calls: list[tuple[str, int, int | None]] = []
    run_detectors(con, [ECHO], workers=1, progress=lambda *a: calls.append(a))
    label = f"detect {ECHO}"
    assert ("hash texts", 5, 5) in calls  # the hashing step reports rows done / total
    calls = [c for c in calls if c[0] == label]
    assert calls[0] == (label, 0, 3) and calls[-1] == (label, 3, 3)
    assert all(total == 3 for _, _, total in calls)

    calls.clear()  # warm cache: nothing pending, and the bar says so
    run_detectors(con, [ECHO], workers=1, progress=lambda *a: calls.append(a))
    assert [c for c in calls if c[0] == label] == [(label, 0, 0)]


def test_text_hashes_are_filled_in_chunks_whatever_the_detectors() -> None:
    """The detect stage hashes every non-empty text, even when only an image detector runs
    (rules and the corpus digest read text_sha256), in bounded rowid chunks."""
    from audit import cache

    con = open_memory()
    texts = ["a", "", None, "b", "a", "ünïcode", "c"]
    for i, text in enumerate(texts):
        con.execute("INSERT INTO items (item_id, text) VALUES (?, ?)", [f"i{i}", text])
    seen: list[tuple[int, int]] = []
    assert cache.hash_texts(con, chunk_rows=3, progress=lambda d, t: seen.append((d, t))) == 5
    assert seen == [(3, 7), (6, 7), (7, 7)]
    got = dict(con.execute("SELECT item_id, text_sha256 FROM items").fetchall())
    assert got == {f"i{i}": (_sha(t) if t else None) for i, t in enumerate(texts)}
    assert cache.hash_texts(con) == 0  # nothing left to hash

    con.execute("UPDATE items SET text_sha256 = NULL")
    summary = run_detectors(con, [IMG], workers=1)
    assert summary.texts_hashed == 5
    assert con.execute("SELECT count(text_sha256) FROM items").fetchall() == [(5,)]
