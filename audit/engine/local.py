"""Run a detector over a stream of contents: in-process, or on a local process pool.

Memory stays flat whatever the corpus size: contents are pulled lazily from the caller's
iterator and at most ``2 * workers`` batches are in flight. A worker that dies (e.g. a
segfault in a native library on a hostile image) does not end the scan: the pool is
rebuilt, the batches that were in flight are re-run alone, and a batch that kills its worker
again is retried item by item so only the poison content becomes an error Result.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from audit.detectors.base import Content, Detector, Result, create_detector

#: Native libraries must not each start a thread per core inside every worker.
_WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

#: Item-by-item retries that may kill a worker in a row before we call the install broken.
MAX_CONSECUTIVE_CRASHES = 5

_worker_detector: Detector | None = None


def _init_worker(name: str, options: dict[str, Any]) -> None:
    global _worker_detector
    os.environ.update(_WORKER_ENV)
    _worker_detector = create_detector(name, **options)
    _worker_detector.setup()


def _run_batch(batch: list[Content]) -> list[Result]:
    assert _worker_detector is not None, "worker initializer did not run"
    return _checked(batch, _worker_detector.detect_batch(batch))


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
        detector = create_detector(name, **options)
        detector.setup()
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


class _PoolRunner:
    """A process pool with bounded in-flight batches and crash recovery."""

    def __init__(self, name: str, options: dict[str, Any], workers: int) -> None:
        self.name, self.options, self.workers = name, options, workers
        self.consecutive_crashes = 0
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # forkserver/spawn: never fork a parent holding DuckDB, BLAS or model threads.
        method = (
            "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        )
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context(method),
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
        results = []
        for content in batch:
            try:
                results.extend(self.pool.submit(_run_batch, [content]).result())
                self.consecutive_crashes = 0
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
