"""The word lists the pii detector ships in ``data/`` (built by ``tools/pii_wordlists.py``).

One reader for all of them: UTF-8, one entry a line, ``#`` comment lines, blank lines and
surrounding spaces ignored.
"""

from __future__ import annotations

import functools
from importlib import resources


@functools.cache
def read_list(name: str) -> tuple[str, ...]:
    """The entries of ``data/<name>`` in file order."""
    text = resources.files("audit.detectors.pii").joinpath("data", name).read_text("utf-8")
    stripped = (line.strip() for line in text.splitlines())
    return tuple(line for line in stripped if line and not line.startswith("#"))
