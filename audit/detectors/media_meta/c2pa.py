"""C2PA / CAWG manifests: presence, and the training-and-data-mining assertion where readable.

A C2PA manifest store is a JUMBF superbox labelled ``c2pa``; in JPEG it travels in APP11
(0xFFEB) segments, in PNG in a ``caBX`` chunk. Full validation needs a C2PA SDK; here we only
*read* what the manifest declares: the assertion labels ``c2pa.training-mining`` /
``cawg.training-mining`` and their ``use`` values (allowed / notAllowed / constrained), which
are CBOR text strings, so a byte scan of the assertion box finds them without a CBOR decoder.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

_TRAINING_LABEL = re.compile(rb"(c2pa|cawg)\.training-mining")
_USE_VALUE = re.compile(rb"(notAllowed|constrained|allowed)")

#: Order of strictness: a manifest that says notAllowed for any entry is a reservation.
_STRICTNESS = {b"notAllowed": "prohibited", b"constrained": "constrained", b"allowed": "allowed"}


@dataclass(frozen=True)
class C2paInfo:
    """What could be read of an embedded C2PA manifest."""

    present: bool
    container: str | None  # jpeg_app11 | png_caBX
    training_mining: str | None  # prohibited | constrained | allowed | None (not declared)


def _jpeg_app11_payload(data: bytes) -> bytes:
    chunks: list[bytes] = []
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in (0xD9, 0xDA):  # end of image / start of scan: no more metadata
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker == 0xEB:
            chunks.append(data[pos + 4 : pos + 2 + length])
        pos += 2 + length
    return b"".join(chunks)


def _png_cabx_payload(data: bytes) -> bytes:
    chunks: list[bytes] = []
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"caBX":
            chunks.append(data[pos + 8 : pos + 8 + length])
        if kind == b"IEND":
            break
        pos += 12 + length
    return b"".join(chunks)


def read_c2pa(data: bytes) -> C2paInfo:
    """Find a C2PA manifest in JPEG or PNG bytes and read its training-mining assertion."""
    if data[:2] == b"\xff\xd8":
        payload, container = _jpeg_app11_payload(data), "jpeg_app11"
    elif data[:8] == b"\x89PNG\r\n\x1a\n":
        payload, container = _png_cabx_payload(data), "png_caBX"
    else:
        return C2paInfo(present=False, container=None, training_mining=None)
    if b"jumb" not in payload or b"c2pa" not in payload:
        return C2paInfo(present=False, container=None, training_mining=None)
    verdict = None
    for match in _TRAINING_LABEL.finditer(payload):
        # the assertion's CBOR content follows its label within the same box
        window = payload[match.end() : match.end() + 4096]
        for use in _USE_VALUE.findall(window):
            if verdict is None or list(_STRICTNESS).index(use) < list(_STRICTNESS).index(verdict):
                verdict = use
    return C2paInfo(
        present=True,
        container=container,
        training_mining=_STRICTNESS[verdict] if verdict else None,
    )
