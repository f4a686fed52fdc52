"""Write embedded metadata into images: test fixtures and the sample corpus builder.

Produces what cameras and editors write — EXIF GPS and device tags via Pillow, an XMP packet
with IPTC PLUS data-mining and rights properties in a JPEG APP1 segment, and a C2PA-shaped
JUMBF manifest store in APP11 carrying a training-mining assertion. The C2PA box is *not
signed* (signing needs a certificate chain); readers that validate signatures will reject it,
which is fine for exercising our presence/assertion reader.
"""

from __future__ import annotations

import io
import struct
from fractions import Fraction

from PIL import ExifTags, Image

PLUS_VOCAB = "http://ns.useplus.org/ldf/vocab/"


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 100)
    return Fraction(degrees), Fraction(minutes), Fraction(seconds, 100)


def build_exif(
    *,
    gps: tuple[float, float, float | None] | None = None,
    serial: str | None = None,
    owner: str | None = None,
    orientation: int | None = None,
) -> Image.Exif:
    """An EXIF block with optional GPS (lat, lon, alt), camera serial, owner and orientation."""
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        lat, lon, alt = gps
        info = {
            ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
            ExifTags.GPS.GPSLatitude: _dms(lat),
            ExifTags.GPS.GPSLongitudeRef: "E" if lon >= 0 else "W",
            ExifTags.GPS.GPSLongitude: _dms(lon),
        }
        if alt is not None:
            info[ExifTags.GPS.GPSAltitude] = Fraction(alt).limit_denominator(100)
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(info)
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    if serial:
        sub[ExifTags.Base.BodySerialNumber] = serial
    if owner:
        sub[ExifTags.Base.CameraOwnerName] = owner
    return exif


def xmp_packet(
    *,
    data_mining: str | None = None,
    usage_terms: str | None = None,
    web_statement: str | None = None,
    rights: str | None = None,
    cc_license: str | None = None,
) -> bytes:
    """An XMP packet; ``data_mining`` is a PLUS code such as ``DMI-PROHIBITED-AIMLTRAINING``."""
    props = []
    if data_mining:
        props.append(f'<plus:DataMining rdf:resource="{PLUS_VOCAB}{data_mining}"/>')
    if usage_terms:
        props.append(
            "<xmpRights:UsageTerms><rdf:Alt>"
            f'<rdf:li xml:lang="x-default">{usage_terms}</rdf:li></rdf:Alt></xmpRights:UsageTerms>'
        )
    if web_statement:
        props.append(f"<xmpRights:WebStatement>{web_statement}</xmpRights:WebStatement>")
    if rights:
        props.append(
            f'<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{rights}</rdf:li></rdf:Alt></dc:rights>'
        )
    if cc_license:
        props.append(f'<cc:license rdf:resource="{cc_license}"/>')
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" '
        'xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:cc="http://creativecommons.org/ns#">'
        + "".join(props)
        + '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode("utf-8")


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


def jpeg_with_metadata(
    image: Image.Image,
    *,
    exif: Image.Exif | None = None,
    xmp: bytes | None = None,
    c2pa: bytes | None = None,
    quality: int = 85,
) -> bytes:
    """Encode ``image`` as JPEG and splice in EXIF, XMP (APP1) and C2PA (APP11) segments."""
    buf = io.BytesIO()
    kwargs = {"quality": quality}
    if exif is not None:
        kwargs["exif"] = exif.tobytes()
    image.convert("RGB").save(buf, "JPEG", **kwargs)
    data = buf.getvalue()
    extra = b""
    if xmp is not None:
        extra += _jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp)
    if c2pa is not None:
        # APP11 JUMBF: common identifier "JP", instance number, packet sequence number
        extra += _jpeg_segment(0xEB, b"JP" + struct.pack(">HI", 1, 1) + c2pa)
    return data[:2] + extra + data[2:]
