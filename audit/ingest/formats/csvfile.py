"""CSV/TSV files, read with strict RFC 4180 quoting so that a broken quote is a rejected
row, never a text that swallowed the rows after it.

Python's C ``csv`` reader runs in strict mode over the file's lines. A quoted field may span
lines (Reddit's data-request CSVs have multi-line bodies), but a quote that is not closed
properly — followed by something other than the delimiter or the end of the line, or never
closed at all — makes the record that opened it a rejected ``bad_csv_row`` of one line, and
reading resumes on the next line. A record with the wrong number of fields is rejected too.
Rows are numbered by record (the header is row 0), like DuckDB numbers them; every field is
VARCHAR (the mapping converts). Batches are Arrow tables.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from audit.errors import InputError
from audit.ingest.records import decode_text, open_stream
from audit.ingest.source import Reject

BATCH_ROWS = 100_000
DELIMITERS = (",", "\t", ";", "|")
csv.field_size_limit(sys.maxsize)


@dataclass
class CsvBatch:
    """Rows of a CSV file as an Arrow table (``_ca_row`` + one VARCHAR column per field)."""

    table: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    invalid_bytes: int = 0
    first_invalid_line: int | None = None


def read_lines(path: Path) -> tuple[list[str], int, int | None]:
    """The file's lines (decoded; invalid UTF-8 as Latin-1) and the invalid sequences."""
    try:
        with open_stream(path) as fh:
            data = fh.read()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text, bad, first = decode_text(data)
    first_line = data.count(b"\n", 0, first) + 1 if first is not None else None
    return text.splitlines(keepends=True), bad, first_line


def header_names(row: list[str]) -> list[str]:
    """Column names: blanks named ``column<N>``, repeats suffixed ``_2``, ``_3``..."""
    names: list[str] = []
    for i, raw in enumerate(row, 1):
        name = raw.strip() or f"column{i}"
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def delimiter_of(path: Path, header: str) -> str:
    """Tab for .tsv files, else the candidate delimiter the header line uses most."""
    if ".tsv" in [s.lower() for s in path.suffixes]:
        return "\t"
    return max(DELIMITERS, key=header.count) if any(d in header for d in DELIMITERS) else ","


class _Cursor:
    """The file's lines for ``csv.reader``, with a position the caller can move back."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.pos = 0

    def __iter__(self) -> _Cursor:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


def batches(path: Path) -> Iterator[CsvBatch]:
    """Header-named VARCHAR rows in batches; bad records become rejects."""
    lines, bad, first_bad = read_lines(path)
    if not lines:
        yield CsvBatch(pa.table({"_ca_row": pa.array([], pa.int64())}), [], bad, first_bad)
        return
    cursor = _Cursor(lines)
    # One C reader for the whole file: after an error it starts the next record afresh.
    reader = csv.reader(cursor, delimiter=delimiter_of(path, lines[0]), quotechar='"',
                        doublequote=True, strict=True)  # fmt: skip
    try:
        names = header_names(next(reader))
    except (csv.Error, StopIteration) as exc:
        raise InputError(f"{path}: cannot read the CSV header: {exc}") from exc
    cols: list[list[str | None]] = [[] for _ in names]
    numbers: list[int] = []
    rejects: list[Reject] = []
    row_no = 0
    first = True

    def batch() -> CsvBatch:
        nonlocal cols, numbers, rejects, first
        arrays = [pa.array(numbers, pa.int64())] + [pa.array(c, pa.string()) for c in cols]
        out = CsvBatch(pa.Table.from_arrays(arrays, names=["_ca_row", *names]), rejects)
        if first:
            out.invalid_bytes, out.first_invalid_line, first = bad, first_bad, False
        cols, numbers, rejects = [[] for _ in names], [], []
        return out

    while cursor.pos < len(lines):
        start = cursor.pos
        if not lines[start].strip():
            cursor.pos += 1
            continue
        row_no += 1
        try:
            row = next(reader)
        except csv.Error as exc:
            # The record that opened the bad quote is one line; the next line is read anew.
            cursor.pos = start + 1
            rejects.append(
                Reject(row_no, "bad_csv_row",
                       f"unterminated or misplaced quote ({exc}) | {lines[start][:80].rstrip()}")
            )  # fmt: skip
            continue
        if len(row) != len(names):
            rejects.append(
                Reject(row_no, "bad_csv_row",
                       f"{len(row)} fields, the header has {len(names)} | "
                       f"{lines[start][:80].rstrip()}")
            )  # fmt: skip
            continue
        numbers.append(row_no)
        for c, value in zip(cols, row, strict=True):
            c.append(value)
        if len(numbers) >= BATCH_ROWS:
            yield batch()
    yield batch()


def sniff_header(path: Path) -> list[str]:
    """The column names of a CSV file (for recognising its format)."""
    try:
        with open_stream(path) as fh:
            head = fh.read(64 << 10)
    except (OSError, InputError):
        return []
    text = decode_text(head)[0].lstrip("\ufeff")
    first = text.splitlines()[0] if text.strip() else ""
    try:
        row = next(csv.reader(io.StringIO(first), delimiter=delimiter_of(path, first)))
    except (csv.Error, StopIteration):
        return []
    return header_names(row)
