"""C2PA / CAWG manifests: read and validated with the C2PA SDK (``c2pa-python``), offline.

A C2PA manifest store is a JUMBF superbox labelled ``c2pa``; in JPEG it travels in APP11
(0xFFEB) segments, in PNG in a ``caBX`` chunk. The SDK reads the store, checks the claim
signature and the hashes that bind it to the image, and reports a validation state:
``Trusted`` (signer on a configured trust list; none is configured here), ``Valid``
(signature and hashes check out) or ``Invalid`` (tampered image or manifest, broken
signature). Network use is switched off (no OCSP, no remote manifests).

What counts (docs/REGISTRY.md, "Signals you can trust"): the entries of a
training-and-data-mining assertion (``c2pa.training-mining``, CAWG's ``cawg.training-mining``;
``c2pa.ai_training``, ``c2pa.ai_generative_training``, ``c2pa.data_mining``, …) are kept
apart. A *reservation* (``notAllowed``, ``constrained``) counts whatever the validation state
— conservative: a forged reservation only keeps an item out. A *permission* (``allowed``)
counts only from a ``Valid`` or ``Trusted`` manifest; from any other it is recorded and
ignored. A store the SDK cannot read at all is ``unreadable``: its assertions are found by a
byte scan of the store (their labels and ``use`` values are CBOR text), reservations only.
"""

from __future__ import annotations

import functools
import io
import json
import re
import struct
from dataclasses import dataclass, field
from typing import Any, Final

#: Assertion labels of training-and-data-mining assertions (with a version suffix or not).
_ASSERTION = re.compile(r"^(c2pa|cawg)\.training-mining(\.v\d+)?$")
#: Entries that speak about training or mining (ai_inference does not: recorded, not counted).
TRAINING_ENTRIES: Final = frozenset(
    f"{ns}.{e}" for ns in ("c2pa", "cawg") for e in ("ai_training", "ai_generative_training",
                                                     "data_mining")
)  # fmt: skip
#: Validation states from which a permission counts.
VALID_STATES: Final = frozenset({"Valid", "Trusted"})
#: ``use`` value → reservation, strictest first.
_RESERVATION: Final = {
    "notAllowed": "prohibited",
    "constrained": "constrained",
    "allowed": "allowed",
}

_TRAINING_LABEL = re.compile(rb"((?:c2pa|cawg)\.training-mining)")
_ENTRY_USE = re.compile(
    rb"((?:c2pa|cawg)\.(?:ai_training|ai_generative_training|ai_inference|data_mining))"
    rb".{0,64}?use.{0,4}?(notAllowed|constrained|allowed)",
    re.DOTALL,
)


@dataclass(frozen=True)
class TrainingEntry:
    """One entry of a training-and-data-mining assertion."""

    assertion: str  # c2pa.training-mining | cawg.training-mining
    entry: str  # c2pa.ai_training, cawg.data_mining, ...
    use: str  # allowed | notAllowed | constrained
    constraint_info: str | None = None

    def counted(self, validation_state: str | None) -> str | None:
        """The reservation this entry counts as (None: it does not count)."""
        if self.entry not in TRAINING_ENTRIES or self.use not in _RESERVATION:
            return None
        if self.use == "allowed" and validation_state not in VALID_STATES:
            return None  # a permission from an unvalidated manifest is not a permission
        return _RESERVATION[self.use]


@dataclass(frozen=True)
class C2paInfo:
    """What could be read of an embedded C2PA manifest store."""

    present: bool
    container: str | None = None  # jpeg_app11 | png_caBX
    validation_state: str | None = None  # Trusted | Valid | Invalid | unreadable
    failures: tuple[str, ...] = ()  # validation failure codes of the active manifest
    entries: tuple[TrainingEntry, ...] = field(default_factory=tuple)
    error: str | None = None  # why the SDK could not read the store

    @property
    def training_mining(self) -> str | None:
        """The strictest reservation that counts (prohibited > constrained > allowed)."""
        counted = {e.counted(self.validation_state) for e in self.entries} - {None}
        for value in ("prohibited", "constrained", "allowed"):
            if value in counted:
                return value
        return None


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


def _store(data: bytes) -> tuple[bytes, str, str] | None:
    """(store bytes, container, MIME type) when the image carries a C2PA store."""
    if data[:2] == b"\xff\xd8":
        payload, container, mime = _jpeg_app11_payload(data), "jpeg_app11", "image/jpeg"
    elif data[:8] == b"\x89PNG\r\n\x1a\n":
        payload, container, mime = _png_cabx_payload(data), "png_caBX", "image/png"
    else:
        return None
    if b"jumb" not in payload or b"c2pa" not in payload:
        return None
    return payload, container, mime


@functools.cache
def _context() -> Any:
    """The SDK's settings: validate, but never fetch anything (OCSP, remote manifests)."""
    import c2pa

    return c2pa.Context.from_dict({"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}})


def sdk_version() -> str:
    """The c2pa-python version (for the manifest)."""
    import importlib.metadata

    return importlib.metadata.version("c2pa-python")


def _entries_of(manifest: dict[str, Any]) -> list[TrainingEntry]:
    out = []
    for assertion in manifest.get("assertions") or ():
        label = str(assertion.get("label", ""))
        if not _ASSERTION.match(label):
            continue
        entries = (assertion.get("data") or {}).get("entries") or {}
        if not isinstance(entries, dict):
            continue
        for name, value in sorted(entries.items()):
            if isinstance(value, dict) and isinstance(value.get("use"), str):
                info = value.get("constraint_info")
                out.append(
                    TrainingEntry(label.rsplit(".v", 1)[0] if ".v" in label else label,
                                  str(name), value["use"], str(info) if info else None)
                )  # fmt: skip
    return out


def _byte_scan(payload: bytes) -> list[TrainingEntry]:
    """Entries found by scanning the store's bytes (for a store the SDK cannot read)."""
    out: list[TrainingEntry] = []
    for label in _TRAINING_LABEL.finditer(payload):
        window = payload[label.end() : label.end() + 4096]
        for entry, use in _ENTRY_USE.findall(window):
            out.append(TrainingEntry(label.group(1).decode(), entry.decode(), use.decode()))
    if not out and _TRAINING_LABEL.search(payload):
        # an assertion whose entries cannot be told apart: its strictest use, as one entry
        uses = set(re.findall(rb"notAllowed|constrained|allowed", payload))
        for use in (b"notAllowed", b"constrained", b"allowed"):
            if use in uses:
                out.append(TrainingEntry("c2pa.training-mining", "c2pa.ai_training", use.decode()))
                break
    return sorted(set(out), key=lambda e: (e.assertion, e.entry, e.use))


def read_c2pa(data: bytes) -> C2paInfo:
    """Find a C2PA store in JPEG or PNG bytes, validate it and read its training entries."""
    found = _store(data)
    if found is None:
        return C2paInfo(present=False)
    payload, container, mime = found
    import c2pa

    try:
        with c2pa.Reader(mime, io.BytesIO(data), context=_context()) as reader:
            report = json.loads(reader.json())
    except c2pa.C2paError as exc:
        return C2paInfo(
            present=True,
            container=container,
            validation_state="unreadable",
            entries=tuple(_byte_scan(payload)),
            error=f"{type(exc).__name__.lstrip('_')}: {str(exc)[:200]}",
        )
    active = (report.get("manifests") or {}).get(report.get("active_manifest") or "", {})
    results = (report.get("validation_results") or {}).get("activeManifest") or {}
    failures = tuple(str(f.get("code")) for f in results.get("failure") or ())
    return C2paInfo(
        present=True,
        container=container,
        validation_state=str(
            report.get("validation_state") or ("Invalid" if failures else "Valid")
        ),
        failures=failures,
        entries=tuple(_entries_of(active)),
    )
