"""JSON documents: an array of records, an object holding the record list at the mapping's
``root``, a single record, or a JavaScript file assigning one (an X archive's
``window.YTD.tweets.part0 = [...]``). Read whole (documents are not streamable line by
line), then walked element by element with each element's line number."""

from __future__ import annotations

import re
from collections.abc import Iterator

from audit.ingest.records import (
    DocumentError,
    decode_text,
    document_records,
    empty_table,
    line_at,
    open_stream,
    reading,
    record_batches,
)
from audit.ingest.source import LineBatch, Reject, Source

#: ``window.YTD.tweets.part0 = `` and the like: a script assigning the JSON value.
JS_ASSIGNMENT = re.compile(r"^\s*(?:(?:window|var|let|const)[\s.][\w.$\[\]'\"]*)\s*=\s*")


def read_text(src: Source) -> tuple[str, int, int | None]:
    """The decoded text of a (possibly compressed) document and its invalid UTF-8 count."""
    with reading(src.path), open_stream(src.path) as fh:
        data = fh.read()
    text, bad, first = decode_text(data)
    first_line = data.count(b"\n", 0, first) + 1 if first is not None else None
    return text, bad, first_line


def json_start(text: str) -> int:
    """Offset of the JSON value in a document (after a JavaScript assignment, if any)."""
    m = JS_ASSIGNMENT.match(text)
    return m.end() if m else 0


def batches(src: Source) -> Iterator[LineBatch]:
    """Record batches of one JSON document; an unreadable rest is one rejected row."""
    text, bad, first_bad = read_text(src)
    root = src.mapping.root.split(".") if src.mapping.root else []
    failure: list[DocumentError] = []

    def guarded() -> Iterator[tuple[int, str]]:
        # Records before a syntax error are kept: the error ends the walk, not the batch.
        try:
            yield from document_records(text, root, json_start(text))
        except DocumentError as exc:
            failure.append(exc)

    first = True
    for batch in record_batches(guarded()):
        if first:
            batch.invalid_bytes, batch.first_invalid_line = bad, first_bad
            first = False
        yield batch
    tail = LineBatch(empty_table(), *((bad, first_bad) if first else (0, None)))
    for exc in failure:
        line = line_at(text, exc.offset)
        tail.rejects.append(
            Reject(
                line,
                "bad_json",
                f"the document is not valid JSON from line {line} on ({exc}); "
                f"the remaining {len(text) - exc.offset:,} characters could not be read",
            )
        )
    if tail.rejects or tail.invalid_bytes:
        yield tail
