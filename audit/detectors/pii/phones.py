"""PHONE_NUMBER as people write it: national and international formats, no context needed.

presidio's stock recognizer runs ``phonenumbers.PhoneNumberMatcher`` once per region over the
whole text and gives every match 0.4, so a clean "call me at 415-867-2291" fell under a
rule's 0.5. Here a cheap regex finds phone-shaped candidates (digit groups with the
separators people use, an optional ``+``/``00`` country code, ``(area)`` and ``(0)``), known
non-phones are dropped, and libphonenumber decides validity, trying the regions that the
text's language suggests first.

Scores (documented in docs/DETECTORS.md; a rule's 0.5 keeps the first three):

=====  =====================================================================================
0.75   international format (``+44 161 496 0000``, ``0049 30 1234567``), valid
0.5    international format of a possible length, in a range not (yet) assigned
0.6    national format with separators, valid in a region of the text's language
       ("415-867-2291" / "(617) 555-0103" in English, "612 34 56 78" in Spanish)
0.45   national format with separators, valid only in another major region
0.35   a bare run of digits that happens to be valid ("4158672291": could be an order number)
+0.3   a phone context word nearby ("call", "tel", "WhatsApp", "llámame", …), at most 0.95
=====  =====================================================================================

Never a phone (dropped before validation): ISBN/ISSN, order / invoice / tracking / ticket /
reference / serial / version / card / SSN numbers (a marker word just before), prices and
amounts (currency symbol or unit next to it), dates and year ranges, dotted versions and IP
addresses, decimal and thousands-separated numbers, the 3-2-4 grouping of a US SSN.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar, Final

from audit.detectors.pii.context import has_context, words_regex
from audit.detectors.pii.spans import Span, SpanRecognizer

#: A phone needs this many digits at least (shorter numbers are extensions or codes).
MIN_DIGITS: Final = 7
MAX_DIGITS: Final = 15

#: Regions to try first, by the text's language (ISO 639-1; "und" = undetermined).
LANGUAGE_REGIONS: Final[dict[str, tuple[str, ...]]] = {
    "en": ("US", "GB", "AU", "IN", "IE", "NZ", "ZA", "NG", "PH", "SG"),
    "es": ("ES", "MX", "AR", "CO", "CL", "PE", "US"),
    "pt": ("BR", "PT"),
    "fr": ("FR", "BE", "CH", "CA"),
    "de": ("DE", "AT", "CH"),
    "it": ("IT", "CH"),
    "nl": ("NL", "BE"),
    "sv": ("SE",),
    "pl": ("PL",),
    "tr": ("TR",),
    "id": ("ID",),
    "tl": ("PH",),
    "ru": ("RU",),
    "ar": ("SA", "AE", "EG"),
    "hi": ("IN",),
    "ja": ("JP",),
    "zh": ("CN", "TW", "HK"),
    "ko": ("KR",),
}
LANGUAGE_REGIONS["und"] = LANGUAGE_REGIONS["en"]
#: Every other region tried (lower score): the major markets of social platforms.
MAJOR_REGIONS: Final = (
    "US", "GB", "DE", "FR", "ES", "IT", "NL", "BE", "AT", "CH", "AU", "IN", "BR", "MX",
    "IE", "PT", "SE", "PL", "CA",
)  # fmt: skip

SCORE_INTERNATIONAL: Final = 0.75
SCORE_INTERNATIONAL_POSSIBLE: Final = 0.5
SCORE_NATIONAL: Final = 0.6
SCORE_OTHER_REGION: Final = 0.45
SCORE_BARE_DIGITS: Final = 0.35
CONTEXT_BOOST: Final = 0.3
MAX_SCORE: Final = 0.95

_SEP = r"[ \u00a0.\-/]"
#: Phone-shaped: optional +CC / 00CC (and "(0)"), optional (area), digit groups.
CANDIDATE: Final = re.compile(
    r"(?<![\w.,/#$€£¥₹+\-])"
    r"(?:(?:\+|\b00)\d{1,3}(?:" + _SEP + r"?\(0\))?" + _SEP + r"?)?"
    r"(?:\(\d{1,5}\)" + _SEP + r"?)?"
    r"\d+(?:" + _SEP + r"\d+){0,6}"
    r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,5})?"  # an extension is part of the number
    r"(?!\w|-\d|[.,/]\d)"
)
_DIGIT = re.compile(r"\d")
_EXTENSION = re.compile(r"\s?(?:x|ext\.?|extension)\s?\d{1,5}$")

CONTEXT: Final = words_regex(
    (
        "phone", "tel", "call", "ring me", "text me", "txt", "sms", "whatsapp", "whats app",
        "wa:", "mobile", "mob", "cell", "contact", "fax", "hotline", "reach me", "dial",
        "telefon", "handy", "anruf", "ruf", "teléfono", "telefono", "telefone", "móvil",
        "movil", "celular", "llám", "llam", "téléphone", "portable", "appel", "chiam",
        "cellulare", "bel me", "bellen", "nummer", "número", "numero", "ligue", "contato",
        "zadzwoń", "telefonu", "ara beni",
    )
)  # fmt: skip
#: A marker word right before the number says it is something else.
_NOT_PHONE_BEFORE = re.compile(
    r"(?:\b(?:isbn(?:-1[03])?|issn|order|invoice|tracking|track|ticket|ref|reference|case|"
    r"serial|sku|version|ver|v|build|receipt|transaction|txn|confirmation|booking|"
    r"item|part|model|doi|pmid|arxiv|patent|flight|account|acct|policy|claim|"
    r"customer|member|id|no|nr|code|pin|otp|zip|postcode|plz|cp|card|cc|credit|debit|visa|"
    r"mastercard|amex|iban|bic|swift|routing|sort code|ssn|social security|apt|apartment|suite|unit|flat|box|"
    r"room|floor)\b\.?\s*(?:no\.?|nr\.?|number|num\.?|id|#|:)?\s*(?:is|was|=)?\s*[#:]?\s*"
    r"|[#$€£¥₹]\s*|\bv)$",
    re.IGNORECASE,
)
#: "no"/"nr"/"number" are phone markers too when a phone word precedes them ("tel no.").
_PHONE_MARKER_BEFORE = re.compile(
    r"(?:phone|tel|telephone|mobile|cell|contact|fax|whatsapp)\.?\s*(?:no|nr|number|num|#)\.?\s*"
    r"[#:]?\s*$",
    re.IGNORECASE,
)
_NOT_PHONE_AFTER = re.compile(
    r"^(?::\d|\s?(?:%|€|\$|£|¥|₹|usd|eur|gbp|dollars?|euros?|pounds?|k\b|m\b|kg|km|mb|gb|tb|"
    r"mph|kmh|px|views|followers|likes|subs|points|pts|votes))",
    re.IGNORECASE,
)
#: A token of letters and digits right before: the candidate continues a code.
_CODE_BEFORE = re.compile(r"(?:[A-Za-z]+\d|\d+[A-Za-z])[A-Za-z\d]* $")
#: A date (also the date part of a date-time) or a year range.
_DATE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})(?:\s|$)|"
    r"^(?:19|20)\d{2}\s?[-/]\s?(?:19|20)?\d{2}$"
)
_SSN_SHAPE = re.compile(r"^\d{3}-\d{2}-\d{4}$")  # a US SSN's grouping, never a phone's
_DOTTED_SMALL = re.compile(r"^\d{1,3}(?:\.\d{1,3}){2,3}$")  # versions, IP addresses
_THOUSANDS = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")
_DECIMAL = re.compile(r"^\d{1,3}\.\d{4,}$")


def not_a_phone(text: str, start: int, end: int) -> bool:
    """Whether the candidate ``text[start:end]`` is, by its shape or neighbours, no phone."""
    candidate = text[start:end]
    if _DATE.search(candidate) or _DOTTED_SMALL.match(candidate):
        return True
    if _THOUSANDS.match(candidate) or _DECIMAL.match(candidate) or _SSN_SHAPE.match(candidate):
        return True
    before = text[max(0, start - 30) : start]
    if _NOT_PHONE_BEFORE.search(before) and not _PHONE_MARKER_BEFORE.search(before):
        return True
    if _CODE_BEFORE.search(before):
        return True  # the tail of a longer code ("1Z 999 AA1 0123 4567 84")
    return _NOT_PHONE_AFTER.match(text[end : end + 12]) is not None


def classify(candidate: str, language: str) -> tuple[float, str] | None:
    """``(score before context, region)`` of a valid phone number, or None."""
    import phonenumbers

    stripped = _EXTENSION.sub("", candidate.strip())
    digits = _DIGIT.findall(stripped)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return None
    if stripped.startswith(("+", "00")):
        number = "+" + stripped[2:] if stripped.startswith("00") else stripped
        try:
            parsed = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException:
            return None
        region = phonenumbers.region_code_for_country_code(parsed.country_code)
        if phonenumbers.is_valid_number(parsed):
            return SCORE_INTERNATIONAL, region
        if phonenumbers.is_possible_number(parsed):
            return SCORE_INTERNATIONAL_POSSIBLE, region  # right length, unassigned range
        return None
    formatted = len(digits) < len(stripped)  # separators or parentheses
    hinted = LANGUAGE_REGIONS.get(language, LANGUAGE_REGIONS["en"])
    for region in dict.fromkeys(hinted + MAJOR_REGIONS):
        try:
            parsed = phonenumbers.parse(stripped, region)
        except phonenumbers.NumberParseException:
            continue
        if parsed.country_code != phonenumbers.country_code_for_region(region):
            continue  # the digits carried their own country code: not a national number
        if phonenumbers.is_valid_number_for_region(parsed, region):
            if not formatted:
                return SCORE_BARE_DIGITS, region
            return (SCORE_NATIONAL if region in hinted else SCORE_OTHER_REGION), region
    return None


def find_phones(text: str, language: str) -> list[tuple[int, int, float, str]]:
    """``(start, end, score, region)`` of every phone number in ``text``."""
    found = []
    for match in CANDIDATE.finditer(text):
        start, end = match.span()
        if not_a_phone(text, start, end):
            continue
        classified = classify(match.group(), language)
        if classified is None:
            continue
        score, region = classified
        if has_context(text, start, end, CONTEXT):
            score = min(MAX_SCORE, score + CONTEXT_BOOST)
        found.append((start, end, round(score, 2), region))
    return found


class SocialPhoneRecognizer(SpanRecognizer):
    """Phone numbers in international and national formats (see the module docstring);
    the text's language comes from the NLP artifacts when present."""

    ENTITIES: ClassVar[tuple[str, ...]] = ("PHONE_NUMBER",)

    def spans(self, text: str, entities: list[str], nlp_artifacts: Any) -> Iterable[Span]:
        language = getattr(nlp_artifacts, "text_language", None) or "und"
        for start, end, score, region in find_phones(text, language):
            yield "PHONE_NUMBER", start, end, score, {"region": region}
