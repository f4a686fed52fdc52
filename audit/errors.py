"""Exceptions that end a command with a clear one-line message and a documented exit code.

Exit codes (README, `audit --help`): 0 = success / nothing at or above --fail-on,
1 = flags at or above --fail-on (or failing rule self-tests), 2 = usage or input error,
130 = interrupted (Ctrl-C; committed batches are kept and a re-run resumes from them).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FLAGS = 1
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130  # typer maps KeyboardInterrupt to it


class AuditError(Exception):
    """An error the user can fix (bad input, bad arguments). Printed without a traceback."""

    exit_code = EXIT_INPUT


class InputError(AuditError):
    """Corpus, mapping, rule or image input that cannot be used; message names file[:line]."""


class UsageError(AuditError):
    """Arguments that do not fit together."""
