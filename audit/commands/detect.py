"""`audit detect`: run detectors on an already ingested audit database."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from audit.detectors.registry import detectors_help


def detect(
    db: Annotated[
        Path, typer.Option("--db", help="Audit database (from `audit ingest` or a scan).")
    ],
    detectors: str | None = typer.Option(
        None,
        "--detectors",
        help=detectors_help(),
    ),
    engine: str = typer.Option(
        "local", "--engine", help="Executor: local (process pool) or ray (Ray Data; extra `ray`)."
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="Worker processes (default: CPU count; 1 = in-process)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Run detectors on an ingested database, through the content-hash cache.

    Each distinct text / image is analysed once per detector version; a re-run analyses
    only what is new, and a killed run resumes. Rebuilds `findings` and the detect rows
    of `errors`. Remote media URIs are never downloaded (reported as media_not_local).

    Example:

        audit detect --db audit-out/audit.duckdb --detectors pii,minor_cues --workers 2
    """
    from audit.detect import run_detectors
    from audit.progress import make_progress
    from audit.store import open_store

    names = [d.strip() for d in detectors.split(",") if d.strip()] if detectors else None
    con = open_store(db)
    try:
        with make_progress(quiet=quiet) as progress:
            summary = run_detectors(con, names, workers=workers, progress=progress, engine=engine)
    finally:
        con.close()
    if as_json:
        typer.echo(json.dumps(asdict(summary), indent=2, default=str))
        return
    for name, s in summary.detectors.items():
        typer.echo(
            f"{name} v{s.version}: {s.contents:,} contents, {s.cache_hits:,} cached, "
            f"{s.analysed:,} analysed, {s.findings:,} findings, {s.errors:,} errors "
            f"({s.seconds:.1f}s)"
        )


def register(app: typer.Typer) -> None:
    """Add `audit detect` to the CLI."""
    app.command("detect")(detect)
