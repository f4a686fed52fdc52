"""Where the files that ship beside the package live (checkout or installed wheel)."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def shipped_rules_dir() -> Path:
    """The shipped policy pack: ``rules/`` of a checkout, or ``audit/_shipped_rules`` in a wheel."""
    repo = PACKAGE.parent / "rules"
    return repo if repo.is_dir() else PACKAGE / "_shipped_rules"
