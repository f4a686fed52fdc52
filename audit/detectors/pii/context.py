"""Context words near a match, in the languages social posts are written in.

presidio's context enhancer drops stop words before matching, and spaCy counts "call" as an
English stop word, so "call me at 415-867-2291" never got its boost. Our recognizers look at
the characters around a match themselves, with these word lists (lower-case prefixes).
"""

from __future__ import annotations

import re
from typing import Final

#: How far before / after a match context words are looked for (characters).
BEFORE: Final = 40
AFTER: Final = 25


def words_regex(words: tuple[str, ...]) -> re.Pattern[str]:
    """A regex finding any of ``words`` at a word start (prefix match: "phones" has "phone")."""
    return re.compile(r"(?<![^\W_])(?:" + "|".join(sorted(words, key=len, reverse=True)) + ")")


def has_context(text: str, start: int, end: int, regex: re.Pattern[str]) -> bool:
    """Whether ``regex`` occurs shortly before ``start`` or after ``end``."""
    window = text[max(0, start - BEFORE) : start].lower() + " | " + text[end : end + AFTER].lower()
    return regex.search(window) is not None
