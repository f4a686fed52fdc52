"""Sharded ingest: the shards of a corpus spec (``shards: [{name, sources}]``) are staged in
parallel, each into a shard database file of its own, then merged into the audit store.

Each shard is staged by a worker process (``--engine local``) or a Ray task (``--engine
ray``; the shard folder must then be on storage every node and the driver can reach) with the
very code a single-database ingest runs per source (audit/ingest/corpus.py
``_ingest_source``): its new items in ``_ca_items``, its rejected rows and notes in tables of
the shard file. The coordinator then ATTACHes each shard file read-only, in spec order, and
copies it into its own staging tables in bulk (INSERT … SELECT, no row through Python), and
the ingest ends as a single-database ingest does: duplicate ids resolved across all shards,
one ``items`` table, one ``errors`` table. So a sharded scan is one logical scan: detectors,
rules (an author's posts in three shards are one author) and the report see the whole corpus,
and the results equal those of the same sources ingested as one (tests/test_shards.py).
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from audit.errors import AuditError
from audit.ingest.layout import Layout, begin_staging
from audit.ingest.read import file_digest
from audit.ingest.source import Source
from audit.store import query

_SQL = "ingest.sql"
#: Retries of a shard task whose worker or node died.
TASK_RETRIES = 3


@dataclass
class ShardOutput:
    """What staging one shard produced (small: the rows stay in the shard file)."""

    name: str
    db: str
    staged: dict[str, int] = field(default_factory=dict)  # source file → records staged
    extra_types: dict[str, set[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    digests: dict[str, tuple[int, str]] = field(default_factory=dict)  # file → (size, sha256)
    not_items: int = 0  # rows of the shard's _ca_items that are not items (already rejected)


def stage_shard(
    name: str, db: str, sources: list[Source], media_cache: str, layout: Layout
) -> ShardOutput:
    """Stage one shard's sources into a fresh database file at ``db`` (a worker's job), in
    the ``layout`` of the whole ingest (every shard's _ca_items has the same columns)."""
    from audit.ingest.corpus import _ingest_source, _Run
    from audit.store import open_store

    Path(db).unlink(missing_ok=True)  # a retried task starts again
    con = open_store(db)
    try:
        con.execute("SET enable_progress_bar = false")
        begin_staging(con, layout)
        con.execute("BEGIN TRANSACTION")
        run = _Run(con, Path(media_cache), layout)
        out = ShardOutput(name, db)
        try:
            for src in sources:
                out.staged[str(src.path)] = _ingest_source(run, src)
        finally:
            run.close_side()
        con.execute(query(_SQL, "shard_keep_staging"))
        con.execute("COMMIT")
        out.extra_types, out.warnings = run.extra_types, run.warnings
        out.not_items = run.not_items
    finally:
        con.close()
    out.digests = {str(s.path): file_digest(s.path) for s in sources}
    return out


def merge_shard(con: duckdb.DuckDBPyConnection, shard: ShardOutput) -> None:
    """Copy one staged shard into the coordinator's staging tables (bulk, read-only ATTACH)."""
    alias = "_ca_shard"
    con.execute("COMMIT")  # ATTACH/DETACH run outside the ingest's transaction
    con.execute(f"ATTACH {_literal(shard.db)} AS {alias} (READ_ONLY)")
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(query(_SQL, "shard_merge").replace("__SHARD__", alias))
        con.execute("COMMIT")
    finally:
        con.execute(f"DETACH {alias}")
        con.execute("BEGIN TRANSACTION")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def shard_folder(con: duckdb.DuckDBPyConnection) -> Path:
    """A fresh folder for this ingest's shard files: ``ingest-shards/<token>`` beside the audit
    database (``AUDIT_INGEST_SHARDS`` overrides the parent; a temp folder for in-memory stores)."""
    root = os.environ.get("AUDIT_INGEST_SHARDS")
    if not root:
        row = con.execute(query(_SQL, "database_path")).fetchall()
        db = row[0][0] if row and row[0][0] else None
        root = str(Path(db).resolve().parent / "ingest-shards") if db else tempfile.gettempdir()
    folder = Path(root) / f"ingest-{secrets.token_hex(4)}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stage_shards(
    groups: list[tuple[str, list[Source]]],
    folder: Path,
    media_cache: Path,
    layout: Layout,
    *,
    workers: int,
    engine: str,
    progress: Callable[[int], None] | None = None,
) -> list[ShardOutput]:
    """Stage every shard in parallel; return their outputs in spec order."""
    jobs = [
        (name, str(folder / f"shard-{i:04d}.duckdb"), sources, str(media_cache), layout)
        for i, (name, sources) in enumerate(groups)
    ]
    if engine == "ray":
        return _on_ray(jobs, workers, progress)
    return _on_pool(jobs, workers, progress)


def _on_pool(
    jobs: list[tuple[str, str, list[Source], str, Layout]],
    workers: int,
    progress: Callable[[int], None] | None,
) -> list[ShardOutput]:
    context = multiprocessing.get_context(
        "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    )
    with ProcessPoolExecutor(max(1, min(workers, len(jobs))), mp_context=context) as pool:
        futures: list[Future[ShardOutput]] = [pool.submit(stage_shard, *job) for job in jobs]
        outputs = []
        for done, future in enumerate(futures, 1):
            outputs.append(future.result())
            if progress:
                progress(done)
        return outputs


def _on_ray(
    jobs: list[tuple[str, str, list[Source], str, Layout]],
    workers: int,
    progress: Callable[[int], None] | None,
) -> list[ShardOutput]:
    from audit.engine.ray import _connect, _require_ray

    ray = _require_ray()
    _connect(ray, workers, os.environ.get("RAY_ADDRESS"))
    task = ray.remote(num_cpus=1, max_retries=TASK_RETRIES, retry_exceptions=False)(stage_shard)
    refs = [task.options(scheduling_strategy="SPREAD").remote(*job) for job in jobs]
    outputs = []
    for done, ref in enumerate(refs, 1):
        try:
            outputs.append(ray.get(ref))
        except Exception as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, AuditError):  # an input error: say it as the local path does
                raise cause from None
            raise
        if progress:
            progress(done)
    return outputs


def remove_folder(folder: Path) -> None:
    """Delete a shard folder after the merge (or a failed ingest)."""
    shutil.rmtree(folder, ignore_errors=True)
