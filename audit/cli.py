"""`audit`: privacy and consent audit for social-media training corpora.

Each command lives in its own module under ``audit/commands/`` and registers itself on the
app through ``register(app)``; heavy libraries are imported inside the commands so that
``audit --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

from audit import __version__
from audit.errors import EXIT_INTERRUPTED, AuditError

app = typer.Typer(
    name="audit",
    help=(
        "Privacy and consent audit for social-media training corpora.\n\n"
        "Exit codes: 0 success (nothing at or above --fail-on), 1 flags at or above "
        "--fail-on or failing rule tests, 2 usage or input error, 130 interrupted (run the "
        "same command again to resume)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

#: Command modules, in the order their commands appear in --help.
COMMAND_MODULES = (
    "scan",
    "ingest",
    "detect",
    "rules",
    "report",
    "diff",
    "export",
    "review",
    "assurance",
    "compliance",
    "eval",
    "dashboard",
    "synth",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"corpus-audit {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Privacy and consent audit for social-media training corpora."""


def _register_commands() -> None:
    # Imported unconditionally: a command module that fails to import must fail loudly,
    # not vanish from --help.
    for name in COMMAND_MODULES:
        importlib.import_module(f"audit.commands.{name}").register(app)


_register_commands()


def run() -> None:
    """Console-script entry point: turn :class:`AuditError` into one line and exit code 2.

    Typer's standalone mode already maps usage errors to exit code 2, and an interrupt
    (Ctrl-C) to 130, which gets a line saying how to go on.
    """
    try:
        app()
    except AuditError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        sys.exit(exc.exit_code)
    except SystemExit as exc:
        if exc.code == EXIT_INTERRUPTED:
            typer.secho(
                "interrupted: committed work is kept; run the same command again to resume",
                err=True,
                fg="red",
            )
        raise
