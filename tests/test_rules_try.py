"""`audit rules try`: a dry run of a rule against an existing scan, with the difference
against the same rule's flags in the latest run; personal data masked."""

from __future__ import annotations

import json
from datetime import datetime

from test_rules_support import make_rule, store
from typer.testing import CliRunner

from audit.cli import app
from audit.rules import evaluate_rules
from audit.rules.loader import RuleSet
from audit.store import query

OLD_RULE = {"field": "visibility", "eq": "followers"}
NEW_RULE = """
id: visibility.restricted
title: Restricted audience
status: stable
severity: high
action: exclude
description: d
rationale: r
match:
  all:
    - {field: visibility, in: [followers, private]}
    - {detector: pii, types: [EMAIL_ADDRESS]}
tests:
  - {expect: match, item: {visibility: private}, findings: [{detector: pii, entity_type: EMAIL_ADDRESS}]}
  - {expect: no_match, item: {visibility: public}}
"""


def _scanned_store(tmp_path):
    text = "write to jane@example.org today"
    items = [
        {"item_id": "f1", "visibility": "followers", "text": text},
        {"item_id": "f2", "visibility": "followers", "text": "no contact"},
        {"item_id": "p1", "visibility": "private", "text": text},
        {"item_id": "u1", "visibility": "public", "text": text},
    ]
    findings = [
        {"item_id": i, "detector": "pii", "entity_type": "EMAIL_ADDRESS", "start": 9, "end": 25}
        for i in ("f1", "p1", "u1")
    ]
    con = store(items, findings)
    evaluate_rules(con, RuleSet([make_rule(OLD_RULE, "visibility.restricted")], "m", ""), "r1")
    con.execute(
        query("scan.sql", "start_run"),
        {"run_id": "r1", "started_at": datetime(2026, 1, 1), "command": "audit scan"},
    )
    manifest = json.dumps({"detectors": {"pii": {}, "faces": {}}})
    con.execute(
        query("scan.sql", "finish_run"),
        {"run_id": "r1", "status": "complete", "finished_at": datetime(2026, 1, 1),
         "manifest": manifest},
    )  # fmt: skip
    db = tmp_path / "audit.duckdb"
    con.execute(f"ATTACH '{db}' AS out")
    con.execute("COPY FROM DATABASE memory TO out")
    con.close()
    return db


def test_try_a_new_version_of_a_rule_against_the_latest_run(tmp_path):
    db = _scanned_store(tmp_path)
    rule = tmp_path / "restricted.yaml"
    rule.write_text(NEW_RULE)
    result = CliRunner().invoke(app, ["rules", "try", str(rule), "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    [trial] = json.loads(result.output)
    assert (trial["flags"], trial["by_action"]) == (2, {"exclude": 2})
    assert trial["previous_run"] == "r1" and trial["previous_flags"] == 2  # f1, f2
    assert (trial["new"], trial["gone"]) == (["p1"], ["f2"])
    first = trial["sample"][0]
    assert first["item_id"] == "f1"
    assert first["fields"] == {"visibility": "followers"}
    assert first["evidence"]["findings"] == ["[EMAIL_ADDRESS 9–25] (pii, score 1.00)"]
    assert "jane@example.org" not in result.output

    text = CliRunner().invoke(app, ["rules", "try", str(rule), "--db", str(db), "--sample", "1"])
    assert "visibility.restricted: 2 items flagged (2 exclude)" in text.output
    assert "+1 newly flagged, -1 no longer flagged" in text.output
    assert "… 1 more" in text.output


def test_try_shows_masked_source_values(tmp_path):
    db = _scanned_store(tmp_path)
    rule = tmp_path / "text.yaml"
    rule.write_text(
        NEW_RULE.replace("id: visibility.restricted", "id: pii.mail-in-text").replace(
            "- {field: visibility, in: [followers, private]}", "- {field: text, contains: write}"
        )
    )
    result = CliRunner().invoke(app, ["rules", "try", str(rule), "--db", str(db), "--json"])
    [trial] = json.loads(result.output)
    assert trial["previous_flags"] is None  # a new rule id: nothing to compare
    assert trial["sample"][0]["fields"] == {"text": "write to [EMAIL_ADDRESS] today"}
