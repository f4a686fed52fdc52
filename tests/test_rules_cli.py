"""`audit rules test|lint|schema|list|explain` and the shipped pack."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audit.cli import app
from audit.paths import shipped_rules_dir
from audit.rules import load_rules
from audit.rules.lint import lint
from audit.rules.selftest import run_selftests

SHIPPED = Path(__file__).parent.parent / "rules"
CATEGORIES = {"visibility", "consent", "minors", "faces", "pii", "licensing", "location"}


def run(*args: str):
    return CliRunner().invoke(app, ["rules", *args])


@pytest.fixture(scope="module")
def shipped_results():
    return run_selftests(load_rules(SHIPPED))


def test_default_rules_dir_is_the_shipped_pack():
    assert shipped_rules_dir().resolve() == SHIPPED.resolve()


def test_every_shipped_rule_passes_its_self_tests(shipped_results):
    failing = {
        r.rule_id: [c.detail for c in r.cases if not c.ok] + r.problems
        for r in shipped_results
        if not r.ok
    }
    assert failing == {}


def test_shipped_pack_is_lint_clean_and_covers_the_categories():
    ruleset, messages = lint(SHIPPED)
    assert messages == []
    assert {r.rule.category for r in ruleset} == CATEGORIES
    for loaded in ruleset:
        assert Path(loaded.file).parent.name == loaded.rule.category
        assert loaded.rule.references and len(loaded.rule.rationale) > 100


def test_self_test_failure_exits_1_and_names_the_case(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(SHIPPED / "minors", rules)
    path = rules / "declared-under-18.yaml"
    path.write_text(
        path.read_text().replace("item: {author_age_at_post: 18}", "item: {author_age_at_post: 17}")
    )
    result = run("test", str(rules))
    assert result.exit_code == 1
    assert "FAIL" in result.output and "flagged" in result.output


def test_self_test_on_unloadable_rules_exits_2():
    result = run("test", str(Path(__file__).parent / "fixtures" / "broken_rules"))
    assert result.exit_code == 2


def test_lint_hygiene_messages(tmp_path):
    base = (
        "title: t\nseverity: low\naction: review\ndescription: d\nrationale: r\n"
        "match: {field: deleted, eq: true}\n"
    )
    (tmp_path / "consent").mkdir()
    (tmp_path / "consent" / "a.yaml").write_text(
        "id: consent.a\nstatus: deprecated\n"
        + base
        + "tests:\n  - {expect: match, item: {deleted: true}}\n"
    )
    (tmp_path / "consent" / "b.yaml").write_text(
        "id: other.b\nstatus: stable\nreferences: [x]\n" + base
    )
    _, messages = lint(tmp_path)
    text = "\n".join(map(str, messages))
    assert "consent.a: tests: needs at least one test case that does not match" in text
    assert "other.b: tests: needs at least one test case that matches" in text
    assert "consent.a: no references" in text
    assert "consent.a: deprecated rule is still in the pack" in text
    assert "other.b: same match as consent.a" in text
    assert "other.b: category 'other' but file is in folder 'consent'" in text
    result = run("lint", str(tmp_path))
    assert result.exit_code == 1


def test_schema_prints_json_schema():
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert set(schema["required"]) >= {"id", "title", "status", "severity", "action", "match"}


def test_list_shows_every_rule():
    result = CliRunner().invoke(app, ["rules", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for loaded in load_rules(SHIPPED):
        assert loaded.rule.id in result.output


def test_explain_gives_words_and_sql():
    result = run("explain", "faces.face-non-public-or-minor")
    assert result.exit_code == 0
    assert "ALL of:" in result.output and "FACE found in the image" in result.output
    assert "visibility is none of 'public', 'unknown'" in result.output
    assert "INSERT INTO rule_hits" in result.output and "Parameters:" in result.output


def test_explain_unknown_rule_exits_2():
    assert run("explain", "no.such-rule").exit_code == 2
