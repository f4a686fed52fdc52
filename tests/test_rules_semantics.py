"""What each operator, combinator and detector condition matches (the compiler's contract)."""

from __future__ import annotations

import pytest
from test_rules_support import Batch, flagged, make_rule, matches, store

from audit.rules import RuleLoadError

ITEMS = [
    {
        "item_id": "a",
        "visibility": "public",
        "author_age_at_post": 15,
        "opt_out": True,
        "license": "CC-BY-NC-4.0",
        "text": "Hello World",
        "created_at": "2023-05-01",
    },
    {
        "item_id": "b",
        "visibility": "followers",
        "author_age_at_post": 30,
        "opt_out": False,
        "license": "CC0",
        "text": "bye",
    },
    {"item_id": "c"},  # every field missing
]


FIELD_CASES = [
    ({"field": "visibility", "eq": "public"}, {"a"}),
    ({"field": "visibility", "ne": "public"}, {"b"}),  # missing is not "≠ public"
    ({"field": "visibility", "in": ["public", "followers"]}, {"a", "b"}),
    ({"field": "visibility", "not_in": ["public"]}, {"b"}),
    ({"field": "author_age_at_post", "lt": 18}, {"a"}),
    ({"field": "author_age_at_post", "le": 15}, {"a"}),
    ({"field": "author_age_at_post", "gt": 15}, {"b"}),
    ({"field": "author_age_at_post", "ge": 15}, {"a", "b"}),
    ({"field": "author_age_at_post", "in": [15, 16.0]}, {"a"}),
    ({"field": "opt_out", "eq": True}, {"a"}),
    ({"field": "visibility", "is_null": True}, {"c"}),
    ({"field": "visibility", "is_null": False}, {"a", "b"}),
    ({"field": "text", "contains": "World"}, {"a"}),
    ({"field": "text", "contains": "world"}, set()),  # contains is case-sensitive
    ({"field": "text", "matches": "(?i)^hello"}, {"a"}),
    ({"field": "license", "matches": "NC"}, {"a"}),
    ({"field": "created_at", "ge": "2023-01-01"}, {"a"}),
    ({"field": "created_at", "lt": "2023-01-01"}, set()),
    ({"all": [{"field": "opt_out", "eq": True}, {"field": "author_age_at_post", "lt": 18}]}, {"a"}),
    (
        {"any": [{"field": "opt_out", "eq": True}, {"field": "visibility", "eq": "followers"}]},
        {"a", "b"},
    ),
    # a comparison on a missing value is false, so `not` of it is true
    ({"not": {"field": "opt_out", "eq": True}}, {"b", "c"}),
    ({"not": {"field": "visibility", "ne": "public"}}, {"a", "c"}),
    ({"not": {"not": {"field": "opt_out", "eq": True}}}, {"a"}),
]


@pytest.fixture(scope="module")
def field_batch():
    return Batch(ITEMS, cases=FIELD_CASES)


@pytest.mark.parametrize(("match", "expected"), FIELD_CASES)
def test_field_operators(field_batch, match, expected):
    assert field_batch(match) == expected


def test_date_values_from_yaml_are_accepted():
    import datetime

    assert matches({"field": "created_at", "ge": datetime.date(2023, 1, 1)}, ITEMS) == {"a"}


FINDINGS = [
    {
        "item_id": "a",
        "detector": "pii",
        "entity_type": "EMAIL_ADDRESS",
        "score": 0.9,
        "start": 3,
        "end": 20,
    },
    {"item_id": "a", "detector": "pii", "entity_type": "PERSON", "score": 0.6},
    {"item_id": "b", "detector": "pii", "entity_type": "EMAIL_ADDRESS", "score": 0.3},
    {"item_id": "b", "detector": "faces", "size_px": 40},
    {"item_id": "b", "detector": "faces", "size_px": 90},
    {"item_id": "c", "detector": "faces", "size_px": 30},
    {"item_id": "c", "detector": "minor_cues", "entity_type": "SCHOOL_GRADE"},
]


DETECTOR_CASES = [
    ({"detector": "pii"}, {"a", "b"}),
    ({"detector": "pii", "types": ["EMAIL_ADDRESS"], "min_score": 0.5}, {"a"}),
    ({"detector": "pii", "min_count": 2}, {"a"}),
    ({"detector": "pii", "types": ["US_SSN"]}, set()),
    ({"detector": "faces"}, {"b", "c"}),
    ({"detector": "faces", "min_size_px": 64}, {"b"}),
    ({"detector": "faces", "min_count": 2}, {"b"}),
    ({"detector": "faces", "min_count": 2, "min_size_px": 64}, set()),
    ({"detector": "minor_cues"}, {"c"}),
    ({"detector": "minor_cues", "types": ["SELF_AGE"]}, set()),
    ({"not": {"detector": "pii"}}, {"c"}),
    ({"field": "pii_types", "contains": "PERSON"}, {"a"}),
    ({"field": "face_count", "ge": 2}, {"b"}),
    ({"field": "largest_face_px", "ge": 64}, {"b"}),
]


@pytest.fixture(scope="module")
def detector_batch():
    return Batch(ITEMS, FINDINGS, cases=DETECTOR_CASES)


@pytest.mark.parametrize(("match", "expected"), DETECTOR_CASES)
def test_detector_conditions(detector_batch, match, expected):
    assert detector_batch(match) == expected


def test_evidence_names_conditions_and_findings_without_values():
    con = store(ITEMS, FINDINGS)
    rule = make_rule(
        {"all": [{"field": "opt_out", "eq": True}, {"detector": "pii", "types": ["EMAIL_ADDRESS"]}]}
    )
    evidence = flagged(con, rule)[("a", "test.rule")]
    assert evidence["conditions"] == ["opt_out = true", "EMAIL_ADDRESS found in the text"]
    assert evidence["findings"] == [
        {
            "detector": "pii",
            "entity_type": "EMAIL_ADDRESS",
            "start": 3,
            "end": 20,
            "score": 0.9,
            "bbox": None,
            "note": None,  # a detector's own words for a finding (none for pii)
        }
    ]


def test_evidence_lists_only_the_satisfied_alternatives():
    con = store(ITEMS)
    rule = make_rule(
        {"any": [{"field": "opt_out", "eq": True}, {"field": "visibility", "eq": "followers"}]}
    )
    got = flagged(con, rule)
    assert got[("a", "test.rule")]["conditions"] == ["opt_out = true"]
    assert got[("b", "test.rule")]["conditions"] == ["visibility = 'followers'"]
    assert got[("b", "test.rule")]["findings"] == []


EXTRA_ITEMS = [
    {"item_id": "a", "extra.subreddit": "r/teens", "extra.score": 120, "extra.nsfw": True},
    {"item_id": "b", "extra.subreddit": "r/cats", "extra.score": "7"},
    {"item_id": "c"},
]


EXTRA_CASES = [
    ({"field": "extra.subreddit", "eq": "r/teens"}, {"a"}),
    ({"field": "extra.subreddit", "in": ["r/cats", "r/dogs"]}, {"b"}),
    ({"field": "extra.subreddit", "matches": "^r/t"}, {"a"}),
    ({"field": "extra.score", "gt": 10}, {"a"}),  # numeric comparison via TRY_CAST
    ({"field": "extra.score", "lt": 10}, {"b"}),  # "7" as text still compares as a number
    ({"field": "extra.nsfw", "eq": True}, {"a"}),
    ({"field": "extra.subreddit", "is_null": True}, {"c"}),
]


@pytest.fixture(scope="module")
def extra_batch():
    return Batch(EXTRA_ITEMS, extra_columns=["subreddit", "score", "nsfw"], cases=EXTRA_CASES)


@pytest.mark.parametrize(("match", "expected"), EXTRA_CASES)
def test_extra_source_columns(extra_batch, match, expected):
    assert extra_batch(match) == expected


def test_a_rule_on_a_source_column_the_corpus_lacks_is_skipped_with_a_hint():
    from audit.rules import evaluate_rules
    from audit.rules.loader import RuleSet

    con = store(EXTRA_ITEMS, extra_columns=["subreddit"])
    rule = make_rule({"field": "extra.subredit", "eq": "x"})
    summary = evaluate_rules(con, RuleSet([rule], "mem", ""), "r1")
    assert summary.skipped == {
        "test.rule": "nothing left to evaluate without extra.subredit: not in this corpus "
        "(did you mean extra.subreddit?)"
    }


def test_required_extra_column_missing_skips_the_rule():
    from audit.rules import evaluate_rules
    from audit.rules.loader import RuleSet

    con = store(EXTRA_ITEMS, extra_columns=[])
    rule = make_rule({"field": "extra.flair", "eq": "x"}, requires_columns=["extra.flair"])
    summary = evaluate_rules(con, RuleSet([rule], "mem", ""), "r1")
    assert summary.skipped == {"test.rule": "corpus has no source column extra.flair"}
    assert summary.per_rule == {}


AUTHORS = [
    {"item_id": "p1", "author_id": "a1", "author_age_at_post": 16, "platform": "reddit"},
    {"item_id": "p2", "author_id": "a1", "author_age_at_post": 19, "platform": "mastodon"},
    {"item_id": "p3", "author_id": "a2", "author_age_at_post": 30, "platform": "reddit"},
    {"item_id": "p4", "author_id": "a2", "platform": "reddit"},
    {"item_id": "p5", "author_id": "a3", "platform": "reddit"},
    {"item_id": "p6", "author_age_at_post": 12},  # no author: no group
]
CONTACT = {"detector": "pii", "types": ["EMAIL_ADDRESS"]}
AUTHOR_FINDINGS = [
    {"item_id": "p3", "detector": "pii", "entity_type": "EMAIL_ADDRESS"},
    {"item_id": "p5", "detector": "pii", "entity_type": "EMAIL_ADDRESS"},
]


HAVING_CASES = [
    ({"any_item": {"field": "author_age_at_post", "lt": 18}}, {"p1", "p2"}),
    ({"any_item": CONTACT}, {"p3", "p4", "p5"}),
    ({"share_of_items": {"where": CONTACT, "ge": 0.5}}, {"p3", "p4", "p5"}),
    ({"share_of_items": {"where": CONTACT, "ge": 0.6}}, {"p5"}),
    ({"count_of_items": {"where": {"field": "platform", "eq": "reddit"}, "ge": 2}}, {"p3", "p4"}),
    ({"distinct_count": {"field": "platform", "ge": 2}}, {"p1", "p2"}),
]


def _by_author(having):
    return {"aggregate": {"group_by": "author_id", "having": having}}


@pytest.fixture(scope="module")
def author_batch():
    return Batch(AUTHORS, AUTHOR_FINDINGS, cases=[(_by_author(h), e) for h, e in HAVING_CASES])


@pytest.mark.parametrize(("having", "expected"), HAVING_CASES)
def test_aggregate_by_author(author_batch, having, expected):
    assert author_batch(_by_author(having)) == expected


def test_aggregate_composes_with_item_conditions():
    match = {
        "all": [
            {
                "aggregate": {
                    "group_by": "author_id",
                    "having": {"any_item": {"field": "author_age_at_post", "lt": 18}},
                }
            },
            {"field": "platform", "eq": "mastodon"},
        ]
    }
    assert matches(match, AUTHORS) == {"p2"}
    negated = {"not": match["all"][0]}
    assert matches(negated, AUTHORS) == {"p3", "p4", "p5", "p6"}


def test_aggregate_evidence_is_group_level():
    con = store(AUTHORS, AUTHOR_FINDINGS)
    share = make_rule(
        {
            "aggregate": {
                "group_by": "platform",
                "having": {"share_of_items": {"where": CONTACT, "ge": 0.3}},
            }
        }
    )
    minor = make_rule(
        {
            "aggregate": {
                "group_by": "author_id",
                "having": {"any_item": {"field": "author_age_at_post", "lt": 18}},
            }
        },
        rule_id="test.minor",
    )
    got = flagged(con, share, minor)
    assert got[("p4", "test.rule")]["conditions"] == [
        "platform reddit: 50% of 4 items matched: EMAIL_ADDRESS found in the text"
    ]
    assert got[("p2", "test.minor")]["conditions"] == [
        "author_id a1: 1 of 2 items matched (e.g. item p1): author_age_at_post < 18"
    ]


def test_nested_aggregate_is_rejected_with_location():
    inner = {
        "aggregate": {
            "group_by": "platform",
            "having": {"any_item": {"field": "deleted", "eq": True}},
        }
    }
    rule = make_rule({"aggregate": {"group_by": "author_id", "having": {"any_item": inner}}})
    with pytest.raises(RuleLoadError, match="cannot be nested"):
        flagged(store(AUTHORS), rule)
