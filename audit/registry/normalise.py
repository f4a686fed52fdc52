"""Normalised subjects: the SQL macros (audit/sql/registry.sql ``macros``) and a Python door.

The macros are the only implementation: registry subjects and corpus fields go through the
same ones in DuckDB, set-based. :func:`normalise` runs them on a list of values for tests
and callers outside a scan (an audit store is not needed).
"""

from __future__ import annotations

from typing import Final

import duckdb

from audit.store import query

#: subject_type -> the macro call that normalises it ($v the value, $p the platform).
_MACRO: Final = {
    "author": "reg_author_key($p, $v, NULL)",
    "url": "reg_url($v)",
    "domain": "reg_domain($v)",
    "email": "reg_email($v)",
    "platform": "reg_platform($v)",
}


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the normalisation macros on ``con`` (TEMP: also on a read-only connection)."""
    con.execute(query("registry.sql", "macros"))


def normalise(subject_type: str, values: list[str | None], platform: str | None = None) -> list:
    """The normalised form of each value (None where it cannot be read), e.g.
    ``normalise("author", ["@Alice_W"], "x") == ["alice_w"]``."""
    con = duckdb.connect()
    try:
        install_macros(con)
        sql = f"SELECT {_MACRO[subject_type].replace('$v', 'v').replace('$p', '$p')} FROM t"
        con.execute("CREATE TEMP TABLE t (i INTEGER, v VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
        params = {"p": platform} if "$p" in sql else {}
        rows = con.execute(sql + " ORDER BY i", params).fetchall()
        return [r[0] for r in rows]
    finally:
        con.close()
