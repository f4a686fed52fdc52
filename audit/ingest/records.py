"""Turn bytes into numbered JSON records, the one shape every JSON-like format is loaded as.

A record batch is an Arrow table ``(line_no BIGINT, line VARCHAR)``: one JSON value per row
and the line of the file it starts on. The ingest moves a batch into DuckDB in one call
(``_ca_lines``) and maps it there, so no Python loop ever runs per record for NDJSON:

- :func:`open_stream` opens a file by its magic bytes — plain, gzip or zstd (with the 2 GB
  window Pushshift dumps need, which DuckDB's own reader refuses);
- :func:`ndjson_batches` cuts a stream into batches of whole lines; the line offsets come from
  numpy and the Arrow string column is built over the bytes without copying them per line;
- :func:`document_records` walks a JSON *document* (an array, or an object holding the record
  list at a ``root`` path; pretty-printed or not) element by element with the C decoder's
  ``raw_decode``, giving each element the line it starts on;
- :func:`record_batches` groups ``(line, json_text)`` pairs into batches.

Invalid UTF-8 is never a crash: the bad bytes are read as Latin-1 and counted.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa

from audit.errors import InputError
from audit.ingest.source import LineBatch

#: Bytes of decompressed input read first; later reads are sized from the line length seen.
CHUNK_BYTES = 32 << 20
#: DuckDB's row group size: an NDJSON batch is cut into Arrow record batches of this many
#: lines, which DuckDB's ordered insert writes one row group each (two threads, two groups).
ROW_GROUP_ROWS = 122_880
#: Lines per NDJSON batch: two DuckDB row groups. A batch of whole row groups is
#: written as such; a batch of any other size leaves a partial row group that DuckDB rewrites
#: when it checkpoints (0.5-0.9 s per 800k Pushshift lines), and batches of 32 MB (~70k such
#: lines) ran ~25% slower.
BATCH_LINES = 2 * ROW_GROUP_ROWS
#: Upper bound of one read (a file of very long lines gets fewer lines per batch).
MAX_CHUNK_BYTES = 256 << 20
#: Records per batch for formats decoded record by record (documents, CAR, tar).
BATCH_ROWS = 50_000
#: zstd frames may use a window up to 2 GB (Pushshift uses 2**31); the library default
#: refuses anything above 128 MB.
ZSTD_MAX_WINDOW = 2**31
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_FALLBACK = "corpus_audit_latin1_fallback"
LINES_SCHEMA = pa.schema([("line_no", pa.int64()), ("line", pa.large_string())])


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    # Called by the codec only for invalid byte runs, not per line.
    assert isinstance(exc, UnicodeDecodeError)
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error(_FALLBACK, _latin1_fallback)


def compression_of(head: bytes) -> str | None:
    """``gzip`` or ``zstd`` from a file's first bytes, else None."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return None


def open_stream(path: Path) -> IO[bytes]:
    """The decompressed bytes of ``path`` (compression recognised by magic bytes)."""
    try:
        fh = path.open("rb")
        kind = compression_of(fh.read(4))
        fh.seek(0)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    if kind == "gzip":
        return gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[return-value]
    if kind == "zstd":
        import zstandard

        dctx = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
        return dctx.stream_reader(fh, read_size=1 << 20, closefd=True)  # type: ignore[return-value]
    return fh


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn a failure to read or decompress ``path`` (a cut-short gzip or zstd file) into an
    InputError naming it."""
    try:
        yield
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    except Exception as exc:  # zstandard.ZstdError: a corrupt or truncated frame
        if type(exc).__module__.startswith("zstandard"):
            raise InputError(f"{path}: cannot decompress: {exc}") from exc
        raise


def read_head(path: Path, size: int = 64 << 10) -> bytes:
    """Up to ``size`` decompressed bytes from the start of a file (b"" if unreadable)."""
    try:
        with open_stream(path) as fh:
            return fh.read(size)
    except (OSError, EOFError, InputError, ValueError):
        return b""
    except Exception:  # noqa: BLE001 - a corrupt zstd frame raises zstandard.ZstdError
        return b""


def decode_text(data: bytes) -> tuple[str, int, int | None]:
    """Text of ``data`` (invalid UTF-8 as Latin-1), the invalid sequences and the 0-based
    byte offset of the first one."""
    try:
        return data.decode("utf-8"), 0, None
    except UnicodeDecodeError as exc:
        first = exc.start
    text = data.decode("utf-8", errors=_FALLBACK)
    # Count the invalid runs by re-decoding with replacement (C speed, no row loop).
    bad = data.decode("utf-8", errors="replace").count("\ufffd") - data.count("\ufffd".encode())
    return text, max(bad, 1), first


def _int64(values: np.ndarray) -> pa.Array:
    # from_buffers: no conversion machinery (pa.array() imports pandas on its first call)
    return pa.Int64Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def lines_table(
    data: bytes | memoryview, first_line: int, ends: np.ndarray | None = None
) -> LineBatch:
    """Whole lines of ``data`` (ending with a newline or at the end) as a record batch.

    Blank lines keep their number and are dropped later in SQL. Valid UTF-8 (the usual case)
    is checked by Arrow and the string column wraps ``data`` without copying it. ``ends``:
    the offsets of the newlines in ``data``, when the caller has them.
    """
    if ends is None:
        ends = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
    offsets = np.empty(len(ends) + 2, np.int64)
    offsets[0] = 0
    offsets[1 : len(ends) + 1] = ends + 1
    offsets[-1] = len(data)
    if offsets[-2] == len(data):  # data ends with a newline: no empty last line
        offsets = offsets[:-1]
    n = len(offsets) - 1
    numbers = _int64(np.arange(first_line, first_line + n, dtype=np.int64))
    lines = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        lines.validate(full=True)  # UTF-8 checked in C++ (5x faster than a cast from binary)
        return LineBatch(
            chunked(pa.Table.from_arrays([numbers, lines], schema=LINES_SCHEMA), ROW_GROUP_ROWS)
        )
    except pa.ArrowInvalid:
        pass
    raw = bytes(data)
    text, bad, first = decode_text(raw)
    split = text.split("\n")
    if split and split[-1] == "":
        split.pop()
    first_bad = first_line + raw.count(b"\n", 0, first) if first is not None else None
    table = pa.Table.from_arrays([numbers, pa.array(split, pa.large_string())], schema=LINES_SCHEMA)
    return LineBatch(chunked(table, ROW_GROUP_ROWS), bad, first_bad)


def chunked(table: pa.Table, rows: int = 8192) -> pa.Table:
    """The same table in record batches of ``rows`` (zero-copy slices): DuckDB scans the
    batches of a registered Arrow table in parallel, one thread per batch."""
    return pa.Table.from_batches(table.to_batches(max_chunksize=rows), schema=table.schema)


def _fill(fh: IO[bytes], view: memoryview) -> int:
    """Read into ``view`` until it is full or the stream ends; returns the bytes read."""
    got = 0
    while got < len(view):
        n = fh.readinto(view[got:])  # type: ignore[attr-defined]
        if not n:
            break
        got += n
    return got


def _next_read(seen_bytes: int, seen_lines: int, batch_lines: int, carried: int) -> int:
    """Bytes to read next so that, with the ``carried`` ones, a batch of ``batch_lines``
    lines is likely complete (2% margin), from the line length seen so far."""
    per_line = seen_bytes / seen_lines if seen_lines else float(max(seen_bytes, 1 << 20))
    wanted = int(per_line * batch_lines * 1.02) + 4096 - carried
    return max(1 << 20, min(MAX_CHUNK_BYTES - carried, wanted))


def ndjson_batches(
    path: Path, chunk_bytes: int = CHUNK_BYTES, batch_lines: int = BATCH_LINES
) -> Iterator[LineBatch]:
    """Batches of ``batch_lines`` whole, numbered lines (the first one row group of them; fewer
    in the last one, or where lines are so long that MAX_CHUNK_BYTES holds fewer) of a
    (possibly compressed) text file.

    Each batch's lines are read into a buffer of their own, which the batch's Arrow column
    wraps: the data is not copied after decompression, except the lines after a cut, which
    start the next buffer.
    """
    line, size, eof = 1, chunk_bytes, False
    rest: bytes | bytearray | memoryview = b""
    with reading(path), open_stream(path) as fh:
        while True:
            buf = bytearray(len(rest) + (0 if eof else size))
            buf[: len(rest)] = rest
            if not eof:
                got = _fill(fh, memoryview(buf)[len(rest) :])
                eof = got < size
                del buf[len(rest) + got :]
            ends = np.flatnonzero(np.frombuffer(buf, np.uint8) == 10)
            unit = min(ROW_GROUP_ROWS, batch_lines)
            # The first batch is one row group: DuckDB starts while the next is read.
            want = unit if line == 1 else batch_lines
            if len(ends) >= want:
                ends = ends[:want]
            elif eof:  # the last lines (the very last one maybe without a newline)
                if buf:
                    yield lines_table(memoryview(buf), line, ends)
                return
            elif len(buf) < MAX_CHUNK_BYTES or not len(ends):
                rest = buf  # too few lines for a batch yet: read on (nothing wraps it)
                size = (
                    _next_read(len(buf), len(ends), want, len(rest))
                    if len(ends)
                    else max(chunk_bytes, len(buf))  # one long line: double the buffer
                )
                continue
            if want > len(ends) >= unit:  # long lines: whole row groups still
                ends = ends[: len(ends) // unit * unit]
            cut = int(ends[-1]) + 1
            batch = lines_table(memoryview(buf)[:cut], line, ends)
            yield batch
            line += batch.table.num_rows
            rest = memoryview(buf)[cut:]  # copied into the next buffer, once
            size = _next_read(cut, len(ends), batch_lines, len(rest))


# ---------------------------------------------------------------- JSON documents

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class DocumentError(ValueError):
    """A JSON document that cannot be read from ``offset`` on."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def _skip_ws(text: str, i: int) -> int:
    return _WS.match(text, i).end()  # type: ignore[union-attr]


def _find_root(text: str, i: int, root: list[str]) -> int:
    """Index of the value at the object-key path ``root``, starting at value index ``i``."""
    for key in root:
        if i >= len(text) or text[i] != "{":
            raise DocumentError(f"expected an object holding {key!r}", i)
        i = _skip_ws(text, i + 1)
        while True:
            if i < len(text) and text[i] == "}":
                raise DocumentError(f"the document has no {key!r} key", i)
            try:
                name, i = _DECODER.raw_decode(text, i)
            except json.JSONDecodeError as exc:
                raise DocumentError(f"not valid JSON: {exc.msg}", exc.pos) from exc
            i = _skip_ws(text, i)
            if i >= len(text) or text[i] != ":":
                raise DocumentError("expected ':' after an object key", i)
            i = _skip_ws(text, i + 1)
            if name == key:
                break
            try:
                _, i = _DECODER.raw_decode(text, i)
            except json.JSONDecodeError as exc:
                raise DocumentError(f"not valid JSON: {exc.msg}", exc.pos) from exc
            i = _skip_ws(text, i)
            if i < len(text) and text[i] == ",":
                i = _skip_ws(text, i + 1)
    return i


def document_records(
    text: str, root: list[str] | None = None, start: int = 0
) -> Iterator[tuple[int, str]]:
    """``(line, one-line JSON text)`` for each record of a JSON document.

    The records are the elements of the array at ``root`` (a list of object keys; ``None``
    or ``[]``: the document itself), or the value there when it is not an array. A
    pretty-printed element is returned on one line (JSON whitespace, never inside strings).
    Raises :class:`DocumentError` at the first unreadable element (records before it were
    already yielded).
    """
    line, seen = 1, 0

    def line_of(pos: int) -> int:
        nonlocal line, seen
        line += text.count("\n", seen, pos)
        seen = pos
        return line

    i = _find_root(text, _skip_ws(text, start), root or [])
    if i >= len(text) or text[i] != "[":
        try:
            _, end = _DECODER.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            raise DocumentError(f"not valid JSON: {exc.msg}", exc.pos) from exc
        yield line_of(i), _one_line(text[i:end])
        return
    i = _skip_ws(text, i + 1)
    if i < len(text) and text[i] == "]":
        return
    while True:
        try:
            _, end = _DECODER.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            raise DocumentError(f"not valid JSON: {exc.msg}", exc.pos) from exc
        yield line_of(i), _one_line(text[i:end])
        i = _skip_ws(text, end)
        if i < len(text) and text[i] == ",":
            i = _skip_ws(text, i + 1)
            continue
        if i < len(text) and text[i] == "]":
            return
        raise DocumentError("expected ',' or ']' after an array element", i)


def _one_line(raw: str) -> str:
    return raw.replace("\r", " ").replace("\n", " ") if "\n" in raw or "\r" in raw else raw


def line_at(text: str, offset: int) -> int:
    """1-based line number of a character offset."""
    return text.count("\n", 0, max(offset, 0)) + 1


def record_batches(
    records: Iterable[tuple[int, str]], batch_rows: int = BATCH_ROWS
) -> Iterator[LineBatch]:
    """Group ``(line, json_text)`` pairs into record batches."""
    numbers: list[int] = []
    lines: list[str] = []
    for number, line in records:
        numbers.append(number)
        lines.append(line)
        if len(lines) >= batch_rows:
            yield _batch(numbers, lines)
            numbers, lines = [], []
    if lines:
        yield _batch(numbers, lines)


def _batch(numbers: list[int], lines: list[str]) -> LineBatch:
    table = pa.Table.from_arrays(
        [pa.array(numbers, pa.int64()), pa.array(lines, pa.large_string())], schema=LINES_SCHEMA
    )
    return LineBatch(chunked(table))


def dumps(value: Any) -> str:
    """Compact one-line JSON (non-ASCII kept as is)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def empty_table() -> pa.Table:
    """A record table with no rows."""
    return pa.Table.from_pylist([], schema=LINES_SCHEMA)
