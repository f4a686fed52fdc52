"""`audit dashboard`: open the reviewer dashboard (Streamlit) on an audit database."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from audit.errors import InputError

#: dashboard/app.py of this checkout (the dashboard ships beside the package, not inside it).
APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


def streamlit_command(db: Path, port: int, address: str) -> list[str]:
    """The `streamlit run` command line for ``db`` (public for tests)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port),
        "--server.address", address,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--", "--db", str(db),
    ]  # fmt: skip


def dashboard(
    db: Annotated[Path, typer.Option("--db", help="Audit database to review.")] = Path(
        "audit-out/audit.duckdb"
    ),
    port: Annotated[int, typer.Option("--port", help="Port to serve on.")] = 8501,
    address: Annotated[
        str,
        typer.Option("--address", help="Interface to bind; the default is this machine only."),
    ] = "127.0.0.1",
) -> None:
    """Open the reviewer dashboard at http://127.0.0.1:PORT (Ctrl+C stops it).

    Reviewers see KPIs, rules, items with evidence (personal data masked, faces blurred
    until revealed, every reveal logged), record decisions, and answer data-subject
    lookups. The database is only read, except for appended decisions and access log rows.

    Example:

        audit dashboard --db audit-out/audit.duckdb --port 8501
    """
    db = db.resolve()
    if not db.is_file():
        raise InputError(f"{db}: no audit database here (run `audit scan ... --out DIR` first)")
    if not APP.is_file():
        raise InputError(f"{APP}: dashboard app not found (run from a corpus-audit checkout)")
    typer.echo(f"Reviewer dashboard for {db} at http://{address}:{port} (Ctrl+C to stop)")
    # cwd = the checkout, so that .streamlit/config.toml (theme, privacy settings) applies.
    # exec, not a child process: a SIGTERM to `audit dashboard` must stop the server itself.
    sys.stdout.flush()
    os.chdir(APP.parents[1])
    command = streamlit_command(db, port, address)
    os.execv(command[0], command)


def register(app: typer.Typer) -> None:
    """Add the `dashboard` command to the CLI."""
    app.command("dashboard")(dashboard)
