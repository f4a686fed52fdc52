"""A locked DuckDB database in which compiled rules run.

DuckDB's ``enable_external_access`` and ``lock_configuration`` are database-wide and cannot
be undone, so they are never set on the audit store's own database (the scan still has to
read corpora and write Parquet). Instead rules run in a private database that is locked
before any rule SQL reaches it and that holds only what rules read: the item_view columns
the rule pack names, and the findings. Data crosses in and out as Arrow streams, so nothing
in the sandbox can name a file, an extension or a setting.

Out of core: the sandbox is a database *file* in a private temporary folder (mode 0700),
opened with a memory limit and a spill folder beside it, so the buffer manager evicts pages
to disk instead of holding the corpus in RAM (an in-memory database cannot spill). The
limit and folder are set at connect time, before the configuration is locked; the folder is
removed when the sandbox is closed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from typing import Any

import duckdb

from audit.store import query

_SOURCE = "rules_source"
BATCH_ROWS = 500_000
#: The sandbox's memory limit (DuckDB size text); ``AUDIT_RULES_MEMORY`` overrides it.
DEFAULT_MEMORY_LIMIT = "2GB"


class Sandbox:
    """A locked DuckDB connection on a private database file; behaves like the connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, folder: str) -> None:
        self.con = con
        self.folder = folder
        # a sandbox dropped without close() (an exception, a test) still removes its folder
        self._remove = weakref.finalize(self, shutil.rmtree, folder, True)

    def __getattr__(self, name: str) -> Any:  # execute, sql, register, ... of the connection
        return getattr(self.con, name)

    def close(self) -> None:
        """Close the connection and delete the database file and spill folder."""
        try:
            self.con.close()
        finally:
            self._remove()


def open_sandbox(memory_limit: str | None = None) -> Sandbox:
    """A fresh database file with a memory limit, external access disabled, settings locked."""
    folder = tempfile.mkdtemp(prefix="audit-rules-")  # 0700: only this user can read it
    limit = memory_limit or os.environ.get("AUDIT_RULES_MEMORY") or DEFAULT_MEMORY_LIMIT
    try:
        con = duckdb.connect(
            os.path.join(folder, "sandbox.duckdb"),
            config={"memory_limit": limit, "temp_directory": os.path.join(folder, "spill")},
        )
        # DuckDB's own bar would interleave with the scan's progress (set before the lock)
        con.execute("SET enable_progress_bar = false")
        # order matters: once the configuration is locked nothing can be changed back
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        con.execute(query("rules.sql", "sandbox_tables"))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Sandbox(con, folder)


def copy_in(sandbox: Sandbox, relation: duckdb.DuckDBPyRelation, block: str) -> None:
    """Stream ``relation`` (from the audit store) into the sandbox with the named CTAS block."""
    sandbox.register(_SOURCE, relation.to_arrow_reader(BATCH_ROWS))
    try:
        sandbox.execute(query("rules.sql", block))
    finally:
        sandbox.unregister(_SOURCE)
