"""Pin native thread pools to one thread per worker process; imported for its side effect.

Only worker processes import this module: the engine's forkserver imports it first (before
any preloaded library loads numpy/OpenBLAS, which read these variables once, at load), and
each worker imports it again in its initializer (for the spawn fallback). Without it every
worker would start one BLAS thread per core, and N workers on N cores would fight over them.
The scan's parent never imports it, so its own environment is left alone (benchmarks import
it first, to make their in-process runs per-core figures).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Final

WORKER_ENV: Final = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

os.environ.update(WORKER_ENV)


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (``PR_SET_PDEATHSIG``).

    A scan killed with ``kill -9`` cannot shut its pool down: without this its forkserver and
    workers (each holding a loaded model, hundreds of MB) would live on, blocked on a queue
    nobody writes to. The forkserver calls it on start (its parent is the scan) and every
    worker in its initializer (its parent is the forkserver, or the scan under spawn), so
    the whole tree goes with the scan. A no-op where prctl is not available.
    """
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


_PR_SET_PDEATHSIG: Final = 1
