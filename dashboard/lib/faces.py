"""128-d face encodings of a photo uploaded for a data-subject lookup.

The photo is untrusted input: it goes through :func:`audit.imageio.load_image` (size limits,
EXIF orientation) from a temporary file. Faces and encodings come from the scan's own faces
detector, so a lookup compares vectors made exactly like the stored ones.
"""

from __future__ import annotations

import functools
import os
import tempfile
from dataclasses import dataclass

import numpy as np

from audit.detectors.base import Content
from audit.detectors.faces.detector import FacesDetector
from audit.imageio import ImageLoadError, load_image

MAX_SIDE = 1600


@dataclass(frozen=True)
class UploadedFace:
    """One face found in the uploaded photo: box (top, right, bottom, left), encoding, crop."""

    box: tuple[int, int, int, int]
    encoding: tuple[float, ...]
    thumbnail: np.ndarray  # the face's pixels, to let the user confirm who is searched


@functools.cache
def _detector(upsample: int) -> FacesDetector:
    """Set up once per dashboard process (dlib's models take a second to load)."""
    detector = FacesDetector(upsample=upsample, max_side=MAX_SIDE, age=False, closeup=True)
    detector.setup()
    return detector


def encode_photo(data: bytes, suffix: str = ".jpg") -> list[UploadedFace]:
    """Every face of the photo, largest first. Raises ImageLoadError for unreadable files."""
    fd, path = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        image = load_image(path, max_side=MAX_SIDE)
        # a lookup photo is usually a portrait: no upsampling first (fewer false faces), then
        # one upsampling step for small faces
        faces = _faces(path, upsample=0) or _faces(path, upsample=1)
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
    return sorted(found, key=lambda f: (f.box[2] - f.box[0]) * (f.box[1] - f.box[3]), reverse=True)


def _faces(path: str, *, upsample: int) -> list:
    [result] = _detector(upsample).detect_batch([Content("lookup", path=path)])
    if result.error:
        raise ImageLoadError(result.error)
    return [f for f in result.findings if f.entity_type == "FACE" and f.embedding]
