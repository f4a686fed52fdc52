"""`audit diff`: what changed between two scans (flags per rule, rule set, corpus).

Each side is an out folder (its latest complete run), an audit database file, or a run id
inside ``--db``. Both databases are attached read-only to one in-memory DuckDB so every
comparison is one set-based query (audit/sql/diff.sql), fast at millions of flags.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from audit.errors import InputError
from audit.progress import silence_duckdb
from audit.report.queries import fetch_dicts
from audit.report.render import DB_FILE
from audit.store import query


@dataclass(frozen=True)
class Side:
    """One side of a diff: an audit database and optionally a run id in it."""

    db: Path
    run_id: str | None = None


def resolve_side(spec: str, default_db: Path) -> Side:
    """An out folder, a ``.duckdb`` file, or a run id in ``default_db``."""
    path = Path(spec)
    if path.is_dir():
        if not (path / DB_FILE).exists():
            raise InputError(f"{path}: no {DB_FILE} here")
        return Side(path / DB_FILE)
    if path.is_file() and path.suffix == ".duckdb":
        return Side(path)
    if not default_db.exists():
        raise InputError(f"{spec}: not an out folder, and no database {default_db} for a run id")
    return Side(default_db, spec)


def _sql(name: str, **catalogs: str) -> str:
    return query("diff.sql", name).format(**catalogs)


def _run_of(con: duckdb.DuckDBPyConnection, catalog: str, side: Side) -> tuple[str, dict]:
    if side.run_id is None:
        row = con.execute(_sql("latest_run", c=catalog)).fetchone()
        if row is None:
            raise InputError(f"{side.db}: no complete scan in this audit database")
        run_id = row[0]
    else:
        run_id = side.run_id
    row = con.execute(_sql("run_manifest", c=catalog), {"run_id": run_id}).fetchone()
    if row is None:
        raise InputError(f"{side.db}: no run {run_id!r} in this audit database")
    return run_id, json.loads(row[0]) if row[0] else {}


def diff_runs(a: Side, b: Side, *, limit: int = 20) -> dict[str, Any]:
    """The differences from A to B as a JSON-ready dict (see `audit diff --json`)."""
    con = duckdb.connect(":memory:")
    silence_duckdb(con)
    try:
        for catalog, side in (("a", a), ("b", b)):
            if catalog == "b" and side.db.resolve() == a.db.resolve():
                continue
            try:
                path = side.db.as_posix().replace("'", "''")
                con.execute(f"ATTACH '{path}' AS {catalog} (READ_ONLY)")
            except duckdb.Error as exc:
                raise InputError(f"{side.db}: cannot open audit database: {exc}") from exc
        same_db = a.db.resolve() == b.db.resolve()
        cat = {"a": "a", "b": "a" if same_db else "b"}
        run_a, manifest_a = _run_of(con, cat["a"], a)
        run_b, manifest_b = _run_of(con, cat["b"], b)
        params = {"run_a": run_a, "run_b": run_b, "limit": limit}
        corpus: dict[str, Any] = {
            "digest_a": manifest_a.get("corpus", {}).get("digest"),
            "digest_b": manifest_b.get("corpus", {}).get("digest"),
            "item_level": not same_db,
        }
        if same_db:
            # One database keeps only the latest scan's items: compare the manifests.
            corpus["items_a"] = manifest_a.get("corpus", {}).get("items")
            corpus["items_b"] = manifest_b.get("corpus", {}).get("items")
        else:
            corpus.update(fetch_dicts(con, _sql("corpus_changes", **cat), params)[0])
        registry = all(
            con.execute(_sql("has_registry", c=cat[side])).fetchone()[0] for side in ("a", "b")
        )
        return {
            "requests": (
                fetch_dicts(con, _sql("request_changes", **cat), params) if registry else []
            ),
            "a": {"db": str(a.db), "run_id": run_a},
            "b": {"db": str(b.db), "run_id": run_b},
            "rules": fetch_dicts(con, _sql("rule_changes", **cat), params),
            "flags": fetch_dicts(con, _sql("flag_changes", **cat), params),
            "corpus": corpus,
        }
    finally:
        con.close()
