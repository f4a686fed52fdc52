"""Which PII entity types a text can possibly contain, decided from its characters alone.

Every recognizer the ``pii`` detector runs needs a *trigger character* to produce a span:

====================================================  ==========================================
entity types                                          trigger (why it is necessary)
====================================================  ==========================================
PHONE_NUMBER, CREDIT_CARD, US_SSN, IBAN_CODE,         a digit: every pattern / the phonenumbers
STREET_ADDRESS, DATE_TIME                             matcher / our DATE_TIME definition require
                                                      one (see ``pii.py``: a DATE_TIME span must
                                                      hold a digit)
IP_ADDRESS                                            a digit or ``:`` (IPv4 needs digits; IPv6
                                                      needs ``:``)
EMAIL_ADDRESS, SOCIAL_HANDLE                          ``@``
URL                                                   ``.`` (every URL pattern needs a dot before
                                                      the TLD)
PERSON, LOCATION                                      a letter (a spaCy entity is made of tokens;
                                                      a span with no letter is dropped, see pii.py)
====================================================  ==========================================

So for each text we ask presidio only for the types whose trigger is present, and texts with
none of them (emoji, punctuation, whitespace) are never sent to the NLP model. This cannot
lose a span: a recognizer skipped here could not have matched. Note what is *not* done: we do
not skip NER on lowercase text — spaCy finds lowercase names ("my name is vitoria"), so that
would lose recall (measured on the presidio-research set; see docs/DETECTORS.md).
"""

from __future__ import annotations

import re
from typing import Final

#: entity type -> compiled "trigger present" test.
TRIGGERS: Final[dict[str, re.Pattern[str]]] = {
    "PERSON": re.compile(r"[^\W\d_]"),
    "LOCATION": re.compile(r"[^\W\d_]"),
    "DATE_TIME": re.compile(r"\d"),
    "PHONE_NUMBER": re.compile(r"\d"),
    "CREDIT_CARD": re.compile(r"\d"),
    "US_SSN": re.compile(r"\d"),
    "IBAN_CODE": re.compile(r"\d"),
    "STREET_ADDRESS": re.compile(r"\d"),
    "IP_ADDRESS": re.compile(r"[\d:]"),
    "EMAIL_ADDRESS": re.compile(r"@"),
    "SOCIAL_HANDLE": re.compile(r"@"),
    "URL": re.compile(r"\."),
}

#: Types that come (at least partly) from the spaCy NER model; the model runs only when one
#: of these is possible.
NER_TYPES: Final[frozenset[str]] = frozenset({"PERSON", "LOCATION", "DATE_TIME"})


def possible_entities(text: str, entities: tuple[str, ...]) -> list[str]:
    """The subset of ``entities`` whose trigger character occurs in ``text`` (order kept).

    Types without a registered trigger are always kept (never filtered blindly).
    """
    return [e for e in entities if e not in TRIGGERS or TRIGGERS[e].search(text)]


def needs_ner(possible: list[str]) -> bool:
    """Whether the spaCy model must run for a text with these possible types."""
    return any(e in NER_TYPES for e in possible)
