"""Skipped and partly evaluated rules are loud in a scan: CLI summary, report.json, report.html,
manifest, and `--strict` (exit 2 on a skip)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from audit.cli import app

RULES = {
    "sensitive.yaml": """
id: content.marked-sensitive
title: Marked sensitive by the platform
status: stable
severity: medium
action: review
description: d
rationale: r
references: [x]
match:
  any:
    - {field: extra.over_18, eq: true}
    - {field: extra.sensitive, eq: true}
tests:
  - {expect: match, item: {extra.sensitive: true}}
  - {expect: match, item: {extra.over_18: true}}
  - {expect: no_match, item: {extra.sensitive: false}}
""",
    "faces.yaml": """
id: content.any-face
title: A face
status: stable
severity: low
action: review
description: d
rationale: r
references: [x]
match: {detector: faces}
tests:
  - {expect: match, findings: [{detector: faces}]}
  - {expect: no_match}
""",
}


def _corpus(tmp_path: Path) -> Path:
    rows = [
        {"item_id": "m1", "text": "hello", "visibility": "public", "sensitive": True},
        {"item_id": "m2", "text": "bye", "visibility": "public", "sensitive": False},
    ]
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules" / "content"
    folder.mkdir(parents=True)
    for name, text in RULES.items():
        (folder / name).write_text(text)
    return folder.parent


def test_a_metadata_only_scan_reports_skips_and_partial_rules_and_strict_fails(tmp_path):
    corpus, rules, out = _corpus(tmp_path), _rules(tmp_path), tmp_path / "out"
    args = ["scan", str(corpus), "--mapping", "generic", "--rules", str(rules), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--detectors", "none"])
    assert result.exit_code == 0, result.output
    assert "1 rule(s) not evaluated (their zero is not a finding):" in result.output
    assert "content.any-face: nothing left to evaluate without detector faces" in result.output
    assert "1 rule(s) partly evaluated:" in result.output
    assert (
        "content.marked-sensitive: evaluated without extra.over_18: not in this corpus"
        in result.output
    )

    report = json.loads((out / "report.json").read_text())
    assert [r["rule_id"] for r in report["skipped_rules"]] == ["content.any-face"]
    assert report["partial_rules"] == [
        {
            "rule_id": "content.marked-sensitive",
            "reason": "evaluated without extra.over_18: not in this corpus",
        }
    ]
    flagged = {r["rule_id"]: r["items"] for r in report["rules"]}
    assert flagged["content.marked-sensitive"] == 1  # m1, by its Mastodon field
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["rules"]["partial"]) == {"content.marked-sensitive"}
    assert set(manifest["rules"]["skipped"]) == {"content.any-face"}
    html = (out / "report.html").read_text()
    assert "Partly evaluated:" in html and "Skipped:" in html

    strict = CliRunner().invoke(app, [*args, "--detectors", "none", "--strict", "-q"])
    assert strict.exit_code == 2
    assert "--strict: 1 rule(s) were not evaluated" in strict.output
    assert (out / "report.json").exists()  # the reports are still written
