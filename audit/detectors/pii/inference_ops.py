"""thinc's numpy ops for running (never training) the NER's tok2vec, with two kernels as
plain numpy array operations that give the same values.

thinc's own ``maxout`` and ``gather_add`` are Cython loops; in the wheels for Python < 3.12
they keep Cython's profiling hooks (see ``ner.py``), ``maxout`` also computes the argmax the
backward pass needs, and ``gather_add`` makes one BLAS ``saxpy`` call per row and key.
Measured on tweets: the tok2vec's CPU 15 % lower (thinc's ``seq2col`` was tried too and is
faster than a numpy one: kept). Here:

- ``maxout``: the largest of the pieces (thinc's value, signed zeros included; no NaN
  arises from finite weights). It returns no argmax: that is for the backward pass only,
  and :class:`InferenceOps` must never be used to train (``backprop_maxout`` raises).
- ``gather_add``: the embedding rows of each key added in key order onto zeros (``saxpy``
  with alpha 1 adds each row exactly so).

Copies and the same additions in the same order: the model's outputs are bit for bit the
same (``tests/test_pii.py`` compares each kernel with thinc's, and the entities).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from thinc.api import NumpyOps


class InferenceOps(NumpyOps):
    """``NumpyOps(use_blis=False)`` with numpy kernels for maxout and gather_add."""

    def __init__(self) -> None:
        super().__init__(use_blis=False)

    def maxout(self, X: Any) -> tuple[np.ndarray, None]:  # noqa: N803 - thinc's names
        """The largest piece per unit (``X``: rows × units × pieces); no argmax."""
        best = np.array(X[:, :, 0])
        for piece in range(1, X.shape[2]):
            np.maximum(best, X[:, :, piece], out=best)
        # np.maximum may return a later piece's -0.0 / 0.0 where thinc's kernel keeps the
        # first of equal maxima: redo those (rare) units with thinc's "only if greater" rule.
        # (NaN is not handled as thinc does; finite weights on finite inputs never give one.)
        zeros = np.flatnonzero(best.ravel() == 0)
        if zeros.size:
            candidates = X.reshape(-1, X.shape[2])[zeros]
            first = candidates[:, 0]
            for piece in range(1, X.shape[2]):
                first = np.where(candidates[:, piece] > first, candidates[:, piece], first)
            best.ravel()[zeros] = first
        return best, None

    def backprop_maxout(self, dY: Any, which: Any, P: int) -> Any:  # noqa: N803
        raise NotImplementedError("InferenceOps runs models; it cannot train them")

    def gather_add(self, table: Any, indices: Any) -> np.ndarray:
        """Per row of ``indices``, the sum of those rows of ``table``, in key order."""
        table, indices = np.asarray(table), np.asarray(indices)
        out = np.zeros((indices.shape[0], table.shape[1]), dtype=table.dtype)
        for key in range(indices.shape[1]):
            out += table[indices[:, key]]
        return out
