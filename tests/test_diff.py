"""`audit diff` between two out folders and between two runs of one database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, FixtureDB, build_fixture_db

from audit.diff import Side, diff_runs, resolve_side
from audit.errors import InputError
from audit.store import open_store

RUN_B = "20240501T000000Z-bbbbbb"


def _changed_copy(tmp_path: Path) -> FixtureDB:
    """A second out folder: r2 gone, n1 new (and flagged), pii.phone rule edited, m1 unflagged."""
    b = build_fixture_db(tmp_path / "b" / "audit.duckdb", run_id=RUN_B)
    con = open_store(b.path)
    con.execute("DELETE FROM items WHERE item_id = 'r2'")
    con.execute("DELETE FROM flags WHERE item_id IN ('r2', 'm1')")
    con.execute("INSERT INTO items (item_id, platform) VALUES ('n1', 'bluesky')")
    con.execute(
        "INSERT INTO flags VALUES (?, 'n1', 'visibility.non-public', 'high', 'exclude', '{}')",
        [RUN_B],
    )
    con.execute("UPDATE rule_catalog SET sha256 = 'edited' WHERE rule_id = 'pii.phone'")
    con.execute(
        "INSERT INTO rule_catalog (run_id, rule_id, severity, action, sha256)"
        " VALUES (?, 'new.rule', 'low', 'review', 'x')",
        [RUN_B],
    )
    con.close()
    return b


def test_diff_two_out_folders(fixture_db: FixtureDB, tmp_path: Path) -> None:
    b = _changed_copy(tmp_path)
    result = diff_runs(Side(fixture_db.path), Side(b.path))
    per_rule = {r["rule_id"]: r for r in result["flags"]}
    assert per_rule["visibility.non-public"]["new_examples"] == ["n1"]
    assert per_rule["visibility.non-public"]["gone_examples"] == ["r2"]
    assert per_rule["pii.email"]["no_longer_flagged"] == 1
    assert per_rule["consent.opt-out"]["newly_flagged"] == 0
    assert {(r["rule_id"], r["change"]) for r in result["rules"]} == {
        ("pii.phone", "changed"),
        ("new.rule", "added"),
    }
    corpus = result["corpus"]
    assert corpus["item_level"] is True
    assert (corpus["added"], corpus["removed"]) == (1, 1)
    assert corpus["added_examples"] == ["n1"] and corpus["removed_examples"] == ["r2"]


def test_diff_two_runs_in_one_database(fixture_db: FixtureDB) -> None:
    con = open_store(fixture_db.path)
    con.execute(
        "INSERT INTO runs VALUES (?, '2024-05-01', '2024-05-01', 'complete', 'x', '{}')", [RUN_B]
    )
    con.execute(
        "INSERT INTO flags SELECT ?, item_id, rule_id, severity, action, evidence FROM flags"
        " WHERE run_id = ? AND rule_id <> 'faces.identifiable'",
        [RUN_B, fixture_db.run_id],
    )
    con.execute(
        "INSERT INTO rule_catalog SELECT * REPLACE (? AS run_id) FROM rule_catalog WHERE run_id = ?",
        [RUN_B, fixture_db.run_id],
    )
    con.close()
    result = diff_runs(
        resolve_side(fixture_db.run_id, fixture_db.path), resolve_side(RUN_B, fixture_db.path)
    )
    changed = {
        r["rule_id"]: r for r in result["flags"] if r["newly_flagged"] or r["no_longer_flagged"]
    }
    assert list(changed) == ["faces.identifiable"]
    assert changed["faces.identifiable"]["gone_examples"] == ["r1"]
    assert result["rules"] == []
    assert result["corpus"]["item_level"] is False


def test_unknown_run_is_input_error(fixture_db: FixtureDB) -> None:
    with pytest.raises(InputError, match="no run"):
        diff_runs(Side(fixture_db.path), Side(fixture_db.path, "nope"))


def test_cli_json(fixture_db: FixtureDB, tmp_path: Path) -> None:
    b = _changed_copy(tmp_path)
    cli = [sys.executable, "-c", "from audit.cli import run; run()", "diff"]
    args = [str(fixture_db.path.parent), str(b.path.parent)]
    proc = subprocess.run([*cli, *args, "--json"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["b"]["run_id"] == RUN_B
    table = subprocess.run([*cli, *args], capture_output=True, text=True, cwd=ROOT)
    assert table.returncode == 0 and "visibility.non-public" in table.stdout
