"""PDQ perceptual hashes (Meta's PDQ via ``pdqhash``), computed one way for every caller.

Corpus images (the ``image_hash`` detector) and the registry's reference images go through
the same :func:`load_for_hash` and :func:`hash_pixels`, so their hashes are comparable: the
image is loaded through :func:`audit.imageio.load_image` (size limits, EXIF orientation,
RGB) at a working size of at most :data:`WORK_SIDE` pixels, then hashed.

A reference image also gets *variants* (:func:`variant_hashes`): the hashes of the crops in
:data:`CROP_WINDOWS` and of their mirror images, so that a cropped or flipped copy of it is
near one of them (a PDQ hash alone does not survive a 5 % crop; docs/REGISTRY.md has the
measurements).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

#: Images are hashed at this working size (long side); PDQ itself works on 64×64.
WORK_SIDE: Final = 512
#: PDQ's own quality score (0-100) below which a hash says little (flat images): such hashes
#: are not matched (Meta's recommendation).
MIN_QUALITY: Final = 50
#: Hashes at most this many bits apart (of 256) are copies of each other: Meta's recommended
#: PDQ match threshold, confirmed on re-encoded, resized and grey copies of real photos
#: (docs/REGISTRY.md, "PDQ threshold"; benchmarks/registry_thresholds.py).
MATCH_DISTANCE: Final = 31
#: Bump when the hashing or the variants change (it keys the registry's subject cache).
VERSION: Final = "1"

#: Crops of a reference image that get their own hash: (left, right, top, bottom) fractions
#: cut away. Centre trims of 5-30 % and single-edge trims of 5, 10 and 20 %.
CROP_WINDOWS: Final[tuple[tuple[float, float, float, float], ...]] = (
    (0.0, 0.0, 0.0, 0.0),
    *((f / 2, f / 2, f / 2, f / 2) for f in (0.05, 0.10, 0.15, 0.20, 0.30)),
    *(w for f in (0.05, 0.10, 0.20)
      for w in ((f, 0.0, 0.0, 0.0), (0.0, f, 0.0, 0.0), (0.0, 0.0, f, 0.0), (0.0, 0.0, 0.0, f))),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PdqHash:
    """A 256-bit PDQ hash as 64 hex digits, and PDQ's quality score (0-100)."""

    hex: str
    quality: int

    @property
    def parts(self) -> tuple[int, int, int, int]:
        """The hash as four unsigned 64-bit integers (how SQL compares hashes)."""
        return tuple(int(self.hex[i : i + 16], 16) for i in range(0, 64, 16))  # type: ignore[return-value]


def _to_hex(bits: np.ndarray) -> str:
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def hash_pixels(pixels: np.ndarray) -> PdqHash:
    """The PDQ hash of an H×W×3 uint8 RGB array."""
    import pdqhash

    bits, quality = pdqhash.compute(np.ascontiguousarray(pixels))
    return PdqHash(_to_hex(bits), int(quality))


def load_for_hash(path: str) -> np.ndarray:
    """The image's pixels at the working size (raises audit.imageio.ImageLoadError)."""
    from audit.imageio import load_image

    return load_image(path, max_side=WORK_SIDE).pixels


def variant_hashes(pixels: np.ndarray) -> dict[str, PdqHash]:
    """Hashes of every crop window and its mirror image, named ``crop<l>-<r>-<t>-<b>[-m]``
    (pdqhash's dihedral hashes are 14+ bits from the hash of a really mirrored image, so the
    mirror is hashed on its own)."""
    height, width = pixels.shape[:2]
    out: dict[str, PdqHash] = {}
    for left, right, top, bottom in CROP_WINDOWS:
        crop = pixels[
            round(height * top) : height - round(height * bottom),
            round(width * left) : width - round(width * right),
        ]
        name = "crop" + "-".join(f"{round(v * 100)}" for v in (left, right, top, bottom))
        out[name] = hash_pixels(crop)
        out[name + "-m"] = hash_pixels(crop[:, ::-1])
    return out


def distance(a: PdqHash, b: PdqHash) -> int:
    """Hamming distance of two hashes (bits that differ, 0-256)."""
    return bin(int(a.hex, 16) ^ int(b.hex, 16)).count("1")
