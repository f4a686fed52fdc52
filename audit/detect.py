"""The detect stage: run detectors over an ingested store, through the content-hash cache.

``run_detectors`` (CONTRACTS.md): hash media, analyse each distinct uncached content once per
detector (committing per batch), then rebuild ``findings`` for the current detector versions
and the stage='detect' rows of ``errors``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from audit import cache, media
from audit.detectors.base import batch_size_of
from audit.detectors.registry import DEFAULT_DETECTORS, available_detectors, detector_class
from audit.errors import UsageError
from audit.store import query

Progress = Callable[[str, int, int | None], None]


@dataclass
class DetectorStats:
    """What one detector did in one run."""

    version: str
    contents: int = 0  # distinct contents of its input kind in the corpus
    cache_hits: int = 0  # of those, already analysed by this version before the run
    analysed: int = 0  # analysed in this run
    errors: int = 0  # items whose content this detector could not analyse
    findings: int = 0  # finding rows for the items
    seconds: float = 0.0
    describe: dict[str, Any] = field(default_factory=dict)


@dataclass
class DetectSummary:
    """Result of :func:`run_detectors`."""

    detectors: dict[str, DetectorStats] = field(default_factory=dict)
    media_hashed: int = 0
    texts_hashed: int = 0
    seconds: float = 0.0


#: ``--detectors none``: a metadata-only scan (visibility, consent, declared ages, licences).
NO_DETECTORS = "none"


def resolve_names(names: Sequence[str] | None) -> list[str]:
    """Detector names to run: the given ones (checked), the installed defaults when none are
    given, or nothing for ``["none"]`` (a metadata-only scan)."""
    if names and NO_DETECTORS in names:
        if len(names) > 1:
            raise UsageError("--detectors none cannot be combined with detector names")
        return []
    if not names:
        installed = set(available_detectors())
        return [n for n in DEFAULT_DETECTORS if n in installed]
    missing = [n for n in names if n not in available_detectors() and ":" not in n]
    if missing:
        raise UsageError(
            f"detector(s) not available: {', '.join(missing)}; "
            f"available: {', '.join(available_detectors())}"
        )
    return list(names)


ENGINES = ("local", "ray")


#: Marker for the Ray engine's detect path: result shards committed in bulk (_run_ray).
RAY_SHARDS = object()


def engine_batches(engine: str) -> Callable[..., Any]:
    """The ``iter_batches`` of an engine; both engines share one contract."""
    if engine == "local":
        from audit.engine.local import iter_batches
    elif engine == "ray":
        from audit.engine.ray import iter_batches
    else:
        raise UsageError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    return iter_batches


def _stage_engine(engine: str) -> Any:
    """What the detect stage runs detectors with: ``iter_batches`` of the local engine, or
    :data:`RAY_SHARDS` (the Ray engine's shard protocol, committed shard by shard)."""
    if engine == "ray":
        return RAY_SHARDS
    return engine_batches(engine)


def run_detectors(
    con: duckdb.DuckDBPyConnection,
    names: Sequence[str] | None = None,
    *,
    workers: int | None = None,
    run_id: str | None = None,
    options: dict[str, dict[str, Any]] | None = None,
    progress: Progress | None = None,
    engine: str = "local",
) -> DetectSummary:
    """Run the detect stage on the store behind ``con`` (see module docstring).

    ``options`` maps a detector name to its constructor options; ``workers`` defaults to
    the number of CPUs (1 = in-process); ``engine`` is ``local`` (process pool) or ``ray``.
    """
    started = time.perf_counter()
    workers = workers or os.cpu_count() or 1
    summary = DetectSummary()
    selected = resolve_names(names)
    classes = {n: detector_class(n) for n in selected}
    # Text hashes are filled whatever the selection: rules, exports and the manifest's
    # corpus digest read items.text_sha256 too, not only the text detectors' cache.
    summary.texts_hashed = cache.hash_texts(con, progress=_stage(progress, "hash texts"))
    if any(c.input_kind == "image" for c in classes.values()):
        summary.media_hashed = media.hash_media(con, progress=_stage(progress, "hash media"))
    run_batches = _stage_engine(engine)
    for name, cls in classes.items():
        summary.detectors[name] = _run_one(
            con, name, cls, (options or {}).get(name, {}), workers, run_id, progress, run_batches
        )
    _write_media_errors(con, run_id)
    summary.seconds = time.perf_counter() - started
    return summary


def _stage(progress: Progress | None, stage: str) -> Callable[[int, int | None], None] | None:
    """``progress`` with its stage label bound (None when nothing displays progress)."""
    return functools.partial(progress, stage) if progress else None


def _run_one(
    con: duckdb.DuckDBPyConnection,
    name: str,
    cls: Any,
    options: dict[str, Any],
    workers: int,
    run_id: str | None,
    progress: Progress | None,
    run_batches: Callable[..., Any],
) -> DetectorStats:
    started = time.perf_counter()
    version, kind = cls.version, cls.input_kind
    stats = DetectorStats(version=version, contents=cache.count_contents(con, kind))
    if getattr(cls, "in_process", False):
        workers = 1
    if run_batches is RAY_SHARDS:
        stats.analysed = _run_ray(con, name, version, options, workers, cls, progress)
    else:
        stats.analysed = _run_batches(con, name, version, options, workers, cls, progress,
                                      run_batches)  # fmt: skip
    stats.cache_hits = max(stats.contents - stats.analysed, 0)
    _rebuild(con, name, version, kind, run_id)
    # fetchall, not fetchone: DuckDB 2 keeps a half-read result open on the connection.
    ((stats.errors, stats.findings),) = con.execute(
        query("detect.sql", "detector_stats"), [name]
    ).fetchall()
    if stats.analysed:
        # describe() of a fresh instance: versions only, no model load.
        stats.describe = _describe(cls, options)
    stats.seconds = time.perf_counter() - started
    return stats


def _run_batches(
    con: duckdb.DuckDBPyConnection,
    name: str,
    version: str,
    options: dict[str, Any],
    workers: int,
    cls: Any,
    progress: Progress | None,
    run_batches: Callable[..., Any],
) -> int:
    """The local engine's path: commit each yielded batch of results; returns the count."""
    kind = cls.input_kind
    # Counted before streaming so the progress bar shows a total and an ETA.
    total = cache.count_pending(con, name, version, kind)
    pending = cache.pending_contents(con, name, version, kind)
    label, analysed = f"detect {name}", 0
    if progress:
        progress(label, 0, total)
    for results in run_batches(
        name, options, pending, workers=workers, batch_size=batch_size_of(cls)
    ):
        cache.store_results(con, name, version, results)
        analysed += len(results)
        if progress:
            progress(label, analysed, total)
    return analysed


def _run_ray(
    con: duckdb.DuckDBPyConnection,
    name: str,
    version: str,
    options: dict[str, Any],
    workers: int,
    cls: Any,
    progress: Progress | None,
) -> int:
    """The Ray path of one detector: commit the result shards a killed scan left complete,
    then run the pending contents as Ray tasks and commit each result shard as it lands
    (audit/engine/ray.py). Returns the contents committed."""
    from audit.engine import ray as ray_engine

    folder = shard_folder(con, name, version)
    leftovers = ray_engine.finished_shards(folder)
    committed = cache.commit_result_shards(con, name, version, leftovers)
    for pair in leftovers:
        ray_engine.remove_shard(pair)
    # counted after the leftovers are in: the stream below skips what they analysed
    kind = cls.input_kind
    total = committed + cache.count_pending(con, name, version, kind)
    pending = cache.pending_contents(con, name, version, kind)
    label = f"detect {name}"
    if progress:
        progress(label, committed, total)
    for pair, _ in ray_engine.iter_result_shards(
        name, options, pending, folder, workers=workers, batch_size=batch_size_of(cls)
    ):
        committed += cache.commit_result_shards(con, name, version, [pair])
        ray_engine.remove_shard(pair)
        if progress:
            progress(label, committed, total)
    return committed


def shard_folder(con: duckdb.DuckDBPyConnection, name: str, version: str) -> Path:
    """Where the Ray engine keeps one detector version's shards: ``detect-shards/`` beside the
    audit database, or under ``AUDIT_RAY_SHARDS`` (a shared folder) in a subfolder of its own
    per audit database, so that scans sharing the root never take each other's shards."""
    row = con.execute(query("ingest.sql", "database_path")).fetchall()
    db = str(Path(row[0][0]).resolve()) if row and row[0][0] else None
    root = os.environ.get("AUDIT_RAY_SHARDS")
    if root:
        owner = hashlib.sha256((db or f"memory-{os.getpid()}").encode()).hexdigest()[:16]
        base = Path(root) / owner
    elif db:
        base = Path(db).parent / "detect-shards"
    else:
        base = Path(tempfile.gettempdir()) / f"audit-detect-shards-{os.getpid()}"
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in f"{name}-{version}")
    return base / safe


def _describe(cls: Any, options: dict[str, Any]) -> dict[str, Any]:
    try:
        return dict(cls(**options).describe())
    except Exception as exc:  # noqa: BLE001 - the manifest must not fail the scan
        return {"describe_error": str(exc)}


def _rebuild(
    con: duckdb.DuckDBPyConnection, name: str, version: str, kind: str, run_id: str | None
) -> None:
    """Findings and error rows of one detector for the current items and version."""
    suffix = "text" if kind == "text" else "image"
    con.execute("BEGIN TRANSACTION")
    con.execute(query("detect.sql", "delete_findings"), [name])
    con.execute(query("detect.sql", f"rebuild_{suffix}_findings"), [name, version])
    con.execute(query("detect.sql", "delete_detector_errors"), [name])
    con.execute(query("detect.sql", f"insert_{suffix}_errors"), [name, version, run_id])
    con.execute("COMMIT")


def _write_media_errors(con: duckdb.DuckDBPyConnection, run_id: str | None) -> None:
    con.execute("BEGIN TRANSACTION")
    con.execute(query("detect.sql", "delete_media_errors"))
    con.execute(query("detect.sql", "insert_media_errors"), [run_id])
    con.execute("COMMIT")
