"""Run a detector over a stream of contents: in-process, or on a local process pool.

Memory stays flat whatever the corpus size: contents are pulled lazily from the caller's
iterator and at most ``2 * workers`` batches are in flight. A worker that dies (e.g. a
segfault in a native library on a hostile image) does not end the scan: the pool is
rebuilt, the batches that were in flight are re-run alone, and a batch that kills its worker
again is retried item by item so only the poison content becomes an error Result.

A detector whose ``setup()`` fails (a missing system binary, a broken model install) is not a
crash: the worker keeps the exception text and the first batch re-raises it in the parent as
one :class:`~audit.errors.InputError` line (exit 2) naming the detector and the cause.

Start-up: workers come from a forkserver that has already imported the detector's heavy
libraries (its ``preload`` class attribute), so each worker only loads its model instead of
importing presidio/spaCy again (~2 CPU-seconds each).
"""

from __future__ import annotations

import importlib
import itertools
import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from audit.detectors.base import Content, Detector, Result
from audit.detectors.registry import create_detector, detector_class
from audit.engine import heap
from audit.errors import InputError
from audit.offline import ensure_offline

#: Imported first in the forkserver and in every worker: pins BLAS/OpenMP threads to 1.
_WORKER_ENV_MODULE = "audit.engine.worker_env"
#: Preloaded by the forkserver only: it exits when the scan process dies.
_FORKSERVER_GUARD_MODULE = "audit.engine.forkserver_guard"

#: Item-by-item retries that may kill a worker in a row before we call the install broken.
MAX_CONSECUTIVE_CRASHES = 5

_worker_detector: Detector | None = None
#: Why this worker's detector could not start ("ExcType: message"), or None.
_worker_setup_error: str | None = None


class DetectorSetupError(Exception):
    """A worker's detector failed in ``setup()``; carries the worker's exception text."""


def _setup_failure(name: str, exc: BaseException) -> InputError:
    """One clear line for the user: which detector, and the real cause."""
    first_line = (str(exc).strip().splitlines() or [""])[0]
    cause = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
    return InputError(f"detector {name!r} could not start: {cause}")


def _init_worker(name: str, options: dict[str, Any]) -> None:
    # An exception here would only break the pool ("a process in the initializer failed")
    # and look like a crash; keep the text and report it with the first batch instead.
    global _worker_detector, _worker_setup_error
    importlib.import_module(_WORKER_ENV_MODULE).die_with_parent()
    try:
        detector = create_detector(name, **options)
        detector.setup()
    except Exception as exc:  # noqa: BLE001 - reported to the parent, see _run_batch
        _worker_setup_error = str(_setup_failure(name, exc))
        return
    _worker_detector = detector
    heap.freeze_loaded_state()


def _run_batch(batch: list[Content]) -> list[Result]:
    if _worker_setup_error is not None:
        raise DetectorSetupError(_worker_setup_error)
    assert _worker_detector is not None, "worker initializer did not run"
    return _checked(batch, _worker_detector.detect_batch(batch))


def _local_detector(name: str, options: dict[str, Any]) -> Detector:
    """The detector for in-process runs, set up; a setup failure becomes an InputError."""
    detector = create_detector(name, **options)
    try:
        detector.setup()
    except Exception as exc:
        raise _setup_failure(name, exc) from exc
    # No heap.freeze_loaded_state() here: this is the caller's process, which outlives the
    # detector (each in-process scan builds its own); frozen cycles would never be freed.
    return detector


def _checked(batch: list[Content], results: list[Result]) -> list[Result]:
    if [r.sha256 for r in results] != [c.sha256 for c in batch]:
        raise RuntimeError("detector returned results that do not match its batch")
    return results


def _batches(contents: Iterable[Content], size: int) -> Iterator[list[Content]]:
    it = iter(contents)
    while batch := list(itertools.islice(it, size)):
        yield batch


def iter_batches(
    name: str,
    options: dict[str, Any] | None,
    contents: Iterable[Content],
    *,
    workers: int = 1,
    batch_size: int = 64,
) -> Iterator[list[Result]]:
    """Yield one list of Results per analysed batch (completion order, not input order).

    ``name`` is a registry name or a ``"module:Class"`` target. Each worker creates the
    detector and calls ``setup()`` once; ``workers <= 1`` runs in this process.
    """
    options = dict(options or {})
    batches = _batches(contents, batch_size)
    if workers <= 1:
        detector = _local_detector(name, options)
        for batch in batches:
            yield _checked(batch, detector.detect_batch(batch))
        return
    yield from _PoolRunner(name, options, workers).run(batches)


def iter_results(
    name: str,
    options: dict[str, Any] | None,
    contents: Iterable[Content],
    *,
    workers: int = 1,
    batch_size: int = 64,
) -> Iterator[Result]:
    """Yield one Result per content (CONTRACTS.md engine API); see :func:`iter_batches`."""
    for results in iter_batches(name, options, contents, workers=workers, batch_size=batch_size):
        yield from results


def _context(name: str) -> multiprocessing.context.BaseContext:
    """forkserver (preloading the detector's libraries) where available, else spawn.

    Never plain fork: the parent holds DuckDB, BLAS or model threads. The forkserver is one
    per parent process, so the preload list only counts when it starts (the first pool of a
    run); later pools still work, their workers just import their own libraries.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    preload = tuple(getattr(detector_class(name), "preload", ()))
    if preload:
        # The forkserver inherits this environment: model libraries imported there must
        # already see the offline settings (tldextract reads them at import).
        ensure_offline()
    context.set_forkserver_preload(
        [_FORKSERVER_GUARD_MODULE, _WORKER_ENV_MODULE, __name__, *preload]
    )
    return context


class _PoolRunner:
    """A process pool with bounded in-flight batches and crash recovery."""

    def __init__(self, name: str, options: dict[str, Any], workers: int) -> None:
        self.name, self.options, self.workers = name, options, workers
        self.consecutive_crashes = 0
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=_context(self.name),
            initializer=_init_worker,
            initargs=(self.name, self.options),
        )

    def _restart(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new_pool()

    def run(self, batches: Iterator[list[Content]]) -> Iterator[list[Result]]:
        in_flight: dict[Future[list[Result]], list[Content]] = {}
        try:
            while True:
                while len(in_flight) < 2 * self.workers:
                    batch = next(batches, None)
                    if batch is None:
                        break
                    in_flight[self.pool.submit(_run_batch, batch)] = batch
                if not in_flight:
                    return
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                crashed: list[list[Content]] = []
                for future in done:
                    batch = in_flight.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        crashed.append(batch)
                    except DetectorSetupError as exc:
                        raise InputError(str(exc)) from None
                if crashed:
                    # Every batch still in flight died with the pool too.
                    crashed.extend(in_flight.values())
                    in_flight.clear()
                    self._restart()
                    for batch in crashed:
                        yield self._run_alone(batch)
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _run_alone(self, batch: list[Content]) -> list[Result]:
        """Re-run a batch on its own; if it kills a worker again, go item by item."""
        try:
            return self.pool.submit(_run_batch, batch).result()
        except BrokenProcessPool:
            self._restart()
        except DetectorSetupError as exc:
            raise InputError(str(exc)) from None
        results = []
        for content in batch:
            try:
                results.extend(self.pool.submit(_run_batch, [content]).result())
                self.consecutive_crashes = 0
            except DetectorSetupError as exc:
                raise InputError(str(exc)) from None
            except BrokenProcessPool as exc:
                self.consecutive_crashes += 1
                if self.consecutive_crashes > MAX_CONSECUTIVE_CRASHES:
                    # Not a poison content: the detector cannot start (broken installation).
                    raise RuntimeError(
                        f"detector {self.name!r}: workers died on {self.consecutive_crashes} "
                        "contents in a row; check the installation"
                    ) from exc
                self._restart()
                results.append(
                    Result(content.sha256, error=f"worker_crash: detector process died ({exc})")
                )
        return results
