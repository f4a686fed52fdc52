"""Ingest notes: what a reviewer must know about how the items were made, kept in ``errors``
beside the problems but under stage ``note`` (``rejected`` false, run_id NULL, no item_id,
one row per file and topic, code ``note_<topic>``), so that no error count includes them:

- ``note_visibility``: how many items of a file got each visibility from something other
  than an exported value ("unknown: not in the export", "public: account never protected
  (manifest.js)", ...);
- ``note_duplicates``: duplicate ids resolved (newest edit kept, or the first row);
- ``note_not_items_file``: a file of an export that holds no items (likes, account data);
- ``note_source``: what a reader left out (a CAR's likes and follows, a shard's failed
  downloads);
- ``note_empty_file``, ``note_unresolved_field``: the warnings, also printed.

Notes are not errors: the report's error counts read stages ingest/detect only; a report
section "how values were derived" should list ``errors WHERE stage = 'note'``. A refused
``--fetch-media`` download is an item-level note (``note_media_refused``, with the item_id).
"""

from __future__ import annotations

import duckdb

from audit.store import query

NOTE_PREFIX = "note_"
_SQL = "ingest.sql"


def add(
    con: duckdb.DuckDBPyConnection, run_id: str | None, file: str | None, topic: str, message: str
) -> None:
    """Record one note about a file (``run_id`` is kept NULL: notes describe the corpus as
    last ingested, like the ingest errors, not one run)."""
    del run_id
    con.execute(query(_SQL, "add_note"), [file, NOTE_PREFIX + topic, message])


def visibility_notes(
    con: duckdb.DuckDBPyConnection, run_id: str | None, rows: list[tuple[str, str, str, int]]
) -> None:
    """One note per (file, visibility, basis) whose visibility was not simply exported."""
    totals: dict[str, int] = {}
    for file, _, _, n in rows:
        totals[file] = totals.get(file, 0) + n
    for file, visibility, basis, n in rows:
        if basis == "as exported":
            continue
        add(
            con, run_id, file, "visibility",
            f"visibility {visibility} for {n:,} of {totals[file]:,} items: {basis}",
        )  # fmt: skip


def duplicate_notes(con: duckdb.DuckDBPyConnection, run_id: str | None) -> int:
    """A note per file on how its duplicate ids were resolved; returns the duplicate rows."""
    rows = con.execute(query(_SQL, "duplicate_summary")).fetchall()
    for file, by_edit, by_order in rows:
        parts = []
        if by_edit:
            parts.append(f"{by_edit:,} older edit(s) replaced by the newest (edited_at)")
        if by_order:
            parts.append(f"{by_order:,} repeat(s) without an edit time (the first row is kept)")
        add(con, run_id, file, "duplicates", "duplicate item ids: " + "; ".join(parts))
    return sum(r[1] + r[2] for r in rows)


def nothing_read(con: duckdb.DuckDBPyConnection, stats: list) -> str:
    """The message of an ingest that produced no item: what was read and why nothing came."""
    files = len(stats)
    rows = sum(s.rows for s in stats)
    if rows == 0:
        names = ", ".join(s.path for s in stats[:3]) + (" ..." if files > 3 else "")
        return f"no items: {files} file(s) read ({names}), none holds a record"
    reasons = con.execute(query(_SQL, "reject_reasons")).fetchall()
    summary = ", ".join(f"{code} {n:,}" for code, n, _, _, _ in reasons)
    code, _, file, row, message = reasons[0] if reasons else ("?", 0, "?", None, "")
    first = f"{file}:{row}" if row is not None else file
    return (
        f"no items: all {rows:,} rows of {files} file(s) were rejected ({summary}); "
        f"first: {first}: {message}"
    ).replace("\n", " ")
