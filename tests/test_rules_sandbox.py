"""Rule text can never become SQL, and rule SQL runs where it cannot touch files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from test_rules_support import Batch, flagged, make_rule, store

from audit.rules import RuleLoadError, load_rules
from audit.rules.sandbox import open_sandbox

INJECTIONS = [
    "'); COPY items TO 'x.csv'; --",
    "x' OR '1'='1",
    "public'; DROP TABLE items; --",
    "$1",
    "read_csv('/etc/passwd')",
]
ITEMS = [{"item_id": "a", "visibility": "public", "text": "plain text", "license": "CC-BY"}]


def _cases():
    for value in INJECTIONS:
        yield {"field": "visibility", "eq": value}
        yield {"field": "visibility", "in": [value, "nope"]}
        yield {"field": "text", "contains": value}
        yield {"field": "extra.subreddit", "eq": value}
    yield {"field": "license", "matches": "'\\); COPY items TO 'x.csv'; --"}
    yield {"field": "text", "matches": "read_csv\\('/etc/passwd'\\)"}


def test_injection_strings_are_values_that_match_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a COPY, were it to run, would write here
    cases = [(m, set()) for m in _cases()]
    batch = Batch(ITEMS, extra_columns=["subreddit"], cases=cases)
    assert all(result == set() for result in batch.results)
    assert list(tmp_path.iterdir()) == []


def test_injection_string_matches_itself_literally():
    items = [{"item_id": "evil", "visibility": "'); COPY items TO 'x.csv'; --"}, *ITEMS]
    batch = Batch(
        items, cases=[({"field": "visibility", "eq": "'); COPY items TO 'x.csv'; --"}, None)]
    )
    assert batch.results == [{"evil"}]


@pytest.mark.parametrize(
    "field",
    [
        "visibility; DROP TABLE items",
        'visibility" FROM items; --',
        "read_csv('/etc/passwd')",
        "extra.x'); COPY items TO 'y.csv'; --",
        'extra.a"b',
        "extra.a\\b",
    ],
)
def test_field_names_with_sql_are_rejected_at_load(tmp_path, field):
    (tmp_path / "r.yaml").write_text(
        "id: t.x\ntitle: t\nstatus: stable\nseverity: low\naction: review\ndescription: d\n"
        "rationale: r\nmatch:\n  eq: x\n  field: " + _yaml_quote(field) + "\n"
    )
    with pytest.raises(RuleLoadError) as info:
        load_rules(tmp_path)
    (problem,) = info.value.problems
    assert (problem.line, problem.field) == (10, "match.field")


def _yaml_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_sandbox_cannot_read_or_write_files(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    sandbox = open_sandbox()
    for sql in (
        f"SELECT * FROM read_csv('{secret}')",
        f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'",
        f"ATTACH '{tmp_path / 'x.duckdb'}'",
        "INSTALL httpfs",
    ):
        with pytest.raises(duckdb.Error):
            sandbox.execute(sql)
    with pytest.raises(duckdb.Error):
        sandbox.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error):
        sandbox.execute("SET lock_configuration = false")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.csv"]


def test_matches_value_naming_a_file_reads_nothing(tmp_path):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0\n")
    items = [{"item_id": "a", "text": str(secret)}]
    batch = Batch(items, cases=[({"field": "text", "matches": f"read_text\\('{secret}'\\)"}, None)])
    assert batch.results == [set()]


def test_main_store_keeps_file_access_and_can_write_after_evaluation(tmp_path):
    con = store(ITEMS)
    flagged(con, make_rule({"field": "visibility", "eq": "public"}))
    out = tmp_path / "flags.parquet"
    con.execute(f"COPY (SELECT * FROM flags) TO '{out}' (FORMAT parquet)")
    con.execute("INSERT INTO items (item_id) VALUES ('later')")
    con.execute("SET threads = 1")  # configuration was not locked either
    assert out.exists() and con.execute("SELECT count(*) FROM items").fetchall() == [(2,)]


def test_file_store_can_write_after_evaluation(tmp_path):
    from audit.rules import evaluate_rules
    from audit.rules.loader import RuleSet
    from audit.rules.selftest import insert_item
    from audit.store import open_store

    con = open_store(Path(tmp_path) / "audit.duckdb")
    insert_item(con, {"item_id": "a", "deleted": True})
    summary = evaluate_rules(
        con, RuleSet([make_rule({"field": "deleted", "eq": True})], "mem", ""), "r1"
    )
    assert summary.per_rule == {"test.rule": 1}
    con.execute(f"COPY flags TO '{tmp_path / 'f.csv'}'")
    con.execute("INSERT INTO runs (run_id, status) VALUES ('r1', 'complete')")
    assert (tmp_path / "f.csv").exists()


def test_sandbox_spills_to_its_private_folder_and_removes_it():
    """Out of core: more data than the memory limit, still refused every file access."""
    import os

    sandbox = open_sandbox(memory_limit="64MB")
    folder = sandbox.folder
    assert oct(os.stat(folder).st_mode & 0o777) == "0o700"
    sandbox.execute(
        "CREATE TABLE t AS SELECT i, 'item-' || lpad(i::VARCHAR, 12, '0') AS id, i % 50000 AS g "
        "FROM range(3000000) r(i)"
    )
    groups = sandbox.execute("SELECT count(*) FROM (SELECT g, min(id) FROM t GROUP BY g)")
    assert groups.fetchone() == (50000,)
    assert dict(
        sandbox.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name = 'memory_limit'"
        ).fetchall()
    )["memory_limit"].startswith("61")
    sandbox.close()
    assert not os.path.exists(folder)
