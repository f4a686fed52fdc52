"""What the ingest reads: one corpus file, the reader and mapping chosen for it, and the
export's context; plus the files of an export that hold no items."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from audit.ingest.mapping import Mapping

#: Readers: tabular ones go through DuckDB's table path, the others yield JSON records.
TABLE_READERS = ("parquet", "csv")
RECORD_READERS = ("ndjson", "json", "car", "tar")


@dataclass(frozen=True)
class Source:
    """One corpus file and how it is read."""

    path: Path  # absolute
    format: str  # one of TABLE_READERS + RECORD_READERS
    mapping: Mapping
    mapping_ref: str
    context: str | None = None  # JSON text that the mapping's @source. paths read
    media_base: Path | None = None  # folder relative media paths start from (default: path's)
    recognised: str = ""  # how the reader and mapping were chosen, for the summary

    @property
    def base(self) -> Path:
        """The folder relative media paths of this source are resolved against."""
        return self.media_base or self.path.parent


@dataclass(frozen=True)
class SkippedFile:
    """A file of the corpus that holds no items (an archive's account data, likes, ...)."""

    path: Path
    reason: str


@dataclass
class Reject:
    """An input row (or the rest of a file) that a reader could not turn into a record."""

    row: int | None
    code: str
    message: str


@dataclass
class LineBatch:
    """Numbered JSON records (``table``: line_no BIGINT, line VARCHAR) from a reader, the
    invalid UTF-8 met, rows it rejected itself and notes about what it left out."""

    table: pa.Table
    invalid_bytes: int = 0
    first_invalid_line: int | None = None
    rejects: list[Reject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
