"""`audit export`: the corpus minus excluded items, with redacted spans masked in text.

Masking uses presidio-anonymizer on the spans stored in the ``redact`` flags' evidence
(``<EMAIL_ADDRESS>`` replaces the value); nothing is re-detected. A sidecar CSV lists every
removed item and every masked span with the rule that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from audit import atomic
from audit.declared_sql import fill_declared
from audit.errors import InputError
from audit.progress import silence_duckdb
from audit.report.render import DB_FILE, resolve_run
from audit.store import StoreError, open_store, query

BATCH_ROWS = 50_000


@dataclass
class ExportSummary:
    """What an export wrote."""

    run_id: str
    out: Path
    sidecar: Path
    rows: int
    redacted_items: int
    removed_rows: int


def sidecar_path(out: Path) -> Path:
    """``clean.parquet`` → ``clean.removed.csv``."""
    return out.with_name(out.stem + ".removed.csv")


def find_db(source: Path) -> Path | None:
    """The audit database behind an out folder or a database path, else None (a corpus)."""
    if source.is_dir() and (source / DB_FILE).exists():
        return source / DB_FILE
    if source.is_file() and source.suffix == ".duckdb":
        return source
    return None


class _Masker:
    """presidio-anonymizer with one ``replace → <ENTITY_TYPE>`` config, built once."""

    def __init__(self) -> None:
        from presidio_anonymizer import AnonymizerEngine

        self._engine = AnonymizerEngine()

    def mask(self, text: str, spans: list[dict[str, Any]]) -> str:
        from presidio_anonymizer.entities import RecognizerResult

        results = [
            RecognizerResult(s["entity_type"], s["start"], min(s["end"], len(text)), s["score"])
            for s in spans
            if s["start"] < len(text)
        ]
        # The default operator replaces each span with "<ENTITY_TYPE>".
        return self._engine.anonymize(text=text, analyzer_results=results).text


def _write_clean(con: duckdb.DuckDBPyConnection, run_id: str, target: Path) -> tuple[int, int]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    masker = _Masker()
    rows = redacted = 0
    reader = con.sql(query("export.sql", "clean_items"), params={"run_id": run_id}).to_arrow_reader(
        BATCH_ROWS
    )
    with atomic.atomic_path(target) as tmp:
        writer: pq.ParquetWriter | None = None
        for batch in reader:
            texts = batch.column("text").to_pylist()
            spans = batch.column("spans").to_pylist()
            for i, item_spans in enumerate(spans):
                if item_spans and texts[i]:
                    texts[i] = masker.mask(texts[i], item_spans)
                    redacted += 1
            table = pa.Table.from_batches([batch]).drop_columns(["spans"])
            table = table.set_column(
                table.schema.get_field_index("text"), "text", pa.array(texts, pa.string())
            )
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
            writer.write_table(table)
            rows += table.num_rows
        if writer is None:  # empty export still gets the schema
            pq.write_table(reader.schema.empty_table().drop_columns(["spans"]), tmp)
        else:
            writer.close()
    return rows, redacted


def export_clean(db: Path, out: Path, run_id: str | None = None) -> ExportSummary:
    """Write ``out`` (Parquet) and its sidecar from the audit database ``db``."""
    if out.suffix != ".parquet":
        raise InputError(f"--out {out}: the clean export is a .parquet file")
    atomic.check_writable(out.parent)
    try:
        con = open_store(db, read_only=True)
    except StoreError as exc:
        raise InputError(str(exc)) from exc
    silence_duckdb(con)
    try:
        run_id = resolve_run(con, run_id, db)
        con.execute(fill_declared(query("export.sql", "redact_spans")), {"run_id": run_id})
        rows, redacted = _write_clean(con, run_id, out)
        sidecar = sidecar_path(out)
        removed_sql = query("export.sql", "removed")
        with atomic.atomic_path(sidecar) as tmp:
            con.execute(
                f"COPY ({removed_sql}) TO $target (FORMAT csv, HEADER true)",
                {"run_id": run_id, "target": str(tmp)},
            )
        removed_rows = con.execute(
            f"SELECT count(*) FROM ({removed_sql})", {"run_id": run_id}
        ).fetchone()[0]
    finally:
        con.close()
    return ExportSummary(run_id, out, sidecar, rows, redacted, removed_rows)
