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
            help="Preset (e.g. mastodon, bluesky, reddit, twitter_v2, laion; `audit ingest --help`"
            " in docs/MAPPINGS.md) or a mapping YAML file. Overrides the recognised format and "
            "a corpus spec's per-source mappings. Default: recognised from the files.",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Exit 2 on any warning (a mapped field empty in every record of a file, a "
            "file without records).",
        ),
    ] = False,
    extra: Annotated[
        str,
        typer.Option(
            "--extra",
            help="all (default): items.extra keeps every unmapped source field; declared: "
            "only the mapping's `extra:` fields (bulk dumps: faster, smaller).",
        ),
    ] = "all",
) -> None:
    """Read a corpus, map it to the canonical item schema and load it into the audit DB.

    Replaces the items of a previous ingest. Rows that cannot become items (bad JSON, bad
    CSV rows, duplicate or missing item_id) are counted as rejected; readable rows with a bad
    field (date, boolean, visibility) are kept and listed as row errors in the errors table.

    Without --mapping the format of each file is recognised (exports, dumps, JSON, CSV,
    Parquet, CAR, tar shards; docs/MAPPINGS.md). A corpus without any item, or whose rows are
    all rejected, exits 2 and says what was read.

    Example:

        audit ingest sample_data/corpus.yaml --db /tmp/audit.duckdb

        audit ingest ~/mastodon-archive/ --db /tmp/m.duckdb --strict

        audit ingest dumps/RS_2023-01.jsonl --mapping reddit --db /tmp/reddit.duckdb
    """
    from rich.console import Console
    from rich.table import Table

    from audit.ingest import ingest_corpus
    from audit.store import open_store

    con = open_store(db)
    try:
        summary = ingest_corpus(con, corpus, mapping, strict=strict, extra=extra)
    finally:
        con.close()
    for warning in summary.warnings:
        typer.echo(f"warning: {warning}", err=True)
    table = Table(title=f"ingest {corpus}", show_header=True)
    table.add_column("", style="bold")
    table.add_column("count", justify="right")
    table.add_row("items", f"{summary.items:,}")
    table.add_row("rejected rows", f"{summary.rejected:,}")
    table.add_row("row errors", f"{summary.row_errors:,}")
    for code, count in summary.not_items.items():
        table.add_row(f"not items ({code})", f"{count:,}")
    if summary.duplicates:
        table.add_row("duplicate rows (newest edit kept)", f"{summary.duplicates:,}")
    for visibility, count in summary.visibility.items():
        table.add_row(f"visibility: {visibility}", f"{count:,}")
    for visibility, basis, count in summary.visibility_basis:
        if basis != "as exported":
            table.add_row(f"  {visibility}: {basis}", f"{count:,}")
    table.add_row("source files", f"{len(summary.sources):,}")
    table.add_row("files without items (skipped)", f"{len(summary.skipped_files):,}")
    table.add_row("seconds", f"{summary.seconds:.2f}")
    console = Console()
    console.print(table)
    # Which reader and mapping each file got, and why (what the manifest records as well).
    files = Table(title="source files", show_header=True)
    for name in ("file", "reader", "mapping", "rows", "recognised"):
        files.add_column(name, justify="right" if name == "rows" else "left")
    for src in summary.sources:
        files.add_row(src.path, src.reader, src.mapping, f"{src.rows:,}", src.recognised)
    for path, reason in summary.skipped_files:
        files.add_row(path, "", "", "", f"skipped: {reason}")
    console.print(files)


def register(app: typer.Typer) -> None:
    """Add the ``ingest`` command to the CLI."""
    app.command("ingest")(ingest)
