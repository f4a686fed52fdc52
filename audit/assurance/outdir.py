"""Open the audit database of a scan's out folder for the review and assurance commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import duckdb

from audit.errors import InputError
from audit.export import find_db
from audit.lock import folder_lock
from audit.progress import silence_duckdb
from audit.report.render import resolve_run
from audit.store import StoreError, open_store


@contextmanager
def audit_db(
    out: Path, run_id: str | None = None, *, write: bool = False
) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """``(connection, run id)`` of ``out`` (an out folder or its audit.duckdb).

    Writing holds the out folder's lock (a running scan makes this an InputError-like
    FolderLockedError, exit 2); the run defaults to the latest complete one.
    """
    db = find_db(out)
    if db is None:
        raise InputError(f"{out}: no audit database here (run `audit scan --out {out}` first)")
    lock = folder_lock(db.parent, purpose="review") if write else nullcontext()
    with lock:
        try:
            con = open_store(db, read_only=not write)
        except StoreError as exc:
            raise InputError(str(exc)) from exc
        silence_duckdb(con)
        try:
            yield con, resolve_run(con, run_id, out)
        finally:
            con.close()
