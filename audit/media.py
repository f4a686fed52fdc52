"""Media files of the corpus: local paths, content hashes, and the symlink-escape check.

The detect stage hashes every distinct local ``items.media_uri`` into ``media_files``; image
detectors are cached by that hash. Remote URIs are recorded, never downloaded, and a symlink
inside the corpus folder that resolves outside it is never read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from audit.store import query

#: Rows pulled from DuckDB per fetch when streaming media URIs.
URI_FETCH_ROWS = 4096
#: Bytes read per call when hashing a media file.
HASH_CHUNK = 1 << 20
#: A URI with a scheme ("https://", "s3://") is not a local file; we never download.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

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
        while rows := reader.fetchmany(URI_FETCH_ROWS):
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


def cache_bytes(cache: Path, data: bytes, ext: str) -> tuple[str, Path]:
    """Store ``data`` content-addressed under ``cache`` (once, atomically) as
    ``cache/ab/<sha256><ext>``; returns (sha256, path). Used for images read out of
    webdataset shards and for fetched remote images."""
    sha = hashlib.sha256(data).hexdigest()
    target = cache / sha[:2] / f"{sha}{ext}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    return sha, target
