"""Encode the registry's reference files: PDQ variant hashes of images, face encodings of
photos; cached in the store's ``registry_subjects`` by content hash.

A reference image is hashed with every crop window and mirror of
:data:`audit.detectors.image_hash.pdq.CROP_WINDOWS` (so a cropped or flipped copy is near
one variant). A reference photo gives the encoding of its largest face, made by the scan's
own faces detector (audit/detectors/faces/reference.py). A file that gives nothing usable is
a bad row (:class:`RegistryError`): a request that could never match must not pass silently.
"""

from __future__ import annotations

import duckdb

from audit.detectors.image_hash import pdq
from audit.imageio import ImageLoadError
from audit.registry.load import Problem, RegistryError, Request
from audit.store import query

#: Bump when face encoding of references changes (keys the cache, like pdq.VERSION).
FACE_VERSION = "1"


def _cached(con: duckdb.DuckDBPyConnection, method: str, version: str) -> set[str]:
    rows = con.execute(query("registry.sql", "cached_subjects"), [method, version]).fetchall()
    return {r[0] for r in rows}


def _hash_image(request: Request) -> list[list]:
    pixels = pdq.load_for_hash(str(request.subject_path))
    whole = pdq.hash_pixels(pixels)
    if whole.quality < pdq.MIN_QUALITY:
        raise ValueError(
            f"the image has too little detail for a perceptual hash (PDQ quality "
            f"{whole.quality} < {pdq.MIN_QUALITY}); give a photo with more detail"
        )
    return [
        [request.subject_sha256, "pdq", pdq.VERSION, name, *h.parts, h.quality, None]
        for name, h in pdq.variant_hashes(pixels).items()
    ]


def _encode_face(request: Request) -> list[list]:
    from audit.detectors.faces.reference import reference_faces

    faces = reference_faces(str(request.subject_path))
    if not faces:
        raise ValueError("no face found in the photo; give a photo where the face is visible")
    embedding = [float(x) for x in faces[0].embedding or ()]
    return [[request.subject_sha256, "face", FACE_VERSION, "largest", None, None, None, None,
             None, embedding]]  # fmt: skip


def encode_subjects(con: duckdb.DuckDBPyConnection, requests: list[Request]) -> int:
    """Hash / encode every reference file not cached yet; returns how many were encoded.

    Raises :class:`RegistryError` with one line per request whose file gives nothing.
    """
    problems: list[Problem] = []
    done = 0
    for subject_type, method, version, encode in (
        ("image", "pdq", pdq.VERSION, _hash_image),
        ("face", "face", FACE_VERSION, _encode_face),
    ):
        cached = _cached(con, method, version)
        for request in requests:
            if request.subject_type != subject_type or request.subject_sha256 in cached:
                continue
            try:
                rows = encode(request)
            except (ImageLoadError, ValueError) as exc:
                problems.append(
                    Problem(request.source_file, request.source_line, "subject", str(exc))
                )
                continue
            con.executemany(query("registry.sql", "insert_subject"), rows)
            cached.add(str(request.subject_sha256))
            done += 1
    if problems:
        raise RegistryError(problems)
    return done
