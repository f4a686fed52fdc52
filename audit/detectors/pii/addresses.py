"""STREET_ADDRESS in the forms of the major regions, and addresses inside map links.

Forms (each a regex below; name words of the non-US forms must be capitalised, since
"via email 2" and "3 big green apples" are not addresses):

- number first (US, UK, CA, AU, IE, NZ, IN): "42 Elm Street Apt. 3", "7 N. Main St.",
  "10 Downing Street", "PO Box 123" (``recognizers.STREET_ADDRESS_REGEX``, extended suffixes);
- compound street word, number after (DE, AT, CH, NL, Nordic, FI): "Hauptstraße 5",
  "Bahnhofstr. 12a", "Keizersgracht 123", "Magasinsgatan 7", "Koskikatu 25";
  or a separate street word: "Berliner Straße 5", "Am Weg 3";
- street-type word first, number after (ES, IT, PT, FR, PL): "Calle Mayor 5",
  "Via Roma, 12", "Rua Augusta 100", "ul. Grochowa 80"; or number first (FR):
  "12 rue de la Paix", "5 bis avenue Foch";
- India: "Flat 4B, 12th Cross, Indiranagar, Bengaluru 560038" (a house/flat/plot marker,
  then up to five comma-separated parts, then a six-digit PIN);
- a map link (Google, Apple, OpenStreetMap, Bing, Waze) whose place / query holds a street
  address or coordinates: the address part of the URL is reported.

A match is extended over what follows it when that is a comma-separated postcode, city,
state or country ("…, 10115 Berlin", "…, London SW1A 1AA", "…, Toronto, ON M5V 2T6").

Scores: 0.6 for a street form, 0.75 when extended by a postcode or found in a map link;
+0.25 with an address context word before it ("address", "live at", "wohne", "adresse",
"dirección", "indirizzo", "ship to", …), at most 0.95.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar, Final
from urllib.parse import unquote_plus

from audit.detectors.pii.context import has_context, words_regex
from audit.detectors.pii.recognizers import PO_BOX_REGEX, STREET_ADDRESS_REGEX
from audit.detectors.pii.spans import Span, SpanRecognizer

_FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL  # presidio's, for the US pattern
_UP = r"[A-ZÀ-ÖØ-ÞĀ-ſ]"  # an upper-case Latin letter (ASCII and Latin-1/Extended-A)
_NAME = _UP + r"[\w'’.\-]*"
_NUMBER = r"\d{1,4}(?:\s?[a-zA-Z](?![\w]))?(?:\s?[-/]\s?\d{1,4})?"

#: Street words that end a compound street name. Not "-ring", "-gate", "-tie", "-kade":
#: too many English words end so ("During 1971", "Delegate 3", "Auntie 2", "Arcade 5").
_COMPOUND = (
    r"straße|strasse|str\.|gasse|weg|platz|allee|damm|ufer|chaussee|steig|pfad|markt|"
    r"graben|gracht|laan|straat|plein|singel|dijk|vej|(?<!bri)(?<!rene)gade|stræde|gatan|gata|"
    r"vägen|väg|veien|vei|gården|torget|torg|plass|plads|katu|(?<!au)ntie|kuja|polku|utca"
)
_SEPARATE = r"straße|strasse|str\.|weg|platz|allee|gasse|damm|ufer|chaussee|laan|straat|plein"
_PREFIX = (
    r"calle|c/|avda\.?|avenida|av\.|plaza|pza\.|paseo|pº|carrer|camino|ronda|travesía|"
    r"glorieta|via|viale|piazza|piazzale|corso|largo|vicolo|strada|rua|praça|travessa|"
    r"alameda|estrada|rue|avenue|boulevard|bd|place|chemin|allée|impasse|quai|route|cours|"
    r"ul\.|ulica|al\.|aleja|plac|os\.|osiedle"
)
_FR_TYPES = r"rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|route|cours|square"
_LINK = r"(?:\s+(?i:de|del|de la|de los|de las|della|delle|dei|degli|di|da|do|dos|das|des|du|d'|l'|de l'))?"

#: Compound street word or capitalised word + street word, then a house number.
CONTINENTAL: Final = re.compile(
    r"(?<![\w.])(?:(?:" + _NAME + r"[\s-]){0,2}" + _UP + r"[\w'’\-]*?(?i:" + _COMPOUND + r")"
    r"|(?:" + _NAME + r"\s+){1,2}(?i:" + _SEPARATE + r"))\s+" + _NUMBER + r"(?!\w|[.,]\d)"
)
#: Street-type word, optional linking word, capitalised name words, optional "nº", number.
PREFIXED: Final = re.compile(
    r"(?<![\w.])(?i:" + _PREFIX + r")" + _LINK + r"\s+" + _NAME + r"(?:\s+(?:" + _NAME + r"|"
    r"(?i:de|del|della|di|da|do|dos|das|des|du|la|le|los|las))){0,4},?\s*"
    r"(?:(?i:n\.?\s?º|nº|n°|no\.?|nr\.?|num\.?)\s*)?" + _NUMBER + r"(?!\w|[.,]\d)"
)
#: French number first: "12 rue de la Paix", "5 bis avenue Foch".
FRENCH: Final = re.compile(
    r"(?<![\w.])\d{1,4}(?:\s?(?i:bis|ter|[a-d](?!\w)))?,?\s+(?i:"
    + _FR_TYPES
    + r")"
    + _LINK
    + r"\s*"
    + _NAME
    + r"(?:\s+"
    + _NAME
    + r"){0,3}"
)
#: India: house/flat/plot marker ... six-digit PIN (optionally "- 560038").
INDIA: Final = re.compile(
    r"(?<![\w])(?i:flat|house|h\.?\s?no\.?|plot|door\s?no\.?|shop)\s*(?:(?i:no)\.?\s*)?"
    r"[\w/-]*\d[\w/-]*(?:,\s*[^,\n]{2,40}){1,5}?[\s,-]+[1-9]\d{2}\s?\d{3}(?!\d)"
)
#: After an address context word, any "Name(s) number" or "number Name(s)" is a street:
#: "my address is Pagari 18", "ship to 5533 Countess Close".
_LEAD = (
    r"(?i:address(?:\s+is)?|addr|adresse|dirección|direccion|indirizzo|endereço|adres|"
    r"anschrift|live[sd]?\s+(?:at|on)|living\s+(?:at|on)|located\s+at|ship(?:ped)?\s+to|"
    r"send\s+(?:it\s+)?to|deliver(?:ed)?\s+to|wohne\s+(?:in\s+der|in\s+der|am|im|in))"
)
CONTEXTUAL: Final = re.compile(
    r"(?<=" + r"[:\s])(?:" + _NAME + r"(?:\s+" + _NAME + r"){0,3}\s+\d{1,4}[a-zA-Z]?(?![\w.,]\d)|"
    r"\d{1,5}[a-zA-Z]?\s+" + _NAME + r"(?:\s+" + _NAME + r"){0,3})"
)
_LEAD_BEFORE = re.compile(_LEAD + r"\s*:?\s*$")
US_STYLE: Final = re.compile(STREET_ADDRESS_REGEX, _FLAGS)
PO_BOX: Final = re.compile(PO_BOX_REGEX, _FLAGS)

_POSTCODE = (
    r"\d{4,6}|\d{2}-\d{3}|\d{5}-\d{3,4}|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[A-Z]\d[A-Z]\s?\d[A-Z]\d"
    r"|\d{4}\s?[A-Z]{2}|\d{3}\s\d{2}"
)
_PLACE_WORD = _UP + r"[^\W\d_]+(?:[-'’][^\W\d_]+)*"
_PLACE = _PLACE_WORD + r"(?:[ \t]" + _PLACE_WORD + r"){0,2}"
_UNIT_PART = r"(?i:apt\.?|apartment|suite|ste\.?|unit|flat|floor|fl\.)[ \t]*#?[ \t]*[\w-]*\d[\w-]*"
#: One tail part: a unit, "postcode place", "place postcode", a place, a state (+ postcode).
_TAIL_PART = (
    r"(?:"
    + _UNIT_PART
    + r"|(?:"
    + _POSTCODE
    + r")(?:[ \t]+"
    + _PLACE
    + r")?|"
    + _PLACE
    + r"(?:,?[ \t]+(?:"
    + _POSTCODE
    + r"))?|[A-Z]{2,3}(?:[ \t]+(?:"
    + _POSTCODE
    + r"))?)"
)
#: What may follow a street form: comma-separated parts on its line, or whole lines below it
#: (a multi-line address: "42 Elm St\nSpringfield, IL 62704").
TAIL: Final = re.compile(
    r"(?:[ \t]+" + _UNIT_PART + r"(?![\w])|,[ \t]*" + _TAIL_PART + r"(?![\w])"
    r"|[ \t]+\d{4,5}[ \t]+" + _PLACE + r"(?![\w])"  # "… Champs-Élysées 75008 Paris"
    r"|[ \t]*\r?\n[ \t]*" + _TAIL_PART + r"(?=[ \t]*(?:[,.;!?)]|\r?\n|\Z))){1,5}"
)
_HAS_POSTCODE = re.compile(r"\d{4}|[A-Z]\d[A-Z\d]?\s?\d[A-Z]")

MAP_LINK: Final = re.compile(
    r"(?:https?://)?(?:www\.)?(?:google\.[a-z.]{2,6}/maps|maps\.google\.[a-z.]{2,6}|"
    r"goo\.gl/maps|maps\.apple\.com|(?:www\.)?openstreetmap\.org|bing\.com/maps|waze\.com)"
    r"[^\s<>\"']*",
    re.IGNORECASE,
)
#: The place part of a map URL: /place/<x>, /search/<x>, /dir/<x>, or q= / query= / daddr= / address=.
_MAP_PLACE = re.compile(
    r"(?:/(?:place|search|dir)/|[?&](?:q|query|daddr|saddr|address|ll|destination)=)([^/?&#]+)"
)
#: What every map link holds (each MAP_LINK host alternative contains one).
_MAP_HOSTS: Final = (
    "google.", "goo.gl/maps", "maps.apple.com", "openstreetmap.org", "bing.com/maps", "waze.com",
)  # fmt: skip
#: The street words CONTINENTAL needs (its alternatives without their look-behinds).
_CONTINENTAL_WORDS: Final = tuple(
    sorted({re.sub(r"\(\?<!\w+\)", "", w).replace("\\.", ".") for w in
            (_COMPOUND + "|" + _SEPARATE).split("|")})
)  # fmt: skip
#: Characters that re.IGNORECASE matches to an ASCII letter while str.lower() does not map
#: them to it (dotted and dotless i, long s): with one of them, a substring test proves nothing.
_FOLDS_APART: Final = re.compile("[\u0130\u0131\u017f]")


def _may_contain(text: str, words: tuple[str, ...]) -> bool:
    """False only if no case variant of any of ``words`` occurs in ``text`` (a cheap test
    that lets a costly case-insensitive regex over the same words be skipped)."""
    if _FOLDS_APART.search(text):
        return True
    lower = text.lower()
    return any(word in lower for word in words)


_COORDINATES = re.compile(r"-?\d{1,3}\.\d{3,}\s*,\s*-?\d{1,3}\.\d{3,}")
_HOUSE_NUMBER = re.compile(r"\d")

CONTEXT: Final = words_regex(
    (
        "address", "addr", "live at", "living at", "lives at", "located", "ship to",
        "deliver", "mail to", "send to", "come to", "our place", "my place", "wohne",
        "adresse", "anschrift", "dirección", "direccion", "domicilio", "vivo en",
        "indirizzo", "abito", "morada", "endereço", "moro na", "j'habite", "habite",
        "adres", "woon", "mieszkam", "adresa",
    )
)  # fmt: skip

FORMS: Final = (US_STYLE, PO_BOX, CONTINENTAL, PREFIXED, FRENCH, INDIA)
SCORE: Final = 0.6
SCORE_WITH_POSTCODE: Final = 0.75
CONTEXT_BOOST: Final = 0.25
MAX_SCORE: Final = 0.95


def _map_link_spans(links: list[re.Match[str]]) -> list[tuple[int, int]]:
    """Spans of the address / coordinates part of the map links ``links``."""
    spans = []
    for link in links:
        for place in _MAP_PLACE.finditer(link.group()):
            decoded = unquote_plus(place.group(1))
            if _COORDINATES.search(decoded) or (
                _HOUSE_NUMBER.search(decoded) and any(f.search(decoded) for f in FORMS)
            ):
                spans.append((link.start() + place.start(1), link.start() + place.end(1)))
    return spans


def find_addresses(text: str) -> list[tuple[int, int, float]]:
    """``(start, end, score)`` of every street address in ``text`` (longest wins on overlap)."""
    found = list(MAP_LINK.finditer(text)) if _may_contain(text, _MAP_HOSTS) else []
    candidates = [(s, e, SCORE_WITH_POSTCODE) for s, e in _map_link_spans(found)]
    links = [m.span() for m in found]
    for form in FORMS:
        if form is CONTINENTAL and not _may_contain(text, _CONTINENTAL_WORDS):
            continue
        for match in form.finditer(text):
            start, end = match.span()
            if any(ls <= start < le for ls, le in links):
                continue  # inside a map link: handled above, decoded
            score = SCORE
            tail = TAIL.match(text, end)
            if tail:
                end = tail.end()
                if _HAS_POSTCODE.search(tail.group()):
                    score = SCORE_WITH_POSTCODE
            candidates.append((start, end, score))
    for match in CONTEXTUAL.finditer(text):
        if _LEAD_BEFORE.search(text, max(0, match.start() - 40), match.start()):
            start, end = match.span()
            tail = TAIL.match(text, end)
            candidates.append((start, tail.end() if tail else end, SCORE))
    kept: list[tuple[int, int, float]] = []
    for start, end, score in sorted(candidates, key=lambda c: (c[0] - c[1], c[0])):
        if any(s < end and start < e for s, e, _ in kept):
            continue
        if has_context(text, start, end, CONTEXT):
            score = min(MAX_SCORE, score + CONTEXT_BOOST)
        kept.append((start, end, score))
    return sorted(kept)


class AddressRecognizer(SpanRecognizer):
    """Street addresses of the major regions and in map links (see the module docstring)."""

    ENTITIES: ClassVar[tuple[str, ...]] = ("STREET_ADDRESS",)

    def spans(self, text: str, entities: list[str], nlp_artifacts: Any) -> Iterable[Span]:
        for start, end, score in find_addresses(text):
            yield "STREET_ADDRESS", start, end, score, {}
