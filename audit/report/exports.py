"""Machine outputs of a scan: flags.parquet, findings.parquet and exclusions.txt.

Parquet files are written by DuckDB ``COPY`` (streams, fast at 10M rows) into a temp file
that is renamed over the old one (audit/atomic.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb

from audit import atomic
from audit.store import query

FLAGS_FILE = "flags.parquet"
FINDINGS_FILE = "findings.parquet"
EXCLUSIONS_FILE = "exclusions.txt"


def copy_parquet(
    con: duckdb.DuckDBPyConnection, sql: str, target: Path, params: dict | None = None
) -> None:
    """``COPY (sql) TO target`` as zstd Parquet, atomically."""
    with atomic.atomic_path(target) as tmp:
        con.execute(
            f"COPY ({sql}) TO $target (FORMAT parquet, COMPRESSION zstd)",
            {**(params or {}), "target": str(tmp)},
        )


def _exclusion_ids(con: duckdb.DuckDBPyConnection, run_id: str) -> Iterator[str]:
    # Streamed in Arrow batches so 10M ids never sit in one Python list.
    relation = con.sql(query("report.sql", "exclusions"), params={"run_id": run_id})
    reader = relation.to_arrow_reader(100_000)
    for batch in reader:
        yield from batch.column(0).to_pylist()


def write_exports(con: duckdb.DuckDBPyConnection, out_dir: Path, run_id: str) -> dict[str, int]:
    """Write the three machine outputs for ``run_id``; return the exclusion count."""
    copy_parquet(con, query("report.sql", "export_flags"), out_dir / FLAGS_FILE, {"run_id": run_id})
    copy_parquet(con, query("report.sql", "export_findings"), out_dir / FINDINGS_FILE)
    excluded = atomic.write_lines(out_dir / EXCLUSIONS_FILE, _exclusion_ids(con, run_id))
    return {"excluded_items": excluded}
