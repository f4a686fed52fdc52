"""Who a cue is about and when: the left context of a match, read with a few regexes.

A cue's *subject* is decided by the nearest subject marker before it in the same sentence
("my daughter" → a parent's child, "she" / a name → someone else, "I teach" → a teacher,
"I" / "my" → the author). Its *tense* says whether the author reminisces ("when I was"),
looks ahead ("when I turn", "I'll be") or speaks of the present.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from audit.detectors.minor_cues.lexicon import PARENT_NOUN, SIBLING_NOUN, ci

Subject = Literal["self", "other", "unknown"]
Role = Literal["teacher", "parent", "other", "self", "none"]
Tense = Literal["present", "past", "future"]

#: Capitalised words that start sentences rather than name a person.
_NOT_NAMES: Final = (
    "Today|Tomorrow|Tonight|School|This|That|It|There|Here|Next|Now|Then|Yesterday|So|And|But|"
    "Well|Oh|Ok|Okay|My|Our|The|Everyone|Everybody|Life|Summer|Mom|Dad"
)
#: Subject markers; the last one before the cue wins (named groups = roles).
_SUBJECT: Final = ci(
    r"(?P<teacher>\bi\s+teach\b|\bi\s*['’]?m\s+teaching\b|\bi\s*['’]?m\s+a\s+(?:\w+\s+)?teacher\b"
    r"|\bmy\s+(?:own\s+|new\s+|former\s+)?(?:students|pupils)\b)"
    r"|(?P<parent>\b(?:my|our)\s+(?:(?:little|youngest|oldest|eldest|older|younger|baby|big|middle"
    r"|two|three|twin|step)\s+)?(?:" + PARENT_NOUN + r")(?:['’]s?)?\b)"
    r"|(?P<other>\b(?:my|our|his|her|their|your)\s+(?:(?:little|younger|older|big|baby|best|twin"
    r"|step|\w+['’]s)\s+)?(?:" + SIBLING_NOUN + r")(?:['’]s?)?\b"
    r"|\b(?:he|she|they|he['’]s|she['’]s|they['’]re|hes|shes|him|his|her|their|who|whose)\b"
    r"|(?-i:\b(?!(?:" + _NOT_NAMES + r")\b)[A-Z][a-z]+)"
    r"(?:['’]s\b|\s+(?:is|was|will|just|starts|started|goes|went|has|had)\b))"
    r"|(?P<self>\b(?:i|i['’]m|im|i['’]ve|i['’]ll|i['’]d|me|my|myself|we|we['’]re|our)\b)"
)
_PAST: Final = ci(
    r"\bwhen\s+i\s+was\b|\bwhen\s+we\s+were\b|\bback\s+(?:when|in|then)\b|\bused\s+to\b"
    r"|\byears?\s+ago\b|\bas\s+a\s+(?:kid|child|teen|teenager)\b|\bgrowing\s+up\b|\bremember\b"
    r"|\bin\s+my\s+day\b|\bat\s+the\s+time\b|\bthose\s+days\b|\bwhile\s+i\s+was\b"
    r"|\bi\s+was\s+(?:in|a)\b|\bsince\s+i\s+was\b|\bin\s+19\d\d\b"
)
_FUTURE: Final = ci(
    r"\bwhen\s+i\s+(?:turn|get|'m|am)\b|\bi['’]?ll\s+be\b|\bi\s+will\s+be\b"
    r"|\bnext\s+(?:year|fall|semester)\b|\bgoing\s+(?:in)?to\b|\bcan['’]?t\s+wait\b"
    r"|\bgonna\s+be\b|\bwill\s+be\b|\buntil\s+i\b|\btill\s+i\b|\btil\s+i\b"
)
#: A conditional or wished-for clause before the cue: "if my kids ever ...", "when I'm 18".
HYPOTHETICAL_LEFT: Final = ci(
    r"\b(?:if|when|whenever|until|till|til|unless|once|by\s+the\s+time|someday|one\s+day|wish"
    r"|hope|want|wanna|gonna|will|would|imagine|pretend)\b[^.!?\n]*$"
)
#: ... or a modal right after it: "my husband would ...".
HYPOTHETICAL_RIGHT: Final = ci(
    r"\s*(?:will|would|are\s+going|are\s+gonna|won['’]?t|wont|could|might)\b"
)
#: "like being in 7th grade again": a memory, not the present.
AGAIN_RIGHT: Final = ci(r"[^.!?\n]{0,12}\bagain\b")
#: Someone else before "turning"/"turned": "she just turned 16", "Tom is turning 15".
TURNING_OTHER: Final = ci(
    r"\b(?:he|she|they|it|[A-Z][a-z]+|we|you)\s+(?:just\s+|will\s+|is\s+|'s\s+)?$"
)
_BOUNDARY: Final = re.compile(r"[.!?\n;]\s|[\n]")


def left_of(text: str, start: int, width: int = 60) -> str:
    """The text before a cue, cut at the last sentence boundary within ``width`` characters."""
    window = text[max(0, start - width) : start]
    cut = 0
    for boundary in _BOUNDARY.finditer(window):
        cut = boundary.end()
    return window[cut:]


def subject_of(left: str) -> tuple[Subject, Role]:
    """(subject, role) from the last subject marker of the left context."""
    markers = list(_SUBJECT.finditer(left))
    if not markers:
        return "unknown", "none"
    role = markers[-1].lastgroup
    if role == "teacher":
        return "self", "teacher"
    if role in ("parent", "other"):
        return "other", role
    return "self", "self"


def tense_of(left: str) -> Tense:
    """past when the author reminisces, future when they look ahead, else present."""
    if _PAST.search(left):
        return "past"
    if _FUTURE.search(left):
        return "future"
    return "present"
