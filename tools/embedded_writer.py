"""Write embedded metadata into images: test fixtures and the sample corpus builder.

The one implementation of EXIF/XMP/C2PA writing in the project (tests, sample_data).

Produces what cameras and editors write — EXIF GPS and device tags via Pillow, an XMP packet
with IPTC PLUS data-mining and rights properties in a JPEG APP1 segment, and a C2PA-shaped
JUMBF manifest store in APP11 carrying a training-mining assertion. The C2PA box is *not
signed* (signing needs a certificate chain); readers that validate signatures will reject it,
which is fine for exercising our presence/assertion reader.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from fractions import Fraction

from PIL import Image
from PIL.TiffImagePlugin import IFDRational

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
TAG_MAKE, TAG_MODEL = 0x010F, 0x0110
TAG_ORIENTATION = 0x0112
TAG_CAMERA_OWNER, TAG_BODY_SERIAL = 0xA430, 0xA431

#: IPTC PLUS "data mining" vocabulary (https://ns.useplus.org/ldf/vocab/DMI).
DMI_PREFIX = "http://ns.useplus.org/ldf/vocab/"
DMI_PROHIBITED_AIML = DMI_PREFIX + "DMI-PROHIBITED-AIMLTRAINING"
DMI_PROHIBITED = DMI_PREFIX + "DMI-PROHIBITED"
DMI_ALLOWED = DMI_PREFIX + "DMI-ALLOWED"


@dataclass(frozen=True)
class Gps:
    """A position to embed: decimal degrees and metres above sea level."""

    lat: float
    lon: float
    alt_m: float = 0.0


@dataclass(frozen=True)
class Rights:
    """XMP rights statements; empty strings are left out of the packet."""

    data_mining: str = ""
    usage_terms: str = ""
    web_statement: str = ""
    copyright: str = ""
    cc_license: str = ""


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    """Degrees, minutes and hundredths of seconds as EXIF rationals."""
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = Fraction(round((value - degrees - minutes / 60) * 3600 * 100), 100)
    return (
        IFDRational(degrees, 1),
        IFDRational(minutes, 1),
        IFDRational(seconds.numerator, seconds.denominator),
    )


def dms_to_decimal(dms: tuple[float, float, float], ref: str) -> float:
    """Decimal degrees from EXIF (degrees, minutes, seconds) and a N/S/E/W reference."""
    value = float(dms[0]) + float(dms[1]) / 60 + float(dms[2]) / 3600
    return -value if ref in ("S", "W") else value


def build_exif(
    *,
    gps: Gps | None = None,
    orientation: int | None = None,
    camera: tuple[str, str, str, str] | None = None,
) -> Image.Exif:
    """An EXIF block with GPS, Orientation and/or (make, model, owner, body serial)."""
    exif = Image.Exif()
    if orientation is not None:
        exif[TAG_ORIENTATION] = orientation
    if camera is not None:
        make, model, owner, serial = camera
        exif[TAG_MAKE], exif[TAG_MODEL] = make, model
        exif_ifd = exif.get_ifd(EXIF_IFD)
        exif_ifd[TAG_CAMERA_OWNER], exif_ifd[TAG_BODY_SERIAL] = owner, serial
    if gps is not None:
        gps_ifd = exif.get_ifd(GPS_IFD)
        gps_ifd.update(
            {
                0: b"\x02\x02\x00\x00",  # GPSVersionID 2.2
                1: "N" if gps.lat >= 0 else "S",
                2: _dms(gps.lat),
                3: "E" if gps.lon >= 0 else "W",
                4: _dms(gps.lon),
                5: 0 if gps.alt_m >= 0 else 1,  # above / below sea level
                6: IFDRational(round(abs(gps.alt_m) * 10), 10),
            }
        )
    return exif


def _alt(tag: str, value: str) -> str:
    return f'   <{tag}><rdf:Alt><rdf:li xml:lang="x-default">{value}</rdf:li></rdf:Alt></{tag}>\n'


def xmp_packet(rights: Rights) -> bytes:
    """An XMP packet carrying IPTC PLUS DataMining, xmpRights and dc:rights."""
    attrs = ""
    if rights.data_mining:
        attrs += f'\n    plus:DataMining="{rights.data_mining}"'
    if rights.web_statement:
        attrs += f'\n    xmpRights:WebStatement="{rights.web_statement}"'
    body = ""
    if rights.usage_terms:
        body += _alt("xmpRights:UsageTerms", rights.usage_terms)
    if rights.copyright:
        body += _alt("dc:rights", rights.copyright)
    if rights.cc_license:
        body += f'   <cc:license rdf:resource="{rights.cc_license}"/>\n'

    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"\n'
        '    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        f'    xmlns:cc="http://creativecommons.org/ns#"{attrs}>\n'
        f"{body}"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    return packet.encode("utf-8")


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def c2pa_manifest_store(training_mining: str = "notAllowed") -> bytes:
    """A JUMBF ``c2pa`` manifest store holding one ``c2pa.training-mining`` assertion (unsigned)."""

    def labelled(label: str, content: bytes) -> bytes:
        jumd = _box(b"jumd", b"\x00" * 16 + b"\x03" + label.encode() + b"\x00")
        return _box(b"jumb", jumd + content)

    # CBOR map {"entries": {"c2pa.ai_generative_training": {"use": <value>}}}
    key = b"c2pa.ai_generative_training"
    cbor = (
        b"\xa1\x67entries\xa1"
        + bytes([0x60 + len(key) if len(key) < 24 else 0x78])
        + (bytes([len(key)]) if len(key) >= 24 else b"")
        + key
        + b"\xa1\x63use"
        + bytes([0x60 + len(training_mining)])
        + training_mining.encode()
    )
    assertion = labelled("c2pa.training-mining", _box(b"cbor", cbor))
    assertions = labelled("c2pa.assertions", assertion)
    manifest = labelled("urn:uuid:00000000-0000-4000-8000-000000000000", assertions)
    return labelled("c2pa", manifest)


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def splice_segments(jpeg: bytes, *, xmp: bytes | None = None, c2pa: bytes | None = None) -> bytes:
    """Insert an XMP packet (APP1) and/or a C2PA manifest store (APP11) after the SOI marker."""
    extra = b""
    if xmp is not None:
        extra += _jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp)
    if c2pa is not None:
        # APP11 JUMBF: common identifier "JP", instance number, packet sequence number
        extra += _jpeg_segment(0xEB, b"JP" + struct.pack(">HI", 1, 1) + c2pa)
    return jpeg[:2] + extra + jpeg[2:]


def jpeg_with_metadata(
    image: Image.Image,
    *,
    exif: Image.Exif | None = None,
    xmp: bytes | None = None,
    c2pa: bytes | None = None,
    quality: int = 85,
) -> bytes:
    """Encode ``image`` as JPEG with EXIF, then splice in XMP (APP1) and C2PA (APP11)."""
    buf = io.BytesIO()
    kwargs: dict[str, object] = {"quality": quality}
    if exif is not None:
        kwargs["exif"] = exif.tobytes()
    image.convert("RGB").save(buf, "JPEG", **kwargs)
    return splice_segments(buf.getvalue(), xmp=xmp, c2pa=c2pa)
