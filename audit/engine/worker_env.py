"""Pin native thread pools to one thread per worker process; imported for its side effect.

Only worker processes import this module: the engine's forkserver imports it first (before
any preloaded library loads numpy/OpenBLAS, which read these variables once, at load), and
each worker imports it again in its initializer (for the spawn fallback). Without it every
worker would start one BLAS thread per core, and N workers on N cores would fight over them.
The scan's parent never imports it, so its own environment is left alone (benchmarks import
it first, to make their in-process runs per-core figures).
"""

from __future__ import annotations

import os
from typing import Final

WORKER_ENV: Final = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

os.environ.update(WORKER_ENV)
