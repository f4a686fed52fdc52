"""`audit report`: re-render the reports of an existing scan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def report(
    out: Annotated[
        Path, typer.Argument(help="Out folder of a previous `audit scan` (holds audit.duckdb).")
    ] = Path("audit-out"),
    run_id: Annotated[
        str | None,
        typer.Option("--run-id", help="Run to render (default: the latest complete run)."),
    ] = None,
) -> None:
    """Re-write report.html, report.json, flags.parquet, findings.parquet, exclusions.txt and manifest.json from OUT/audit.duckdb without re-scanning.

    Example:  audit report audit-out

    Exit codes: 0 written; 2 no audit database or no such run, or the folder is in use by a scan.
    """
    from audit.report.render import REPORT_HTML, rerender

    outputs = rerender(out, run_id)
    typer.echo(f"Report: {outputs[REPORT_HTML]}")


def register(app: typer.Typer) -> None:
    """Add `audit report` to the CLI."""
    app.command("report")(report)
