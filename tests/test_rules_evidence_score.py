"""The ``evidence_score`` having: weights, per-item maximum, caps, words, and the ways it can
sit in a rule (alone, under ``not``, beside other conditions, grouped by item_id)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from test_rules_support import flagged, make_rule, store

from audit.rules.describe import describe
from audit.rules.explain import explain

ITEMS = [
    {"item_id": "a1", "author_id": "a", "created_at": "2024-03-01T00:00:00"},
    {"item_id": "a2", "author_id": "a", "created_at": "2024-03-02T00:00:00"},
    {"item_id": "b1", "author_id": "b", "created_at": "2024-03-01T00:00:00"},
    {"item_id": "c1", "author_id": "c"},
    {"item_id": "n1"},  # no author: in no group
]


def _f(item_id: str, entity_type: str, **attributes: object) -> dict:
    return {"item_id": item_id, "detector": "minor_cues", "entity_type": entity_type,
            "attributes": attributes}  # fmt: skip


FINDINGS = [
    _f("a1", "SCHOOL_CONTEXT", weight=0.5),
    _f("a1", "SCHOOL_CONTEXT", weight=1.0),  # same item and type: the larger counts
    _f("a2", "SCHOOL_CONTEXT", weight=0.5),
    _f("a2", "GRAD_YEAR", weight=0.0, year=2026),  # 2 years after the post: +2
    _f("b1", "SCHOOL_CONTEXT", weight=1.0),
    _f("b1", "ADULT_SELF", weight=-2.5),
    _f("c1", "GRAD_YEAR", weight=0.0, year=2026),  # no post date: no weight
    _f("n1", "SELF_AGE", weight=4.0),
]


def _score(ge: float, group_by: str = "author_id") -> dict:
    return {"aggregate": {"group_by": group_by,
                          "having": {"evidence_score": {"detector": "minor_cues", "ge": ge}}}}  # fmt: skip


def _run(*matches: dict) -> dict[str, dict[str, dict]]:
    rules = [make_rule(m, rule_id=f"t.r{n}") for n, m in enumerate(matches)]
    hits = flagged(store(ITEMS, FINDINGS), *rules)
    out: dict[str, dict[str, dict]] = {r.rule.id: {} for r in rules}
    for (item, rule_id), evidence in hits.items():
        out[rule_id][item] = evidence
    return out


def test_score_threshold_and_words() -> None:
    hits = _run(_score(3.5), _score(3.75))
    assert set(hits["t.r0"]) == {"a1", "a2"} and hits["t.r1"] == {}
    assert hits["t.r0"]["a2"]["conditions"] == [
        "author_id a: minor evidence 3.5 (at least 3.5): GRAD_YEAR +2.0 in item a2; "
        "SCHOOL_CONTEXT +1.5 in 2 items (a1, a2)"
    ]


def test_not_and_all_of_two_scores_make_a_band() -> None:
    band = {"all": [_score(1.0), {"not": _score(3.6)}]}
    hits = _run(band)["t.r0"]
    assert set(hits) == {"a1", "a2"}
    # the band's evidence: the lower score's words, then the negated condition in words
    conditions = hits["a1"]["conditions"]
    assert conditions[0].startswith("author_id a: minor evidence 3.5 (at least 1.0)")
    assert conditions[1].startswith("not its author_id group: a minor evidence score of at least")


def test_beside_item_conditions_and_grouped_by_item() -> None:
    hits = _run(
        {"all": [{"detector": "minor_cues", "types": ["GRAD_YEAR"]}, _score(1.0, "item_id")]},
        {"any": [{"field": "item_id", "eq": "b1"}, _score(2.0)]},
    )
    assert set(hits["t.r0"]) == {"a2"}  # c1's class year has no post date
    assert hits["t.r0"]["a2"]["conditions"][-1] == (
        "item_id a2: minor evidence 2.5 (at least 1.0): GRAD_YEAR +2.0 in item a2; "
        "SCHOOL_CONTEXT +0.5 in item a2"
    )
    assert set(hits["t.r1"]) == {"a1", "a2", "b1"}
    assert hits["t.r1"]["b1"]["conditions"] == ["item_id = 'b1'"]


def test_words_and_explain() -> None:
    rule = make_rule(_score(1.0))
    assert describe(rule.rule.match) == (
        "its author_id group: a minor evidence score of at least 1.0 (from minor_cues findings)"
    )
    explained = explain(rule)
    assert "minor evidence score of at least 1.0" in "\n".join(explained.conditions)
    assert "CREATE TABLE rule_evidence_1" in explained.sql


@pytest.mark.parametrize(
    ("having", "message"),
    [
        ({"detector": "minor_cues", "ge": 0}, "must be above 0"),
        ({"detector": "pii", "ge": 1.0}, "declares no evidence weights; these do: minor_cues"),
    ],
)
def test_invalid_evidence_score(having: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make_rule({"aggregate": {"group_by": "author_id", "having": {"evidence_score": having}}})
