"""minor_cues: table of true and false positives (the documented decisions)."""

from __future__ import annotations

import pytest

from audit.detectors.base import Content
from audit.detectors.minor_cues import MinorCuesDetector, find_cues

MATCH = [
    ("my 12 yo loves it", "AGE_CUE", 12),
    ("my 12 year old son", "AGE_CUE", 12),
    ("our 3-year-old", "AGE_CUE", 3),
    ("I'm 15 and bored", "SELF_AGE", 15),
    ("im 13 lol", "SELF_AGE", 13),
    ("I am 14 years old", "SELF_AGE", 14),
    ("turning 13 tomorrow!", "AGE_CUE", 13),
    ("just turned seventeen", "AGE_CUE", 17),
    ("my daughter, age 9, drew this", "AGE_CUE", 9),
    ("8th grade is hard", "SCHOOL_GRADE", None),
    ("my daughter's first day of 3rd grade", "SCHOOL_GRADE", None),
    ("grade 7 science fair", "SCHOOL_GRADE", None),
    ("she is in middle school now", "SCHOOL_GRADE", None),
    ("#kidsofinstagram", "MINOR_HASHTAG", None),
]

NO_MATCH = [
    "I've been coding for 15 years",
    "15 year anniversary",
    "I'm 25",
    "I'm 18 today",
    "got a grade A",
    "A-grade coffee",
    "my 12 year old car",  # decision: objects with an age are not children
    "I'm 5 minutes away",
    "I'm 16 years into this career",
    "I'm 12% sure",
    "high school reunion, 20 years on",
]


@pytest.mark.parametrize(("text", "entity", "age"), MATCH)
def test_true_positives(text: str, entity: str, age: int | None) -> None:
    findings = find_cues(text)
    assert entity in {f.entity_type for f in findings}
    if age is not None:
        assert any((f.attributes or {}).get("age") == age for f in findings)


@pytest.mark.parametrize("text", NO_MATCH)
def test_false_positives_do_not_match(text: str) -> None:
    assert find_cues(text) == []


def test_grade_attribute() -> None:
    (finding,) = find_cues("8th grade is hard")
    assert finding.attributes == {"pattern": "nth_grade", "grade": 8}


def test_detector_batch_shape() -> None:
    results = MinorCuesDetector().detect_batch([Content("a", text="I'm 15"), Content("b")])
    assert [len(r.findings) for r in results] == [1, 0]
