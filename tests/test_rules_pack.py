"""Detector conditions for every registered detector, and one-pass pack evaluation."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_rules_support import Batch, flagged, make_rule, store

from audit.rules import RuleLoadError, load_rules

SHIPPED = Path(__file__).resolve().parent.parent / "rules"

ITEMS = [{"item_id": i} for i in ("a", "b", "c", "d")]
FINDINGS = [
    {"item_id": "a", "detector": "media_meta", "entity_type": "CAMERA_SERIAL"},
    {"item_id": "a", "detector": "media_meta", "entity_type": "GPS_LOCATION"},
    {"item_id": "b", "detector": "media_meta", "entity_type": "GPS_LOCATION", "score": 0.4},
    {"item_id": "c", "detector": "ocr_text", "entity_type": "EMAIL_ADDRESS", "start": 4, "end": 9},
    {"item_id": "d", "detector": "pii", "entity_type": "PERSON", "start": 7, "end": 12},
    {"item_id": "d", "detector": "pii", "entity_type": "EMAIL_ADDRESS", "start": 0, "end": 5},
    {"item_id": "d", "detector": "faces", "size_px": 80},
]

CASES = [
    ({"detector": "media_meta"}, {"a", "b"}),
    ({"detector": "media_meta", "types": ["CAMERA_SERIAL"]}, {"a"}),
    ({"detector": "media_meta", "min_count": 2}, {"a"}),
    ({"detector": "media_meta", "types": ["GPS_LOCATION"], "min_score": 0.5}, {"a"}),
    ({"detector": "ocr_text", "types": ["EMAIL_ADDRESS"]}, {"c"}),
    ({"not": {"detector": "media_meta"}}, {"c", "d"}),
    # the same condition twice in one rule and across rules shares one count
    ({"all": [{"detector": "media_meta"}, {"detector": "media_meta"}]}, {"a", "b"}),
]


@pytest.fixture(scope="module")
def batch():
    return Batch(ITEMS, FINDINGS, cases=CASES)


@pytest.mark.parametrize(("match", "expected"), CASES)
def test_registered_detector_conditions(batch, match, expected):
    assert batch(match) == expected


def test_media_meta_evidence_words_and_findings():
    con = store(ITEMS, FINDINGS)
    rule = make_rule({"detector": "media_meta", "types": ["CAMERA_SERIAL"]})
    evidence = flagged(con, rule)[("a", "test.rule")]
    assert evidence["conditions"] == ["CAMERA_SERIAL found in the image metadata"]
    assert [f["entity_type"] for f in evidence["findings"]] == ["CAMERA_SERIAL"]


def test_evidence_findings_are_ordered_by_detector_then_start_nulls_last():
    con = store(ITEMS, FINDINGS)
    rule = make_rule({"any": [{"detector": "pii"}, {"detector": "faces"}]})
    evidence = flagged(con, rule)[("d", "test.rule")]
    assert [(f["detector"], f["start"]) for f in evidence["findings"]] == [
        ("faces", None),
        ("pii", 0),
        ("pii", 7),
    ]
    assert list(evidence["findings"][0]) == [
        "detector",
        "entity_type",
        "start",
        "end",
        "score",
        "bbox",
        "note",
    ]


@pytest.mark.parametrize(
    ("match", "message", "line"),
    [
        (
            {"detector": "media_meta", "min_size_px": 10},
            "min_size_px applies to detectors that find image boxes (e.g. faces); "
            "media_meta finds media facts",
            10,
        ),
        ({"detector": "exif"}, "unknown detector 'exif'; installed: pii, minor_cues, faces", 9),
    ],
)
def test_detector_options_checked_at_load(tmp_path, match, message, line):
    import yaml

    rule = {"id": "t.x", "title": "t", "status": "stable", "severity": "low", "action": "review"}
    rule |= {"description": "d", "rationale": "r", "match": match}
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(rule, sort_keys=False))
    with pytest.raises(RuleLoadError) as info:
        load_rules(tmp_path)
    (problem,) = info.value.problems
    assert message in problem.message and problem.line == line


def test_pack_evaluation_equals_each_rule_alone():
    """One pass over the whole pack flags exactly what each rule flags on its own."""
    items = [
        {"item_id": "p1", "author_id": "a1", "visibility": "followers", "author_age_at_post": 15},
        {"item_id": "p2", "author_id": "a1", "opt_out": True, "license": "CC-BY-NC-4.0"},
        {"item_id": "p3", "author_id": "a2", "visibility": "public", "noai": True},
        {"item_id": "p4", "author_id": "a2", "deleted": True},
        {"item_id": "p5"},
    ]
    findings = [
        {"item_id": "p1", "detector": "faces", "size_px": 90},
        {"item_id": "p2", "detector": "pii", "entity_type": "EMAIL_ADDRESS", "score": 0.9},
        {"item_id": "p3", "detector": "pii", "entity_type": "US_SSN", "score": 0.9},
        {"item_id": "p3", "detector": "minor_cues"},
        {"item_id": "p4", "detector": "media_meta", "entity_type": "CAMERA_SERIAL"},
        {"item_id": "p5", "detector": "media_meta", "entity_type": "GPS_LOCATION"},
    ]
    pack = [r for r in load_rules(SHIPPED) if not r.rule.requires_columns]
    together = flagged(store(items, findings), *pack)
    alone = {}
    for loaded in pack:
        alone |= flagged(store(items, findings), loaded)
    assert together == alone and len(together) > 10


def test_runtime_failure_names_the_rule(monkeypatch):
    from audit.rules import compile as compile_mod

    original = compile_mod._field

    def broken(state, cond, path):  # a condition that fails only when it runs
        sql = original(state, cond, path)
        return f"({sql} AND CAST('x' AS INTEGER) = 1)" if cond.field == "deleted" else sql

    monkeypatch.setattr(compile_mod, "_field", broken)
    good = make_rule({"field": "opt_out", "eq": True}, rule_id="test.good")
    bad = make_rule({"field": "deleted", "eq": True}, rule_id="test.bad")
    con = store([{"item_id": "a", "deleted": True, "opt_out": True}])
    with pytest.raises(RuleLoadError, match="cannot be evaluated") as info:
        flagged(con, good, bad)
    assert [p.file for p in info.value.problems] == ["mem.yaml"]
    assert con.execute("SELECT count(*) FROM flags").fetchall() == [(0,)]
