"""Content-hash cache of detector results, and the media-file hashes it keys images by.

Cache key: ``(detector, version, sha256 of the text or image bytes)``. ``analysed`` holds one
row per analysed content (status ok/error), ``cached_findings`` its findings. Pending contents
are streamed from DuckDB in Arrow record batches (never all rows in RAM), and each batch of
results is written in its own transaction, so a killed run loses at most the batches in
flight and the next run analyses only what is missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import duckdb
import pyarrow as pa

from audit.detectors.base import Content, InputKind, Result
from audit.store import query

#: Rows pulled from DuckDB per fetch when streaming pending contents or media URIs.
FETCH_ROWS = 4096
#: Bytes read per call when hashing a media file.
HASH_CHUNK = 1 << 20
#: Items per transaction when hashing texts (see hash_texts).
HASH_CHUNK_ROWS = 2_000_000
#: A URI with a scheme ("https://", "s3://") is not a local file; we never download.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

_RESULT_SCHEMA = pa.schema(
    [("sha256", pa.string()), ("status", pa.string()), ("error", pa.string()),
     ("n_findings", pa.int32())]
)  # fmt: skip
_FINDING_SCHEMA = pa.schema(
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
_MEDIA_SCHEMA = pa.schema(
    [("media_uri", pa.string()), ("content_sha256", pa.string()), ("size_bytes", pa.int64()),
     ("status", pa.string()), ("error", pa.string()), ("checked_at", pa.timestamp("us"))]
)  # fmt: skip


def local_path(uri: str) -> str | None:
    """The local filesystem path of a media URI, or None for a remote URI."""
    if uri.startswith("file://"):
        return uri.removeprefix("file://")
    return None if _SCHEME.match(uri) else uri


def hash_file(path: str) -> tuple[str, int]:
    """sha256 hex digest and size of a file, read in chunks (large files use no RAM)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def corpus_root(con: duckdb.DuckDBPyConnection) -> str | None:
    """The deepest folder holding every source file of the ingested corpus (None if none)."""
    folders = [r[0] for r in con.execute(query("detect.sql", "source_folders")).fetchall()]
    return os.path.commonpath(folders) if folders else None


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def escapes_corpus(path: str, root: str | None) -> bool:
    """True when ``path`` is written inside ``root`` but a symlink resolves it elsewhere.

    A symlink in a corpus must not make the audit read (and hash, decode, report on) a file
    the corpus does not contain, e.g. ``images/a.jpg -> /home/x/.ssh/id_rsa``. Paths the
    corpus names outside its folder explicitly (absolute, ``../``) are visible in the
    metadata and are followed as written.
    """
    if root is None or not _within(os.path.abspath(path), os.path.abspath(root)):
        return False
    return not _within(os.path.realpath(path), os.path.realpath(root))


def _check_media(
    row: tuple[Any, ...], now: dt.datetime, root: str | None = None
) -> dict[str, Any] | None:
    """New media_files row for one URI, or None when the stored row is still valid."""
    uri, old_size, checked_at, old_status, old_sha = row
    path = local_path(uri)
    base = {"media_uri": uri, "content_sha256": None, "size_bytes": None, "checked_at": now}
    if path is None:
        if old_status == "not_local":
            return None
        return {**base, "status": "not_local", "error": None}
    # Checked on every run, before the unchanged-file shortcut: a link can be swapped.
    if escapes_corpus(path, root):
        return {**base, "status": "outside_corpus",
                "error": f"symlink resolves outside the corpus folder {root}; not read"}  # fmt: skip
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return {**base, "status": "missing", "error": f"no such file: {path}"}
    except OSError as exc:
        return {**base, "status": "unreadable", "error": f"{type(exc).__name__}: {exc}"}
    unchanged = (
        old_status == "ok"
        and old_sha is not None
        and old_size == stat.st_size
        and checked_at is not None
        # mtime older than our last check + same size: the bytes we hashed are still there.
        and dt.datetime.fromtimestamp(stat.st_mtime) < checked_at
    )
    if unchanged:
        return None
    try:
        sha, size = hash_file(path)
    except OSError as exc:
        return {**base, "status": "unreadable", "error": f"{type(exc).__name__}: {exc}"}
    return {**base, "content_sha256": sha, "size_bytes": size, "status": "ok", "error": None}


def hash_media(
    con: duckdb.DuckDBPyConnection,
    *,
    threads: int = 4,
    progress: Callable[[int, int | None], None] | None = None,
) -> int:
    """Hash every distinct local ``items.media_uri`` into ``media_files``; return rows written.

    ``progress(uris_seen, None)``: the total is not counted beforehand.

    Statuses: ok, missing, unreadable, not_local (a URI with a scheme: never downloaded),
    outside_corpus (a symlink inside the corpus folder resolving outside it: never read).
    Files whose size is unchanged and whose mtime predates the last check are not re-read.
    """
    root = corpus_root(con)
    reader = con.cursor().execute(query("detect.sql", "distinct_media_uris"))
    written = seen = 0
    now = dt.datetime.now()
    with ThreadPoolExecutor(max_workers=threads) as pool:  # hashing is I/O bound
        while rows := reader.fetchmany(FETCH_ROWS):
            updates = [u for u in pool.map(lambda r: _check_media(r, now, root), rows) if u]
            if updates:
                batch = pa.Table.from_pylist(updates, schema=_MEDIA_SCHEMA)
                con.register("_media_batch", batch)
                con.execute(query("detect.sql", "upsert_media_files"))
                con.unregister("_media_batch")
                written += len(updates)
            seen += len(rows)
            if progress:
                progress(seen, None)
    return written


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
    end = con.execute(query("detect.sql", "item_rowid_end")).fetchall()[0][0]
    hashed = 0
    for start in range(0, end, chunk_rows):
        sql = query("detect.sql", "hash_texts")
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


def store_results(
    con: duckdb.DuckDBPyConnection, detector: str, version: str, results: list[Result]
) -> None:
    """Write one batch of results to the cache in a single transaction."""
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
    con.register("_result_batch", pa.Table.from_pylist(result_rows, schema=_RESULT_SCHEMA))
    con.register("_finding_batch", pa.Table.from_pylist(finding_rows, schema=_FINDING_SCHEMA))
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(query("detect.sql", "delete_cached"), [detector, version])
        con.execute(query("detect.sql", "insert_analysed"), [detector, version])
        con.execute(query("detect.sql", "insert_cached_findings"), [detector, version])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_result_batch")
        con.unregister("_finding_batch")
