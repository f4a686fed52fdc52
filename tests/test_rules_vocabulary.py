"""The vocabulary policies need (issue #20): nested source paths, list operators, value
normalisation, group thresholds with gt/ge/lt/le/eq, finding attributes, tiered actions,
and rules that run on what the corpus has (partial evaluation, loud skips)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from test_rules_support import META, Batch, flagged, make_rule, store

from audit.rules import evaluate_rules
from audit.rules.loader import LoadedRule, RuleSet
from audit.rules.model import Rule
from audit.rules.selftest import run_selftests

# ---------------------------------------------------------------- nested source paths

NESTED_ITEMS = [
    {
        "item_id": "bsky",
        "extra.record.langs": ["en", "ja"],
        "extra.labels": [{"val": "porn"}, {"val": "!warn"}],
        "extra.account.locked": True,
        "extra.media": [{"type": "image"}],
        "extra.score": 12,
    },
    {"item_id": "plain", "extra.record.langs": ["de"], "extra.labels": [], "extra.score": 3},
    {"item_id": "none"},
]
NESTED_CASES = [
    ({"field": "extra.record.langs", "contains": "ja"}, {"bsky"}),
    ({"field": "extra.record.langs", "contains": "j"}, set()),  # elements, not substrings
    ({"field": "extra.record.langs", "in": ["de", "fr"]}, {"plain"}),
    ({"field": "extra.record.langs", "not_in": ["de"]}, {"bsky"}),  # missing: no match
    ({"field": "extra.labels[*].val", "in": ["porn", "sexual"]}, {"bsky"}),
    ({"field": "extra.labels[*].val", "is_null": True}, {"plain", "none"}),
    ({"field": "extra.account.locked", "eq": True}, {"bsky"}),
    ({"field": "extra.media[0].type", "eq": "image"}, {"bsky"}),
    ({"field": "extra.score", "gt": 10}, {"bsky"}),
    ({"field": "extra.score", "in": [3, 4]}, {"plain"}),
    ({"field": "extra.record.langs", "is_null": True}, {"none"}),
]


@pytest.fixture(scope="module")
def nested_batch():
    return Batch(
        NESTED_ITEMS,
        extra_columns=["record", "labels", "account", "media", "score"],
        cases=NESTED_CASES,
    )


@pytest.mark.parametrize(("match", "expected"), NESTED_CASES)
def test_nested_source_paths(nested_batch, match, expected):
    assert nested_batch(match) == expected


@pytest.mark.parametrize(
    "name",
    [
        'extra.record."langs',
        "extra.a'); COPY items TO 'x.csv'; --",
        "extra.a\\b",
        "extra.a[1;]",
        "extra.a..b",
    ],
)
def test_source_paths_refuse_quoting_characters(name):
    with pytest.raises(ValidationError, match="not a usable source path"):
        make_rule({"field": name, "eq": "x"})


def test_a_list_path_takes_list_operators_only():
    with pytest.raises(ValidationError, match="eq cannot be used on extra.labels"):
        make_rule({"field": "extra.labels[*].val", "eq": "porn"})


def test_a_dotted_source_column_name_still_wins_over_a_nested_path():
    con = store([{"item_id": "x"}], extra_columns=["user.name"])
    con.execute("""UPDATE items SET extra = '{"user.name": "bob"}'""")
    assert ("x", "test.rule") in flagged(con, make_rule({"field": "extra.user.name", "eq": "bob"}))


# ---------------------------------------------------------------- list fields, normalisation


def test_in_and_not_in_on_a_detector_list_field():
    items = [{"item_id": "e"}, {"item_id": "p"}, {"item_id": "n"}]
    findings = [
        {"item_id": "e", "detector": "pii", "entity_type": "EMAIL_ADDRESS"},
        {"item_id": "p", "detector": "pii", "entity_type": "PERSON"},
    ]
    cases = [
        ({"field": "pii_types", "in": ["EMAIL_ADDRESS", "PHONE_NUMBER"]}, {"e"}),
        ({"field": "pii_types", "not_in": ["EMAIL_ADDRESS"]}, {"p"}),  # empty list: no match
    ]
    batch = Batch(items, findings, cases=cases)
    for match, expected in cases:
        assert batch(match) == expected


def test_subreddit_and_handle_values_match_in_either_spelling():
    items = [
        {"item_id": "bare", "extra.subreddit": "teenagers", "author_id": "alice"},
        {"item_id": "prefixed", "extra.subreddit": "r/Teenagers", "author_id": "@alice"},
        {"item_id": "other", "extra.subreddit": "cats", "author_id": "bob"},
    ]
    cases = [
        ({"field": "extra.subreddit", "eq": "r/teenagers"}, {"bare", "prefixed"}),
        ({"field": "extra.subreddit", "in": ["teenagers", "/r/kids"]}, {"bare", "prefixed"}),
        ({"field": "extra.subreddit", "ne": "r/teenagers"}, {"other"}),
        ({"field": "author_id", "eq": "@alice"}, {"bare", "prefixed"}),
        ({"field": "author_id", "not_in": ["alice"]}, {"other"}),
    ]
    batch = Batch(items, extra_columns=["subreddit"], cases=cases)
    for match, expected in cases:
        assert batch(match) == expected


# ---------------------------------------------------------------- group thresholds


def _share(op: str, value: float) -> dict:
    where = {"field": "opt_out", "eq": True}
    return {
        "aggregate": {
            "group_by": "author_id",
            "having": {"share_of_items": {op: value, "where": where}},
        }
    }


GROUP_ITEMS = [  # author a: 1 of 5 opted out (20 %); author b: 2 of 4 (50 %); c: 0 of 1
    *({"item_id": f"a{n}", "author_id": "a", "opt_out": n == 0} for n in range(5)),
    *({"item_id": f"b{n}", "author_id": "b", "opt_out": n < 2} for n in range(4)),
    {"item_id": "c0", "author_id": "c", "opt_out": False},
]
A, B, C = {f"a{n}" for n in range(5)}, {f"b{n}" for n in range(4)}, {"c0"}
GROUP_CASES = [
    (_share("gt", 0.2), B),  # "more than 20 %": exactly 20 % is not more
    (_share("ge", 0.2), A | B),
    (_share("lt", 0.2), C),
    (_share("le", 0.2), A | C),
    (_share("eq", 0.5), B),
    (
        {
            "aggregate": {
                "group_by": "author_id",
                "having": {"count_of_items": {"lt": 2, "where": {"field": "opt_out", "eq": True}}},
            }
        },
        A | C,
    ),
    (
        {
            "aggregate": {
                "group_by": "author_id",
                "having": {"distinct_count": {"field": "opt_out", "eq": 2}},
            }
        },
        A | B,
    ),
]


@pytest.fixture(scope="module")
def group_batch():
    return Batch(GROUP_ITEMS, cases=GROUP_CASES)


@pytest.mark.parametrize(("match", "expected"), GROUP_CASES)
def test_group_thresholds_take_every_comparison(group_batch, match, expected):
    assert group_batch(match) == expected


def test_share_evidence_names_the_comparison():
    con = store(GROUP_ITEMS)
    evidence = flagged(con, make_rule(_share("gt", 0.2)))[("b0", "test.rule")]
    assert evidence["conditions"] == ["author_id b: 50% of 4 items matched: opt_out = true"]


@pytest.mark.parametrize(
    ("having", "message"),
    [
        ({"share_of_items": {"ge": 1.5, "where": {"field": "opt_out", "eq": True}}}, "between 0"),
        ({"share_of_items": {"where": {"field": "opt_out", "eq": True}}}, "exactly one threshold"),
        ({"count_of_items": {"gt": 1.5, "where": {"field": "opt_out", "eq": True}}}, "whole"),
        ({"count_of_items": {"ge": 0, "where": {"field": "opt_out", "eq": True}}}, "every group"),
    ],
)
def test_bad_group_thresholds_say_what_is_allowed(having, message):
    with pytest.raises(ValidationError, match=message):
        make_rule({"aggregate": {"group_by": "author_id", "having": having}})


def test_evidence_score_below_a_threshold():
    items = [{"item_id": "x1", "author_id": "x"}, {"item_id": "y1", "author_id": "y"}]
    findings = [
        {
            "item_id": "x1",
            "detector": "minor_cues",
            "entity_type": "SCHOOL_CONTEXT",
            "attributes": {"weight": 0.5},
        },
        {
            "item_id": "y1",
            "detector": "minor_cues",
            "entity_type": "SELF_AGE",
            "attributes": {"weight": 4.0},
        },
    ]
    match = {
        "aggregate": {
            "group_by": "author_id",
            "having": {"evidence_score": {"detector": "minor_cues", "lt": 1.0}},
        }
    }
    hits = flagged(store(items, findings), make_rule(match))
    assert set(hits) == {("x1", "test.rule")}
    assert "minor evidence 0.5 (below 1.0)" in hits[("x1", "test.rule")]["conditions"][0]


# ---------------------------------------------------------------- finding attributes


def test_conditions_on_finding_attributes():
    items = [{"item_id": i} for i in ("c2pa", "iptc", "kid", "teen", "adult")]
    findings = [
        {"item_id": "c2pa", "detector": "media_meta", "entity_type": "TRAINING_RESERVATION",
         "attributes": {"reservation": "prohibited", "source": "c2pa"}},
        {"item_id": "iptc", "detector": "media_meta", "entity_type": "TRAINING_RESERVATION",
         "attributes": {"reservation": "prohibited", "source": "xmp:plus:DataMining"}},
        {"item_id": "kid", "detector": "faces", "entity_type": "FACE", "attributes": {"age": 9.4}},
        {"item_id": "teen", "detector": "faces", "entity_type": "FACE", "attributes": {"age": 15}},
        {"item_id": "adult", "detector": "faces", "entity_type": "FACE", "attributes": {"age": 31}},
    ]  # fmt: skip
    cases = [
        (
            {"detector": "media_meta", "types": ["TRAINING_RESERVATION"], "attributes": {"source": "c2pa"}},
            {"c2pa"},
        ),
        (
            {"detector": "media_meta", "attributes": {"source": {"in": ["c2pa", "xmp:plus:DataMining"]}}},
            {"c2pa", "iptc"},
        ),
        ({"detector": "faces", "types": ["FACE"], "attributes": {"age": {"lt": 13}}}, {"kid"}),
        ({"detector": "faces", "attributes": {"age": {"ge": 13}}}, {"teen", "adult"}),
        ({"detector": "faces", "attributes": {"age": {"ge": 13, }, "face": 1}}, set()),  # no "face"
    ]  # fmt: skip
    batch = Batch(items, findings, cases=cases)
    for match, expected in cases:
        assert batch(match) == expected, match


def test_attribute_names_are_checked_against_the_detector():
    with pytest.raises(ValidationError, match="no attribute 'sorce' — did you mean 'source'"):
        make_rule({"detector": "media_meta", "attributes": {"sorce": "c2pa"}})
    with pytest.raises(ValidationError, match="lower_case words"):
        make_rule({"detector": "pii", "attributes": {"Lang'uage": "en"}})


def test_attribute_values_are_bound_not_spliced():
    hostile = "c2pa'); COPY items TO '/tmp/x.csv'; --"
    rule = make_rule({"detector": "media_meta", "attributes": {"source": hostile}})
    from audit.rules.compile import compile_rule

    compiled = compile_rule(rule)
    assert hostile not in compiled.sql
    assert hostile in json.dumps(compiled.params)


# ---------------------------------------------------------------- tiered actions

TIERED = {
    **{k: v for k, v in META.items() if k != "action"},
    "id": "minors.tiered",
    "severity": "high",
    "match": {"field": "author_age_at_post", "lt": 18},
    "actions": [
        {"when": {"field": "author_age_at_post", "lt": 16}, "action": "exclude", "severity": "critical"},
        {"action": "review"},
    ],
    "tests": [
        {"expect": "match", "item": {"author_age_at_post": 14}, "expect_action": "exclude"},
        {"expect": "match", "item": {"author_age_at_post": 17}, "expect_action": "review"},
        {"expect": "no_match", "item": {"author_age_at_post": 18}},
    ],
}  # fmt: skip


def test_a_tiered_rule_gives_each_item_its_tier_in_one_pass():
    rule = LoadedRule(Rule.model_validate(TIERED), "mem.yaml", {})
    con = store(
        [{"item_id": "p14", "author_age_at_post": 14}, {"item_id": "p17", "author_age_at_post": 17}]
    )
    evaluate_rules(con, RuleSet([rule], "mem", ""), "r1")
    rows = con.execute(
        "SELECT item_id, action, severity, evidence::VARCHAR FROM flags ORDER BY 1"
    ).fetchall()
    assert [r[:3] for r in rows] == [("p14", "exclude", "critical"), ("p17", "review", "high")]
    assert json.loads(rows[0][3])["conditions"] == [
        "author_age_at_post < 18",
        "exclude (critical) when author_age_at_post < 16",
    ]
    assert json.loads(rows[1][3])["conditions"] == ["author_age_at_post < 18"]
    assert run_selftests(RuleSet([rule], "mem", ""))[0].ok


def test_a_tier_self_test_checks_the_action():
    wrong = {
        **TIERED,
        "tests": [
            *TIERED["tests"][:1],
            {**TIERED["tests"][1], "expect_action": "exclude"},
            TIERED["tests"][2],
        ],
    }
    result = run_selftests(RuleSet([LoadedRule(Rule.model_validate(wrong), "m", {})], "m", ""))[0]
    assert not result.ok
    assert [c.detail for c in result.cases if not c.ok] == ["action review, expected exclude"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"action": "exclude"}, "not both"),
        ({"actions": [{"action": "exclude"}, {"action": "review"}]}, "needs a `when`"),
        (
            {"actions": [{"when": {"field": "opt_out", "eq": True}, "action": "exclude"},
                         {"when": {"field": "opt_out", "eq": False}, "action": "review"}]},
            "the last of actions has no `when`",
        ),
    ],
)  # fmt: skip
def test_tier_mistakes(change, message):
    with pytest.raises(ValidationError, match=message):
        Rule.model_validate({**TIERED, **change})


# ---------------------------------------------------------------- what the corpus has

SENSITIVE = {
    "any": [
        {"field": "extra.over_18", "eq": True},  # Reddit
        {"field": "extra.sensitive", "eq": True},  # Mastodon
    ]
}


def _evaluate(con, *rules, detectors_run=None):
    summary = evaluate_rules(
        con, RuleSet(list(rules), "mem", ""), "r1", detectors_run=detectors_run
    )
    flags = {r[0] for r in con.execute("SELECT item_id FROM flags").fetchall()}
    return summary, flags


def test_a_two_alternative_rule_runs_on_a_corpus_with_only_one_of_its_columns():
    con = store(
        [{"item_id": "m1", "extra.sensitive": True}, {"item_id": "m2", "extra.sensitive": False}],
        extra_columns=["sensitive"],
    )
    summary, flags = _evaluate(con, make_rule(SENSITIVE))
    assert flags == {"m1"}
    assert summary.skipped == {}
    assert summary.partial == {"test.rule": "evaluated without extra.over_18: not in this corpus"}
    row = con.execute("SELECT skip_reason, partial_reason FROM rule_catalog").fetchone()
    assert row == (None, "evaluated without extra.over_18: not in this corpus")


def test_an_unknown_condition_under_not_skips_the_rule():
    con = store([{"item_id": "m1"}], extra_columns=["sensitive"])
    summary, flags = _evaluate(con, make_rule({"not": {"field": "extra.over_18", "eq": True}}))
    assert flags == set()
    assert "under `not`" in summary.skipped["test.rule"]


def test_nothing_left_to_evaluate_skips_the_rule():
    con = store([{"item_id": "m1"}], extra_columns=["sensitive"])
    rule = make_rule(
        {"all": [{"field": "extra.over_18", "eq": True}, {"field": "opt_out", "eq": True}]}
    )
    summary, _ = _evaluate(con, rule)
    assert summary.skipped["test.rule"].startswith("nothing left to evaluate without extra.over_18")


def test_is_null_on_a_missing_source_column_is_answerable():
    con = store([{"item_id": "m1"}], extra_columns=["sensitive"])
    summary, flags = _evaluate(con, make_rule({"field": "extra.over_18", "is_null": True}))
    assert flags == {"m1"} and not summary.skipped and not summary.partial


def test_a_detector_that_did_not_run_makes_an_alternative_unknown():
    con = store([{"item_id": "n", "noai": True}, {"item_id": "o"}])
    rule = make_rule(
        {
            "any": [
                {"field": "noai", "eq": True},
                {"field": "media_training_reservation", "eq": "prohibited"},
            ]
        }
    )
    summary, flags = _evaluate(con, rule, detectors_run={"pii"})
    assert flags == {"n"}
    assert summary.partial == {
        "test.rule": "evaluated without media_training_reservation: detector media_meta did "
        "not run in this scan"
    }
    only_faces = make_rule({"detector": "faces"}, rule_id="test.faces")
    summary, _ = _evaluate(con, only_faces, detectors_run={"pii"})
    assert summary.skipped["test.faces"].startswith(
        "nothing left to evaluate without detector faces"
    )
