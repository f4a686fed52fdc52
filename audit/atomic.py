"""Atomic file writes: a temp file in the target's folder, fsync, then ``os.replace``.

Readers (the dashboard, CI jobs tailing an out folder) see either the old file or the new
one, never a half-written file; a failed write (disk full, killed process) leaves the old
file untouched and removes its temp file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from audit.errors import AuditError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Outputs get ordinary file permissions (mkstemp creates 0600 files).
_FILE_MODE = 0o666 & ~_current_umask()


class OutputError(AuditError):
    """An output file or folder cannot be written (not writable, disk full)."""


def _fsync_dir(folder: Path) -> None:
    # The rename itself is only durable once the directory entry is flushed.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a fresh temp path beside ``target``; on success fsync it and rename over ``target``.

    For writers that need a path rather than a file object (DuckDB ``COPY``, pyarrow).
    Any exception removes the temp file and leaves ``target`` as it was; ``OSError`` is
    turned into :class:`OutputError` with the file name and reason.
    """
    target = Path(target)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"{target.parent}: cannot write output here: {exc.strerror}") from exc
    try:
        os.fchmod(fd, _FILE_MODE)
    finally:
        os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def write_text(target: str | Path, text: str) -> None:
    """Atomically replace ``target`` with ``text`` (UTF-8)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_lines(target: str | Path, lines: Iterator[str]) -> int:
    """Atomically replace ``target`` with one line per string; returns the line count."""
    count = 0
    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as out:
        for line in lines:
            out.write(line)
            out.write("\n")
            count += 1
    return count


def check_writable(folder: str | Path) -> Path:
    """Create ``folder`` if needed and prove a file can be created in it (else OutputError)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(
            f"{folder}: output folder is not writable: {exc.strerror or exc}"
        ) from exc
    return folder
