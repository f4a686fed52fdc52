"""An exclusive lock on an output folder: two scans into one folder never run at once.

Uses ``flock`` on ``DIR/.audit.lock``; the kernel releases it when the process dies (even
with ``kill -9``), so a crashed scan never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from audit.errors import AuditError

LOCK_NAME = ".audit.lock"


class FolderLockedError(AuditError):
    """Another audit process is writing to the same output folder."""


@contextlib.contextmanager
def folder_lock(folder: str | Path, *, purpose: str = "scan") -> Iterator[Path]:
    """Hold the folder lock for the duration of the block or raise :class:`FolderLockedError`.

    The lock file records the holder's pid and purpose so the refusal message can name it.
    """
    path = Path(folder) / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise FolderLockedError(
                f"{folder}: another audit run is using this output folder ({holder}); "
                "wait for it to finish or choose another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, {purpose}".encode(), 0)
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
