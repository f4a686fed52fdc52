"""A locked DuckDB database in which compiled rules run.

DuckDB's ``enable_external_access`` and ``lock_configuration`` are database-wide and cannot
be undone, so they are never set on the audit store's own database (the scan still has to
read corpora and write Parquet). Instead rules run in a private in-memory database that is
locked before any rule SQL reaches it and that holds only what rules read: the item_view
columns the rule pack names, and the findings. Data crosses in and out as Arrow streams,
so nothing in the sandbox can name a file, an extension or a setting.
"""

from __future__ import annotations

import duckdb

from audit.store import query

_SOURCE = "rules_source"
BATCH_ROWS = 500_000


def open_sandbox() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory database with external access disabled and settings locked."""
    con = duckdb.connect(":memory:")
    # order matters: once the configuration is locked nothing can be changed back
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    con.execute(query("rules.sql", "sandbox_tables"))
    return con


def copy_in(
    sandbox: duckdb.DuckDBPyConnection, relation: duckdb.DuckDBPyRelation, block: str
) -> None:
    """Stream ``relation`` (from the audit store) into the sandbox with the named CTAS block."""
    sandbox.register(_SOURCE, relation.to_arrow_reader(BATCH_ROWS))
    try:
        sandbox.execute(query("rules.sql", block))
    finally:
        sandbox.unregister(_SOURCE)
