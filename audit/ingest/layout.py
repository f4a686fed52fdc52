"""What the ingest's staging table ``_ca_items`` holds, decided once per ingest from its
sources (every shard of a sharded ingest gets the same layout, so shards merge as they are).

- The item columns it stores: every ingest stores the canonical ones and the row's
  provenance; a mapped provenance column (visibility_basis included: the view derives
  'not in the export' from a NULL visibility) only where some source fills it, ``media_uri`` only
  where a source resolves media paths against another folder than its file's. The ``items``
  view computes the rest (audit/item_rows.py); each stored column costs a load ~4 %.
- Whether it has the working columns (audit/sql/ingest.sql ``working_columns``): a record
  source (JSON lines, documents, CAR, tar) writes every mapped record there once, its
  problems read back per batch. Tabular sources (Parquet, CSV) write only their items and
  read their problems from a second, narrow pass over the source (``table_problems``), so a
  corpus of tables stores no working column at all, and declares ``item_id NOT NULL`` upfront.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from audit import item_rows
from audit.ingest.source import TABLE_READERS, Source
from audit.schema import MAPPED_PROVENANCE, all_item_columns
from audit.store import query

_SQL = "ingest.sql"


@dataclass(frozen=True)
class Layout:
    """The columns of ``_ca_items``."""

    stored: tuple[str, ...]  # item columns, in schema order
    working: bool  # _ca_skip, _ca_errs, _ca_batch (some source is a record source)

    @property
    def column_list(self) -> str:
        """The stored item columns as a quoted SQL list."""
        return ", ".join(f'"{c}"' for c in self.stored)


def plan_layout(sources: list[Source]) -> Layout:
    """The layout of an ingest of ``sources``."""
    cols = set(item_rows.ALWAYS_STORED)
    for src in sources:
        cols.update(c for c in MAPPED_PROVENANCE if src.mapping.spec(c) is not None)
        # The view resolves media paths against the file's path cut at its last "/"
        # (_ca_folder): stored wherever the load's base differs from that.
        if str(src.base).rstrip("/") != str(src.path).rpartition("/")[0]:
            cols.add("media_uri")
    stored = tuple(c for c in all_item_columns() if c in cols)
    return Layout(stored, any(src.format not in TABLE_READERS for src in sources))


def begin_staging(con: duckdb.DuckDBPyConnection, layout: Layout) -> None:
    """The macros, staging tables and an empty ``_ca_items`` of ``layout``."""
    item_rows.create_macros(con)
    con.execute(query(_SQL, "macros"))
    con.execute(query(_SQL, "temp_tables"))
    con.execute(query(_SQL, "drop_new_items"))
    if layout.working:  # records without an id are written too, until the end
        con.execute(item_rows.table_ddl("_ca_items", layout.stored, query(_SQL, "working_columns")))
    else:  # only items are written: no row without an id, ever
        con.execute(item_rows.table_ddl("_ca_items", layout.stored, not_null=["item_id"]))
