"""Words and regex fragments shared by the minor_cues patterns: numbers, ordinals, nouns.

Every pattern of the package is compiled case-insensitive (:func:`ci`); the scanner runs a
case-sensitive copy over the lower-cased text where that keeps offsets (audit/detectors/
minor_cues/prefilter.py), so fragments here are written in lower case.
"""

from __future__ import annotations

import re
from typing import Final

UNITS: Final[tuple[str, ...]] = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
_TENS: Final = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70}
_ORD_WORDS: Final[tuple[str, ...]] = (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
    "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
    "seventeenth", "eighteenth", "nineteenth", "twentieth",
)  # fmt: skip


def _word_numbers() -> dict[str, int]:
    words = {w: i for i, w in enumerate(UNITS)}
    for tens, value in _TENS.items():
        words[tens] = value
        for i, unit in enumerate(UNITS[1:10], start=1):
            words[f"{tens}-{unit}"] = words[f"{tens} {unit}"] = value + i
    return words


def _ordinal_numbers() -> dict[str, int]:
    ordinals = {w: i for i, w in enumerate(_ORD_WORDS, start=1)}
    for tens, value in _TENS.items():
        ordinals[tens[:-1] + "ieth"] = value
        for i, unit in enumerate(_ORD_WORDS[:9], start=1):
            ordinals[f"{tens}-{unit}"] = value + i
    return ordinals


#: "fourteen" → 14, "twenty one" / "twenty-one" → 21 (0..79).
WORD_NUM: Final[dict[str, int]] = _word_numbers()
#: "fourteenth" → 14, "thirty-first" → 31.
ORD_NUM: Final[dict[str, int]] = _ordinal_numbers()


def _longest_first(words: object) -> str:
    # alternation tries left to right: "twenty one" must win over "twenty"
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))  # type: ignore[attr-defined]


#: Number words 10..79.
WORDS_10_79: Final = _longest_first(w for w, n in WORD_NUM.items() if n >= 10)
#: Number words 1..17 (a child's age).
WORDS_1_17: Final = "|".join(UNITS[1:18])
#: An age 10..99 as digits or words, not followed by a digit, a decimal, an inch mark or "/5".
AGE: Final = r"(?=[1-9tefsnTEFSN])(?P<age>[1-9]\d|" + WORDS_10_79 + r")(?![\d'’\"]|[.,]\d|/\d)"
#: An age 1..17 (a child's), digits or words.
CHILD_AGE: Final = r"(?P<age>1[0-7]|[1-9]|" + WORDS_1_17 + ")"
#: An ordinal: "14th", "fourteenth", "twenty-first".
ORDINAL: Final = r"(?:\d{1,2}(?:st|nd|rd|th)|" + _longest_first(ORD_NUM) + ")"
#: I'm / I am / im.
I_AM: Final = r"(?:i\s*['’]?\s*m|i\s+am|im)"

#: Things that have an age but are not people ("my 12 year old car").
OBJECTS: Final = (
    r"car|truck|van|bike|house|home|laptop|computer|pc|phone|tv|dog|cat|puppy|kitten|horse|tree|"
    r"account|company|business|blog|site|website|jeans|shoes|boots|couch|sofa|fridge|whisky|"
    r"whiskey|scotch|wine|bottle|cheese|camera|guitar|game|console|mattress|roof|boat|movie|"
    r"song|album|band|relationship|marriage|building|church|record|program|software|book|shirt"
)
#: A parent's words for their child (a cue about one is the parent's, not the author's age).
PARENT_NOUN: Final = (
    r"son|daughter|kid|kiddo|child|stepson|stepdaughter|step-son|step-daughter|toddler|"
    r"little\s+one|oldest|eldest|youngest|middle\s+child|boys|girls|kids|children|sons|"
    r"daughters|baby\s+(?:boy|girl)|dd|ds|dd\d|ds\d"
)
#: Other people whose age is not the author's (and does not make the author a parent).
SIBLING_NOUN: Final = (
    r"brother|sister|bro|sis|cousin|niece|nephew|grandson|granddaughter|friend|bf|gf|boyfriend|"
    r"girlfriend|neighbou?r|godson|goddaughter|stepbrother|stepsister|step-brother|step-sister|"
    r"brothers|sisters|cousins|nieces|nephews|grandkids|grandchildren|students?|pupils?"
)


def ci(pattern: str) -> re.Pattern[str]:
    """Compile case-insensitively (every pattern of the package is)."""
    return re.compile(pattern, re.IGNORECASE)


def number(raw: str | None) -> int | None:
    """'14' / 'fourteen' / '14th' / 'fourteenth' → 14; None when it is no number."""
    if not raw:
        return None
    s = raw.lower().strip().replace("’", "'")
    digits = re.match(r"(\d+)", s)
    if digits:
        return int(digits.group(1))
    s = re.sub(r"\s+", " ", s)
    return WORD_NUM.get(s, ORD_NUM.get(s))
