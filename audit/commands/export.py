"""`audit export`: a clean copy of the corpus for training."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def export(
    source: Annotated[
        Path,
        typer.Argument(
            help="Out folder of a scan (or its audit.duckdb), or a corpus to scan first."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Clean Parquet file to write.")] = Path(
        "clean.parquet"
    ),
    scan_out: Annotated[
        Path, typer.Option("--scan-out", help="Where to scan first when SOURCE is a corpus.")
    ] = Path("audit-out"),
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="Run whose flags apply (default: latest).")
    ] = None,
) -> None:
    """Write the corpus minus excluded items, with redact findings masked in text (<EMAIL_ADDRESS>), plus a sidecar OUT.removed.csv (item_id, rule_id, action, detail) listing every removed item and masked span.

    Example:  audit export audit-out --out clean.parquet

    Exit codes: 0 written; 2 no usable audit database or corpus, or the output cannot be written.
    """
    from audit.export import export_clean, find_db

    db = find_db(source)
    if db is None:
        from audit.scan import ScanOptions, run_scan

        run_scan(ScanOptions(corpus=str(source), out=scan_out, command=f"audit export {source}"))
        db = scan_out / "audit.duckdb"
    summary = export_clean(db, out, run_id)
    typer.echo(
        f"{summary.rows:,} items written ({summary.redacted_items:,} redacted) to {summary.out}; "
        f"removed/masked listed in {summary.sidecar}"
    )


def register(app: typer.Typer) -> None:
    """Add `audit export` to the CLI."""
    app.command("export")(export)
