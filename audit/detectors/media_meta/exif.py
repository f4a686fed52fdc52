"""EXIF: GPS position and device/owner identifiers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import ExifTags, Image

from audit.detectors.media_meta import EmbeddedMetadataError

_GPS = ExifTags.GPS
_BASE = ExifTags.Base

#: EXIF tags that identify a person or a device, and the finding type they become.
IDENTIFYING_TAGS: dict[int, str] = {
    _BASE.BodySerialNumber: "CAMERA_SERIAL",
    _BASE.CameraOwnerName: "CAMERA_OWNER_NAME",
    _BASE.ImageUniqueID: "IMAGE_UNIQUE_ID",
    _BASE.Artist: "ARTIST_NAME",
}


@dataclass(frozen=True)
class GpsPosition:
    """A decoded EXIF GPS position (decimal degrees, metres)."""

    lat: float
    lon: float
    alt: float | None
    timestamp: str | None


def _to_float(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:  # raw (numerator, denominator)
        num, den = value
        return float(num) / float(den)
    return float(value)


def _dms_to_degrees(dms: Any, ref: Any) -> float:
    if not isinstance(dms, tuple | list) or len(dms) != 3:
        raise EmbeddedMetadataError("bad_exif_gps", f"GPS coordinate is not 3 rationals: {dms!r}")
    degrees, minutes, seconds = (_to_float(v) for v in dms)
    value = degrees + minutes / 60 + seconds / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if str(ref).strip().upper() in {"S", "W"}:
        value = -value
    return value


def gps_position(exif: Image.Exif) -> GpsPosition | None:
    """The GPS position in ``exif``, None when absent; raises on malformed values."""
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if not gps or _GPS.GPSLatitude not in gps or _GPS.GPSLongitude not in gps:
        return None
    try:
        lat = _dms_to_degrees(gps[_GPS.GPSLatitude], gps.get(_GPS.GPSLatitudeRef, "N"))
        lon = _dms_to_degrees(gps[_GPS.GPSLongitude], gps.get(_GPS.GPSLongitudeRef, "E"))
        alt = _to_float(gps[_GPS.GPSAltitude]) if _GPS.GPSAltitude in gps else None
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise EmbeddedMetadataError("bad_exif_gps", str(exc)) from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise EmbeddedMetadataError("bad_exif_gps", f"coordinates out of range: {lat}, {lon}")
    date = gps.get(_GPS.GPSDateStamp)
    return GpsPosition(lat=lat, lon=lon, alt=alt, timestamp=str(date) if date else None)


def identifying_values(exif: Image.Exif) -> dict[str, str]:
    """Device and owner identifiers (finding type → value) from the base and EXIF IFDs."""
    found: dict[str, str] = {}
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    for tag, entity in IDENTIFYING_TAGS.items():
        value = sub.get(tag, exif.get(tag))
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str) and value.strip(" \x00"):
            found[entity] = value.strip(" \x00")
    return found
