"""Ingest: read a corpus (Parquet, CSV, JSONL, or a corpus spec), map it to the canonical
schema and load it into ``items``, with every problem in ``errors``.

The mapping is compiled to DuckDB SQL (audit/ingest/compile.py) and run over whole files —
no Python loop over rows. JSONL is decoded in Python in large chunks (for exact line numbers
and to survive non-UTF-8 bytes) and parsed in DuckDB. Each source is staged in a temp table
and moved into ``items``; duplicates are resolved at the end (first occurrence wins, the
others become rejected ``errors`` rows). The whole ingest is one transaction: a failure
leaves the previous ``items`` untouched, and re-ingesting gives the same rows.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from audit.errors import InputError
from audit.ingest.compile import CompiledSource, compile_json, compile_table, json_path, lit
from audit.ingest.compile import parse_path as _parse_path
from audit.ingest.read import Source, discover, file_digest, text_chunks, utf8_repaired_copy
from audit.store import query

Progress = Callable[[str, int, int | None], None]

_SQL = "ingest.sql"
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


@dataclass
class IngestSummary:
    """What an ingest did (docs/CONTRACTS.md)."""

    items: int
    rejected: int
    row_errors: int
    sources: list[SourceStats]
    seconds: float
    visibility: dict[str, int] = field(default_factory=dict)


def ingest_corpus(
    con: duckdb.DuckDBPyConnection,
    corpus: str | Path,
    mapping: str | Path | None = None,
    *,
    run_id: str | None = None,
    progress: Progress | None = None,
) -> IngestSummary:
    """Load ``corpus`` into ``items`` (replacing it) and the stage='ingest' ``errors``.

    ``mapping`` is a preset name or mapping file; for a corpus spec it overrides the spec's
    per-source mappings. Raises :class:`InputError` for unusable input (missing file,
    unknown preset, bad mapping, no item_id column); row problems become ``errors`` rows.
    """
    started = time.perf_counter()
    sources = discover(corpus, mapping)
    con.execute(query(_SQL, "macros"))
    con.execute(query(_SQL, "temp_tables"))
    con.execute("BEGIN TRANSACTION")
    try:
        with ThreadPoolExecutor(1) as pool, tempfile.TemporaryDirectory() as tmp:
            # Hash the files on a second thread while DuckDB reads them.
            digests = {s.path: pool.submit(file_digest, s.path) for s in sources}
            con.execute(query(_SQL, "clear_previous"))
            staged: dict[str, int] = {}
            extra_types: dict[str, set[str]] = {}
            for done, src in enumerate(sources):
                if progress:
                    progress("ingest", done, len(sources))
                staged[str(src.path)] = _ingest_source(con, src, Path(tmp), extra_types)
            if progress:
                progress("ingest", len(sources), len(sources))
            stats = _finish(con, sources, staged, extra_types, digests, run_id)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute(query(_SQL, "drop_temp_tables"))
    items, rejected, row_errors = con.execute(query(_SQL, "totals")).fetchone()
    visibility = dict(con.execute(query(_SQL, "visibility_counts")).fetchall())
    return IngestSummary(
        items, rejected, row_errors, stats, time.perf_counter() - started, visibility
    )


def _ingest_source(
    con: duckdb.DuckDBPyConnection, src: Source, tmp: Path, extra_types: dict[str, set[str]]
) -> int:
    """Stage and flush one file; returns the number of records staged from it."""
    if src.format == "jsonl":
        return _ingest_jsonl(con, src, extra_types)
    relation, schema = _tabular_relation(con, src, tmp)
    compiled = compile_table(src.mapping, relation, schema, lit(str(src.path.parent)))
    if not compiled.item_id_resolved:
        raise InputError(
            f"{src.path}: mapping {src.mapping_ref}: item_id resolves to no column of this "
            f"file (columns: {', '.join(schema)})"
        )
    for name, duck_type in compiled.extra_columns.items():
        extra_types.setdefault(name, set()).add(duck_type)
    return _stage(con, compiled, src)


def _stage(con: duckdb.DuckDBPyConnection, compiled: CompiledSource, src: Source) -> int:
    """Load one tabular source straight into items and its errors; returns its row count."""
    try:
        inserted = con.execute(
            query(_SQL, "direct_items").replace("__SOURCE__", compiled.sql)
        ).fetchone()[0]
        con.execute(query(_SQL, "direct_errors").replace("__SOURCE__", compiled.sql))
    except duckdb.Error as exc:
        # A mapping can still be wrong in ways only DuckDB sees (e.g. a bad regex).
        raise InputError(
            f"{src.path}: mapping {src.mapping_ref} cannot be applied: {exc}".replace("\n", " ")
        ) from exc
    missing = con.execute(query(_SQL, "missing_count"), [str(src.path)]).fetchone()[0]
    return inserted + missing


def _tabular_relation(
    con: duckdb.DuckDBPyConnection, src: Source, tmp: Path
) -> tuple[str, dict[str, str]]:
    """A relation over a Parquet/CSV file exposing ``_ca_file``, ``_ca_row`` and its columns."""
    path = lit(str(src.path))
    if src.format == "parquet":
        reader = f"read_parquet({path}, filename='_ca_file', file_row_number=true)"
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()
        except duckdb.Error as exc:
            raise InputError(f"{src.path}: cannot read Parquet: {exc}") from exc
        relation = (
            f"(SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _ca_row FROM {reader})"
        )
        return relation, {r[0]: r[1] for r in described}
    return _csv_relation(con, src, tmp)


def _csv_relation(
    con: duckdb.DuckDBPyConnection, src: Source, tmp: Path
) -> tuple[str, dict[str, str]]:
    read_path, bad, first_bad = utf8_repaired_copy(src.path, tmp)
    if bad:
        con.execute(
            "INSERT INTO _ca_rejects VALUES (?, ?, NULL, 'non_utf8', ?, false)",
            [str(src.path), first_bad, f"{bad} invalid UTF-8 byte sequence(s) read as Latin-1"],
        )
    con.execute("DROP TABLE IF EXISTS _ca_csv_rej_errors; DROP TABLE IF EXISTS _ca_csv_rej_scans")
    try:
        # A temp table keeps the file's row order in rowid (for row numbers).
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _ca_csv AS SELECT * FROM read_csv({lit(str(read_path))}, "
            "all_varchar=true, header=true, store_rejects=true, "
            "rejects_table='_ca_csv_rej_errors', rejects_scan='_ca_csv_rej_scans')"
        )
    except duckdb.Error as exc:
        raise InputError(f"{src.path}: cannot read CSV: {exc}".replace("\n", " ")) from exc
    con.execute(query(_SQL, "csv_rejects"), [str(src.path)])
    # Good rows are numbered 1..k in order; shift each past the rejected rows before it.
    rejected = [r[0] for r in con.execute(query(_SQL, "csv_rejected_rows")).fetchall()]
    shifts = [(r - i, i) for i, r in enumerate(rejected, 1)]
    con.execute("CREATE OR REPLACE TEMP TABLE _ca_csv_shift (t BIGINT, n BIGINT)")
    if shifts:
        con.executemany("INSERT INTO _ca_csv_shift VALUES (?, ?)", shifts)
    schema = {r[0]: r[1] for r in con.execute("DESCRIBE _ca_csv").fetchall()}
    relation = (
        f"(SELECT c.* EXCLUDE (_ca_k), {lit(str(src.path))} AS _ca_file, "
        "c._ca_k + coalesce(s.n, 0) AS _ca_row "
        # rowids of a table created inside a transaction start at a large offset
        "FROM (SELECT *, rowid - (SELECT min(rowid) FROM _ca_csv) + 1 AS _ca_k FROM _ca_csv) c "
        "ASOF LEFT JOIN _ca_csv_shift s ON c._ca_k > s.t)"
    )
    return relation, schema


def _ingest_jsonl(
    con: duckdb.DuckDBPyConnection, src: Source, extra_types: dict[str, set[str]]
) -> int:
    file = str(src.path)
    compiled = compile_json(src.mapping, file, str(src.path.parent))
    explode = (
        json_path(_parse_path(src.mapping.explode, src.mapping.source))
        if src.mapping.explode
        else None
    )
    total = missing = bad_bytes = 0
    first_bad: int | None = None
    for chunk in text_chunks(src.path):
        con.execute(query(_SQL, "load_lines"), [chunk.text, chunk.first_line])
        con.execute(query(_SQL, "json_rejects"), [file])
        if explode:
            con.execute(query(_SQL, "empty_pages"), [file, explode])
        if chunk.invalid_bytes:
            bad_bytes += chunk.invalid_bytes
            first_bad = first_bad or chunk.first_invalid_line
        try:
            con.execute(f"INSERT INTO _ca_stage BY NAME {compiled.sql}")
        except duckdb.Error as exc:
            raise InputError(
                f"{src.path}: mapping {src.mapping_ref} cannot be applied: {exc}".replace("\n", " ")
            ) from exc
        n, n_missing = con.execute(query(_SQL, "staged_count")).fetchone()
        total, missing = total + n, missing + n_missing
        con.execute(query(_SQL, "json_extra_types"))
        con.execute(query(_SQL, "stage_flush"))
        con.execute(query(_SQL, "clear_lines"))
    if total and missing == total:
        raise InputError(
            f"{src.path}: mapping {src.mapping_ref}: item_id resolves to nothing in any of "
            f"its {total} records (wrong mapping for this file?)"
        )
    if bad_bytes:
        con.execute(
            "INSERT INTO _ca_rejects VALUES (?, ?, NULL, 'non_utf8', ?, false)",
            [file, first_bad, f"{bad_bytes} invalid UTF-8 byte sequence(s) read as Latin-1"],
        )
    for name, types in con.execute(query(_SQL, "extra_type_list")).fetchall():
        extra_types.setdefault(name, set()).update(
            _JSON_TYPES[t] for t in types if t in _JSON_TYPES
        )
    con.execute("DELETE FROM _ca_extra_types")
    return total


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
    con: duckdb.DuckDBPyConnection,
    sources: list[Source],
    staged: dict[str, int],
    extra_types: dict[str, set[str]],
    digests: dict[Path, Future[tuple[int, str]]],
    run_id: str | None,
) -> list[SourceStats]:
    """Resolve duplicates, write errors and extra_columns, and collect per-file stats."""
    con.execute("CREATE OR REPLACE TEMP TABLE _ca_source_order (source_file VARCHAR, idx INT)")
    con.executemany(
        "INSERT INTO _ca_source_order VALUES (?, ?)",
        [(str(s.path), i) for i, s in enumerate(sources)],
    )
    if _may_have_duplicates(con):
        con.execute(query(_SQL, "duplicates"))
    con.execute(query(_SQL, "write_errors"), [run_id])
    rows = [(k, _merge_type(v)) for k, v in sorted(extra_types.items()) if v]
    if rows:
        con.executemany("INSERT INTO extra_columns VALUES (?, ?)", rows)
    rejects = dict(con.execute(query(_SQL, "reject_counts")).fetchall())
    stats = []
    for s in sources:
        size, digest = digests[s.path].result()
        key = str(s.path)
        rows_in = staged.get(key, 0) + rejects.get(key, 0)
        stats.append(SourceStats(key, s.mapping_ref, size, rows_in, digest))
    return stats
