r"""Which PII entity types a text can possibly contain, decided from its characters alone.

Every recognizer the ``pii`` detector runs needs a *trigger character* to produce a span:

====================================================  ==========================================
entity types                                          trigger (why it is necessary)
====================================================  ==========================================
PHONE_NUMBER, CREDIT_CARD, US_SSN, IBAN_CODE,         a digit: every pattern / our phone
STREET_ADDRESS, DATE_TIME, CRYPTO, PASSPORT,          candidates / our DATE_TIME definition
DRIVER_LICENSE, NATIONAL_ID                           require one (a street address its house
                                                      number or PIN, a map link its house number
                                                      or coordinates; a wallet its "1", "3",
                                                      "bc1" or "0x")
IP_ADDRESS                                            digit ``.`` digit, ``::`` or a hex digit
                                                      beside ``:`` (IPv4 needs dotted digits;
                                                      every IPv6 alternative one of the others)
EMAIL_ADDRESS                                         ``@`` then non-space characters with a
                                                      ``.`` and one more (presidio's
                                                      ``@\w+([-.]\w+)*\.\w+``), a spaced `` @ ``
                                                      ("sam @ proton.me") or ``at`` (a written-out
                                                      "bob at gmail dot com", "jane[at]x(dot)org";
                                                      ``emails.py``)
SOCIAL_HANDLE                                         ``@``
URL                                                   a word character, ``.`` or ``-``, then
                                                      ``.``, then a letter (every URL pattern
                                                      holds ``[a-z0-9.-]+[.]<tld>`` and every
                                                      TLD starts with a letter)
PERSON, LOCATION                                      a letter (a spaCy entity or a gazetteer
                                                      place is made of words; a span with no
                                                      letter is dropped, see detector.py)
====================================================  ==========================================

Some digit types also need a minimum *number* of digits (``MIN_DIGITS``), counted over the
whole text (a span's digits are a subset of the text's, so the count is a necessary condition):

==============  ======  =====================================================================
PHONE_NUMBER    7       ``phones.MIN_DIGITS``: a candidate with fewer digits is never
                        classified (``tests/test_pii.py`` checks it on generated strings).
CREDIT_CARD     13      presidio's only pattern: 4 + 3 + 3 + 3 digit groups at least.
US_SSN          9       every presidio SSN pattern has exactly 9 digits.
PASSPORT        6       ``ids.py``: ``[A-Z]{0,3}\d{6,9}`` or ``\d{2}[A-Z]{2}\d{5}``.
DRIVER_LICENSE  4       ``ids.py``: the generic pattern asks for 4 digits, the UK one has 9.
NATIONAL_ID     4       ``ids.py``: the fewest digits of any scheme (Indian PAN: 4).
==============  ======  =====================================================================

So for each text we ask presidio only for the types whose trigger is present, and texts with
none of them (emoji, punctuation, whitespace) are never sent to the NLP model. This cannot
lose a span: a recognizer skipped here could not have matched. (The detector also drops
PERSON / LOCATION for texts that are not English: ``language.py``; that is a decision about
the model, not a trigger.) Note what is *not* done: we do not skip NER on lowercase text — spaCy finds lowercase names ("my name is vitoria"), so that
would lose recall (measured on the presidio-research set; see docs/DETECTORS.md).
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any, Final

import regex

# presidio compiles its patterns with the `regex` module, whose \d knows newer Unicode digits
# than Python 3.11's `re` (Kawi, Garay, …): digit triggers use `regex` too, a superset.
_ANY_DIGIT: Final = regex.compile(r"\d")
_ANY_LETTER: Final = re.compile(r"[^\W\d_]")

#: entity type -> compiled "trigger present" test.
TRIGGERS: Final[dict[str, Any]] = {
    "PERSON": _ANY_LETTER,
    "LOCATION": _ANY_LETTER,
    "DATE_TIME": _ANY_DIGIT,
    "PHONE_NUMBER": _ANY_DIGIT,
    "CREDIT_CARD": _ANY_DIGIT,
    "US_SSN": _ANY_DIGIT,
    "IBAN_CODE": _ANY_DIGIT,
    "STREET_ADDRESS": _ANY_DIGIT,
    "CRYPTO": _ANY_DIGIT,
    "PASSPORT": _ANY_DIGIT,
    "DRIVER_LICENSE": _ANY_DIGIT,
    "NATIONAL_ID": _ANY_DIGIT,
    # The three below are supersets of presidio's patterns under its own regex flags
    # (IGNORECASE, the `regex` module's Unicode \w): \S and \w here admit at least as much.
    # IPv4: dotted digits; every IPv6 alternative holds "::" or a hex digit next to ":"
    # ("fe80:", "a:b", "::1"), which "http://" and "RT @sam:" do not.
    "IP_ADDRESS": re.compile(r"\d\.\d|::|[0-9A-Fa-f]:|:[0-9A-Fa-f]"),
    # presidio's pattern needs "@" then "."; a written-out address "at" (any case, also in
    # "[at]") or an "@" between spaces ("sam @ proton.me").
    "EMAIL_ADDRESS": re.compile(r"@\S*\.\S|\s@\s|at", re.IGNORECASE),
    "SOCIAL_HANDLE": re.compile(r"@"),
    "URL": re.compile(r"[\w.-]\.[^\W\d_]"),
}

#: entity type -> digits a text needs before the type is possible (see module docstring).
MIN_DIGITS: Final[dict[str, int]] = {
    "PHONE_NUMBER": 7,
    "CREDIT_CARD": 13,
    "US_SSN": 9,
    "PASSPORT": 6,
    "DRIVER_LICENSE": 4,
    "NATIONAL_ID": 4,
}

#: Types that come (at least partly) from the spaCy NER model; the model runs only when one
#: of these is possible.
NER_TYPES: Final[frozenset[str]] = frozenset({"PERSON", "LOCATION", "DATE_TIME"})


def possible_entities(text: str, entities: tuple[str, ...]) -> list[str]:
    """The subset of ``entities`` whose trigger occurs in ``text`` (order kept).

    Types without a registered trigger are always kept (never filtered blindly).
    """
    # Counted once per text, and only when a digit type is asked for: `regex`'s `\d` (Unicode
    # Nd), a superset of what presidio's patterns and phonenumbers accept as digits.
    counted = any(e in MIN_DIGITS for e in entities)
    digits = len(_ANY_DIGIT.findall(text)) if counted else 0
    # ten types share `\d`: searched once, or known from the count
    present: dict[Any, bool] = {_ANY_DIGIT: digits > 0} if counted else {}

    def possible(entity: str) -> bool:
        trigger = TRIGGERS.get(entity)
        if trigger is None:
            return True
        if digits < MIN_DIGITS.get(entity, 0):
            return False
        if trigger not in present:
            present[trigger] = trigger.search(text) is not None
        return present[trigger]

    return [e for e in entities if possible(e)]


#: recognizer class name -> "trigger present" test: narrower than its type's trigger, for a
#: recognizer whose type has other sources (DATE_TIME also comes from the model, so its type
#: trigger stays a digit) or whose type trigger is shared (a digit). presidio's
#: DateRecognizer: every pattern has a digit beside "-", "/" or "." ("3/4/2009",
#: "2009-03-04", "4.3.09", "04-MAR", "MAR-09").
RECOGNIZER_TRIGGERS: Final[dict[str, Any]] = {
    "DateRecognizer": regex.compile(r"\d[-/.]|[-/.]\d"),
    # presidio's IBAN pattern opens with [A-Z]{2}[0-9]{2} (under IGNORECASE, whose matches
    # beyond ASCII, "ı", "ſ" and the Kelvin sign, are letters too).
    "IbanRecognizer": regex.compile(r"[^\W\d_]{2}[0-9]{2}"),
    # crypto.py: a legacy address has 26+ ASCII letters and digits in a row, a SegWit one
    # "bc1" and 11 more, an Ethereum one "0x" and 40 hex digits.
    "CryptoWalletRecognizer": regex.compile(r"[0-9A-Za-z]{14}"),
}


#: (recognizer class name, pattern name) -> trigger: the pattern runs only on texts holding
#: it (the recognizer's other patterns run as usual). presidio's UrlRecognizer: "Standard
#: Url" and "Quoted URL" require a scheme, the two quoted patterns a quote; "Non schema URL"
#: always runs. Same flags as presidio's (it adds IGNORECASE; "httpſ://" is a scheme to it).
PATTERN_TRIGGERS: Final[dict[tuple[str, str], re.Pattern[str]]] = {
    ("UrlRecognizer", "Standard Url"): re.compile(r"https?://", re.IGNORECASE),
    ("UrlRecognizer", "Quoted URL"): re.compile(r"[\"']https?://", re.IGNORECASE),
    ("UrlRecognizer", "Quoted Non-schema URL"): re.compile(r"[\"']"),
}


def gate_recognizer(recognizer: Any) -> None:
    """Make ``recognizer.analyze`` skip what cannot match a text: everything without the
    recognizer's trigger (:data:`RECOGNIZER_TRIGGERS`), each gated pattern without its own
    (:data:`PATTERN_TRIGGERS`). Recognizers with neither are left as they are.

    A pattern is skipped by calling a copy of the recognizer that lacks it (one per set of
    skipped patterns, made once): the recognizer itself never changes, so this is safe in
    threads, and a pattern that cannot match adds nothing to presidio's de-duplication.
    """
    name = type(recognizer).__name__
    trigger = RECOGNIZER_TRIGGERS.get(name)
    patterns = getattr(recognizer, "patterns", None) or []
    gates = {
        p.name: PATTERN_TRIGGERS[(name, p.name)]
        for p in patterns
        if (name, p.name) in PATTERN_TRIGGERS
    }
    if trigger is None and not gates:
        return
    analyze = recognizer.analyze
    variants: dict[frozenset[str], Any] = {frozenset(): analyze}

    def without(skipped: frozenset[str]) -> Any:
        if skipped not in variants:
            clone = copy.copy(recognizer)
            clone.patterns = [p for p in patterns if p.name not in skipped]
            variants[skipped] = functools.partial(type(recognizer).analyze, clone)
        return variants[skipped]

    def gated(text: str, *args: Any, **kwargs: Any) -> Any:
        if trigger is not None and not trigger.search(text):
            return []
        skipped = frozenset(p for p, gate in gates.items() if not gate.search(text))
        return without(skipped)(text, *args, **kwargs)

    recognizer.analyze = gated


def needs_ner(possible: list[str]) -> bool:
    """Whether the spaCy model must run for a text with these possible types."""
    return any(e in NER_TYPES for e in possible)
