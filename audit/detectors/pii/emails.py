"""E-mail addresses written out to dodge scrapers: "bob.smith at gmail dot com", "jane[at]x(dot)org".

presidio's e-mail recognizer needs a literal ``@`` and ``.``; without this, "bob.smith at
gmail dot com" became a URL finding "bob.sm". A written-out address needs evidence that the
words are an address and not a sentence ("look at this dot com bubble"):

=====  =====================================================================================
0.85   a bracketed ``[at]`` / ``(at)`` / ``{at}`` / ``<at>`` or a spaced `` @ ``, then a domain
0.8    " at " then a known mail provider ("gmail dot com", "outlook.de")
0.6    " at " then an unknown domain whose dots are written out ("acme dot co dot uk")
=====  =====================================================================================

The local part is one word-like token (letters, digits, ``. _ + -``), the domain ends in a
top-level domain from :data:`TLDS` (common generic and country TLDs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar, Final

from audit.detectors.pii.names import wordlist
from audit.detectors.pii.spans import Span, SpanRecognizer

PROVIDERS: Final = (
    "gmail", "googlemail", "yahoo", "ymail", "hotmail", "outlook", "live", "msn", "icloud",
    "me", "mac", "aol", "proton", "protonmail", "pm", "gmx", "web", "mail", "yandex",
    "zoho", "fastmail", "tutanota", "tuta", "hey", "qq", "163", "naver", "libero", "orange",
    "free", "wanadoo", "laposte", "sfr", "t-online", "freenet", "btinternet", "sky",
    "virginmedia", "comcast", "verizon", "att", "sbcglobal", "rediffmail", "seznam", "wp",
    "o2", "interia", "rambler", "ukr", "bol", "uol", "terra", "telefonica", "movistar",
)  # fmt: skip
TLDS: Final = (
    "com", "org", "net", "edu", "gov", "io", "co", "info", "biz", "me", "app", "dev", "xyz",
    "uk", "de", "fr", "es", "it", "nl", "be", "at", "ch", "se", "no", "dk", "fi", "pl",
    "pt", "br", "mx", "ar", "ca", "au", "nz", "in", "ie", "jp", "cn", "ru", "tr", "id",
    "ph", "sg", "za", "ng", "kr", "eu", "us",
)  # fmt: skip

_LOCAL = r"(?<![\w.@+\-])[a-z0-9][a-z0-9._+\-]{0,63}"
_LABEL = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
_BRACKET_AT = r"\s*(?:\[\s*at\s*\]|\(\s*at\s*\)|\{\s*at\s*\}|<\s*at\s*>)\s*|\s+@\s+"
_SPOKEN_AT = r"\s+at\s+"
_DOT = r"(?:\s*(?:\[\s*dot\s*\]|\(\s*dot\s*\)|\{\s*dot\s*\}|<\s*dot\s*>)\s*|\s+dot\s+|\.)"
_SPOKEN_DOT = r"(?:\s*(?:\[\s*dot\s*\]|\(\s*dot\s*\)|\{\s*dot\s*\}|<\s*dot\s*>)\s*|\s+dot\s+)"
_TLD = r"(?:" + "|".join(TLDS) + r")(?![\w@\-])"
_PROVIDER = r"(?:" + "|".join(re.escape(p) for p in PROVIDERS) + r")"

BRACKETED: Final = re.compile(
    _LOCAL + r"(?:" + _BRACKET_AT + r")" + r"(?:" + _LABEL + _DOT + r"){1,3}" + _TLD,
    re.IGNORECASE,
)
PROVIDER: Final = re.compile(
    _LOCAL + _SPOKEN_AT + _PROVIDER + _DOT + r"(?:" + _LABEL + _DOT + r")?" + _TLD,
    re.IGNORECASE,
)
SPELLED: Final = re.compile(
    _LOCAL + _SPOKEN_AT + r"(?:" + _LABEL + _SPOKEN_DOT + r"){1,3}" + _TLD, re.IGNORECASE
)
#: (regex, score), strongest first: a span found by an earlier one is not reported again.
PATTERNS: Final = ((BRACKETED, 0.85), (PROVIDER, 0.8), (SPELLED, 0.6))
#: Words that are never the local part of a spoken address ("look at gmail dot com").
_NOT_LOCAL: Final = wordlist(
    "at look looking me us him her them it this that is was be me you are am here there "
    "mail email e-mail write contact reach ping message dm me: or and"
)


_LOCAL_WORD = re.compile(r"[a-z0-9._+\-]+", re.IGNORECASE)


def find_written_emails(text: str) -> list[tuple[int, int, float]]:
    """``(start, end, score)`` of each written-out e-mail address."""
    found: list[tuple[int, int, float]] = []
    for regex, score in PATTERNS:
        for match in regex.finditer(text):
            start, end = match.span()
            local = _LOCAL_WORD.match(match.group())
            if local is None or local.group().lower() in _NOT_LOCAL:
                continue
            if any(s < end and start < e for s, e, _ in found):
                continue
            found.append((start, end, score))
    return sorted(found)


class WrittenEmailRecognizer(SpanRecognizer):
    """E-mail addresses with "at" / "dot" written out (see the module docstring)."""

    ENTITIES: ClassVar[tuple[str, ...]] = ("EMAIL_ADDRESS",)

    def spans(self, text: str, entities: list[str], nlp_artifacts: Any) -> Iterable[Span]:
        for start, end, score in find_written_emails(text):
            yield "EMAIL_ADDRESS", start, end, score, {}
