"""media_meta detector: table-driven over images carrying (or not) each embedded signal."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from PIL import Image

from audit.detectors.base import Content
from audit.detectors.media_meta.detector import MediaMetaDetector
from tools.embedded_writer import (
    DMI_PREFIX,
    Gps,
    Rights,
    build_exif,
    c2pa_manifest_store,
    jpeg_with_metadata,
    xmp_packet,
)


def _base() -> Image.Image:
    return Image.new("RGB", (64, 48), (120, 160, 200))


def _write(tmp_path: Path, name: str, data: bytes) -> Content:
    path = tmp_path / name
    path.write_bytes(data)
    return Content(sha256=name, path=str(path))


def _detect(content: Content):
    detector = MediaMetaDetector()
    detector.setup()
    (result,) = detector.detect_batch([content])
    return result


def _types(result) -> set[str]:
    return {f.entity_type for f in result.findings}


def _attr(result, entity: str) -> dict:
    return next(f.attributes for f in result.findings if f.entity_type == entity)


CASES = [
    ("stripped", {}, set()),
    ("gps", {"exif": {"gps": Gps(48.8584, 2.2945, 35.0)}}, {"GPS_LOCATION", "EMBEDDED_METADATA"}),
    (
        "gps_south_west",
        {"exif": {"gps": Gps(-33.8568, -151.2153)}},
        {"GPS_LOCATION", "EMBEDDED_METADATA"},
    ),
    (
        "device",
        {"exif": {"camera": ("Acme", "X1", "Jane Roe", "SN-0042")}},
        {"CAMERA_SERIAL", "CAMERA_OWNER_NAME", "EMBEDDED_METADATA"},
    ),
    (
        "dmi_prohibited",
        {"xmp": Rights(data_mining=DMI_PREFIX + "DMI-PROHIBITED-AIMLTRAINING")},
        {"TRAINING_RESERVATION", "EMBEDDED_METADATA"},
    ),
    (
        "dmi_allowed",
        {"xmp": Rights(data_mining=DMI_PREFIX + "DMI-ALLOWED")},
        {"TRAINING_RESERVATION", "EMBEDDED_METADATA"},
    ),
    (
        "rights",
        {
            "xmp": Rights(
                usage_terms="No AI training",
                web_statement="https://ex.org/terms",
                cc_license="https://creativecommons.org/licenses/by-nc/4.0/",
            )
        },
        {"RIGHTS_STATEMENT", "CC_LICENSE", "EMBEDDED_METADATA"},
    ),
    (
        "c2pa",
        {"c2pa": "notAllowed"},
        {"C2PA_MANIFEST", "TRAINING_RESERVATION", "EMBEDDED_METADATA"},
    ),
]


@pytest.mark.parametrize(("name", "spec", "expected"), CASES, ids=[c[0] for c in CASES])
def test_signal_present_or_absent(
    tmp_path: Path, name: str, spec: dict, expected: set[str]
) -> None:
    data = jpeg_with_metadata(
        _base(),
        exif=build_exif(**spec["exif"]) if "exif" in spec else None,
        xmp=xmp_packet(spec["xmp"]) if "xmp" in spec else None,
        c2pa=c2pa_manifest_store(spec["c2pa"]) if "c2pa" in spec else None,
    )
    result = _detect(_write(tmp_path, f"{name}.jpg", data))
    assert result.error is None
    assert _types(result) == expected


def test_gps_values_decoded(tmp_path: Path) -> None:
    data = jpeg_with_metadata(_base(), exif=build_exif(gps=Gps(-33.8568, -151.2153, 12.5)))
    gps = _attr(_detect(_write(tmp_path, "g.jpg", data)), "GPS_LOCATION")
    assert gps["lat"] == pytest.approx(-33.8568, abs=1e-4)
    assert gps["lon"] == pytest.approx(-151.2153, abs=1e-4)
    assert gps["alt"] == pytest.approx(12.5)
    assert gps["lat_rounded"] == -33.86


@pytest.mark.parametrize(
    ("code", "reservation"),
    [
        ("DMI-PROHIBITED-AIMLTRAINING", "prohibited"),
        ("DMI-PROHIBITED-GENAIMLTRAINING", "prohibited"),
        ("DMI-PROHIBITED", "prohibited"),
        ("DMI-ALLOWED", "allowed"),
        ("DMI-PROHIBITED-SEECONSTRAINT", "constrained"),
        ("DMI-UNSPECIFIED", "unspecified"),
    ],
)
def test_data_mining_vocabulary(tmp_path: Path, code: str, reservation: str) -> None:
    data = jpeg_with_metadata(_base(), xmp=xmp_packet(Rights(data_mining=DMI_PREFIX + code)))
    attrs = _attr(_detect(_write(tmp_path, "d.jpg", data)), "TRAINING_RESERVATION")
    assert attrs["reservation"] == reservation
    assert attrs["code"] == code


@pytest.mark.parametrize(
    # an unsigned store the C2PA SDK cannot read: its reservations still count (conservative),
    # its "allowed" does not (a permission needs a valid manifest: tests/test_c2pa_validation.py)
    ("use", "expected"),
    [("notAllowed", "prohibited"), ("allowed", None), ("constrained", "constrained")],
)
def test_c2pa_training_mining(tmp_path: Path, use: str, expected: str | None) -> None:
    data = jpeg_with_metadata(_base(), c2pa=c2pa_manifest_store(use))
    result = _detect(_write(tmp_path, "c.jpg", data))
    attrs = _attr(result, "C2PA_MANIFEST")
    assert attrs["training_mining"] == expected
    assert attrs["validation_state"] == "unreadable"


def test_png_xmp_and_stripped_png(tmp_path: Path) -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt(
        "XML:com.adobe.xmp", xmp_packet(Rights(data_mining=DMI_PREFIX + "DMI-PROHIBITED")).decode()
    )
    buf = io.BytesIO()
    _base().save(buf, "PNG", pnginfo=info)
    result = _detect(_write(tmp_path, "x.png", buf.getvalue()))
    assert _attr(result, "TRAINING_RESERVATION")["reservation"] == "prohibited"
    plain = io.BytesIO()
    _base().save(plain, "PNG")
    assert _detect(_write(tmp_path, "p.png", plain.getvalue())).findings == []


def test_malformed_xmp_is_an_error_not_a_crash(tmp_path: Path) -> None:
    bad = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><unclosed></x:xmpmeta>"
    data = jpeg_with_metadata(_base(), exif=build_exif(gps=Gps(1.0, 2.0)), xmp=bad)
    result = _detect(_write(tmp_path, "bad.jpg", data))
    assert result.error is not None and result.error.startswith("bad_xmp")
    assert "GPS_LOCATION" in _types(result)  # what was readable is kept


def test_huge_xmp_refused(tmp_path: Path) -> None:
    packet = xmp_packet(Rights(copyright="x" * (3 * 1024 * 1024)))
    data = _base_jpeg() + packet  # packet appended after the image: found by byte search
    result = _detect(_write(tmp_path, "huge.jpg", data))
    assert result.error is not None and result.error.startswith("xmp_too_large")


def _base_jpeg() -> bytes:
    buf = io.BytesIO()
    _base().save(buf, "JPEG")
    return buf.getvalue()


def test_truncated_exif_block(tmp_path: Path) -> None:
    good = jpeg_with_metadata(
        _base(), exif=build_exif(gps=Gps(10.0, 20.0), camera=("A", "B", "C", "S1"))
    )
    start = good.index(b"Exif\x00\x00")
    # shrink the TIFF body but keep the APP1 length: offsets now point past the data
    broken = good[: start + 40] + b"\x00" * (len(good) - start - 40)
    result = _detect(_write(tmp_path, "trunc.jpg", broken))
    assert result.error is not None or result.findings is not None  # never raises
    assert isinstance(result.findings, list)


def test_wrong_type_gps(tmp_path: Path) -> None:
    exif = Image.Exif()
    from PIL import ExifTags

    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {ExifTags.GPS.GPSLatitude: (1.0, 2.0), ExifTags.GPS.GPSLongitude: (5.0,)}  # wrong arity
    )
    data = jpeg_with_metadata(_base(), exif=exif)
    result = _detect(_write(tmp_path, "wt.jpg", data))
    assert result.error is not None and result.error.split(":")[0] in {
        "bad_exif_gps",
        "bad_metadata",
    }
    assert "GPS_LOCATION" not in _types(result)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [("empty.jpg", b"", "media_empty"), ("junk.jpg", b"\x00not an image" * 50, "corrupt_image")],
)
def test_bad_files(tmp_path: Path, name: str, data: bytes, code: str) -> None:
    result = _detect(_write(tmp_path, name, data))
    assert result.error is not None and result.error.startswith(code)
    assert "0x" not in result.error  # no Python object repr in the message


def test_missing_file() -> None:
    result = _detect(Content(sha256="x", path="/nonexistent/nope.jpg"))
    assert result.error is not None and result.error.startswith("media_missing")


def test_app11_segment_parsing_is_bounded() -> None:
    from audit.detectors.media_meta.c2pa import read_c2pa

    # an APP11 length pointing far past the end must not loop or raise
    data = b"\xff\xd8" + struct.pack(">BBH", 0xFF, 0xEB, 60000) + b"jumbc2pa"
    assert read_c2pa(data).present in (True, False)
