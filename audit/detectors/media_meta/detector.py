"""`media_meta`: consent and location signals embedded in image files.

Reads EXIF (GPS position, camera serial, owner name, image id), XMP (IPTC ``plus:DataMining``,
``plus:OtherConstraints``, ``xmpRights:*``, ``dc:rights``, Creative Commons URLs) and C2PA
manifests (training-and-data-mining assertion). No pixel is decoded, so it costs a file read
and a header parse per image. An image with none of these gets no finding: reports count
those as "metadata stripped".
"""

from __future__ import annotations

import io
import struct
import warnings
from typing import Any, ClassVar

from audit.detectors.base import (
    Content,
    DerivedColumn,
    Finding,
    FindingKind,
    InputKind,
    Result,
)
from audit.detectors.media_meta import EmbeddedMetadataError

#: Metadata lives in the first megabytes of JPEG/PNG/WebP files; do not read more.
MAX_SCAN_BYTES = 64 * 1024 * 1024

#: Coordinates shown in evidence are rounded to 2 decimals (about 1 km).
EVIDENCE_DECIMALS = 2


def _read_head(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(MAX_SCAN_BYTES)


class MediaMetaDetector:
    """Reads embedded image metadata into findings (see module docstring)."""

    name: ClassVar[str] = "media_meta"
    #: 2: C2PA read and validated with c2pa-python; training entries kept apart; a permission
    #: counts only from a valid manifest.
    version: ClassVar[str] = "2"
    input_kind: ClassVar[InputKind] = "image"
    # the first is what a rule self-test finding without entity_type gets
    entity_types: ClassVar[tuple[str, ...]] = (
        "GPS_LOCATION",
        "EMBEDDED_METADATA",
        # exif.IDENTIFYING_TAGS (not imported here: it needs Pillow)
        "CAMERA_SERIAL",
        "CAMERA_OWNER_NAME",
        "IMAGE_UNIQUE_ID",
        "ARTIST_NAME",
        "TRAINING_RESERVATION",
        "RIGHTS_STATEMENT",
        "CC_LICENSE",
        "C2PA_MANIFEST",
    )
    personal_data: ClassVar[bool] = True  # positions, owner names, device serials
    finding_kind: ClassVar[FindingKind] = "media_fact"
    label: ClassVar[str] = "metadata embedded in images"
    #: Attribute keys of its findings (rules may compare them: `attributes: {source: c2pa}`).
    finding_attributes: ClassVar[tuple[str, ...]] = (
        "reservation", "source", "code", "container", "training_mining", "exif", "xmp",
        "c2pa", "value", "url", "lat", "lon", "alt", "timestamp", "lat_rounded",
        "lon_rounded", "usage_terms", "web_statement", "rights", "other_constraints",
    )  # fmt: skip
    found_in: ClassVar[str] = "in the image metadata"
    derived_columns: ClassVar[tuple[DerivedColumn, ...]] = (
        DerivedColumn(
            "has_gps",
            "BOOLEAN",
            "bool_or(entity_type = 'GPS_LOCATION') /*FILTER*/",
            "false",
            "an EXIF GPS position is embedded in the item's image",
        ),
        DerivedColumn(
            "media_training_reservation",
            "VARCHAR",
            # the strictest reservation declared (IPTC plus:DataMining, C2PA training-mining)
            "['none', 'unspecified', 'allowed', 'constrained', 'prohibited'][1 + max("
            "CASE WHEN entity_type = 'TRAINING_RESERVATION' THEN "
            "CASE attributes ->> 'reservation' WHEN 'unspecified' THEN 1 WHEN 'allowed' THEN 2 "
            "WHEN 'constrained' THEN 3 WHEN 'prohibited' THEN 4 END END) /*FILTER*/]",
            "'none'",
            "prohibited | constrained | allowed | unspecified | none",
        ),
    )
    batch_size: ClassVar[int] = 64
    # Header parsing costs ~1 ms an image; starting a process pool costs seconds.
    in_process: ClassVar[bool] = True

    def setup(self) -> None:
        """Nothing to load: Pillow's header parsers only."""

    def describe(self) -> dict[str, Any]:
        """Library versions for the run manifest."""
        import PIL

        from audit.detectors.media_meta.c2pa import sdk_version

        return {
            "pillow": PIL.__version__,
            "c2pa-python": sdk_version(),
            "max_scan_bytes": MAX_SCAN_BYTES,
        }

    def detect_batch(self, batch: list[Content]) -> list[Result]:
        """One Result per image; malformed metadata gives an error beside what was readable."""
        return [self._detect_one(content) for content in batch]

    def _detect_one(self, content: Content) -> Result:
        try:
            data = _read_head(content.path or "")
        except OSError as exc:
            return Result(content.sha256, error=f"media_missing: {exc.strerror or exc}")
        if not data:
            return Result(content.sha256, error="media_empty: file has 0 bytes")
        findings: list[Finding] = []
        problems: list[str] = []
        exif, pillow_xmp, opened = self._open(data, problems)
        present = {"exif": bool(exif), "xmp": False, "c2pa": False}
        if exif:
            self._guard(problems, lambda: findings.extend(_exif_findings(exif)))
        self._guard(problems, lambda: present.update(xmp=_xmp_findings(data, pillow_xmp, findings)))
        self._guard(problems, lambda: present.update(c2pa=_c2pa_findings(data, findings)))
        if any(present.values()):
            findings.append(Finding("EMBEDDED_METADATA", attributes=present))
        if not opened and not findings:
            return Result(content.sha256, error=problems[0] if problems else "corrupt_image")
        return Result(content.sha256, findings=findings, error=problems[0] if problems else None)

    @staticmethod
    def _guard(problems: list[str], step: Any) -> None:
        try:
            step()
        except EmbeddedMetadataError as exc:
            problems.append(str(exc))
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, SyntaxError) as exc:
            # Pillow raises these for EXIF with wrong types/offsets: a bad-metadata error.
            problems.append(f"bad_metadata: {type(exc).__name__}: {exc}")

    @staticmethod
    def _open(data: bytes, problems: list[str]) -> tuple[Any, Any, bool]:
        from PIL import Image, UnidentifiedImageError

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # bomb warnings: we never decode pixels here
                image = Image.open(io.BytesIO(data))
                exif = image.getexif()
                xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
            return exif, xmp, True
        except UnidentifiedImageError:
            # Pillow's message names its in-memory buffer (<_io.BytesIO object at 0x...>).
            problems.append("corrupt_image: not an image format that can be read")
        except Image.DecompressionBombError as exc:
            problems.append(f"corrupt_image: {exc}")
        except (OSError, ValueError, SyntaxError, struct.error) as exc:
            problems.append(f"bad_metadata: {type(exc).__name__}: {exc}")
        return None, None, False


def _exif_findings(exif: Any) -> list[Finding]:
    from audit.detectors.media_meta.exif import gps_position, identifying_values

    findings: list[Finding] = []
    gps = gps_position(exif)
    if gps is not None:
        findings.append(
            Finding(
                "GPS_LOCATION",
                recognizer="exif_gps",
                attributes={
                    "lat": gps.lat,
                    "lon": gps.lon,
                    "alt": gps.alt,
                    "timestamp": gps.timestamp,
                    "lat_rounded": round(gps.lat, EVIDENCE_DECIMALS),
                    "lon_rounded": round(gps.lon, EVIDENCE_DECIMALS),
                },
            )
        )
    for entity, value in identifying_values(exif).items():
        findings.append(Finding(entity, recognizer="exif", attributes={"value": value}))
    return findings


def _xmp_findings(data: bytes, pillow_xmp: Any, findings: list[Finding]) -> bool:
    from audit.detectors.media_meta.xmp import find_packet, parse_rights

    packet = find_packet(data, pillow_xmp)
    if packet is None:
        return False
    rights = parse_rights(packet)
    if rights.reservation:
        findings.append(
            Finding(
                "TRAINING_RESERVATION",
                recognizer="iptc_plus_datamining",
                attributes={
                    "reservation": rights.reservation,
                    "code": rights.data_mining,
                    "source": "xmp:plus:DataMining",
                },
            )
        )
    statement = {
        "usage_terms": rights.usage_terms,
        "web_statement": rights.web_statement,
        "rights": rights.rights,
        "other_constraints": rights.other_constraints,
    }
    if any(statement.values()):
        findings.append(Finding("RIGHTS_STATEMENT", recognizer="xmp_rights", attributes=statement))
    for url in rights.cc_licenses:
        findings.append(Finding("CC_LICENSE", recognizer="xmp_cc", attributes={"url": url}))
    return True


def _c2pa_findings(data: bytes, findings: list[Finding]) -> bool:
    from audit.detectors.media_meta.c2pa import TRAINING_ENTRIES, read_c2pa

    info = read_c2pa(data)
    if not info.present:
        return False
    findings.append(
        Finding(
            "C2PA_MANIFEST",
            recognizer="c2pa_python" if info.validation_state != "unreadable" else "c2pa_jumbf",
            attributes={
                "container": info.container,
                "validation_state": info.validation_state,
                "failures": list(info.failures[:10]),
                "entries": {e.entry: e.use for e in info.entries},
                "training_mining": info.training_mining,
                "error": info.error,
            },
        )
    )
    for entry in info.entries:
        counted = entry.counted(info.validation_state)
        if entry.entry not in TRAINING_ENTRIES:
            continue
        findings.append(
            Finding(
                "TRAINING_RESERVATION",
                recognizer="c2pa_training_mining",
                attributes={
                    # a permission from a manifest that is not valid says nothing usable
                    "reservation": counted or "unspecified",
                    "entry": entry.entry,
                    "use": entry.use,
                    "counted": counted is not None,
                    "validation_state": info.validation_state,
                    "constraint_info": entry.constraint_info,
                    "source": entry.assertion.split(".", 1)[0],
                },
            )
        )
    return True
