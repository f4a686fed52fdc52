"""Write the human and machine reports of one run into an out folder.

Used by `audit scan` after the rules stage and by `audit report` to re-render an existing
audit database (e.g. after a tool upgrade changed the report layout).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from audit import atomic
from audit.errors import InputError
from audit.lock import folder_lock
from audit.progress import silence_duckdb
from audit.report import exports
from audit.report.html import write_html
from audit.report.queries import collect_report, write_json
from audit.store import open_store, query

DB_FILE = "audit.duckdb"
REPORT_HTML = "report.html"
REPORT_JSON = "report.json"
MANIFEST_FILE = "manifest.json"
OUTPUT_FILES = (
    DB_FILE,
    REPORT_HTML,
    REPORT_JSON,
    exports.FLAGS_FILE,
    exports.FINDINGS_FILE,
    exports.EXCLUSIONS_FILE,
    MANIFEST_FILE,
)


def write_reports(
    con: duckdb.DuckDBPyConnection, out: Path, run_id: str, manifest: dict[str, Any]
) -> dict[str, str]:
    """report.json, report.html and manifest.json for ``run_id``; returns every output path."""
    report = collect_report(con, run_id, manifest=manifest)
    write_json(out / REPORT_JSON, report)
    write_html(out / REPORT_HTML, report)
    atomic.write_text(out / MANIFEST_FILE, json.dumps(manifest, indent=2, default=str) + "\n")
    return {name: str(out / name) for name in OUTPUT_FILES}


def resolve_run(con: duckdb.DuckDBPyConnection, run_id: str | None, where: Path) -> str:
    """``run_id`` if given (checked), else the latest complete run; InputError if none."""
    if run_id is None:
        row = con.execute(query("report.sql", "latest_run")).fetchone()
        if row is None:
            raise InputError(f"{where}: no complete scan in this audit database")
        return row[0]
    if con.execute(query("report.sql", "run_manifest"), {"run_id": run_id}).fetchone() is None:
        raise InputError(f"{where}: no run {run_id!r} in this audit database")
    return run_id


def rerender(out: Path, run_id: str | None = None) -> dict[str, str]:
    """Re-write every output but the database from ``out/audit.duckdb`` (under the folder lock).

    Items and findings in the database are those of the latest scan, so re-rendering an
    older run id mixes its flags with the current corpus; the default is the latest run.
    """
    db = out / DB_FILE
    if not db.exists():
        raise InputError(f"{out}: no {DB_FILE} here (run `audit scan --out {out}` first)")
    atomic.check_writable(out)
    with folder_lock(out, purpose="report"):
        con = open_store(db, read_only=True)
        silence_duckdb(con)
        try:
            run_id = resolve_run(con, run_id, out)
            row = con.execute(query("report.sql", "run_manifest"), {"run_id": run_id}).fetchone()
            manifest = json.loads(row[0]) if row and row[0] else {"run_id": run_id}
            exports.write_exports(con, out, run_id)
            return write_reports(con, out, run_id, manifest)
        finally:
            con.close()
