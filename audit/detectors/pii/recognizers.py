"""Custom presidio recognizers the stock registry lacks: US street addresses, social handles.

Both are plain :class:`presidio_analyzer.PatternRecognizer` subclasses (table-driven tests in
``tests/test_pii.py``). This module imports presidio, so only ``pii.py``'s ``setup()`` may
import it.
"""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

_STREET_SUFFIXES = (
    "street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
    "terrace|ter|circle|cir|parkway|pkwy|highway|hwy|square|sq|trail|trl|loop|alley|aly|"
    "crescent|cres|plaza|plz|pike|row|walk|path|expressway|expy|freeway|fwy|turnpike|tpke|"
    "courts|heights|hts|ridge|rdg|crossing|xing|point|pt|run|pass|glen|grove|grv|park|"
    "mews|close|gardens|gdns"
)
#: Words that cannot be part of a street name; stops "10 miles down the road" matching.
_NOT_NAME = r"(?!(?:the|a|an|of|to|down|up|on|in|at|my|our|your|his|her|their|and|or|for|with|from|by|this|that|is|was|minutes?|miles?|km|years?|days?|times?)\b)"
_NAME_WORD = _NOT_NAME + r"[^\W\d_][\w'.-]*"
_UNIT = r"(?:,?\s+(?:apt\.?|apartment|suite|ste\.?|unit|#)\s*[\w-]+)?"
#: house number, 1-4 street-name words (optionally a directional), a street suffix, a unit.
STREET_ADDRESS_REGEX = (
    r"\b\d{1,6}[a-z]?\s+(?:[nsew]\.?\s+)?(?:" + _NAME_WORD + r"\s+){1,4}?"
    r"(?:" + _STREET_SUFFIXES + r")\b\.?" + _UNIT
)
#: PO boxes and US military addresses (PSC/Unit … Box …).
PO_BOX_REGEX = r"\b(?:p\.?\s?o\.?\s?box|(?:psc|unit|cmr)\s+\d{1,5},?\s+box)\s+\d{1,6}\b"


class StreetAddressRecognizer(PatternRecognizer):
    """US-style street addresses ("42 Elm Street Apt. 3", "PO Box 123") → STREET_ADDRESS."""

    PATTERNS = [
        Pattern("street_address", STREET_ADDRESS_REGEX, 0.5),
        Pattern("po_box", PO_BOX_REGEX, 0.5),
    ]
    CONTEXT = ["address", "live", "lives", "located", "street", "mail", "ship", "deliver"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language="en",
            name="StreetAddressRecognizer",
        )


#: @user, @user.bsky.social, @user@mastodon.social; not the middle of an e-mail address.
SOCIAL_HANDLE_REGEX = (
    r"(?<![\w@./])@[a-z0-9_](?:[a-z0-9_.]{0,62}[a-z0-9_])?"
    r"(?:@[a-z0-9-]+(?:\.[a-z0-9-]+)+)?(?![\w@])"
)


class SocialHandleRecognizer(PatternRecognizer):
    """Social-media handles (X, Instagram, Bluesky, Mastodon) → SOCIAL_HANDLE."""

    PATTERNS = [Pattern("social_handle", SOCIAL_HANDLE_REGEX, 0.6)]
    CONTEXT = ["follow", "dm", "account", "handle", "tag", "ig", "insta"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="SOCIAL_HANDLE",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language="en",
            name="SocialHandleRecognizer",
        )
