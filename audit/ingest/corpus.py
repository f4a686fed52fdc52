"""Ingest: recognise a corpus, read each of its files, map the records to the canonical
schema and load them into ``items``, with every problem in ``errors``.

The mapping is compiled to DuckDB SQL (audit/ingest/compile.py) and run over whole batches
— no Python loop over rows for NDJSON, Parquet or CSV batches. Record formats (JSON lines,
JSON documents, CAR, webdataset tars) arrive as Arrow batches of numbered JSON records
(audit/ingest/records.py) read on a second thread while DuckDB maps the previous batch;
Parquet is mapped in place; CSV arrives as Arrow batches of strictly parsed rows. Duplicates
are resolved at the end: the newest edit (``edited_at``) wins, else the first row; every
other row becomes a rejected ``errors`` row naming the one kept. The whole ingest is one
transaction: a failure leaves the previous ``items`` untouched, and re-ingesting gives the
same rows.

Never a silent wrong answer: a corpus that yields no item, or whose rows are all rejected,
is an input error naming what was read; a file without records, a mapped field that
resolves to nothing in every record of a file, and values inferred rather than exported
(visibility) are warnings and ``errors`` notes (``--strict`` turns warnings into exit 2).
"""

from __future__ import annotations

import difflib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TypeVar

import duckdb
import polars as pl
import pyarrow as pa

from audit import item_rows
from audit.errors import InputError
from audit.ingest import notes as ingest_notes
from audit.ingest import shards
from audit.ingest.compile import (
    CompiledSource,
    checked_fields,
    compile_json,
    compile_table,
    lit,
)
from audit.ingest.formats import car, csvfile, jsondoc, ndjson, webdataset
from audit.ingest.layout import Layout, begin_staging, plan_layout
from audit.ingest.mapping import as_spec, spec_paths
from audit.ingest.read import discover, file_digest
from audit.ingest.records import ROW_GROUP_ROWS
from audit.ingest.sniff import Plan
from audit.ingest.source import LineBatch, Reject, Source
from audit.store import fill, query, registered, rollback

Progress = Callable[[str, int, int | None], None]
T = TypeVar("T")

_SQL = "ingest.sql"
#: Rows written into the new items table between commits (two DuckDB row groups).
COMMIT_ROWS = 2 * ROW_GROUP_ROWS
#: What items.extra keeps: every unmapped source field, or the mapping's declared ones only.
EXTRA_MODES = ("all", "declared")
#: Staged rows per batch whose `extra` value types are read (keys are read from every row).
EXTRA_TYPE_SAMPLE = 5_000
#: Most problem rows of a source read into memory while its items commit (~100-250 MB at
#: the limit); past it they are mapped again after the commit, into a table that can spill.
PROBLEM_ROWS_IN_MEMORY = 1_000_000
#: Largest item count whose id hashes are checked for uniqueness in RAM (~1 GB at the limit).
IN_MEMORY_UNIQUE_MAX = 50_000_000
_JSON_TYPES = {
    "BOOLEAN": "BOOLEAN",
    "BIGINT": "BIGINT",
    "UBIGINT": "BIGINT",
    "DOUBLE": "DOUBLE",
    "VARCHAR": "VARCHAR",
    "OBJECT": "JSON",
    "ARRAY": "JSON",
}


@dataclass
class SourceStats:
    """One ingested file."""

    path: str
    mapping: str
    size_bytes: int
    rows: int  # input rows (items + rejected, duplicates counted once as rows)
    sha256: str
    reader: str = ""
    recognised: str = ""


@dataclass
class IngestSummary:
    """What an ingest did (docs/CONTRACTS.md)."""

    items: int
    rejected: int
    row_errors: int
    sources: list[SourceStats]
    seconds: float
    visibility: dict[str, int] = field(default_factory=dict)
    #: how many items got each (visibility, basis): what was exported vs inferred
    visibility_basis: list[tuple[str, str, int]] = field(default_factory=list)
    skipped_files: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    warnings: list[str] = field(default_factory=list)
    duplicates: int = 0
    not_items: dict[str, int] = field(default_factory=dict)  # skip code -> rejected rows


@dataclass
class _Run:
    """State shared by the sources of one ingest."""

    con: duckdb.DuckDBPyConnection
    media_cache: Path
    layout: Layout  # what _ca_items holds
    extra_types: dict[str, set[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    pending: int = 0  # rows in _ca_items since the last commit
    batches: int = 0  # batches written into _ca_items (their _ca_batch numbers)
    not_items: int = 0  # rows in _ca_items that _keep_items_only removes (skipped, no id)
    side: duckdb.DuckDBPyConnection | None = None  # a second connection, opened on first use

    @cached_property
    def on_disk(self) -> bool:
        """Whether the store is a file (an in-memory one has no disk to wait for)."""
        rows = self.con.execute(query(_SQL, "database_path")).fetchall()
        return bool(rows and rows[0][0])

    def side_connection(self) -> duckdb.DuckDBPyConnection:
        """A second connection to the store, with the ingest's parsing macros (TEMP ones are
        per connection)."""
        if self.side is None:
            self.side = self.con.cursor()
            # Its statements run beside the first connection's: no second progress bar.
            self.side.execute("SET enable_progress_bar = false")
            self.side.execute(query(_SQL, "macros"))
        return self.side

    def close_side(self) -> None:
        """Close the second connection, if one was opened."""
        if self.side is not None:
            self.side.close()
            self.side = None


def default_media_cache(con: duckdb.DuckDBPyConnection) -> Path:
    """``media-cache/`` beside the audit database file (a temp folder for in-memory stores)."""
    row = con.execute(query(_SQL, "database_path")).fetchall()[0]
    if row and row[0]:
        return Path(row[0]).resolve().parent / "media-cache"
    return Path(tempfile.gettempdir()) / "corpus-audit-media-cache"


def ingest_corpus(
    con: duckdb.DuckDBPyConnection,
    corpus: str | Path,
    mapping: str | Path | None = None,
    *,
    run_id: str | None = None,
    progress: Progress | None = None,
    strict: bool = False,
    media_cache: Path | None = None,
    workers: int | None = None,
    engine: str = "local",
    extra: str = "all",
) -> IngestSummary:
    """Load ``corpus`` into ``items`` (replacing it) and the stage='ingest' ``errors``.

    ``mapping`` is a preset name or mapping file overriding the recognised presets (and a
    corpus spec's own). A corpus spec with ``shards`` is staged shard by shard in parallel
    (``workers`` processes, or Ray tasks with ``engine="ray"``; audit/ingest/shards.py) and
    merged: the result is the same as ingesting its sources in one go. Raises :class:`InputError` for unusable input (missing file,
    unknown preset, bad mapping, unrecognised format, no item at all, every row rejected)
    and, with ``strict``, for any warning; row problems become ``errors`` rows.
    ``extra="declared"`` keeps only the mappings' declared ``extra:`` fields in items.extra
    (every source as with ``keep_unmapped: false``); ``"all"`` keeps every unmapped field.
    """
    if extra not in EXTRA_MODES:
        raise InputError(f"extra must be one of {', '.join(EXTRA_MODES)}, not {extra!r}")
    started = time.perf_counter()
    plan = discover(corpus, mapping)
    if extra == "declared":
        plan.sources[:] = [
            replace(s, mapping=s.mapping.model_copy(update={"keep_unmapped": False}))
            for s in plan.sources
        ]
    run = _Run(con, media_cache or default_media_cache(con), plan_layout(plan.sources))
    begin_staging(con, run.layout)
    con.execute("BEGIN TRANSACTION")
    try:
        groups = plan.shard_groups()
        if len(groups) > 1:
            staged, digests = _ingest_shards(run, plan, groups, workers, engine, progress)
            stats = _finish(run, plan.sources, staged, digests)
        else:
            with ThreadPoolExecutor(1) as pool:
                # Hash the files on a second thread while DuckDB reads them.
                digests = {s.path: pool.submit(file_digest, s.path) for s in plan.sources}
                staged = {}
                for done, src in enumerate(plan.sources):
                    if progress:
                        progress("ingest", done, len(plan.sources))
                    staged[str(src.path)] = _ingest_source(run, src)
                if progress:
                    progress("ingest", len(plan.sources), len(plan.sources))
                stats = _finish(run, plan.sources, staged, digests)
        for path, note in plan.notes:
            ingest_notes.add(con, run_id, str(path), "source", note)
        for skipped in plan.skipped:
            ingest_notes.add(con, run_id, str(skipped.path), "not_items_file", skipped.reason)
        # The swap: the previous items, errors, notes and extra columns are replaced at once.
        con.execute(query(_SQL, "clear_previous"))
        con.execute(query(_SQL, "write_errors"), [run_id])
        rows = [(k, _merge_type(v)) for k, v in sorted(run.extra_types.items()) if v]
        if rows:
            con.executemany("INSERT INTO extra_columns VALUES (?, ?)", rows)
        item_rows.install(con, "_ca_items")
        summary = _summary(run, stats, plan, started, run_id)
        con.execute(query(_SQL, "write_notes"))
        if strict and summary.warnings:
            raise InputError(
                "--strict: " + " | ".join(summary.warnings[:5])
                + (f" (+{len(summary.warnings) - 5} more)" if len(summary.warnings) > 5 else "")
            )  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        # None is open where the failure came between a commit and the next BEGIN.
        rollback(con)
        con.execute(query(_SQL, "drop_new_items"))
        raise
    finally:
        run.close_side()
        con.execute(query(_SQL, "drop_temp_tables"))
    summary.seconds = time.perf_counter() - started
    return summary


def _ingest_shards(
    run: _Run,
    plan: Plan,
    groups: list[tuple[str, list[int]]],
    workers: int | None,
    engine: str,
    progress: Progress | None,
) -> tuple[dict[str, int], dict[Path, Future[tuple[int, str]]]]:
    """Stage the shards in parallel and merge them in spec order into ``_ca_items`` and the
    staging tables; returns (records staged per file, file digests) as the one-go path."""
    folder = shards.shard_folder(run.con)
    sources = [(name, [plan.sources[i] for i in idx]) for name, idx in groups]
    try:
        outputs = shards.stage_shards(
            sources, folder, run.media_cache, run.layout,
            workers=workers or os.cpu_count() or 1, engine=engine,
            progress=(lambda done: progress("ingest shards", done, len(groups)))
            if progress else None,
        )  # fmt: skip
        staged: dict[str, int] = {}
        digests: dict[Path, Future[tuple[int, str]]] = {}
        for out in outputs:
            shards.merge_shard(run.con, out)
            staged.update(out.staged)
            for name, types in out.extra_types.items():
                run.extra_types.setdefault(name, set()).update(types)
            run.warnings += out.warnings
            run.not_items += out.not_items
            for src_path, digest in out.digests.items():
                done: Future[tuple[int, str]] = Future()
                done.set_result(digest)
                digests[Path(src_path)] = done
    finally:
        shards.remove_folder(folder)
    return staged, digests


def _committed(run: _Run, rows: int) -> None:
    """Count rows written into _ca_items; commit every COMMIT_ROWS of them. DuckDB keeps a
    transaction's appended rows in memory until it commits: committing every few row groups
    keeps memory flat however large the input (the swap at the end is what is atomic)."""
    if _commit_due(run, rows):
        _commit(run)


def _commit_due(run: _Run, rows: int) -> bool:
    """Whether writing ``rows`` more rows into _ca_items calls for a commit."""
    return run.pending + rows >= COMMIT_ROWS


def _commit(run: _Run, beside: Callable[[], T] | None = None) -> T | None:
    """Commit the rows written so far and begin the next transaction. ``beside`` runs on a
    second thread meanwhile (a commit mostly waits on the disk, the cores idle) and must not
    write to the store; its result is returned once the next transaction has begun."""
    if beside is None:
        run.con.execute("COMMIT")
    else:
        with ThreadPoolExecutor(1) as pool:
            done = pool.submit(beside)
            try:
                run.con.execute("COMMIT")
                wait([done])
            except BaseException:
                if run.side is not None:
                    run.side.interrupt()
                raise
    run.con.execute("BEGIN TRANSACTION")
    run.pending = 0
    return None if beside is None else done.result()


# ---------------------------------------------------------------- one source


def _ingest_source(run: _Run, src: Source) -> int:
    """Stage and flush one file; returns the number of records staged from it."""
    if src.format == "parquet":
        relation, schema = _parquet_relation(run.con, src)
        compiled = _compile_table(run, src, relation, schema)
        n, _ = _stage_table(run, compiled.sql, src)
        return n
    if src.format == "csv":
        return _ingest_csv(run, src)
    return _ingest_records(run, src, _record_batches(run, src))


def _record_batches(run: _Run, src: Source) -> Iterator[LineBatch]:
    if src.format == "ndjson":
        return ndjson.batches(src)
    if src.format == "json":
        return jsondoc.batches(src)
    if src.format == "car":
        return car.batches(src)
    if src.format == "tar":
        return webdataset.batches(src, run.media_cache)
    raise InputError(f"{src.path}: no reader named {src.format!r}")


def _compile_table(run: _Run, src: Source, relation: str, schema: dict[str, str]) -> CompiledSource:
    compiled = compile_table(src.mapping, relation, schema, lit(str(src.base)), src.context)
    if not compiled.item_id_resolved:
        raise InputError(
            f"{src.path}: mapping {src.mapping_ref}: item_id resolves to no column of this "
            f"file (columns: {', '.join(schema)})"
        )
    for name, duck_type in compiled.extra_columns.items():
        run.extra_types.setdefault(name, set()).add(duck_type)
    for col in compiled.unresolved:
        run.warnings.append(_unresolved_message(src, col, list(schema), None))
    return compiled


def _stage(run: _Run, sql: str, src: Source) -> tuple[int, int]:
    """Write one mapped batch of records (the compiled SELECT ``sql``) into ``_ca_items`` and
    its problems into ``_ca_rejects``. Returns (records that are items or have no id, those
    without an id); skipped records are counted with the rejects."""
    run.batches += 1
    batch = run.batches
    # The batch number and columns first: the compiled SELECT holds user text (paths, ...).
    insert = fill(query(_SQL, "insert_batch"), BATCH=str(batch), COLUMNS=run.layout.column_list)
    _apply(run, insert, sql, src)
    rows = f"_ca_items WHERE _ca_batch = {batch}"
    staged, missing, written = _problems(run, rows)
    run.not_items += written - staged + missing
    _committed(run, written)  # skipped rows are written too, until the end
    return staged, missing


def _stage_table(run: _Run, sql: str, src: Source) -> tuple[int, int]:
    """Write the items of a mapped tabular source or batch (the compiled SELECT ``sql``) into
    ``_ca_items``, and its problems, read by a second pass that DuckDB narrows to the columns
    the checks read, into ``_ca_rejects``. Returns what :func:`_stage` returns."""
    insert = fill(query(_SQL, "insert_items"), COLUMNS=run.layout.column_list)
    items = _apply(run, insert, sql, src)
    # The items are committed now, if due, with the problem rows read meanwhile: a Parquet file
    # is readable from any connection (a CSV batch is registered on this one only).
    committed = src.format == "parquet" and _commit_due(run, items) and run.on_disk
    problems = None
    if committed:
        side = run.side_connection()
        problems = _commit(run, lambda: _read_problems(side, sql, src))
    if problems is None:  # not read: no commit now, or more rows than memory should hold
        _apply(run, _problems_statement(), sql, src)
        _, missing, _ = _problems(run, "_ca_problems")
    else:
        with registered(run.con, "_ca_problems_read", problems):
            _, missing, _ = _problems(run, "_ca_problems_read")
    if not committed:
        _committed(run, items)
    return items + missing, missing


def _read_problems(con: duckdb.DuckDBPyConnection, sql: str, src: Source) -> pa.Table | None:
    """The problem rows of the compiled SELECT ``sql`` of ``src``, read on connection ``con``
    (while the ingest's connection commits: the pass costs ~2 % of a load run after it,
    docs/SCALE.md); None past :data:`PROBLEM_ROWS_IN_MEMORY` rows (mapped again, into a
    table that can spill, once the commit is done)."""
    statement = query(_SQL, "problem_rows").replace("__SOURCE__", sql)
    try:
        reader = con.sql(statement).to_arrow_reader(ROW_GROUP_ROWS)
        batches, rows = [], 0
        for batch in reader:
            rows += batch.num_rows
            if rows > PROBLEM_ROWS_IN_MEMORY:
                reader.close()
                return None
            batches.append(batch)
    except duckdb.Error as exc:
        raise _mapping_error(src, exc) from exc
    return pa.Table.from_batches(batches, reader.schema)


def _problems_statement() -> str:
    """table_problems with the problem rows' SELECT in it (the compiled source still to
    substitute)."""
    return query(_SQL, "table_problems").replace("__PROBLEMS__", query(_SQL, "problem_rows"))


def _apply(run: _Run, statement: str, sql: str, src: Source) -> int:
    """Run ``statement`` with the compiled SELECT ``sql`` for its SOURCE; the rows it wrote."""
    try:
        return run.con.execute(statement.replace("__SOURCE__", sql)).fetchall()[0][0]
    except duckdb.Error as exc:
        raise _mapping_error(src, exc) from exc


def _mapping_error(src: Source, exc: duckdb.Error) -> InputError:
    # A mapping can still be wrong in ways only DuckDB sees (e.g. a bad regex).
    return InputError(
        f"{src.path}: mapping {src.mapping_ref} cannot be applied: {exc}".replace("\n", " ")
    )


def _problems(run: _Run, rows: str) -> tuple[int, int, int]:
    """Reject and report the problems of the mapped ``rows`` (a relation with the working
    columns); return their counts: not skipped, without an id (and not skipped), all."""
    run.con.execute(fill(query(_SQL, "batch_rejects"), ROWS=rows))
    counts = run.con.execute(fill(query(_SQL, "batch_counts"), ROWS=rows)).fetchall()
    return counts[0]


def _parquet_relation(con: duckdb.DuckDBPyConnection, src: Source) -> tuple[str, dict[str, str]]:
    """A relation over a Parquet file exposing ``_ca_file``, ``_ca_row`` and its columns."""
    path = lit(str(src.path))
    reader = f"read_parquet({path}, filename='_ca_file', file_row_number=true)"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()
    except duckdb.Error as exc:
        raise InputError(f"{src.path}: cannot read Parquet: {exc}") from exc
    relation = f"(SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _ca_row FROM {reader})"
    return relation, {r[0]: r[1] for r in described}


def _ingest_csv(run: _Run, src: Source) -> int:
    """CSV rows in Arrow batches (strict quoting: audit/ingest/formats/csvfile.py)."""
    con, total = run.con, 0
    compiled: CompiledSource | None = None
    relation = f"(SELECT * EXCLUDE (_ca_row), {lit(str(src.path))} AS _ca_file, _ca_row FROM _ca_csv_batch)"
    for batch in csvfile.batches(src.path):
        _reader_problems(con, src, batch.rejects, batch.invalid_bytes, batch.first_invalid_line)
        if compiled is None:
            schema = {c: "VARCHAR" for c in batch.table.column_names if c != "_ca_row"}
            compiled = _compile_table(run, src, relation, schema)
        if batch.table.num_rows == 0:
            continue
        with registered(con, "_ca_csv_batch", batch.table):
            n, _ = _stage_table(run, compiled.sql, src)
        total += n
    return total


def _reader_problems(
    con: duckdb.DuckDBPyConnection,
    src: Source,
    rejects: list[Reject],
    invalid_bytes: int,
    first_invalid: int | None,
) -> None:
    if rejects:
        con.executemany(
            "INSERT INTO _ca_rejects VALUES (?, ?, NULL, ?, ?, true)",
            [(str(src.path), r.row, r.code, r.message) for r in rejects],
        )
    if invalid_bytes:
        con.execute(
            "INSERT INTO _ca_rejects VALUES (?, ?, NULL, 'non_utf8', ?, false)",
            [str(src.path), first_invalid,
             f"{invalid_bytes} invalid UTF-8 byte sequence(s) read as Latin-1"],
        )  # fmt: skip


def _prefetched(it: Iterator[T]) -> Iterator[T]:
    """``it``'s items, the next one produced on a second thread while this one is used."""
    sentinel = object()
    with ThreadPoolExecutor(1) as pool:
        future: Future = pool.submit(next, it, sentinel)
        while True:
            item = future.result()
            if item is sentinel:
                return
            future = pool.submit(next, it, sentinel)
            yield item  # type: ignore[misc]


def _ingest_records(run: _Run, src: Source, batches: Iterator[LineBatch]) -> int:
    con, file = run.con, str(src.path)
    compiled = compile_json(src.mapping, file, str(src.base), src.context)
    checked = checked_fields(src.mapping)
    found = dict.fromkeys(checked, 0)
    keys: set[str] = set()
    total = missing = 0
    for batch in _prefetched(batches):
        _reader_problems(con, src, batch.rejects, batch.invalid_bytes, batch.first_invalid_line)
        for note in batch.notes:
            ingest_notes.add(con, None, file, "source", note)
        if batch.table.num_rows == 0:
            continue
        # The batch is read in place (no copy): the compiled SQL reads `_ca_lines`.
        with registered(con, "_ca_lines", batch.table):
            n, n_missing = _map_batch(run, src, compiled, checked, keys)
        total, missing = total + n, missing + n_missing
        if checked and not all(found.values()):
            counts = con.execute(_count_sql(checked), [run.batches]).fetchall()[0]
            for col, c in zip(checked, counts, strict=True):
                found[col] += c
        con.execute(query(_SQL, "json_extra_types"), [EXTRA_TYPE_SAMPLE, run.batches])
    if total and missing == total:
        raise InputError(
            f"{src.path}: mapping {src.mapping_ref}: item_id resolves to nothing in any of "
            f"its {total} records (wrong mapping for this file?)"
        )
    items = total - missing
    if items:
        for col in checked:
            if not found[col]:
                run.warnings.append(_unresolved_message(src, col, sorted(keys), items))
    for name, types in con.execute(query(_SQL, "extra_type_list")).fetchall():
        known = {_JSON_TYPES[t] for t in types if t in _JSON_TYPES}
        # Only NULL values seen (or the key only outside the typed sample): JSON.
        run.extra_types.setdefault(name, set()).update(known or {"JSON"})
    con.execute("DELETE FROM _ca_extra_types")
    return total


def _map_batch(
    run: _Run, src: Source, compiled: CompiledSource, checked: list[str], keys: set[str]
) -> tuple[int, int]:
    """Reject the batch's unreadable records and write the others through the mapping;
    returns :func:`_stage`'s counts."""
    con, file = run.con, str(src.path)
    invalid = con.execute(query(_SQL, "json_rejects"), [file]).fetchall()[0][0]
    sql = compiled.sql_if_invalid if invalid and compiled.sql_if_invalid else compiled.sql
    if src.mapping.explode:
        explode = "$." + ".".join(f'"{k}"' for k in src.mapping.explode.split("."))
        con.execute(query(_SQL, "empty_pages"), [file, explode])
    # In insertion order (DuckDB's ordered batch insert): the batch's rows are written as
    # whole row groups. Unordered, the two threads' shares of a batch end in partial row
    # groups that the checkpoint rewrites (4 s at close for 3.2 M Pushshift lines).
    counts = _stage(run, sql, src)
    if checked and not keys:
        keys |= {r[0] for r in con.execute(query(_SQL, "line_keys")).fetchall()}
    return counts


def _count_sql(columns: list[str]) -> str:
    """Non-empty values per checked field among the items of batch $1 (visibility: known)."""
    parts = [
        "count(*) FILTER (WHERE visibility <> 'unknown')" if c == "visibility" else f'count("{c}")'
        for c in columns
    ]
    return f"SELECT {', '.join(parts)} FROM _ca_items WHERE _ca_batch = $1 AND _ca_skip IS NULL"


def _unresolved_message(src: Source, column: str, names: list[str], records: int | None) -> str:
    """A warning naming the field, the paths it reads and the closest names in the source."""
    paths = [p for p in spec_paths(as_spec(src.mapping.fields.get(column))) if p]
    leaves = {p.lstrip("@").split(".")[0].split("[")[0] for p in paths}
    close = sorted({m for leaf in leaves for m in difflib.get_close_matches(leaf, names, n=3)})
    where = f"any of the {records:,} records" if records is not None else "this file"
    hint = f"; closest source names: {', '.join(close)}" if close else ""
    return (
        f"{src.path}: mapping {src.mapping_ref}: field {column} resolves to nothing in {where} "
        f"(source paths: {', '.join(paths)}){hint}"
    )


# ---------------------------------------------------------------- end of the ingest


def _merge_type(types: set[str]) -> str:
    if len(types) == 1:
        return next(iter(types))
    if types and types <= {"BIGINT", "DOUBLE", "INTEGER", "FLOAT"}:
        return "DOUBLE"
    return "JSON"


def _may_have_duplicates(con: duckdb.DuckDBPyConnection) -> bool:
    """False when every item_id hash is distinct, proving the ids are (the usual case).

    Up to ``IN_MEMORY_UNIQUE_MAX`` items the hashes are counted in Polars (~21 bytes per item
    in RAM with Arrow's copy and the hash set, outside DuckDB's memory_limit); above it the
    answer is "maybe" and DuckDB's spilling aggregate decides.
    """
    n = con.execute(query(_SQL, "item_count")).fetchall()[0][0]
    if n > IN_MEMORY_UNIQUE_MAX:
        return True
    hashes = pl.from_arrow(con.sql(query(_SQL, "item_id_hashes")).to_arrow_table()["h"])
    return hashes.n_unique() < n


def _finish(
    run: _Run,
    sources: list[Source],
    staged: dict[str, int],
    digests: dict[Path, Future[tuple[int, str]]],
) -> list[SourceStats]:
    """Resolve duplicates among the new items and collect per-file stats."""
    con = run.con
    _keep_items_only(run)
    con.execute("CREATE OR REPLACE TEMP TABLE _ca_source_order (source_file VARCHAR, idx INT)")
    con.executemany(
        "INSERT INTO _ca_source_order VALUES (?, ?)",
        [(str(s.path), i) for i, s in enumerate(sources)],
    )
    if _may_have_duplicates(con):
        edited = "edited_at" if "edited_at" in run.layout.stored else "NULL::TIMESTAMP"
        con.execute(fill(query(_SQL, "duplicates"), EDITED_AT=edited))
    rejects = dict(con.execute(query(_SQL, "reject_counts")).fetchall())
    stats = []
    for s in sources:
        size, digest = digests[s.path].result()
        key = str(s.path)
        rows_in = staged.get(key, 0) + rejects.get(key, 0)
        stats.append(SourceStats(key, s.mapping_ref, size, rows_in, digest, s.format, s.recognised))
        if rows_in == 0:
            run.warnings.append(f"{key}: the file holds no records")
            ingest_notes.add(con, None, key, "empty_file", "the file holds no records")
    return stats


def _keep_items_only(run: _Run) -> None:
    """Give ``_ca_items`` the shape of ``items``: drop the rows that are not items (already
    in the rejects; the scan for them only runs when a batch had some) and the working
    columns."""
    if run.not_items:
        run.con.execute(query(_SQL, "drop_not_items"))
    if run.layout.working:
        run.con.execute(query(_SQL, "drop_working_columns"))


def _summary(
    run: _Run, stats: list[SourceStats], plan: Plan, started: float, run_id: str | None
) -> IngestSummary:
    """Totals, the notes on inferred visibility and duplicates; InputError when no item."""
    con = run.con
    items, rejected, row_errors = con.execute(query(_SQL, "totals")).fetchall()[0]
    counts = item_rows.counts_by(con, ["source_file", "visibility", "visibility_basis"])
    basis = con.execute(fill(query(_SQL, "visibility_basis_counts"), COUNTS=counts)).fetchall()
    visibility: dict[str, int] = {}
    for _, vis, _why, n in basis:
        visibility[vis] = visibility.get(vis, 0) + n
    ingest_notes.visibility_notes(con, run_id, basis)
    codes = sorted({s.code for src in plan.sources for s in src.mapping.skip})
    not_items = dict(con.execute(query(_SQL, "skip_counts"), [codes]).fetchall())
    duplicates = ingest_notes.duplicate_notes(con, run_id)
    if items == 0:
        raise InputError(ingest_notes.nothing_read(con, stats))
    return IngestSummary(
        items=items,
        rejected=rejected,
        row_errors=row_errors,
        sources=stats,
        seconds=time.perf_counter() - started,
        visibility=dict(sorted(visibility.items(), key=lambda kv: -kv[1])),
        visibility_basis=sorted(
            ((vis, why, n) for _, vis, why, n in _merge_basis(basis)), key=lambda r: -r[2]
        ),
        skipped_files=[(str(s.path), s.reason) for s in plan.skipped],
        warnings=run.warnings,
        duplicates=duplicates,
        not_items=not_items,
    )


def _merge_basis(rows: list[tuple[str, str, str, int]]) -> list[tuple[str, str, str, int]]:
    merged: dict[tuple[str, str], int] = {}
    for _, vis, why, n in rows:
        merged[(vis, why)] = merged.get((vis, why), 0) + n
    return [("", vis, why, n) for (vis, why), n in merged.items()]
