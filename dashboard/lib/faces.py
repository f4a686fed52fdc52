"""128-d face encodings of a photo uploaded for a data-subject lookup.

The photo is untrusted input: it goes through :func:`audit.imageio.load_image` (size limits,
EXIF orientation) from a temporary file. Faces and encodings come from the scan's own faces
detector, so a lookup compares vectors made exactly like the stored ones.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import numpy as np

from audit.detectors.faces.reference import REFERENCE_MAX_SIDE, reference_faces
from audit.imageio import load_image


@dataclass(frozen=True)
class UploadedFace:
    """One face found in the uploaded photo: box (top, right, bottom, left), encoding, crop."""

    box: tuple[int, int, int, int]
    encoding: tuple[float, ...]
    thumbnail: np.ndarray  # the face's pixels, to let the user confirm who is searched


def encode_photo(data: bytes, suffix: str = ".jpg") -> list[UploadedFace]:
    """Every face of the photo, largest first. Raises ImageLoadError for unreadable files."""
    fd, path = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        image = load_image(path, max_side=REFERENCE_MAX_SIDE)
        faces = reference_faces(path)  # the registry's face requests encode photos the same way
    finally:
        os.unlink(path)
    found = []
    for face in faces:
        top, right, bottom, left = (round(v * image.scale) for v in face.bbox or (0, 0, 0, 0))
        found.append(
            UploadedFace(
                face.bbox or (0, 0, 0, 0),
                tuple(float(x) for x in face.embedding or ()),
                image.pixels[top:bottom, left:right].copy(),
            )
        )
    return found  # reference_faces returns the largest face first
