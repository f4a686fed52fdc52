"""Check a `matches` pattern with the engine that will run it (DuckDB's RE2)."""

from __future__ import annotations

from functools import cache

import duckdb


@cache
def _engine() -> duckdb.DuckDBPyConnection:
    # A private in-memory database: the pattern is only ever a bound parameter here.
    return duckdb.connect(":memory:")


def check_regex(pattern: str) -> None:
    """Raise ValueError in plain words when DuckDB cannot compile ``pattern``."""
    try:
        _engine().cursor().execute("SELECT regexp_matches('', $1)", [pattern]).fetchone()
    except duckdb.Error as exc:
        detail = str(exc).split("\n", 1)[0]
        raise ValueError(f"matches is not a valid regular expression ({detail})") from None
