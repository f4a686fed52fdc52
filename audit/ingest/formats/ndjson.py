"""Newline-delimited JSON (JSONL), plain or gzip/zstd-compressed (Pushshift ``RS_*``/``RC_*``
dumps use zstd with a 2 GB window), streamed in batches of whole lines."""

from __future__ import annotations

from collections.abc import Iterator

from audit.ingest.records import ndjson_batches
from audit.ingest.source import LineBatch, Source


def batches(src: Source) -> Iterator[LineBatch]:
    """Batches of numbered lines; memory stays flat however large the file is."""
    return ndjson_batches(src.path)
