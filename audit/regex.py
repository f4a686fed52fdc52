"""Check a regular expression with the engine that will run it (DuckDB's RE2): rules'
``matches`` and mappings' ``extract``."""

from __future__ import annotations

from functools import cache

import duckdb


@cache
def _engine() -> duckdb.DuckDBPyConnection:
    # A private in-memory database: the pattern is only ever a bound parameter here.
    return duckdb.connect(":memory:")


def check_regex(pattern: str, key: str = "matches") -> None:
    """Raise ValueError in plain words when DuckDB cannot compile ``pattern`` (given as
    ``key``)."""
    try:
        _engine().cursor().execute("SELECT regexp_matches('', $1)", [pattern]).fetchone()
    except duckdb.Error as exc:
        detail = str(exc).split("\n", 1)[0]
        raise ValueError(f"{key} is not a valid regular expression ({detail})") from None


def capture_groups(pattern: str) -> int:
    """How many capturing groups ``pattern`` has: ``(`` not escaped, not in a character
    class, and not ``(?:``, ``(?=``... (``(?P<name>`` captures)."""
    groups, i, in_class = 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":  # "[]...]": a leading ] is a member
                i += 1
        elif ch == "(" and (pattern[i + 1 : i + 2] != "?" or pattern[i + 1 : i + 4] == "?P<"):
            groups += 1
        i += 1
    return groups
