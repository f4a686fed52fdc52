"""Where item rows are stored, and the ``items`` relation every stage reads.

A store that was never ingested into (a fresh schema, a test fixture, a rule self-test)
keeps ``items`` as a table with every column of audit/schema.py. An ingest stores its rows
in ``item_rows`` with only the columns its corpus fills, and makes ``items`` a view over it
that gives every column, the missing ones computed where they are read (the URL's host,
the media path resolved against the corpus file's folder, NULL) and some stored ones
completed there (:data:`STORED_READS`: the age from the birth date). Every column a DuckDB
load writes costs it ~4 % of a bare copy, constant NULLs included, and DuckDB computes
generated columns while inserting; a view is what keeps the load close to a plain copy
(docs/SCALE.md). Readers see the same columns either way; writers of a column the view
computes call :func:`writable_items` first, which stores that column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import duckdb

from audit.schema import CANONICAL_COLUMNS, all_item_columns
from audit.store import query, rollback

_SQL = "item_rows.sql"
#: The table an ingest stores item rows in (``items`` is then a view over it).
STORED_TABLE = "item_rows"
#: Columns an ingest always stores: the canonical ones, the row's provenance and its
#: unmapped fields.
ALWAYS_STORED: tuple[str, ...] = (*CANONICAL_COLUMNS, "source_file", "source_row", "extra")
#: Stored columns the view reads through an expression: item_rows.visibility is NULL where
#: the export gave none, so that visibility_basis ('not in the export') need not be stored;
#: item_rows.author_age_at_post is the age as exported, the view deriving it from the birth
#: date where there is none (storing the derived ages made a column of mostly NULLs a
#: written one: ~2 % of a load).
STORED_READS: dict[str, str] = {
    "visibility": "coalesce(visibility, 'unknown')",
    "author_age_at_post": "coalesce(author_age_at_post, _ca_age(author_birth_date, created_at))",
}


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the persistent macros the view and the ingest's SELECT call."""
    con.execute(query(_SQL, "macros"))


def derived_sql(column: str) -> str:
    """The SQL the view computes ``column`` with when it is not stored (over item_rows)."""
    try:
        block = query(_SQL, f"derived.{column}")
    except KeyError:
        return f"NULL::{all_item_columns()[column]}"
    return " ".join(ln for ln in block.splitlines() if not ln.lstrip().startswith("--")).strip()


def table_ddl(
    name: str, stored: Iterable[str], working: str = "", *, not_null: Iterable[str] = ()
) -> str:
    """``CREATE TABLE name`` with the ``stored`` item columns (in schema order; those in
    ``not_null`` declared NOT NULL) and the ``working`` column definitions after them."""
    types = all_item_columns()
    wanted = set(stored)
    unknown = wanted - set(types)
    if unknown:
        raise ValueError(f"not item columns: {sorted(unknown)}")
    required = set(not_null)
    cols = [
        f'"{c}" {t}' + (" NOT NULL" if c in required else "")
        for c, t in types.items()
        if c in wanted
    ]
    return f"CREATE TABLE {name} ({', '.join(cols + ([working] if working else []))})"


def items_is_view(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``items`` is the view over ``item_rows`` (an ingest ran on this store)."""
    rows = con.execute(query(_SQL, "relation_kind"), ["items"]).fetchall()
    return bool(rows) and rows[0][0] == "VIEW"


def stored_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The columns ``item_rows`` holds (empty where there is no such table)."""
    return [r[0] for r in con.execute(query(_SQL, "stored_columns")).fetchall()]


def create_view(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create ``items`` over ``item_rows``: every item column in schema order, stored
    or computed, with this version's macros (a store ingested by an older one may lack
    some that the view now calls)."""
    create_macros(con)
    select = view_select(all_item_columns(), set(stored_columns(con)))
    con.execute(f"CREATE OR REPLACE VIEW items AS SELECT {select} FROM {STORED_TABLE}")


def view_select(columns: Iterable[str], stored: set[str]) -> str:
    """The select list giving item ``columns`` as the ``items`` view shows them, over a
    relation with item_rows' ``stored`` columns (item_rows itself, or a grouping of it)."""
    return ", ".join(f'{read_sql(c, stored)} AS "{c}"' for c in columns)


def read_sql(column: str, stored: set[str]) -> str:
    """The expression the view reads item ``column`` with, over item_rows' ``stored``
    columns: the stored column (through its STORED_READS expression), else computed."""
    if column in stored:
        return STORED_READS.get(column, f'"{column}"')
    return derived_sql(column)


def counts_by(con: duckdb.DuckDBPyConnection, columns: list[str]) -> str:
    """A query: item ``columns`` as ``items`` shows them, and ``n``, the items with each
    combination (no row for no item). item_rows is grouped first, on the stored ``columns``
    and the stored columns the view computes the others from, so the view's expressions run
    once per group, not once per item. Where ``items`` is a table, it is grouped."""
    if not columns:
        raise ValueError("counts_by needs at least one column")
    if not items_is_view(con):
        keys = ", ".join(f'"{c}"' for c in columns)
        return f"SELECT {keys}, count(*) AS n FROM items GROUP BY ALL"
    have = stored_columns(con)  # in table order: the grouping keys keep it
    stored = set(have)
    reads = " ".join(read_sql(c, stored) for c in columns)
    needed = set(columns) | _read_by(reads, have)
    keys = "".join(f'"{c}", ' for c in have if c in needed)
    grouped = f"(SELECT {keys}count(*) AS _ca_n FROM {STORED_TABLE} GROUP BY ALL)"
    select = view_select(columns, stored)
    # HAVING: without a key column, an aggregate over no row would still give one (n = 0).
    return f"SELECT {select}, sum(_ca_n)::BIGINT AS n FROM {grouped} GROUP BY ALL HAVING n > 0"


def _read_by(sql: str, names: Iterable[str]) -> set[str]:
    """Which of ``names`` the expression ``sql`` reads (as identifiers, not in literals)."""
    code = re.sub(r"'(?:[^']|'')*'", "''", sql)
    return {
        n
        for n in names
        if re.search(rf'(?<![\w."]){re.escape(n)}(?![\w"(])|"{re.escape(n)}"', code)
    }


def install(con: duckdb.DuckDBPyConnection, staged: str) -> None:
    """Make the rows of table ``staged`` the store's items (run inside the caller's
    transaction): the previous items (table, or view and item_rows) are dropped, ``staged``
    becomes ``item_rows`` and ``items`` the view over it."""
    if items_is_view(con):
        con.execute("DROP VIEW items")
    else:
        con.execute("DROP TABLE IF EXISTS items")
    con.execute(f"DROP TABLE IF EXISTS {STORED_TABLE}")
    con.execute(f"ALTER TABLE {staged} RENAME TO {STORED_TABLE}")
    create_view(con)


def writable_items(con: duckdb.DuckDBPyConnection, columns: Iterable[str] = ()) -> str:
    """The table to UPDATE item ``columns`` in: ``items`` where it is a table, else
    ``item_rows``, after storing any of ``columns`` it lacks (filled with what the view
    computed for them, so no value changes) and re-creating the view over them."""
    if not items_is_view(con):
        return "items"
    # All or nothing: a column added but not filled, or not yet read by the view, would
    # hide the values the view computed (the fill is one UPDATE of every row).
    with _atomic(con):
        have = set(stored_columns(con))
        missing = [c for c in all_item_columns() if c in set(columns) - have]
        for col in missing:
            con.execute(f'ALTER TABLE {STORED_TABLE} ADD COLUMN "{col}" {all_item_columns()[col]}')
            fill = derived_sql(col)
            if not fill.startswith("NULL::"):
                con.execute(f'UPDATE {STORED_TABLE} SET "{col}" = {fill}')
        if missing:
            create_view(con)
    return STORED_TABLE


@contextmanager
def _atomic(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """A transaction of its own, or the caller's where one is open (DuckDB does not nest)."""
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.TransactionException:
        yield
        return
    try:
        yield
    except BaseException:
        rollback(con)
        raise
    con.execute("COMMIT")


def upgrade(con: duckdb.DuckDBPyConnection) -> None:
    """Give an ``items`` table of an older store the provenance columns added since."""
    if not items_is_view(con):
        con.execute(query(_SQL, "upgrade_items_table"))
