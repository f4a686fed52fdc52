"""Cheap "may this image hold text?" gate run before Tesseract (numpy only, ~10 ms).

Why it works: printed text is ink on a locally flat background, laid out in horizontal
lines. On a grayscale image whose long side is at most :data:`GATE_SIDE`, each
``BLOCK``×``BLOCK`` block is *text-like* when most of its pixels sit within ``FLAT_DEV``
grey levels of the block median (the background) while a minority differ by at least
``INK_DEV`` (the strokes). An image passes when some row of blocks holds a run of at least
``MIN_RUN`` consecutive text-like blocks, i.e. a line of text about 80 px long. Photo
textures (fur, foliage) are not flat; flat areas (sky, walls) have no ink; object edges
on a flat background rarely make a long horizontal run.

Measured in docs/OCR.md (benchmarks/ocr.py): on the generated set no image whose text
Tesseract reads is skipped — the weakest such image has a run of 9 blocks, ~twice
``MIN_RUN`` — while about half of the text-free photos are. Text Tesseract cannot read
anyway (white letters straight on a busy photo) is often skipped; that loses nothing.
"""

from __future__ import annotations

from typing import Final

import numpy as np

#: The gate looks at a grayscale image at most this many pixels on its long side.
GATE_SIDE: Final = 1024
BLOCK: Final = 16
FLAT_DEV: Final = 12
INK_DEV: Final = 60
#: Fractions of a block's pixels: background at least, ink between.
MIN_FLAT: Final = 0.4
MIN_INK: Final = 0.03
MAX_INK: Final = 0.5
#: Consecutive text-like blocks in one row needed to pass (about half the weakest measured text).
MIN_RUN: Final = 5


def text_like_blocks(gray: np.ndarray) -> np.ndarray:
    """Boolean grid (rows × cols of ``BLOCK`` px) of blocks that look like ink on background."""
    h, w = gray.shape
    rows, cols = h // BLOCK, w // BLOCK
    if rows == 0 or cols == 0:
        return np.zeros((0, 0), dtype=bool)
    blocks = (
        gray[: rows * BLOCK, : cols * BLOCK]
        .astype(np.int16)
        .reshape(rows, BLOCK, cols, BLOCK)
        .transpose(0, 2, 1, 3)
        .reshape(rows, cols, BLOCK * BLOCK)
    )
    deviation = np.abs(blocks - np.median(blocks, axis=2, keepdims=True))
    flat = (deviation <= FLAT_DEV).mean(axis=2)
    ink = (deviation >= INK_DEV).mean(axis=2)
    return (flat >= MIN_FLAT) & (ink >= MIN_INK) & (ink <= MAX_INK)


def longest_run(grid: np.ndarray) -> int:
    """Length of the longest horizontal run of True cells in any row."""
    best = 0
    for row in grid:
        edges = np.flatnonzero(np.diff(np.concatenate(([0], row.astype(np.int8), [0]))))
        if edges.size:
            best = max(best, int((edges[1::2] - edges[::2]).max()))
    return best


def may_contain_text(gray: np.ndarray) -> bool:
    """True unless the image clearly has no line of text (see module docstring).

    ``gray`` is a 2-D uint8 array with its long side at most :data:`GATE_SIDE` (the
    thresholds were measured at that scale).
    """
    return longest_run(text_like_blocks(gray)) >= MIN_RUN
