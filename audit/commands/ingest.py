"""`audit ingest`: load a corpus into the audit database's ``items`` table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def ingest(
    corpus: Annotated[
        str,
        typer.Argument(
            help="A .parquet/.csv/.jsonl file, a folder, a glob, or a corpus spec .yaml."
        ),
    ],
    db: Annotated[Path, typer.Option("--db", help="Audit database file (created if missing).")],
    mapping: Annotated[
        str | None,
        typer.Option(
            "--mapping",
            "-m",
            help="Preset (generic, mastodon, bluesky, reddit, twitter_v2, laion) or a mapping "
            "YAML file. Overrides a corpus spec's per-source mappings. Default: generic.",
        ),
    ] = None,
) -> None:
    """Read a corpus, map it to the canonical item schema and load it into the audit DB.

    Replaces the items of a previous ingest. Rows that cannot become items (bad JSON, bad
    CSV rows, duplicate or missing item_id) are counted as rejected; readable rows with a bad
    field (date, boolean, visibility) are kept and listed as row errors in the errors table.

    Example:

        audit ingest sample_data/corpus.yaml --db /tmp/audit.duckdb

        audit ingest dumps/RS_2023-01.jsonl --mapping reddit --db /tmp/reddit.duckdb
    """
    from rich.console import Console
    from rich.table import Table

    from audit.ingest import ingest_corpus
    from audit.store import open_store

    con = open_store(db)
    try:
        summary = ingest_corpus(con, corpus, mapping)
    finally:
        con.close()
    table = Table(title=f"ingest {corpus}", show_header=True)
    table.add_column("", style="bold")
    table.add_column("count", justify="right")
    table.add_row("items", f"{summary.items:,}")
    table.add_row("rejected rows", f"{summary.rejected:,}")
    table.add_row("row errors", f"{summary.row_errors:,}")
    for visibility, count in summary.visibility.items():
        table.add_row(f"visibility: {visibility}", f"{count:,}")
    table.add_row("source files", f"{len(summary.sources):,}")
    table.add_row("seconds", f"{summary.seconds:.2f}")
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add the ``ingest`` command to the CLI."""
    app.command("ingest")(ingest)
