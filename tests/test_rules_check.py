"""`audit rules check`: thresholds measured against a corpus; dead thresholds reported."""

from __future__ import annotations

import json
from pathlib import Path

from test_rules_support import make_rule, store
from typer.testing import CliRunner

from audit.cli import app
from audit.rules import load_rules
from audit.rules.check import check_rules, format_checks
from audit.rules.loader import RuleSet

SHIPPED = Path(__file__).parent.parent / "rules"


def _corpus():
    items = [{"item_id": f"p{n}", "author_id": "a", "visibility": "public"} for n in range(4)]
    findings = [  # phones only written as bare digit runs: pii scores them 0.35
        {"item_id": f"p{n}", "detector": "pii", "entity_type": "PHONE_NUMBER", "score": 0.35}
        for n in range(3)
    ]
    return store(items, findings)


def test_a_shipped_rule_whose_threshold_can_never_match_is_reported():
    checks = {c.rule_id: c for c in check_rules(_corpus(), load_rules(SHIPPED))}
    contact = checks["pii.direct-contact-data"]
    assert contact.flags == 0
    [threshold] = contact.thresholds
    assert threshold.dead
    assert threshold.words == (
        "min_score 0.5: 0 of 3 PHONE_NUMBER findings reach it; their scores are 0.35"
    )
    assert contact.warnings == [f"match: can never match in this corpus: {threshold.words}"]
    # every item is public: the non-public rule cannot flag anything here, and says so
    public = checks["visibility.non-public"].thresholds[0]
    assert public.dead and (public.population, public.reaching) == (4, 0)
    assert "values: public (4)" in checks["visibility.unknown"].thresholds[0].words
    text = format_checks(list(checks.values()))
    assert "WARNING never matches: min_score 0.5: 0 of 3 PHONE_NUMBER findings" in text


def test_group_thresholds_and_tiers_are_measured():
    items = [{"item_id": f"p{n}", "extra.subreddit": "forhire"} for n in range(5)]
    findings = [{"item_id": "p0", "detector": "pii", "entity_type": "EMAIL_ADDRESS", "score": 0.9}]
    con = store(items, findings, extra_columns=["subreddit"])
    rule = make_rule(
        {
            "aggregate": {
                "group_by": "extra.subreddit",
                "having": {"share_of_items": {"gt": 0.25, "where": {"detector": "pii"}}},
            }
        }
    )
    [check] = check_rules(con, RuleSet([rule], "mem", ""))
    share = check.thresholds[0]
    assert share.dead and share.path == "match.aggregate.having.share_of_items"
    assert share.words == (
        "share_of_items gt 0.25: 0 of 1 extra.subreddit groups reach it; their shares are 20%"
    )


def test_check_cli_on_a_scanned_store(tmp_path):
    db = tmp_path / "audit.duckdb"
    con = _corpus()
    con.execute(f"ATTACH '{db}' AS out")
    con.execute("COPY FROM DATABASE memory TO out")
    con.close()
    result = CliRunner().invoke(app, ["rules", "check", str(SHIPPED), "--db", str(db), "--json"])
    assert result.exit_code == 1, result.output  # a threshold never matches
    checks = {c["rule_id"]: c for c in json.loads(result.output)}
    assert checks["pii.direct-contact-data"]["warnings"]
    missing = CliRunner().invoke(app, ["rules", "check", "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 2 and "no audit database here" in missing.output


def test_an_empty_list_has_nothing_to_compare():
    items = [{"item_id": "b1", "extra.labels": []}, {"item_id": "b2", "extra.labels": []}]
    con = store(items, extra_columns=["labels"])
    rule = make_rule({"field": "extra.labels[*].val", "in": ["porn"]})
    [check] = check_rules(con, RuleSet([rule], "mem", ""))
    [labels] = check.thresholds
    assert labels.empty and not labels.dead and check.warnings == []
