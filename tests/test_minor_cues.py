"""minor_cues: the cue table (hand-written sentences, none from any data set), the findings'
shape and declarations, and author-level evidence through the real rules engine."""

from __future__ import annotations

from datetime import datetime

import pytest
from test_rules_support import flagged, make_rule, store

from audit.detectors.base import Content
from audit.detectors.minor_cues import MinorCuesDetector, find_cues
from audit.detectors.minor_cues.cues import CUE_TYPES, extract_cues
from audit.detectors.minor_cues.detector import ADULT_TYPES, MINOR_RELATED_TYPES, MINOR_TYPES
from audit.detectors.minor_cues.evidence import CAPS, grad_year_weight
from audit.detectors.registry import spec

# (text, type, subject or None, age or None, sign of the weight: +1, -1, 0)
EXPECT: list[tuple[str, str, str | None, int | None, int]] = [
    # the author's own age
    ("I'm 14", "SELF_AGE", "self", 14, +1),
    ("ok so im fifteen and i have opinions", "SELF_AGE", "self", 15, +1),
    ("I am 16 years old and live near the coast", "SELF_AGE", "self", 16, +1),
    ("14 y/o", "SELF_AGE", "self", 14, +1),
    ("(15F)", "SELF_AGE", "self", 15, +1),
    ("(15F) anyone else into pottery?", "SELF_AGE", "self", 15, +1),
    ("17/m, drummer", "SELF_AGE", "self", 17, +1),
    ("age: 13", "SELF_AGE", "self", 13, +1),
    ("just turned 14 today!! first day of 9th grade tomorrow", "SELF_AGE", "self", 14, +1),
    ("just turned 14 today!! first day of 9th grade tomorrow", "SCHOOL_GRADE", None, None, +1),
    ("turning 16 on friday, cake please", "SELF_AGE", "self", 16, +1),
    ("I'll be 15 next month", "SELF_AGE", "self", 15, +1),
    ("until I'm 18 my dad decides everything", "SELF_AGE", "self", 18, +1),
    ("happy 16th birthday to me", "SELF_BIRTHDAY_AGE", "self", 16, +1),
    ("my sweet sixteen is in two weeks", "SELF_BIRTHDAY_AGE", "self", 16, +1),
    # school
    ("I'm in 7th grade and the bus is always late", "SCHOOL_GRADE", "self", None, +1),
    ("I'm a junior in high school", "SCHOOL_GRADE", "self", None, +1),
    ("year 9 science test on monday", "SCHOOL_GRADE", None, None, +1),
    ("starting middle school next week", "SCHOOL_GRADE", None, None, +1),
    ("mock GCSEs all week", "SCHOOL_GRADE", None, None, +1),
    ("got my learner's permit!!", "SCHOOL_GRADE", None, None, +1),
    ("class of 2027", "GRAD_YEAR", "self", None, 0),
    ("my mom won't let me dye my hair", "SCHOOL_CONTEXT", None, None, +1),
    ("homework until midnight again", "SCHOOL_CONTEXT", None, None, +1),
    ("I'm grounded till sunday", "SCHOOL_CONTEXT", None, None, +1),
    # a parent writes about a child: a minor-related item, adult evidence for the author
    ("my daughter (she's 9)", "PARENT_OF_MINOR", "other", 9, -1),
    ("my daughter (she's 9) painted the fence blue", "PARENT_OF_MINOR", "other", 9, -1),
    ("my 11 yo wants a phone", "PARENT_OF_MINOR", "other", 11, -1),
    ("our 4-year-old refuses shoes", "PARENT_OF_MINOR", "other", 4, -1),
    ("my son is in 3rd grade this year", "PARENT_OF_MINOR", "other", None, -1),
    # someone else's age: minor-related, no evidence about the author
    ("my little sister is 10 and already taller than me", "OTHER_MINOR", "other", 10, 0),
    ("she just turned 15 and got a guitar", "OTHER_MINOR", "other", 15, 0),
    ("beach day #kidsofinstagram", "MINOR_HASHTAG", None, None, 0),
    ("back at it #7thgrade", "MINOR_HASHTAG", None, None, 0),
    # adults
    ("I teach 9th grade", "ADULT_SELF", "self", None, -1),
    ("I'm 41 and learning to skate", "ADULT_SELF", "self", 41, -1),
    ("my wife made soup", "ADULT_SELF", "self", None, -1),
    ("our mortgage went up again", "ADULT_SELF", "self", None, -1),
    ("now that I'm in my forties", "ADULT_SELF", "self", None, -1),
    ("stuck at work until 9", "ADULT_CONTEXT", "self", None, -1),
    ("when I was 14 I wanted to be a vet", "PAST_SELF", "self", 14, -1),
    ("when I was 14 I…", "PAST_SELF", "self", 14, -1),
    ("back in high school I ran track", "PAST_SELF", "self", None, -1),
]

# (text, type it must not produce)
NOT: list[tuple[str, str]] = [
    ("I'm 5'4 on a good day", "SELF_AGE"),
    ("I'm 20 minutes away", "SELF_AGE"),
    ("I'm 99% done", "ADULT_SELF"),
    ("been baking for 15 years", "SELF_AGE"),
    ("my 12 year old car needs tyres", "PARENT_OF_MINOR"),
    ("grade A coffee", "SCHOOL_GRADE"),
    ("I teach 9th grade", "SCHOOL_GRADE"),
    ("my daughter (she's 9)", "SELF_AGE"),
    ("when I was 14 I…", "SELF_AGE"),
    ("when I was 14 I had detention every week", "SCHOOL_CONTEXT"),
    ("high school reunion next month", "SCHOOL_GRADE"),
    ("if my kids ever did that I'd scream", "ADULT_SELF"),
    ("a 15 year old was rescued from the river", "SELF_AGE"),
    ("the suspect is in detention downtown", "SCHOOL_CONTEXT"),
    ("my grandma turned 90", "SELF_AGE"),
]


def _of_type(text: str, type_: str) -> list:
    return [c for c in extract_cues(text) if c.type == type_]


@pytest.mark.parametrize(("text", "type_", "subject", "age", "sign"), EXPECT)
def test_cue_table(text: str, type_: str, subject: str | None, age: int | None, sign: int) -> None:
    found = _of_type(text, type_)
    assert found, [(c.type, c.kind) for c in extract_cues(text)]
    if subject is not None:
        assert {c.subject for c in found} == {subject}
    if age is not None:
        assert age in {c.age for c in found}
    assert any((c.weight > 0) - (c.weight < 0) == sign for c in found)


@pytest.mark.parametrize(("text", "type_"), NOT)
def test_not_a_cue_of_that_type(text: str, type_: str) -> None:
    assert not _of_type(text, type_), [(c.type, c.kind) for c in extract_cues(text)]


def test_parent_makes_a_minor_related_item_but_is_no_minor() -> None:
    (cue,) = extract_cues("my daughter (she's 9)")
    assert (cue.type, cue.minor_related, cue.weight < 0) == ("PARENT_OF_MINOR", True, True)
    assert not any(c.minor_related for c in extract_cues("when I was 14 I…"))
    assert not any(c.minor_related or c.weight > 0 for c in extract_cues("I teach 9th grade"))


def test_findings_shape_and_no_text_in_attributes() -> None:
    text = "ok so I'm 14 and my mom won't let me go"
    findings = find_cues(text)
    assert [f.entity_type for f in findings] == ["SELF_AGE", "SCHOOL_CONTEXT"]
    age = findings[0]
    assert text[age.start : age.end] == "I'm 14"
    assert age.score == 1.0 and age.recognizer == "minor_cues.im_n"
    assert age.attributes == {
        "weight": 4.0, "subject": "self", "tense": "present", "age": 14, "age_low": 14,
        "age_high": 14, "kind": "im_n", "minor_related": True,
    }  # fmt: skip
    assert findings[1].score == 0.5  # circumstantial
    keys = {"weight", "subject", "tense", "age", "age_low", "age_high", "year", "kind",
            "minor_related"}  # fmt: skip
    for sentence, *_ in EXPECT:
        for f in find_cues(sentence):
            assert set(f.attributes or {}) <= keys
            assert 0.0 <= f.score <= 1.0
            assert sentence[f.start : f.end] not in {str(v) for v in f.attributes.values()}


def test_grad_year_weight_by_post_date() -> None:
    (cue,) = extract_cues("class of 2027")
    assert (cue.year, cue.weight, cue.minor_related) == (2027, 0.0, False)
    assert grad_year_weight(2027, datetime(2024, 10, 1)) == 2.0  # a high-school pupil
    assert grad_year_weight(2032, datetime(2024, 10, 1)) == 3.0  # only a school pupil
    assert grad_year_weight(2024, datetime(2024, 3, 1)) == 1.0  # a senior before July
    assert grad_year_weight(2024, datetime(2024, 9, 1)) == 0.0  # just graduated
    assert grad_year_weight(1995, datetime(2024, 9, 1)) == -2.0
    assert grad_year_weight(2027, None) == 0.0


def test_declarations() -> None:
    declared = spec("minor_cues")
    assert declared.entity_types == CUE_TYPES and declared.entity_types[0] == "SCHOOL_GRADE"
    assert declared.personal_data is False and declared.finding_kind == "text_span"
    assert set(CAPS) == set(CUE_TYPES)
    assert declared.evidence is not None and declared.evidence.item_columns == ("created_at",)
    assert [c.name for c in declared.derived_columns] == ["minor_cues", "adult_cues"]
    assert "SCHOOL_GRADE" in MINOR_RELATED_TYPES and "GRAD_YEAR" not in MINOR_TYPES
    assert not set(MINOR_TYPES) & set(ADULT_TYPES) - {"PARENT_OF_MINOR"}


def test_type_lists_follow_the_cues() -> None:
    """minor_cues = minor-related or positive-weight cues; adult_cues = negative weights."""
    for sentence, *_ in EXPECT:
        for c in extract_cues(sentence):
            if c.type in MINOR_RELATED_TYPES:
                assert c.minor_related, c
            if c.type in MINOR_TYPES:
                assert c.minor_related or c.weight > 0, c
            else:
                assert not c.minor_related and c.weight <= 0, c
            assert (c.type in ADULT_TYPES) == (c.weight < 0), c


def test_derived_columns_in_item_view() -> None:
    items = [{"item_id": "a"}, {"item_id": "b"}]
    findings = [
        {"item_id": "a", "detector": "minor_cues", "entity_type": "PARENT_OF_MINOR"},
        {"item_id": "a", "detector": "minor_cues", "entity_type": "ADULT_CONTEXT"},
        {"item_id": "a", "detector": "minor_cues", "entity_type": "GRAD_YEAR"},
    ]
    con = store(items, findings)
    rows = con.execute("SELECT item_id, minor_cues, adult_cues FROM item_view ORDER BY 1")
    assert rows.fetchall() == [
        ("a", ["PARENT_OF_MINOR"], ["ADULT_CONTEXT", "PARENT_OF_MINOR"]), ("b", [], []),
    ]  # fmt: skip


def test_detector_batch_shape() -> None:
    results = MinorCuesDetector().detect_batch([Content("a", text="I'm 15"), Content("b")])
    assert [len(r.findings) for r in results] == [1, 0]


# ------------------------------------------------------------------ author-level evidence


def _author_flags(posts: dict[str, tuple[str, str | None]], ge: float = 1.0) -> dict:
    """Run the real detector on each post (id → (author, text)) and an evidence_score rule
    grouping by author_id; {item_id: evidence label}."""
    items, findings = [], []
    for item_id, (author, text) in posts.items():
        items.append({"item_id": item_id, "author_id": author, "text": text,
                      "created_at": "2024-05-02T10:00:00"})  # fmt: skip
        for f in find_cues(text or ""):
            findings.append({"item_id": item_id, "detector": "minor_cues",
                             "entity_type": f.entity_type, "score": f.score, "start": f.start,
                             "end": f.end, "attributes": f.attributes})  # fmt: skip
    rule = make_rule({"aggregate": {"group_by": "author_id", "having": {
        "evidence_score": {"detector": "minor_cues", "ge": ge}}}})  # fmt: skip
    return {i: e["conditions"][0] for (i, _), e in flagged(store(items, findings), rule).items()}


def test_weak_cues_over_three_posts_flag_the_author() -> None:
    posts = {
        "t1": ("teen", "so much homework tonight"),
        "t2": ("teen", "algebra quiz tomorrow, pray for me"),
        "t3": ("teen", "my mom won't let me go to the concert"),
        "t4": ("teen", None),  # a photo post
        "o1": ("one", "so much homework tonight"),
    }
    flags = _author_flags(posts)
    assert set(flags) == {"t1", "t2", "t3", "t4"}
    assert flags["t4"] == (
        "author_id teen: minor evidence 2.0 (at least 1.0): SCHOOL_CONTEXT +2.0 in 3 items "
        "(t3, t1, t2)"
    )


def test_self_declaration_excludes_photo_posts_and_parents_stay_adults() -> None:
    posts = {
        "k1": ("kid", "I'm 14 and this is my first post"),
        "k2": ("kid", ""),
        "k3": ("kid", None),
        "p1": ("parent", "my daughter (she's 9) made me a card"),
        "p2": ("parent", "homework battles every night"),
        "w1": ("adult", "when I was 14 I wanted to be a pilot"),
        "w2": ("adult", "I teach 9th grade and love it"),
    }
    flags = _author_flags(posts)
    assert set(flags) == {"k1", "k2", "k3"}
    assert (
        flags["k2"] == "author_id kid: minor evidence 4.0 (at least 1.0): SELF_AGE +4.0 in item k1"
    )


def test_evidence_caps_and_adult_counter_evidence_in_words() -> None:
    posts = {f"s{n}": ("loud", f"I'm 15 lol, day {n}") for n in range(1, 5)}
    posts |= {"s5": ("loud", "stuck at work again")}
    flags = _author_flags(posts)
    assert flags["s1"] == (
        "author_id loud: minor evidence 7.25 (at least 1.0): SELF_AGE +8.0 in 4 items "
        "(s1, s2, s3, ...), capped from +16.0; ADULT_CONTEXT -0.75 in item s5"
    )
