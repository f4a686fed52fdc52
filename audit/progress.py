"""Progress display for long stages: a rich bar on a TTY, plain log lines otherwise.

Stages report through the contract callback ``progress(stage_label, done, total)``
(docs/CONTRACTS.md). :func:`make_progress` picks the display: rich bars with items/s and
ETA when stderr is a terminal, throttled log lines when it is not (CI logs, pipes), and
nothing at all with ``quiet``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Protocol, TextIO

ProgressFn = Callable[[str, int, int | None], None]

#: Seconds between two log lines of the same stage when stderr is not a terminal.
LOG_INTERVAL = 2.0


class Progress(Protocol):
    """A progress sink usable as the contract callback and as a context manager."""

    def __call__(self, stage: str, done: int, total: int | None) -> None: ...

    def note(self, message: str) -> None:
        """Print a one-line status message (e.g. a stage finished)."""

    def __enter__(self) -> Progress: ...

    def __exit__(self, *exc: object) -> None: ...


class QuietProgress:
    """Shows nothing (``--quiet``)."""

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        """Ignore the update."""

    def note(self, message: str) -> None:
        """Ignore the message."""

    def __enter__(self) -> QuietProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _rate_eta(done: int, total: int | None, elapsed: float) -> tuple[float, float | None]:
    rate = done / elapsed if elapsed > 0 else 0.0
    eta = (total - done) / rate if total is not None and rate > 0 else None
    return rate, eta


class LogProgress:
    """Plain lines such as ``detect pii: 1200/5000 (240 items/s, ETA 16s)``, throttled."""

    def __init__(self, stream: TextIO, interval: float = LOG_INTERVAL) -> None:
        self._stream = stream
        self._interval = interval
        self._started: dict[str, float] = {}
        self._last: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        """Log the update if the stage just started, finished, or was last logged a while ago."""
        now = time.monotonic()
        started = self._started.setdefault(stage, now)
        finished = total is not None and done >= total
        if not finished and now - self._last.get(stage, 0.0) < self._interval:
            return
        self._last[stage] = now
        rate, eta = _rate_eta(done, total, now - started)
        of_total = f"/{total}" if total is not None else ""
        tail = f"{rate:,.0f} items/s" + (f", ETA {eta:,.0f}s" if eta is not None else "")
        self.note(f"{stage}: {done}{of_total} ({tail})")

    def note(self, message: str) -> None:
        """Write one line and flush (so a parent process sees it at once)."""
        self._stream.write(message + "\n")
        self._stream.flush()

    def __enter__(self) -> LogProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class RichProgress:
    """One rich bar per stage with count, items/s, elapsed and ETA."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._console = Console(file=stream)
        self._bars = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self._console,
            transient=False,
        )
        self._tasks: dict[str, int] = {}
        self._started: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        """Create the stage's bar on first sight, then advance it."""
        now = time.monotonic()
        if stage not in self._tasks:
            self._started[stage] = now
            self._tasks[stage] = self._bars.add_task(stage, total=total, rate="")
        rate, _ = _rate_eta(done, total, now - self._started[stage])
        self._bars.update(
            self._tasks[stage], completed=done, total=total, rate=f"{rate:,.0f} items/s"
        )

    def note(self, message: str) -> None:
        """Print above the bars."""
        self._bars.console.print(message, highlight=False, markup=False)

    def __enter__(self) -> RichProgress:
        self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.stop()


def make_progress(*, quiet: bool = False, stream: TextIO | None = None) -> Progress:
    """Pick the display for ``stream`` (default stderr): quiet, rich on a TTY, or log lines."""
    stream = stream or sys.stderr
    if quiet:
        return QuietProgress()
    if stream.isatty():
        return RichProgress(stream)
    return LogProgress(stream)


def silence_duckdb(con: object) -> None:
    """Turn off DuckDB's own progress bar on ``con``: it would interleave with ours/stdout."""
    con.execute("SET enable_progress_bar = false")  # type: ignore[attr-defined]
