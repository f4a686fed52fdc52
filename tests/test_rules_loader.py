"""Loading rule files: every problem reported once, with file:line, in plain words."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audit.cli import app
from audit.rules import RuleLoadError, load_rules
from audit.rules.model import json_schema

BROKEN = Path(__file__).parent / "fixtures" / "broken_rules"
VALID = """\
id: test.ok
title: ok
status: stable
severity: low
action: review
description: d
rationale: r
match: {field: deleted, eq: true}
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "r.yaml").write_text(text)
    with pytest.raises(RuleLoadError) as info:
        load_rules(tmp_path)
    return [f"{p.line}: {p.field}: {p.message}" for p in info.value.problems]


def test_broken_folder_reports_one_error_per_problem_with_file_and_line():
    with pytest.raises(RuleLoadError) as info:
        load_rules(BROKEN)
    got = {(Path(p.file).name, p.line, p.field) for p in info.value.problems}
    assert got == {
        ("bad_enum.yaml", 8, "severity"),
        ("duplicate_b.yaml", 1, "id"),
        ("syntax_error.yaml", 10, ""),
        ("unknown_column.yaml", 13, "match.any[1].field"),
        ("unknown_field.yaml", 9, "colour"),
        ("wrong_type.yaml", 11, "match.min_count"),
    }
    text = str(info.value)
    assert "severity must be one of" not in text  # field and message are separate parts
    assert "must be one of info, low, medium, high, critical — got 'hi'" in text
    assert "already used at " in text and "duplicate_a.yaml:1" in text
    assert "did you mean 'visibility'" in text


def test_cli_lint_on_broken_folder_exits_2_listing_every_problem():
    result = CliRunner().invoke(app, ["rules", "lint", str(BROKEN)])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if ": error: " in line]
    assert len(errors) == 6
    assert all(line.split(":")[1].isdigit() for line in errors)  # file:line:


@pytest.mark.slow
def test_console_script_lint_exit_code():
    done = subprocess.run(
        ["uv", "run", "audit", "rules", "lint", str(BROKEN)], capture_output=True, text=True
    )
    assert done.returncode == 2


@pytest.mark.parametrize(
    ("replace", "expected"),
    [
        (
            "severity: low",
            "4: severity: must be one of info, low, medium, high, critical — got 'hi'",
        ),
        ("action: review", "5: action: must be one of exclude, review, redact — got 'hi'"),
        (
            "status: stable",
            "3: status: must be one of experimental, test, stable, deprecated — got 'hi'",
        ),
    ],
)
def test_enum_messages(tmp_path, replace, expected):
    key = replace.split(":")[0]
    assert _problems(tmp_path, VALID.replace(replace, f"{key}: hi")) == [expected]


@pytest.mark.parametrize(
    ("match", "message"),
    [
        (
            "{field: visibilty, eq: x}",
            "match.field: no item field named 'visibilty' — did you mean 'visibility'?",
        ),
        (
            "{field: author_age_at_post, lt: young}",
            "match: author_age_at_post holds number values, so lt needs a number — got 'young'",
        ),
        ("{field: deleted, eq: true, ne: false}", "2 operators (eq, ne)"),
        ("{field: deleted}", "no operator"),
        ("{field: deleted, eq: null}", "use is_null: true"),
        ("{field: opt_out, contains: x}", "contains cannot be used on opt_out"),
        (
            "{field: text, matches: '(unclosed'}",
            "match.matches: matches is not a valid regular expression",
        ),
        ("{field: text, eq: [1, 2]}", "match.eq: must be a single value"),
        (
            "{detector: ocr}",
            "match.detector: unknown detector 'ocr' — did you mean 'ocr_text'?; installed: pii,",
        ),
        (
            "{detector: pii, types: [EMAIL]}",
            "match.types: EMAIL is not an entity type of detector pii — did you mean "
            "EMAIL_ADDRESS?",
        ),
        (
            "{detector: pii, min_size_px: 40}",
            "min_size_px applies to detectors that find image boxes (e.g. faces); pii finds text spans",
        ),
        ("{detector: pii, min_score: 2}", "match.min_score: must be ≤ 1"),
        ("{detector: pii, types: [email]}", "UPPER_CASE"),
        ("{fild: deleted}", "match: a condition needs exactly one of field, detector"),
        ("{any: []}", "match.any: needs at least 1 entry"),
        ("{field: created_at, gt: yesterday}", "needs a date like 2024-01-31"),
        ('{field: extra.bad"name, eq: x}', "not a usable source path"),
        (
            "{aggregate: {group_by: author_id, having: {most: 1}}}",
            "having needs exactly one of any_item",
        ),
    ],
)
def test_condition_messages(tmp_path, match, message):
    problems = _problems(tmp_path, VALID.replace("{field: deleted, eq: true}", match))
    assert len(problems) == 1, problems
    assert message in problems[0]


def test_unknown_key_suggests_the_closest(tmp_path):
    assert _problems(tmp_path, VALID + "referneces: [x]\n") == [
        "9: referneces: unknown field 'referneces' — did you mean 'references'?"
    ]


def test_missing_required_fields_are_named(tmp_path):
    problems = _problems(tmp_path, "id: test.x\nmatch: {field: deleted, eq: true}\n")
    fields = {p.split(": ")[1] for p in problems}
    assert fields == {"title", "status", "severity", "action", "description", "rationale"}
    assert all(p.endswith("is required") for p in problems)


def test_duplicate_yaml_key(tmp_path):
    assert _problems(tmp_path, VALID + "severity: high\n") == ["9: severity: given twice; keep one"]


def test_rule_id_format(tmp_path):
    assert (
        "id must be lowercase and dotted"
        in _problems(tmp_path, VALID.replace("test.ok", "NoDots"))[0]
    )


def test_test_case_items_cannot_set_derived_columns(tmp_path):
    text = VALID + "tests:\n  - expect: match\n    item: {pii_count: 2}\n"
    assert _problems(tmp_path, text) == [
        "11: tests[0].item: pii_count is computed from findings; give findings: instead"
    ]
    text = VALID + "tests:\n  - expect: match\n    item: {errors: [corrupt_image]}\n"
    assert _problems(tmp_path, text) == [
        "11: tests[0].item: errors is computed from the item's problems; give errors: instead"
    ]


def test_recursive_folder_and_yml_suffix(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "r.yml").write_text(VALID)
    (tmp_path / "notes.txt").write_text("not a rule")
    ruleset = load_rules(tmp_path)
    assert [r.rule.id for r in ruleset] == ["test.ok"]
    assert ruleset.rules[0].line == 1 and len(ruleset.digest) == 64


def test_empty_folder_is_an_error(tmp_path):
    with pytest.raises(RuleLoadError, match="no \\*.yaml"):
        load_rules(tmp_path)


def test_json_schema_names_every_operator():
    schema = json_schema()
    field_props = schema["$defs"]["FieldCondition"]["properties"]
    assert {
        "eq",
        "ne",
        "in",
        "not_in",
        "lt",
        "le",
        "gt",
        "ge",
        "is_null",
        "contains",
        "matches",
    } <= set(field_props)
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    ("match", "message"),
    [
        # the two echoes: no "did you mean" that repeats the word, but where it goes
        (
            "{field: visibility, eq: x, attributes: {a: 1}}",
            "unknown field 'attributes'; 'attributes' is allowed in detector conditions",
        ),
        (
            "{aggregate: {group_by: author_id, having: {share_of_items: {ne: 0.2, where: "
            "{field: opt_out, eq: true}}}}}",
            "unknown field 'ne'; 'ne' is allowed in field conditions, attribute tests; keys of "
            "share_of_items: eq, ge, gt, le, lt, where (e.g. share_of_items: {where: {detector: "
            "pii}, gt: 0.2})",
        ),
        ("{field: opt_out, eq: true, min_score: 0.5}", "'min_score' is allowed in detector"),
        ("{detector: pii, min_scor: 0.5}", "did you mean 'min_score'?"),
    ],
)
def test_unknown_keys_say_where_they_belong(tmp_path, match, message):
    problems = _problems(tmp_path, VALID.replace("{field: deleted, eq: true}", match))
    assert len(problems) == 1, problems
    assert message in problems[0]
    assert "did you mean 'attributes'" not in problems[0]
    assert problems[0].startswith("8: match")  # file:line comes first (the line of match)
