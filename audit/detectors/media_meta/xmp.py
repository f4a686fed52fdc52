"""XMP packets: IPTC data-mining reservation, rights statements, Creative Commons licences.

The IPTC Photo Metadata Standard (2023.1) defines ``plus:DataMining`` with values from the
PLUS vocabulary (``http://ns.useplus.org/ldf/vocab/DMI-…``) and ``plus:OtherConstraints``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from audit.detectors.media_meta import EmbeddedMetadataError

#: Larger XMP packets are refused: they are not metadata a camera or editor writes.
MAX_XMP_BYTES = 2 * 1024 * 1024

_PACKET = re.compile(rb"<x:xmpmeta\b.*?</x:xmpmeta>", re.DOTALL)

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "plus": "http://ns.useplus.org/ldf/xmp/1.0/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "cc": "http://creativecommons.org/ns#",
}

#: PLUS DataMining vocabulary → our reservation value.
DATA_MINING_VALUES: dict[str, str] = {
    "DMI-UNSPECIFIED": "unspecified",
    "DMI-ALLOWED": "allowed",
    "DMI-PROHIBITED-AIMLTRAINING": "prohibited",
    "DMI-PROHIBITED-GENAIMLTRAINING": "prohibited",
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING": "prohibited",
    "DMI-PROHIBITED": "prohibited",
    "DMI-PROHIBITED-SEECONSTRAINT": "constrained",
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR": "constrained",
    "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR": "constrained",
}

_CC_URL = re.compile(r"https?://creativecommons\.org/(?:licenses|publicdomain)/[\w./-]+", re.I)


@dataclass
class XmpRights:
    """What an XMP packet says about rights and data mining."""

    data_mining: str | None = None  # raw vocabulary code, e.g. DMI-PROHIBITED-AIMLTRAINING
    reservation: str | None = None  # prohibited | allowed | constrained | unspecified
    other_constraints: str | None = None
    usage_terms: str | None = None
    web_statement: str | None = None
    rights: str | None = None
    cc_licenses: list[str] = field(default_factory=list)


def find_packet(data: bytes, pillow_xmp: bytes | str | None = None) -> bytes | None:
    """The XMP packet of an image: Pillow's decoded one if given, else a byte search."""
    if pillow_xmp:
        packet = pillow_xmp.encode("utf-8") if isinstance(pillow_xmp, str) else pillow_xmp
    else:
        match = _PACKET.search(data)
        packet = match.group(0) if match else None
    if packet is not None and len(packet) > MAX_XMP_BYTES:
        raise EmbeddedMetadataError(
            "xmp_too_large", f"XMP packet of {len(packet)} bytes exceeds {MAX_XMP_BYTES}"
        )
    return packet


def _texts(root: ET.Element, path: str) -> list[str]:
    """Text of a property, whether simple, an attribute, or an rdf:Alt/Bag/Seq of rdf:li."""
    prefix, _, local = path.partition(":")
    tag = f"{{{NS[prefix]}}}{local}"
    values: list[str] = []
    for desc in root.iter(f"{{{NS['rdf']}}}Description"):
        if tag in desc.attrib:
            values.append(desc.attrib[tag])
    for el in root.iter(tag):
        resource = el.attrib.get(f"{{{NS['rdf']}}}resource")
        if resource:
            values.append(resource)
        items = [li.text or "" for li in el.iter(f"{{{NS['rdf']}}}li")]
        if items:
            values.extend(items)
        elif el.text and el.text.strip():
            values.append(el.text)
    return [v.strip() for v in values if v and v.strip()]


def parse_rights(packet: bytes) -> XmpRights:
    """Decode the rights-related properties of an XMP packet; raises on malformed XML."""
    try:
        root = ET.fromstring(packet)
    except ET.ParseError as exc:
        raise EmbeddedMetadataError("bad_xmp", f"XMP is not well-formed XML: {exc}") from exc
    out = XmpRights()
    mining = _texts(root, "plus:DataMining")
    if mining:
        code = mining[0].rstrip("/").rsplit("/", 1)[-1].upper()
        out.data_mining = code
        out.reservation = DATA_MINING_VALUES.get(code, "unspecified")
    first = {
        p: (_texts(root, p) or [None])[0]
        for p in (
            "plus:OtherConstraints",
            "xmpRights:UsageTerms",
            "xmpRights:WebStatement",
            "dc:rights",
        )
    }
    out.other_constraints = first["plus:OtherConstraints"]
    out.usage_terms = first["xmpRights:UsageTerms"]
    out.web_statement = first["xmpRights:WebStatement"]
    out.rights = first["dc:rights"]
    candidates = _texts(root, "cc:license") + [v for v in first.values() if v]
    out.cc_licenses = sorted({m.group(0) for v in candidates for m in _CC_URL.finditer(v)})
    return out
