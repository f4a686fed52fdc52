"""Connections of the dashboard to the audit database.

Reads use short-lived read-only connections; the only writes (appends to ``decisions`` and
``access_log``) use a short-lived read-write connection. DuckDB refuses a read-write
connection to a file that this process also has open read-only, so an in-process
readers/writer lock serialises them; another process holding the file (a running
``audit scan``) surfaces as :class:`DatabaseBusy` with a message a reviewer understands.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from audit.store import StoreError, open_store

_PARAM = re.compile(r"\$(\w+)")
_RETRIES = 5
_BACKOFF_S = 0.2


class DatabaseBusy(RuntimeError):
    """The audit database is locked by another process; nothing was read or written."""


class _ReadersWriterLock:
    """Many concurrent readers or one writer (Streamlit runs each session in a thread)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writer)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writer and self._readers == 0)
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


_LOCK = _ReadersWriterLock()


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "lock" in text or "different configuration" in text


def _busy(path: str | Path, exc: BaseException) -> DatabaseBusy:
    return DatabaseBusy(
        f"The audit database {path} is in use by another process (probably a running "
        f"`audit scan`). Nothing was changed; try again in a moment. ({exc})"
    )


def _retry_open(path: str | Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open through the store, retrying briefly while another process holds the lock."""
    for attempt in range(_RETRIES):
        try:
            return open_store(path, read_only=read_only)
        except StoreError as exc:
            if not _is_lock_error(exc):
                raise
            if attempt == _RETRIES - 1:
                raise _busy(path, exc) from exc
            time.sleep(_BACKOFF_S * (attempt + 1))
    raise AssertionError("unreachable")


@contextmanager
def reader(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, closed on exit."""
    with _LOCK.read():
        con = _retry_open(path, read_only=True)
        try:
            yield con
        finally:
            con.close()


@contextmanager
def writer(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection for one append, closed (and so checkpointed) on exit."""
    with _LOCK.write():
        con = _retry_open(path, read_only=False)
        try:
            yield con
        finally:
            con.close()


def bind(sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of ``params`` that ``sql`` names (DuckDB rejects unused named parameters)."""
    names = set(_PARAM.findall(sql))
    missing = names - params.keys()
    if missing:
        raise KeyError(f"query needs parameters {sorted(missing)}")
    return {k: v for k, v in params.items() if k in names}
