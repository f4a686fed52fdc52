"""Rule files cannot read or write files: the escapes tests/test_rules_sandbox.py leaves out.

Already covered there (not repeated): read_csv / COPY / ATTACH file / INSTALL / SET of the
two lock settings run in the sandbox; SQL in values and in field names; read_text in a
`matches` value. Here: every other file, extension, setting and secret path DuckDB offers,
run directly in the sandbox; '/etc/passwd' as a field name and in values end to end; YAML
tags that would run code; regex catastrophic backtracking; an alias bomb in a rule file.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest
from test_rules_support import Batch

from audit.rules import RuleLoadError, load_rules
from audit.rules.sandbox import open_sandbox

PASSWD = "/etc/passwd"
RULE_HEAD = (
    "id: t.x\ntitle: t\nstatus: stable\nseverity: low\naction: review\ndescription: d\n"
    "rationale: r\n"
)


def _escapes(tmp: Path) -> list[str]:
    """Statements that would read, write or reconfigure something outside the sandbox."""
    return [
        f"SELECT * FROM read_text('{PASSWD}')",
        f"SELECT * FROM read_blob('{PASSWD}')",
        f"SELECT * FROM read_json_auto('{PASSWD}')",
        f"SELECT * FROM read_parquet('{tmp}/x.parquet')",
        f"SELECT * FROM sniff_csv('{PASSWD}')",
        "SELECT * FROM glob('/etc/*')",
        f"SELECT * FROM '{PASSWD}'",
        f"EXPORT DATABASE '{tmp}/export'",
        f"IMPORT DATABASE '{tmp}'",
        "LOAD httpfs",
        f"LOAD '{tmp}/evil.duckdb_extension'",
        f"INSTALL httpfs FROM '{tmp}'",
        "CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 'v')",
        "CREATE PERSISTENT SECRET s2 (TYPE s3, KEY_ID 'k', SECRET 'v')",
        "PRAGMA threads = 1",
        "PRAGMA memory_limit = '1TB'",
        "SET threads = 1",
        "RESET enable_external_access",
        "SET GLOBAL enable_external_access = true",
        "SET allowed_directories = ['/']",
        "SET allowed_paths = ['/etc/passwd']",
        f"SET temp_directory = '{tmp}'",
        f"SET home_directory = '{tmp}'",
        "SELECT getenv('HOME')",
    ]


def test_every_file_extension_and_setting_escape_fails(tmp_path: Path) -> None:
    sandbox = open_sandbox()
    succeeded = []
    for sql in _escapes(tmp_path):
        try:
            sandbox.execute(sql).fetchall()
        except duckdb.Error:
            continue
        succeeded.append(sql)
    assert succeeded == []
    assert list(tmp_path.iterdir()) == []
    # the locks are still in place afterwards
    settings = dict(
        sandbox.execute(
            "SELECT name, value FROM duckdb_settings() "
            "WHERE name IN ('enable_external_access', 'lock_configuration')"
        ).fetchall()
    )
    assert settings == {"enable_external_access": "false", "lock_configuration": "true"}


def test_file_reads_fail_on_permission_not_on_syntax() -> None:
    # A typo would also raise; the point is that the file system is refused.
    sandbox = open_sandbox()
    for sql in (f"SELECT * FROM read_text('{PASSWD}')", "SELECT * FROM glob('/etc/*')"):
        with pytest.raises(duckdb.PermissionException):
            sandbox.execute(sql)


@pytest.mark.parametrize("field", ["extra./etc/passwd", "/etc/passwd", "extra.../../etc/passwd"])
def test_path_like_field_names_are_refused_at_load(tmp_path: Path, field: str) -> None:
    (tmp_path / "r.yaml").write_text(RULE_HEAD + f"match: {{field: '{field}', eq: x}}\n")
    with pytest.raises(RuleLoadError, match="r.yaml:8: match.field"):
        load_rules(tmp_path)


def test_passwd_values_are_compared_as_text() -> None:
    items = [{"item_id": "a", "text": PASSWD}, {"item_id": "b", "text": "root:x:0:0:root"}]
    cases = [
        ({"field": "text", "eq": PASSWD}, None),
        ({"field": "text", "in": [f"read_text('{PASSWD}')", "x"]}, None),
        ({"field": "text", "contains": "root:x"}, None),
    ]
    assert Batch(items, cases=cases).results == [{"a"}, set(), {"b"}]


def test_yaml_tags_cannot_run_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "r.yaml").write_text(
        RULE_HEAD.replace("title: t", f'title: !!python/object/apply:os.system ["touch {marker}"]')
        + "match: {field: text, eq: x}\n"
    )
    with pytest.raises(RuleLoadError, match="r.yaml:2"):
        load_rules(rules)
    assert not marker.exists()


def test_catastrophic_backtracking_pattern_is_linear() -> None:
    # (a+)+$ takes exponential time in a backtracking engine; DuckDB's RE2 is linear.
    items = [{"item_id": f"i{n}", "text": "a" * 50_000 + "!"} for n in range(20)]
    started = time.perf_counter()
    batch = Batch(items, cases=[({"field": "text", "matches": "(a+)+$"}, None)])
    assert batch.results == [set()]
    assert time.perf_counter() - started < 20


def test_backreferences_are_refused_at_load(tmp_path: Path) -> None:
    # RE2 has no backreferences (the usual source of exponential regex): a clear load error.
    (tmp_path / "r.yaml").write_text(RULE_HEAD + "match: {field: text, matches: '(a+)\\1$'}\n")
    with pytest.raises(RuleLoadError, match="r.yaml:8: match.matches"):
        load_rules(tmp_path)


def _alias_bomb(depth: int) -> str:
    lines = ["bomb:", "  l0: &l0 [" + ", ".join(["x"] * 10) + "]"]
    for level in range(1, depth):
        lines.append(f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n" + RULE_HEAD + f"match: {{field: text, in: *l{depth - 1}}}\n"


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(_alias_bomb(9))  # 10^9 leaves if expanded
    started = time.perf_counter()
    with pytest.raises(RuleLoadError, match=r"r.yaml:3: .*aliases"):
        load_rules(tmp_path)
    assert time.perf_counter() - started < 1.0
