"""What `audit rules check|try` need to know about a store's latest scan."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from audit.store import open_store, query


@dataclass(frozen=True)
class LatestScan:
    """The latest complete scan of a store (None fields: the store has none)."""

    run_id: str | None
    detectors_run: set[str] | None  # None: unknown, every detector counts as run


def latest_scan(con: duckdb.DuckDBPyConnection) -> LatestScan:
    """The store's latest complete run and the detectors it ran (from its manifest)."""
    row = con.execute(query("rules.sql", "latest_run_manifest")).fetchone()
    if row is None:
        return LatestScan(None, None)
    manifest = json.loads(row[1]) if row[1] else {}
    detectors = manifest.get("detectors")
    return LatestScan(row[0], set(detectors) if isinstance(detectors, dict) else None)


def open_scan(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to an audit database (StoreError when it is not one)."""
    return open_store(path, read_only=True)
