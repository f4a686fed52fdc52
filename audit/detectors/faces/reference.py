"""Faces of a reference photo (a data subject's photo): found and encoded exactly like the
faces the scan stored, and the distance under which two encodings are the same person.

Used by the consent registry's face requests (audit/registry/subjects.py) and by the
dashboard's look-up by photo (dashboard/lib/faces.py), so both compare like with like.
"""

from __future__ import annotations

import functools
from typing import Final

from audit.detectors.base import Content, Finding
from audit.imageio import ImageLoadError

#: Euclidean distance between two 128-d face encodings at or under which they are taken to be
#: the same person. Calibrated on real photos (docs/REGISTRY.md, "Face threshold";
#: benchmarks/registry_thresholds.py): photos of the same person 0.06-0.64 apart (29 of 32
#: pairs at or under 0.5; Obama's six photos all under 0.39), different people from 0.33 on
#: (1.2 % of 11,883 pairs at or under 0.5, 5.0 % under face_recognition's usual 0.6).
MATCH_DISTANCE: Final = 0.5

#: Reference photos are looked at up to this long side (portraits are usually large).
REFERENCE_MAX_SIDE: Final = 1600


@functools.cache
def _detector(upsample: int):  # -> FacesDetector (imported lazily: dlib)
    from audit.detectors.faces.detector import FacesDetector

    detector = FacesDetector(
        upsample=upsample, max_side=REFERENCE_MAX_SIDE, age=False, closeup=True
    )
    detector.setup()
    return detector


def _faces(path: str, upsample: int) -> list[Finding]:
    [result] = _detector(upsample).detect_batch([Content("reference", path=path)])
    if result.error:
        code, _, message = result.error.partition(": ")
        raise ImageLoadError(code, message or code)
    return [f for f in result.findings if f.entity_type == "FACE" and f.embedding]


def reference_faces(path: str) -> list[Finding]:
    """Every encoded face of the photo, largest first (raises ImageLoadError).

    A reference photo is usually a portrait: no upsampling first (fewer false faces), then one
    upsampling step for small faces.
    """
    faces = _faces(path, 0) or _faces(path, 1)

    def area(f: Finding) -> int:
        top, right, bottom, left = f.bbox or (0, 0, 0, 0)
        return (bottom - top) * (right - left)

    return sorted(faces, key=area, reverse=True)
