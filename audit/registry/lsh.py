"""Locality-sensitive bands for PDQ hashes: which pairs of hashes to compare exactly.

Comparing every registry hash with every corpus hash is quadratic. Instead each hash is cut
into :data:`BANDS` bands of :data:`BAND_BITS` bits sampled from its 256 bits (a fixed,
seeded sample; the same for every side), and only pairs that agree on all bits of at least
one band are compared exactly (audit/sql/registry.sql ``pdq_pairs``). Two hashes ``d`` bits
apart share a given band with probability ``(1 - d/256) ** BAND_BITS``; with 32 bands of 20
bits a pair at distance 16 is found with probability 0.9999, at 24 0.992 and at the
threshold 31 0.92 (:func:`recall`); unrelated hashes (about 128 bits apart) collide in a band
with probability 2**-20, so the candidates stay a small multiple of the true pairs
(benchmarks/registry.py measures both).
"""

from __future__ import annotations

import functools
import random
from typing import Final

BANDS: Final = 32
BAND_BITS: Final = 20
_SEED: Final = 20261203


@functools.cache
def band_bits() -> tuple[tuple[int, ...], ...]:
    """The bit positions (0 = most significant bit of the hex form) of every band."""
    rng = random.Random(_SEED)
    return tuple(tuple(sorted(rng.sample(range(256), BAND_BITS))) for _ in range(BANDS))


def _bit(position: int) -> str:
    part, offset = divmod(position, 64)
    return f"((h{part} >> {63 - offset}) & 1)"


@functools.cache
def bands_sql() -> str:
    """The SQL list items (over columns h0..h3) giving each band's value as an integer."""
    return ", ".join(
        "(" + " | ".join(f"({_bit(p)} << {j})" for j, p in enumerate(bits)) + ")"
        for bits in band_bits()
    )


def recall(distance: int, bands: int = BANDS, bits: int = BAND_BITS) -> float:
    """Probability that a pair ``distance`` bits apart shares at least one band (independent
    bits assumed; benchmarks/registry.py measures it on planted copies)."""
    return 1 - (1 - (1 - distance / 256) ** bits) ** bands


def pairs_sql(left: str, right: str) -> str:
    """The ``pdq_pairs`` block for two relations of ``(id, h0, h1, h2, h3)``; bind
    ``$threshold``. ``left`` and ``right`` are SQL from this package, never user text."""
    from audit.store import fill, query

    return fill(
        query("registry.sql", "pdq_pairs"),
        LEFT=left,
        RIGHT=right,
        NBANDS=str(BANDS),
        BANDS=bands_sql(),
    )
