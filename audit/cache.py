"""Content-hash cache of detector results (images are keyed by audit.media's file hashes).

Cache key: ``(detector, version, sha256 of the text or image bytes)``. ``analysed`` holds one
row per analysed content (status ok/error), ``cached_findings`` its findings. Pending contents
are streamed from DuckDB in Arrow record batches (never all rows in RAM), and each batch of
results is written in its own transaction, so a killed run loses at most the batches in
flight and the next run analyses only what is missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import duckdb
import pyarrow as pa

from audit.detectors.base import Content, InputKind, Result
from audit.item_rows import writable_items
from audit.media import local_path
from audit.store import fill, query, registered, rollback

#: Rows pulled from DuckDB per fetch when streaming pending contents or media URIs.
FETCH_ROWS = 4096
#: Items per transaction when hashing texts (see hash_texts).
HASH_CHUNK_ROWS = 2_000_000

RESULT_SCHEMA = pa.schema(
    [("sha256", pa.string()), ("status", pa.string()), ("error", pa.string()),
     ("n_findings", pa.int32())]
)  # fmt: skip
FINDING_SCHEMA = pa.schema(
    [
        ("content_sha256", pa.string()),
        ("entity_type", pa.string()),
        ("score", pa.float64()),
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("bbox", pa.list_(pa.int32())),
        ("recognizer", pa.string()),
        ("attributes", pa.string()),
        ("embedding", pa.list_(pa.float32())),
    ]
)


def hash_texts(
    con: duckdb.DuckDBPyConnection,
    *,
    chunk_rows: int = HASH_CHUNK_ROWS,
    progress: Callable[[int, int | None], None] | None = None,
) -> int:
    """Fill ``items.text_sha256`` where it is missing (non-empty texts); return rows hashed.

    Works through rowid ranges of ``chunk_rows``, one transaction each (bounded memory, and a
    killed run keeps the chunks already done); ``progress(rows_done, rows_total)``.
    """
    table = writable_items(con, ["text_sha256"])
    end = con.execute(fill(query("detect.sql", "item_rowid_end"), ITEMS=table)).fetchall()[0][0]
    sql = fill(query("detect.sql", "hash_texts"), ITEMS=table)
    hashed = 0
    for start in range(0, end, chunk_rows):
        hashed += con.execute(sql, [start, start + chunk_rows]).fetchall()[0][0]
        if progress:
            progress(min(start + chunk_rows, end), end)
    return hashed


def _pending_sql(kind: InputKind) -> str:
    return query("detect.sql", "pending_texts" if kind == "text" else "pending_images")


def count_pending(
    con: duckdb.DuckDBPyConnection, detector: str, version: str, kind: InputKind
) -> int:
    """How many contents :func:`pending_contents` will yield (for progress totals and ETA).

    Counts over the very query that streams them, so the total and the stream cannot
    disagree; DuckDB prunes the unused ``any_value(text)`` (checked with EXPLAIN).
    """
    sql = _pending_sql(kind).strip().rstrip(";")
    return con.execute(f"SELECT count(*) FROM ({sql})", [detector, version]).fetchall()[0][0]


def pending_contents(
    con: duckdb.DuckDBPyConnection, detector: str, version: str, kind: InputKind
) -> Iterator[Content]:
    """Stream the distinct contents this detector version has not analysed yet.

    Runs on its own cursor so the caller can commit result batches meanwhile; the reader's
    snapshot is taken once, so each content is yielded exactly once.
    """
    cursor = con.cursor()
    reader = cursor.sql(_pending_sql(kind), params=[detector, version]).to_arrow_reader(FETCH_ROWS)
    for record_batch in reader:
        columns = record_batch.to_pydict()
        if kind == "text":
            yield from (
                Content(s, text=t) for s, t in zip(columns["sha256"], columns["text"], strict=True)
            )
        else:
            yield from (
                Content(s, path=local_path(p))
                for s, p in zip(columns["sha256"], columns["path"], strict=True)
            )
    cursor.close()


def count_contents(con: duckdb.DuckDBPyConnection, kind: InputKind) -> int:
    """Distinct contents of ``kind`` the items reference (texts, or readable images)."""
    name = "count_text_contents" if kind == "text" else "count_image_contents"
    return con.execute(query("detect.sql", name)).fetchall()[0][0]


def result_tables(results: list[Result]) -> tuple[pa.Table, pa.Table]:
    """One batch of results as the cache's two Arrow tables: (analysed rows, finding rows)."""
    result_rows = [
        {"sha256": r.sha256, "status": "error" if r.error else "ok", "error": r.error,
         "n_findings": len(r.findings)}
        for r in results
    ]  # fmt: skip
    finding_rows = [
        {
            "content_sha256": r.sha256,
            "entity_type": f.entity_type,
            "score": f.score,
            "start": f.start,
            "end": f.end,
            "bbox": list(f.bbox) if f.bbox is not None else None,
            "recognizer": f.recognizer,
            "attributes": json.dumps(f.attributes) if f.attributes is not None else None,
            "embedding": list(f.embedding) if f.embedding is not None else None,
        }
        for r in results
        for f in r.findings
    ]
    return (
        pa.Table.from_pylist(result_rows, schema=RESULT_SCHEMA),
        pa.Table.from_pylist(finding_rows, schema=FINDING_SCHEMA),
    )


def store_results(
    con: duckdb.DuckDBPyConnection, detector: str, version: str, results: list[Result]
) -> None:
    """Write one batch of results to the cache in a single transaction."""
    result_table, finding_table = result_tables(results)
    with (
        registered(con, "_result_batch", result_table),
        registered(con, "_finding_batch", finding_table),
    ):
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(query("detect.sql", "delete_cached"), [detector, version])
            con.execute(query("detect.sql", "insert_analysed"), [detector, version])
            con.execute(query("detect.sql", "insert_cached_findings"), [detector, version])
            con.execute("COMMIT")
        except BaseException:
            rollback(con)
            raise


def commit_result_shards(
    con: duckdb.DuckDBPyConnection, detector: str, version: str, shards: list[tuple[str, str]]
) -> int:
    """Load result shards (``(results.parquet, findings.parquet)`` pairs written by a worker,
    audit/engine/ray.py) into the cache in one transaction: DuckDB reads the files itself
    (INSERT … SELECT FROM read_parquet), no row passes through Python. Idempotent: a shard
    committed twice (a scan killed between the commit and the files' removal) replaces its
    own rows. Returns the contents committed."""
    if not shards:
        return 0
    results = [r for r, _ in shards]
    findings = [f for _, f in shards]
    params = [detector, version, results]
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(query("detect.sql", "shard_delete_cached"), params)
        con.execute(query("detect.sql", "shard_insert_analysed"), params)
        con.execute(query("detect.sql", "shard_insert_findings"), [detector, version, findings])
        n = con.execute(query("detect.sql", "shard_count"), [results]).fetchall()[0][0]
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
    return n
