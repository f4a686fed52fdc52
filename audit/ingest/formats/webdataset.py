"""img2dataset / webdataset ``.tar`` shards: samples ``<key>.jpg`` + ``<key>.json`` +
``<key>.txt`` stored one after another.

The tar is streamed member by member (never extracted whole). Each sample's image is copied
into a content-addressed cache folder (``<cache>/<sha256[:2]>/<sha256>.<ext>``, written once
per content, atomically) so that the image detectors read it like any local file; the
sample's JSON metadata (img2dataset writes ``key, url, caption, status, width, height,
exif, sha256, ...``) and its caption text become one record::

    {...metadata json..., "__key__": "000000012", "caption_txt": "...",
     "__image__": "/…/media-cache/ab/ab12….jpg", "__member__": "00000.tar/000000012.jpg"}

img2dataset also writes ``<shard>.parquet`` beside each shard: one row per *attempted*
sample, including the failed ones (``status``/``error_message``, e.g. "Use of image
disallowed by X-Robots-Tag directive"). Those rows are not corpus items (the shard holds the
samples that were kept), so the file is not read as a source; :func:`shard_stats` summarises
it for the ingest notes instead.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from audit.errors import InputError
from audit.ingest.records import decode_text, dumps, empty_table, record_batches
from audit.ingest.source import LineBatch, Reject, Source
from audit.media import cache_bytes

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff")
#: Members larger than this are not copied into the cache (reported on the record).
MAX_IMAGE_BYTES = 64 << 20


def sample_key(name: str) -> tuple[str, str]:
    """webdataset's split of a member name: key = path up to the first dot of the basename."""
    folder, _, base = name.rpartition("/")
    stem, dot, ext = base.partition(".")
    return (f"{folder}/{stem}" if folder else stem), (dot + ext).lower()


def _sample_record(
    key: str, members: dict[str, bytes], shard: str, cache: Path
) -> tuple[dict[str, Any] | None, str | None]:
    """The record of one sample, or (None, reason) when it cannot be read."""
    record: dict[str, Any] = {}
    if ".json" in members:
        text, _, _ = decode_text(members[".json"])
        try:
            meta = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, f"{key}.json is not valid JSON: {exc}"
        if isinstance(meta, dict):
            record.update(meta)
    record["__key__"] = key.rpartition("/")[2]
    if ".txt" in members:
        record["caption_txt"] = decode_text(members[".txt"])[0]
    image_ext = next((e for e in IMAGE_EXTENSIONS if e in members), None)
    if image_ext is not None:
        record["__member__"] = f"{shard}/{key}{image_ext}"
        record["__image__"] = str(cache_bytes(cache, members[image_ext], image_ext)[1])
    if len(record) == 1:
        return None, f"sample {key} has no .json, .txt or image member"
    return record, None


def batches(src: Source, cache: Path) -> Iterator[LineBatch]:
    """One record per sample, in shard order (row = sample number); images into ``cache``."""
    rejects: list[Reject] = []

    def samples() -> Iterator[tuple[int, str]]:
        n = 0
        key: str | None = None
        members: dict[str, bytes] = {}

        def flush() -> Iterator[tuple[int, str]]:
            nonlocal n
            if key is None:
                return
            n += 1
            record, problem = _sample_record(key, members, src.path.name, cache)
            if record is None:
                rejects.append(Reject(n, "bad_sample", problem or "unreadable sample"))
            else:
                yield n, dumps(record)

        try:
            with tarfile.open(src.path, "r|*") as tf:
                for member in tf:
                    if not member.isfile():
                        continue
                    k, ext = sample_key(member.name)
                    if k != key:
                        yield from flush()
                        key, members = k, {}
                    if member.size > MAX_IMAGE_BYTES:
                        rejects.append(
                            Reject(
                                n + 1,
                                "media_too_large",
                                f"{member.name}: {member.size:,} bytes, not read",
                            )  # fmt: skip
                        )
                        continue
                    fh = tf.extractfile(member)
                    if fh is not None:
                        members[ext] = fh.read()
                yield from flush()
        except (tarfile.TarError, OSError, EOFError) as exc:
            rejects.append(Reject(n + 1, "bad_tar", f"the shard cannot be read from here: {exc}"))

    produced = False
    for batch in record_batches(samples(), batch_rows=5_000):
        batch.rejects, rejects[:] = list(rejects), []
        produced = True
        yield batch
    if rejects or not produced:
        yield LineBatch(empty_table(), rejects=list(rejects))


def shard_stats(parquet: Path) -> str | None:
    """A note on the samples img2dataset attempted for a shard but did not keep."""
    import duckdb

    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT coalesce(status, '?'), coalesce(error_message, ''), count(*) "
            "FROM read_parquet(?) WHERE status IS DISTINCT FROM 'success' "
            "GROUP BY ALL ORDER BY 3 DESC",
            [str(parquet)],
        ).fetchall()
    except duckdb.Error as exc:
        raise InputError(f"{parquet}: cannot read the shard's stats: {exc}") from exc
    finally:
        con.close()
    if not rows:
        return None
    total = sum(r[2] for r in rows)
    refused = sum(r[2] for r in rows if "x-robots-tag" in r[1].lower() or "robots" in r[1].lower())
    top = "; ".join(f"{n:,} {s}{': ' + m[:60] if m else ''}" for s, m, n in rows[:3])
    consent = (
        f", {refused:,} of them refused by the site (X-Robots-Tag/robots.txt)" if refused else ""
    )
    return f"{total:,} samples attempted but not in the shard{consent} ({top})"
