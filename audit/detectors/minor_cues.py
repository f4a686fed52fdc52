"""``minor_cues``: English phrases saying an item is about, or by, someone under 18.

A small, documented, regex-only pattern set (no model). Each finding carries the cue type
and, where the text states it, the age (``attributes: {"age": 12}``):

- SELF_AGE: the author states their own age: "I'm 15", "I am 14 years old", "im 13" — only
  ages < 18. A separate type because it says the *account* is a minor's, which aggregate rules
  propagate to all of the author's items (a parent's "my 12 yo" must not do that).
- AGE_CUE: "my 12 yo", "my 12 year old (son)", "my 12-year-old", "turning 13", "just turned
  16", "(age|aged) 9", "she's 7" — only ages < 18 (0..17; "I'm 25" and "15 years" of
  experience do not match).
- SCHOOL_GRADE: "8th grade", "3rd grader", "grade 7", "first day of 3rd grade", "in middle
  school", "in elementary / primary / junior high school", "high school freshman/sophomore",
  "kindergarten", "year 9" (UK) — not "grade A", "high school reunion" or "graduated".
- MINOR_HASHTAG: #kidsofinstagram, #momlife-style child hashtags (#toddlerlife, #babyfirsts,
  #schoolkids, #teenlife, …).

Decisions (tests/test_minor_cues.py is the table): "my 12 year old car" does NOT match — an
AGE_CUE after "year old" needs a person noun or nothing that is a known object noun; we keep
a short stop-list of object nouns (car, house, laptop, …). "15 year anniversary", "coding
for 15 years", "I'm 25", "grade A", "A-grade" do not match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from audit.detectors.base import (
    Content,
    DerivedColumn,
    ExposureCategory,
    Finding,
    FindingKind,
    Result,
)

_NUM_WORDS: Final[dict[str, int]] = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
        ]
    )
}
_AGE = r"(?P<age>1[0-7]|[1-9]|" + "|".join(list(_NUM_WORDS)[1:]) + r")(?!\d|[.,]\d)"
#: Things that have an age but are not children ("my 12 year old car").
_OBJECTS = (
    r"car|truck|van|bike|house|home|laptop|computer|pc|phone|iphone|tv|dog|cat|puppy|kitten|"
    r"horse|tree|account|company|business|blog|channel|jeans|shoes|boots|couch|sofa|fridge|"
    r"whisky|whiskey|scotch|wine|bottle|cheese|camera|guitar|game|console|mattress|roof|boat"
)
_ORD = r"(?:1st|2nd|3rd|[4-9]th|1[0-2]th|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth)"
_ORD_NUM: Final[dict[str, int]] = {
    w: i + 1
    for i, w in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
        ]
    )
}


@dataclass(frozen=True)
class CuePattern:
    """One row of the pattern table: entity type, name, compiled regex."""

    entity_type: str
    name: str
    regex: re.Pattern[str]


def _p(entity_type: str, name: str, regex: str) -> CuePattern:
    return CuePattern(entity_type, name, re.compile(regex, re.IGNORECASE))


#: The whole pattern set. Add a row here and a true/false-positive row in the tests.
PATTERNS: Final[tuple[CuePattern, ...]] = (
    _p(
        "AGE_CUE",
        "my_n_year_old",
        r"\b(?:my|our|his|her|their)\s+(?:little\s+)?"
        + _AGE
        + r"(?:\s*|-)(?:yo\b|y/o\b|yrs?\s*old\b|years?(?:\s+|-)old\b(?!\s+(?:"
        + _OBJECTS
        + r")\b))",
    ),
    _p(
        "SELF_AGE",
        "self_age",
        r"\b(?:i\s*'?\s*m|i\s+am|im)\s+(?:only\s+|just\s+)?"
        + _AGE
        + r"(?:\s+(?:years?\s+old|yrs?\s+old|yo|y/o))?(?![\w%$€£-])(?!\s+(?:years?|yrs?|minutes?|hours?|days?|months?|weeks?|mins?|min|miles?|km|kg|lbs?|percent|times?|points?)\b)",
    ),
    _p(
        "AGE_CUE",
        "turning",
        r"\b(?:turn(?:ing|s|ed)?|just\s+turned)\s+"
        + _AGE
        + r"(?![\w%-])(?!\s+(?:years?\s+(?!old)|today\s+as\s+a\s+company))",
    ),
    _p(
        "AGE_CUE",
        "child_aged",
        r"\b(?:son|daughter|kid|child|boy|girl|niece|nephew|grandson|granddaughter|brother|sister|baby|toddler|teen)\s*(?:,\s*)?(?:aged?|age)\s+"
        + _AGE
        + r"\b",
    ),
    _p(
        "SCHOOL_GRADE",
        "nth_grade",
        r"\b" + _ORD + r"[\s-]+grade(?:r|rs)?\b",
    ),
    _p("SCHOOL_GRADE", "grade_n", r"\bgrade\s+(?P<grade>[1-9]|1[0-2])\b(?![.,]\d)"),
    _p(
        "SCHOOL_GRADE",
        "school_level",
        r"\b(?:in|at|starts?|started|starting|finished|first\s+day\s+(?:of|at))\s+(?:middle|elementary|primary|junior\s+high|grade)\s+school\b",
    ),
    _p(
        "SCHOOL_GRADE",
        "kindergarten",
        r"\b(?:kindergarten|kindy|pre-?k|preschool|nursery\s+school)\b",
    ),
    _p(
        "SCHOOL_GRADE",
        "hs_year",
        r"\bhigh\s+school\s+(?:freshman|sophomore|junior)\b|\b(?:freshman|sophomore)\s+(?:year\s+)?(?:in|of)\s+high\s+school\b",
    ),
    _p(
        "SCHOOL_GRADE",
        "uk_year",
        r"\b(?:in|starts?|starting|started)\s+year\s+(?P<grade>[1-9]|1[0-1])\b",
    ),
    _p(
        "MINOR_HASHTAG",
        "hashtag",
        r"#(?:kidsofinstagram|instakids|kidstagram|toddlerlife|toddlersofinstagram|babiesofinstagram|"
        r"babyfirsts|kidlife|schoolkids|teenlife|teensofinstagram|backtoschool|firstdayofschool|"
        r"firstdayofkindergarten|momlife|momof\w+|boymom|girlmom|kidsfashion|kidsactivities)\b",
    ),
)


def _age_of(match: re.Match[str]) -> int | None:
    groups = match.groupdict()
    raw = groups.get("age")
    if raw is None:
        return None
    raw = raw.lower()
    return int(raw) if raw.isdigit() else _NUM_WORDS.get(raw)


def _grade_of(match: re.Match[str]) -> int | None:
    raw = match.groupdict().get("grade")
    if raw:
        return int(raw)
    ordinal = re.search(r"(\d+)(?:st|nd|rd|th)|(" + "|".join(_ORD_NUM) + ")", match.group(0), re.I)
    if ordinal is None:
        return None
    return int(ordinal.group(1)) if ordinal.group(1) else _ORD_NUM[ordinal.group(2).lower()]


def find_cues(text: str) -> list[Finding]:
    """All minor cues in ``text``, sorted by position (one finding per match)."""
    findings = []
    for pattern in PATTERNS:
        for match in pattern.regex.finditer(text):
            attributes: dict[str, Any] = {"pattern": pattern.name}
            if (age := _age_of(match)) is not None:
                attributes["age"] = age
            if pattern.entity_type == "SCHOOL_GRADE" and (grade := _grade_of(match)) is not None:
                attributes["grade"] = grade
            findings.append(
                Finding(
                    entity_type=pattern.entity_type,
                    score=1.0,
                    start=match.start(),
                    end=match.end(),
                    recognizer=f"minor_cues.{pattern.name}",
                    attributes=attributes,
                )
            )
    return sorted(findings, key=lambda f: (f.start or 0, f.end or 0))


class MinorCuesDetector:
    """Regex detector of signals that an item is about or by a minor (see module doc)."""

    name: ClassVar[str] = "minor_cues"
    version: ClassVar[str] = "2"  # 2: SELF_AGE split from AGE_CUE
    input_kind: ClassVar[str] = "text"
    # the first is what a rule self-test finding without entity_type gets
    entity_types: ClassVar[tuple[str, ...]] = (
        "AGE_CUE",
        "SELF_AGE",
        "SCHOOL_GRADE",
        "MINOR_HASHTAG",
    )
    personal_data: ClassVar[bool] = True  # an age or a school year describes a person
    finding_kind: ClassVar[FindingKind] = "text_span"
    label: ClassVar[str] = "cues of a minor in text"
    finding_noun: ClassVar[tuple[str, str]] = ("minor cues", "minor cues")
    derived_columns: ClassVar[tuple[DerivedColumn, ...]] = (
        DerivedColumn(
            "minor_cues", "VARCHAR[]", "list_sort(list_distinct(list(entity_type) /*FILTER*/))",
            "[]::VARCHAR[]", "types of the minor cues in the item's text",
        ),
    )  # fmt: skip
    exposure: ClassVar[tuple[ExposureCategory, ...]] = (
        ExposureCategory(
            "minor_text_cues", "minor cues in text", "minor cues in text",
            "len(minor_cues) > 0", minors=True,
        ),
    )  # fmt: skip
    batch_size: ClassVar[int] = 2048
    in_process: ClassVar[bool] = True  # regexes: a process pool would cost more than it saves

    def setup(self) -> None:
        """Nothing to load: the patterns compile at import."""

    def detect_batch(self, batch: list[Content]) -> list[Result]:
        """One Result per text."""
        return [Result(c.sha256, find_cues(c.text or "")) for c in batch]

    def describe(self) -> dict[str, Any]:
        """Pattern-set facts for the run manifest."""
        return {"patterns": len(PATTERNS), "language": "en"}
