"""128-d face encodings of a photo uploaded for a data-subject lookup.

The photo is untrusted input: it goes through :func:`audit.imageio.load_image` (size limits,
EXIF orientation) from a temporary file, and face_recognition (dlib) is imported lazily
because it is slow to import.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass

import numpy as np

from audit.imageio import load_image

MAX_SIDE = 1600


@dataclass(frozen=True)
class UploadedFace:
    """One face found in the uploaded photo: box (top, right, bottom, left), encoding, crop."""

    box: tuple[int, int, int, int]
    encoding: tuple[float, ...]
    thumbnail: np.ndarray  # the face's pixels, to let the user confirm who is searched


def encode_photo(data: bytes, suffix: str = ".jpg") -> list[UploadedFace]:
    """Every face of the photo, largest first. Raises ImageLoadError for unreadable files."""
    with warnings.catch_warnings():
        # face_recognition_models still imports pkg_resources; nothing for us to act on.
        warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
        import face_recognition  # lazily: dlib takes seconds to import

    fd, path = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        pixels = load_image(path, max_side=MAX_SIDE).pixels
    finally:
        os.unlink(path)
    # a lookup photo is usually a portrait: no upsampling first (fewer false faces), then
    # one upsampling step for small faces
    boxes = face_recognition.face_locations(pixels, number_of_times_to_upsample=0)
    if not boxes:
        boxes = face_recognition.face_locations(pixels, number_of_times_to_upsample=1)
    encodings = face_recognition.face_encodings(pixels, known_face_locations=boxes)
    faces = [
        UploadedFace(
            tuple(int(v) for v in box),
            tuple(float(x) for x in enc),
            pixels[box[0] : box[2], box[3] : box[1]].copy(),
        )
        for box, enc in zip(boxes, encodings, strict=True)
    ]
    return sorted(faces, key=lambda f: (f.box[2] - f.box[0]) * (f.box[1] - f.box[3]), reverse=True)
