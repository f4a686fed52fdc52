"""`audit dashboard`: open the reviewer dashboard (Streamlit) on an audit database."""

from __future__ import annotations

import os
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from audit.errors import InputError

#: The dashboard package (in a checkout and in the installed wheel alike).
DASHBOARD = resources.files("dashboard")
APP = Path(str(DASHBOARD.joinpath("app.py")))


def config_flags() -> list[str]:
    """``--section.key value`` flags from dashboard/streamlit_config.toml (theme, privacy)."""
    config = tomllib.loads(DASHBOARD.joinpath("streamlit_config.toml").read_text("utf-8"))
    flags: list[str] = []
    for section, options in config.items():
        for key, value in options.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            flags += [f"--{section}.{key}", text]
    return flags


def streamlit_command(db: Path, port: int, address: str) -> list[str]:
    """The `streamlit run` command line for ``db`` (public for tests)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        *config_flags(),
        "--server.port", str(port),
        "--server.address", address,
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
        raise InputError(f"{APP}: dashboard app not found; reinstall corpus-audit")
    typer.echo(f"Reviewer dashboard for {db} at http://{address}:{port} (Ctrl+C to stop)")
    # exec, not a child process: a SIGTERM to `audit dashboard` must stop the server itself.
    sys.stdout.flush()
    command = streamlit_command(db, port, address)
    os.execv(command[0], command)


def register(app: typer.Typer) -> None:
    """Add the `dashboard` command to the CLI."""
    app.command("dashboard")(dashboard)
