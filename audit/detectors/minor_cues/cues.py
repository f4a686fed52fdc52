"""Cues in one text that its author, or someone it is about, is a minor — or an adult.

:func:`extract_cues` sees one text only (the detector is cached by the text's sha256, so it
never knows the author, the post date or the other posts). Each :class:`Cue` has offsets, a
type, the subject it is about, a tense, an age or age range where the text implies one and
a signed author-level ``weight`` (positive: the author is a minor; negative: an adult). The
rules add the weights up per author (audit/detectors/minor_cues/evidence.py).

=================  ================================================================  =========
type               examples                                                          weight
=================  ================================================================  =========
SELF_AGE           "I'm 14", "im fifteen", "(15F)", "15/f", "age: 15", "just turned   +4
                   14"; "14 y/o" after I'm or at a line start, "turning 15 next week", +3 (+2
                   "I'll be 16 in May"                                               unclear
                                                                                     subject)
                   "when I'm 18 I'm moving out" (an awaited age 14-18)               +1.5
SELF_BIRTHDAY_AGE  "happy 16th birthday to me", "my sweet sixteen" (10-17)           +3.5
SCHOOL_GRADE       "I'm in 8th grade", "I'm a sophomore", "year 10 exams", "starting  +2.5..3
                   high school", "in middle school", GCSEs, learner's permit;        (-1 unclear
                   "junior year" alone (high school or college)                      subject)
GRAD_YEAR          "class of 2027", "c/o '27", "I graduate in 2027"                  by date
SCHOOL_CONTEXT     "my mom won't let me", grounded, detention, prom, sleepover        +1
                   homework, "my teacher", algebra, "school tomorrow"                +0.5
TEEN_STYLE         three distinct chat markers (lol, omg, ur, <3) at 2+ per 100 words +0.5 (cap 0)
PARENT_OF_MINOR    "my daughter (she's 9)", "my 12 yo", "my son is in 10th grade"    -2.5
OTHER_MINOR        "my little brother is 12", "she just turned 16"                   0
ADULT_SELF         "I'm 32", "my 30th birthday"                                      -4
                   "in my thirties"                                                  -3
                   "my husband", "I teach 9th grade", "my students"                  -2.5
                   "my son", "I'm pregnant", "our mortgage", "grad school"           -2
ADULT_CONTEXT      "at work", "my boss", "my apartment", "I voted", "my career"      -0.75
PAST_SELF          "when I was a teenager", "back in college", "when I was 19"       -2
                   "back in high school", "high school reunion"                      -1.5
                   "when I was in 9th grade"                                         -1
                   "when I was 14", "when I was in middle school"                    -0.5
=================  ================================================================  =========

``minor_related`` marks what makes the *item* about or by someone under 18: a stated minor
age, a school grade, a child's age. A GRAD_YEAR is minor-related only when the year lies after
the post date, which the detector does not know; the rules decide it (evidence.py).

Cues of one span are kept once, the more specific type winning (a parent's "my 12 yo" is not
also a SELF_AGE; "I teach 9th grade" is ADULT_SELF only).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from audit.detectors.minor_cues import patterns as p
from audit.detectors.minor_cues.context import (
    AGAIN_RIGHT,
    HYPOTHETICAL_LEFT,
    HYPOTHETICAL_RIGHT,
    TURNING_OTHER,
    Subject,
    Tense,
    left_of,
    subject_of,
    tense_of,
)
from audit.detectors.minor_cues.lexicon import OBJECTS, SIBLING_NOUN, number
from audit.detectors.minor_cues.prefilter import Doc, prepare, scan

#: Every cue type, minor-related types first (the first is a rule self-test's default).
CUE_TYPES: Final[tuple[str, ...]] = (
    "SCHOOL_GRADE",
    "SELF_AGE",
    "SELF_BIRTHDAY_AGE",
    "GRAD_YEAR",
    "PARENT_OF_MINOR",
    "OTHER_MINOR",
    "MINOR_HASHTAG",
    "SCHOOL_CONTEXT",
    "TEEN_STYLE",
    "ADULT_SELF",
    "ADULT_CONTEXT",
    "PAST_SELF",
)


@dataclass(frozen=True, slots=True)
class Cue:
    """One cue in one text.

    ``weight``: signed author-level evidence (0 for GRAD_YEAR, which the post date decides);
    ``age_range``: the subject's implied age at posting, (low, high); ``kind``: the pattern
    that fired (finer than the type).
    """

    type: str
    start: int
    end: int
    subject: Subject = "unknown"
    tense: Tense = "present"
    weight: float = 0.0
    age: int | None = None
    age_range: tuple[int, int] | None = None
    year: int | None = None
    kind: str = ""
    minor_related: bool = False


def _cue(
    type_: str,
    m: re.Match[str],
    subject: Subject,
    tense: Tense,
    weight: float,
    *,
    age: int | None = None,
    age_range: tuple[int, int] | None = None,
    year: int | None = None,
    kind: str = "",
    minor_related: bool = False,
) -> Cue:
    return Cue(type_, m.start(), m.end(), subject, tense, weight, age, age_range, year, kind,
               minor_related)  # fmt: skip


# ------------------------------------------------------------------ the author's own age
def _self_age_subject(
    kind: str, text: str, m: re.Match[str], subject: Subject, role: str, left: str
) -> Subject | None:
    """Who a SELF_AGE-shaped match is about; None drops it."""
    if kind in ("n_yo", "n_slash_sex"):
        # "a 15 year old girl was ...": self only after I'm / "as a" / at a line start
        before = text[max(0, m.start() - 25) : m.start()].lower()
        if p.SOMEONES_BEFORE.search(before):
            return None  # someone's child: the parent / other patterns have it
        if p.I_AM_A_BEFORE.search(before):
            return "self"
        line_start = text[max(0, m.start() - 3) : m.start()] if m.start() else ""
        if kind == "n_slash_sex" or p.LINE_START_BEFORE.search(line_start):
            return "self" if kind == "n_slash_sex" or m.start() < 3 else "unknown"
        return None
    if kind in ("just_turned", "turning"):
        before = text[max(0, m.start() - 30) : m.start()]
        if p.I_BEFORE_TURNING.search(before):
            return "self"
        if TURNING_OTHER.search(before) or role in ("parent", "other"):
            return "other"
        if not left.strip() or role == "self":
            return "self"
        return "unknown"
    if kind in p.SELF_BY_FORM:
        return "self"
    return subject


def _self_age_cues(text: str, doc: Doc) -> Iterator[Cue]:
    for kind, rx in p.SELF_AGE:
        for m in scan(rx, text, doc, kind):
            groups = m.groupdict()
            age = number(groups.get("age") or groups.get("age2") or groups.get("age3"))
            if age is None:
                continue
            tail = text[m.end() : m.end() + 25]
            if kind == "im_n" and not groups.get("yo") and p.NOT_AGE_AFTER.match(tail):
                continue  # "I'm 15 minutes late"
            left = left_of(text, m.start())
            subject0, role = subject_of(left)
            tense = tense_of(left)
            subject = _self_age_subject(kind, text, m, subject0, role, left)
            if subject is None:
                continue
            span = text[m.start() : m.end()].lower()
            if kind in ("just_turned", "turning"):
                if "year" in tail[:8].lower() and "old" not in tail[:14].lower():
                    continue  # "turning 15 years of ..."
                if kind == "turning" and subject == "unknown":
                    continue
                if age >= 18 and span.startswith("turn") and subject != "self":
                    continue  # "my grandma turned 90"
            if kind == "im_n" and HYPOTHETICAL_LEFT.search(left):
                # "when I'm 18 I'm moving out": an awaited age says the author is younger
                if 14 <= age <= 18:
                    yield _cue("SELF_AGE", m, "self", "future", 1.5, age=age,
                               age_range=(age - 4, age - 1), kind="future_age",
                               minor_related=True)  # fmt: skip
                continue
            if subject == "other":
                if age < 18:
                    yield _cue("OTHER_MINOR", m, "other", tense, 0.0, age=age,
                               age_range=(age, age), kind=kind, minor_related=True)  # fmt: skip
                continue
            if tense == "past" and kind == "im_n":
                tense = "present"  # "when I was 5 I thought ...; now I'm 14"
            if kind == "will_be" or (kind == "turning" and "turning" in span):
                low = high = age - 1
                tense = "future"
            else:
                low = high = age
            if age < 10:
                continue
            if high < 18:
                weight = 4.0 if kind in p.STATED_NOW else 3.0
                if subject == "unknown":
                    weight = 2.0
                yield _cue("SELF_AGE", m, subject, tense, weight, age=age,
                           age_range=(low, high), kind=kind, minor_related=True)  # fmt: skip
            elif low >= 23 or (low >= 19 and kind in ("im_n", "age_label")):
                if kind == "im_n" and age >= 60:
                    continue  # "I'm 93" is mostly a joke
                yield _cue("ADULT_SELF", m, subject, tense, -4.0, age=age,
                           age_range=(low, high), kind=f"self_age_{kind}")  # fmt: skip


def _birthday_cues(text: str, doc: Doc) -> Iterator[Cue]:
    for m in scan(p.BIRTHDAY, text, doc, "birthday"):
        n = number(m.group("ord") or m.group("ord2") or m.group("sw"))
        if n is None:
            continue
        who = (m.group("who") or m.group("who3") or ("my" if m.group("ord2") else "")).lower()
        left = left_of(text, m.start())
        tense = tense_of(left)
        if who == "my":
            if tense == "past":
                if n >= 13:
                    yield _cue("PAST_SELF", m, "self", "past", -0.5 if n < 18 else -1.0,
                               age=n, kind="past_birthday")  # fmt: skip
            elif 10 <= n <= 17:
                yield _cue("SELF_BIRTHDAY_AGE", m, "self", tense, 3.5, age=n,
                           age_range=(n - 1, n), kind="birthday", minor_related=True)  # fmt: skip
            elif n >= 21:
                yield _cue("ADULT_SELF", m, "self", tense, -4.0, age=n, age_range=(n - 1, n),
                           kind="adult_birthday")  # fmt: skip
        elif n <= 17:
            _, role = subject_of(left + " " + text[m.start() : m.end()])
            parent = role == "parent"
            yield _cue("PARENT_OF_MINOR" if parent else "OTHER_MINOR", m, "other", tense,
                       -2.5 if parent else 0.0, age=n, age_range=(n - 1, n),
                       kind="other_birthday", minor_related=True)  # fmt: skip


# ------------------------------------------------------------------ school
def _school_cue(
    text: str, m: re.Match[str], kind: str, ages: tuple[int, int], base: float
) -> Cue | None:
    """A school grade, year or level: the author's, a child's, a pupil's or a memory."""
    left = left_of(text, m.start())
    subject, role = subject_of(left)
    tense = tense_of(left)
    if AGAIN_RIGHT.match(text, m.end()):
        tense = "past"  # "like being in 7th grade again"
    if p.STARTS_WITH_I_AM.match(text, m.start(), m.end()):
        subject, role = "self", "self"
    if role == "teacher":
        return _cue("ADULT_SELF", m, "self", tense, -2.5, age_range=ages, kind=f"teacher_{kind}")
    if role == "parent":
        return _cue("PARENT_OF_MINOR", m, "other", tense, -2.5, age_range=ages,
                    kind=f"child_{kind}", minor_related=True)  # fmt: skip
    if role == "other":
        return _cue("OTHER_MINOR", m, "other", tense, 0.0, age_range=ages, kind=f"other_{kind}",
                    minor_related=ages[0] < 18)  # fmt: skip
    if tense == "past":
        weight = -1.0 if ages[0] >= 13 else 0.0
        return _cue("PAST_SELF", m, "self", "past", weight, age_range=ages, kind=f"past_{kind}")
    if ages[0] >= 18:
        return None
    weight = base if subject == "self" else base - 1.0
    if ages[1] >= 18:
        weight -= 0.5  # might be a college year
    return _cue("SCHOOL_GRADE", m, subject, tense, max(weight, 0.5), age_range=ages, kind=kind,
                minor_related=True)  # fmt: skip


def _grade_ages(kind: str, n: int) -> tuple[int, int]:
    # US grade N: age N+5..N+6; UK year N: N+4..N+5, Australian year N: N+5..N+6
    return (n + 5, n + 6) if kind == "us_grade" else (n + 4, n + 6)


def _school_level_cue(text: str, m: re.Match[str]) -> Cue | None:
    level = re.sub(r"\s+", " ", m.group("lvl").lower())
    ages = p.SCHOOL_LEVEL_AGE.get(level, (14, 18))
    if p.SCHOOL_LEVEL_NOT.match(text[m.end() : m.end() + 20].lower()):
        return None  # "high school reunion", "high school friends"
    left = left_of(text, m.start())
    # present attendance only; "in high school" alone is mostly a memory
    attending = p.ATTENDING_HIGH_SCHOOL if level == "high school" else p.ATTENDING_SCHOOL
    if not attending.search(left):
        return None
    if level in ("elementary school", "primary school", "grade school"):
        # a teen rarely says they are in primary school: only someone else's child counts
        _, role = subject_of(left)
        if role == "parent":
            return _cue("PARENT_OF_MINOR", m, "other", tense_of(left), -2.5, age_range=ages,
                        kind="child_school_level", minor_related=True)  # fmt: skip
        if role == "other":
            return _cue("OTHER_MINOR", m, "other", tense_of(left), 0.0, age_range=ages,
                        kind="other_school_level", minor_related=True)  # fmt: skip
        return None
    return _school_cue(text, m, "school_level", ages, 2.0)


def _school_cues(text: str, doc: Doc) -> Iterator[Cue | None]:
    for m in scan(p.GRADE, text, doc, "grade"):
        if m.group("ord") or m.group("gnum"):
            grade, kind = number(m.group("ord") or m.group("gnum")), "us_grade"
        else:
            grade, kind = number(m.group("ynum") or m.group("ynum2")), "year_n"
        if grade is not None and grade <= 13:
            yield _school_cue(text, m, kind, _grade_ages(kind, grade), 2.5)
    for m in scan(p.HS_YEAR, text, doc, "hs_year"):
        word = next(w for w in m.group("hs1", "hs2", "hs3", "hs4") if w).lower()
        low, high = p.HS_AGE[word]
        if m.group("hs4"):  # "junior year": high school or college
            yield _school_cue(text, m, "hs_or_college_year", (low, high + 4), 1.5)
        else:
            yield _school_cue(text, m, "hs_year", (low, high), 3.0)
    for m in scan(p.SCHOOL_LEVEL, text, doc, "school_level"):
        yield _school_level_cue(text, m)
    for m in scan(p.MILESTONE, text, doc, "milestone"):
        key = m.group("m").lower().replace(".", "")
        squeezed = key.replace("-", "").replace(" ", "")
        ages = next(
            (v for k, v in p.MILESTONE_AGE.items() if re.sub("[- ]", "", k) in squeezed),
            (14, 17),
        )
        yield _school_cue(text, m, "milestone", ages, 2.0)


def _grad_cues(text: str, doc: Doc) -> Iterator[Cue]:
    for m in scan(p.GRAD, text, doc, "grad"):
        year = int(m.group("y1") or m.group("y2") or m.group("y3"))
        if year < 100:
            year += 2000 if year < 50 else 1900
        left = left_of(text, m.start())
        _, role = subject_of(left)
        if role == "parent":
            yield _cue("PARENT_OF_MINOR", m, "other", "present", -2.5, year=year,
                       kind="child_grad_year", minor_related=True)  # fmt: skip
        elif role not in ("teacher", "other") or p.SELF_JUST_BEFORE.search(left):
            yield _cue("GRAD_YEAR", m, "self", "present", 0.0, year=year, kind="grad_year")


# ------------------------------------------------------------------ someone else's age
def _child_cues(text: str, doc: Doc) -> Iterator[Cue]:
    seen: set[int] = set()
    tables = (
        (p.CHILD_AGE_STATED, "child_age"), (p.MY_N_YEAR_OLD, "my_n_yo"), (p.KIDS_ARE, "kids_are"),
    )  # fmt: skip
    for rx, kind in tables:
        for m in scan(rx, text, doc, kind):
            if m.start() in seen:
                continue
            age = number(m.group("age"))
            if age is None or age > 17:
                continue
            groups = m.groupdict()
            noun = (groups.get("noun") or "").lower()
            who = (groups.get("who") or "my").lower()
            if kind == "my_n_yo":
                if noun and re.fullmatch(OBJECTS, noun):
                    continue  # "my 12 year old car"
                if m.group("unit").lower().startswith("mo"):
                    age = 0  # "my 9 month old"
            seen.add(m.start())
            sibling = bool(noun) and re.fullmatch(SIBLING_NOUN, noun) is not None
            tense = tense_of(left_of(text, m.start()))
            if who in ("my", "our") and not sibling:
                yield _cue("PARENT_OF_MINOR", m, "other", tense, -2.5, age=age,
                           age_range=(age, age), kind=kind, minor_related=True)  # fmt: skip
            else:
                yield _cue("OTHER_MINOR", m, "other", tense, 0.0, age=age, age_range=(age, age),
                           kind=kind, minor_related=True)  # fmt: skip


# ------------------------------------------------------------------ listed phrases
def _past_age_weight(age: int, years_ago: int | None) -> float:
    """Reminiscing about one's own age N: the older N (and the longer ago), the more adult."""
    if (years_ago is not None and age + years_ago >= 18) or age >= 18:
        return -2.0
    return -0.5 if age >= 13 else 0.0


def _context_cues(text: str, doc: Doc) -> Iterator[Cue]:
    """SCHOOL_CONTEXT: teen-life words the author says of the present, not of a child."""
    for kind, weight, rx in p.SCHOOL_CONTEXT:
        for m in scan(rx, text, doc, kind):
            left = left_of(text, m.start())
            subject, role = subject_of(left)
            tense = tense_of(left)
            # "my son's homework", "I teach ... detention", "when I was 14 I had detention"
            if role not in ("parent", "teacher") and tense != "past":
                yield _cue("SCHOOL_CONTEXT", m, subject, tense, weight, kind=kind)


def _past_cues(text: str, doc: Doc) -> Iterator[Cue]:
    for kind, weight, rx in p.PAST_SELF:
        for m in scan(rx, text, doc, kind):
            age = None
            if kind in ("when_i_was_n", "at_age_n"):
                age = number(m.group("age"))
                if age is None or age < 5:
                    continue
                around = text[max(0, m.start() - 60) : m.end() + 60]
                ago = p.YEARS_AGO.search(around)
                weight = _past_age_weight(age, number(ago.group("ago")) if ago else None)
                if weight == 0.0:
                    continue
            yield _cue("PAST_SELF", m, "self", "past", weight, age=age, kind=kind)


def _adult_cues(text: str, doc: Doc) -> Iterator[Cue]:
    for type_, table in (("ADULT_SELF", p.ADULT_SELF), ("ADULT_CONTEXT", p.ADULT_CONTEXT)):
        for kind, weight, rx in table:
            for m in scan(rx, text, doc, kind):
                left = left_of(text, m.start())
                if HYPOTHETICAL_LEFT.search(left) or HYPOTHETICAL_RIGHT.match(text, m.end()):
                    continue  # "if my kids were ...", "my husband would ..."
                yield _cue(type_, m, "self", "present", weight, kind=kind)


def _style_cue(text: str, doc: Doc) -> Iterator[Cue]:
    hits = list(scan(p.TEEN_STYLE, text, doc, "style"))
    distinct = {text[h.start() : h.end()].lower().rstrip("!?o").strip()[:4] for h in hits}
    words = max(1, len(text.split()))
    if len(distinct) >= 3 and len(hits) * 100 / words >= 2.0:
        yield Cue("TEEN_STYLE", hits[0].start(), hits[-1].end(), "self", "present", 0.5,
                  kind=f"{len(distinct)}_markers")  # fmt: skip


def _hashtag_cues(text: str, doc: Doc) -> Iterator[Cue]:
    if "#" in text:
        for m in scan(p.MINOR_HASHTAG, text, doc, "hashtag"):
            yield _cue("MINOR_HASHTAG", m, "unknown", "present", 0.0, kind="hashtag",
                       minor_related=True)  # fmt: skip


# ------------------------------------------------------------------ public API
#: Which of two overlapping cues is kept (lower first): the more specific reading.
_PRIORITY: Final[dict[str, int]] = {
    t: i
    for i, t in enumerate((
        "PARENT_OF_MINOR", "PAST_SELF", "OTHER_MINOR", "ADULT_SELF", "SELF_AGE",
        "SELF_BIRTHDAY_AGE", "GRAD_YEAR", "SCHOOL_GRADE", "MINOR_HASHTAG", "ADULT_CONTEXT",
        "SCHOOL_CONTEXT", "TEEN_STYLE",
    ))
}  # fmt: skip


def _dedupe(cues: list[Cue]) -> list[Cue]:
    """Drop a cue that overlaps a kept cue of higher priority (TEEN_STYLE spans never do)."""
    kept: list[Cue] = []
    for c in sorted(cues, key=lambda c: (_PRIORITY[c.type], c.start)):
        if c.type != "TEEN_STYLE" and any(
            k.type != "TEEN_STYLE" and c.start < k.end and k.start < c.end for k in kept
        ):
            continue
        kept.append(c)
    return sorted(kept, key=lambda c: (c.start, c.end))


def extract_cues(text: str) -> list[Cue]:
    """Every cue of one text, sorted by offset."""
    if not text:
        return []
    doc = prepare(text)
    found: list[Cue | None] = [
        *_child_cues(text, doc),
        *_self_age_cues(text, doc),
        *_birthday_cues(text, doc),
        *_school_cues(text, doc),
        *_grad_cues(text, doc),
        *_past_cues(text, doc),
        *_adult_cues(text, doc),
        *_context_cues(text, doc),
        *_style_cue(text, doc),
        *_hashtag_cues(text, doc),
    ]
    return _dedupe([c for c in found if c is not None])
