"""The one place that opens the audit database (DuckDB).

Schema and views live in ``audit/sql/*.sql``; other modules keep their own SQL in named
blocks of ``.sql`` files under ``audit/sql/`` and fetch it with :func:`query`.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb

SCHEMA_VERSION = "3"

#: Memory limit of the store's read-write connection (DuckDB size text, e.g. ``3GB``); unset:
#: :data:`DEFAULT_STORE_MEMORY`. The rules sandbox has its own (AUDIT_RULES_MEMORY).
STORE_MEMORY_ENV = "AUDIT_STORE_MEMORY"
#: Without it DuckDB takes up to 80% of RAM before it spills: at 10^7 items the report's
#: group tables alone held ~4 GB. With 2 GB a 2 x 10^7-item metadata-only scan peaks under
#: 4 GB RSS (docs/SCALE.md); ``AUDIT_STORE_MEMORY`` raises it on a machine with RAM to spare.
DEFAULT_STORE_MEMORY = "2GB"
#: Where that connection spills (default: DuckDB's ``<database>.tmp`` beside the file).
STORE_TEMP_ENV = "AUDIT_STORE_TEMP"

#: Older schema versions this tool upgrades in place: every change since was additive (new
#: tables, created by schema.sql when missing), so opening such a store read-write only
#: records the new version. 1 → 2: the review-sample and review-answer tables (assurance).
#: 2 → 3: an ingest stores `item_rows` and makes `items` a view (audit/item_rows.py), which a
#: version-2 tool could not open for writing.
UPGRADABLE_FROM: frozenset[str] = frozenset({"1", "2"})

_NAMED_BLOCK = re.compile(r"^--\s*name:\s*([\w.-]+)\s*$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"/\*([A-Z][A-Z0-9_]*)\*/")


class StoreError(RuntimeError):
    """The audit database cannot be opened or has an incompatible schema."""


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, data: object) -> Iterator[None]:
    """``data`` (an Arrow table or reader) readable as view ``name`` on ``con`` for the block,
    unregistered after it whatever happens."""
    con.register(name, data)
    try:
        yield
    except BaseException:
        # A failure or an interrupt may have aborted the transaction, and unregistering then
        # fails too: the first error is the one to report.
        with contextlib.suppress(duckdb.Error):
            con.unregister(name)
        raise
    con.unregister(name)


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll the open transaction back; nothing to do where the failure being handled already
    ended it (an interrupted COMMIT), which would otherwise replace that failure's error."""
    with contextlib.suppress(duckdb.TransactionException):
        con.execute("ROLLBACK")


@cache
def sql_file(name: str) -> str:
    """Return the text of ``audit/sql/<name>``."""
    return resources.files("audit").joinpath("sql", name).read_text(encoding="utf-8")


@cache
def _named_blocks(name: str) -> dict[str, str]:
    text = sql_file(name)
    parts = _NAMED_BLOCK.split(text)
    # parts = [preamble, name1, body1, name2, body2, ...]
    return {parts[i]: parts[i + 1].strip().rstrip(";") for i in range(1, len(parts), 2)}


def query(file: str, name: str) -> str:
    """Return the SQL block ``-- name: <name>`` from ``audit/sql/<file>``.

    Example: ``con.execute(query("report.sql", "headline"))``.
    """
    blocks = _named_blocks(file)
    if name not in blocks:
        raise KeyError(f"no query named {name!r} in audit/sql/{file}")
    return blocks[name]


def fill(sql: str, **parts: str) -> str:
    """``sql`` with every ``/*NAME*/`` placeholder replaced by ``parts[NAME]``.

    Checked both ways: a placeholder without a part, or a part without its placeholder, is
    a ValueError (a silently unfilled or ignored fragment would change what the SQL means).
    Parts are SQL built from validated names and declarations, never from user text.
    """
    wanted = set(_PLACEHOLDER.findall(sql))
    given = set(parts)
    if wanted != given:
        missing, unused = sorted(wanted - given), sorted(given - wanted)
        raise ValueError(f"SQL placeholders: missing parts {missing}, no placeholder for {unused}")
    return _PLACEHOLDER.sub(lambda m: parts[m.group(1)], sql)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table and view if missing and record the schema version (idempotent)."""
    from audit import item_rows  # imports this module
    from audit.declared_sql import views_sql  # reads the detector registry

    con.execute(sql_file("schema.sql"))
    item_rows.upgrade(con)
    con.execute(views_sql())
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
    elif row[0] in UPGRADABLE_FROM:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [SCHEMA_VERSION])
    elif row[0] != SCHEMA_VERSION:
        raise StoreError(
            f"audit database has schema version {row[0]}, this tool expects {SCHEMA_VERSION}; "
            "scan into a new --out folder"
        )


def open_store(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the audit database at ``path``.

    Read-only connections never create anything; they fail with :class:`StoreError` when the
    file is missing or is not an audit database.
    """
    path = Path(path)
    if read_only:
        if not path.exists():
            raise StoreError(f"{path}: no audit database here (run `audit scan` first)")
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            raise StoreError(f"{path}: cannot open audit database: {exc}") from exc
        try:
            con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except duckdb.Error as exc:
            con.close()
            raise StoreError(f"{path}: not an audit database ({exc})") from exc
        from audit.declared_sql import views_sql

        con.execute(views_sql(temporary=True))
        return con
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), config=store_config())
    except duckdb.Error as exc:
        raise StoreError(f"{path}: cannot open audit database: {exc}") from exc
    create_schema(con)
    return con


def store_config() -> dict[str, str]:
    """DuckDB settings of a read-write store connection from the environment: a memory limit
    (``AUDIT_STORE_MEMORY``, default :data:`DEFAULT_STORE_MEMORY`) and a spill folder
    (``AUDIT_STORE_TEMP``, default DuckDB's ``<database>.tmp``)."""
    config = {"memory_limit": os.environ.get(STORE_MEMORY_ENV) or DEFAULT_STORE_MEMORY}
    if temp := os.environ.get(STORE_TEMP_ENV):
        config["temp_directory"] = temp
    return config


def open_memory() -> duckdb.DuckDBPyConnection:
    """An in-memory store with the full schema (rule self-tests, unit tests)."""
    con = duckdb.connect(":memory:")
    create_schema(con)
    return con


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the store has ``table`` (a read-only store of an older schema may lack one)."""
    sql = "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?"
    return con.execute(sql, [table]).fetchone()[0] > 0


def table_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Row count of one store table (name checked against the catalog, not interpolated blindly)."""
    known = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if table not in known:
        raise KeyError(table)
    return con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
