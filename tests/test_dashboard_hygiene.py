"""Dashboard hygiene the dashboard tests leave implicit: the `audit dashboard` default binds
127.0.0.1, and the only writes it can make are the decisions / access_log appends and the
Assurance page's appends of review samples and answers (through audit/assurance).

(tests/test_dashboard_units.py checks streamlit_command with an explicit address; here the
CLI default is checked, and every write path of dashboard/ is enumerated.)
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT
from typer.testing import CliRunner

from audit.store import open_store, query

DASHBOARD = ROOT / "dashboard"
APPENDS = {"insert_decision": "decisions", "insert_access": "access_log"}
#: audit/assurance functions a dashboard writer block may call instead, with the tables their
#: SQL may append to (everything else they run must be a read or a connection-local temp table).
DELEGATED = {
    ("sampling.py", "draw_sample"): (
        "review_samples",
        "review_sample_strata",
        "review_sample_items",
    ),
    ("answers.py", "append_answers"): ("review_answers",),
}


def test_cli_default_binds_localhost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import audit.commands.dashboard as command
    from audit.cli import app

    db = tmp_path / "audit.duckdb"
    open_store(db).close()
    calls: list[list[str]] = []
    monkeypatch.setattr(command.os, "chdir", lambda _path: None)
    monkeypatch.setattr(command.os, "execv", lambda _exe, cmd: calls.append(cmd))
    result = CliRunner().invoke(app, ["dashboard", "--db", str(db)])
    assert result.exit_code == 0, result.output
    (cmd,) = calls
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--browser.gatherUsageStats") + 1] == "false"


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) == name or getattr(node.func, "attr", None) == name)
    ]


def test_only_db_module_opens_the_database() -> None:
    offenders = []
    for path in DASHBOARD.rglob("*.py"):
        if path == DASHBOARD / "lib" / "db.py":
            continue
        tree = ast.parse(path.read_text())
        if _calls(tree, "open_store") or _calls(tree, "connect") or _calls(tree, "_retry_open"):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_read_write_connection_only_in_writer_and_only_for_appends() -> None:
    db_tree = ast.parse((DASHBOARD / "lib" / "db.py").read_text())
    writable = [
        fn.name
        for fn in ast.walk(db_tree)
        if isinstance(fn, ast.FunctionDef)
        for call in _calls(fn, "_retry_open")
        if any(
            k.arg == "read_only" and getattr(k.value, "value", None) is False for k in call.keywords
        )
    ]
    assert writable == ["writer"]
    # Every `with writer(...)` block runs only the two append queries.
    used: set[str] = set()
    for path in DASHBOARD.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.With) and any(
                isinstance(i.context_expr, ast.Call)
                and getattr(i.context_expr.func, "id", "") == "writer"
                for i in node.items
            ):
                block = ast.Module(body=node.body, type_ignores=[])
                names = [c.args[1].value for c in _calls(block, "query")]
                delegated = [f for _, f in DELEGATED if _calls(block, f)]
                if delegated:
                    assert not names and len(delegated) == 1, ast.unparse(node)
                    continue
                assert names and len(names) == len(_calls(block, "execute")), ast.unparse(node)
                used.update(names)
    assert used <= set(APPENDS), used
    for name, table in APPENDS.items():
        sql = query("dashboard.sql", name).strip()
        assert re.fullmatch(rf"INSERT INTO {table} \([^;]*\)\s*VALUES \([^;]*\)", sql), sql


def test_delegated_writes_only_append_to_review_tables() -> None:
    """What the Assurance page's writer blocks run (audit/assurance) only appends to the review
    tables; the rest is reads and connection-local temp tables."""
    for (module, function), tables in DELEGATED.items():
        tree = ast.parse((ROOT / "audit" / "assurance" / module).read_text())
        fn = next(
            f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == function
        )
        names = [c.args[1].value for c in _calls(fn, "query")]
        assert names, function
        for name in names:
            lines = query("assurance.sql", name).splitlines()
            sql = "\n".join(x for x in lines if not x.strip().startswith("--")).strip()
            if sql.startswith("INSERT"):
                assert re.match(rf"INSERT INTO ({'|'.join(tables)})\b", sql), (name, sql)
            else:
                assert re.match(r"(SELECT|WITH|CREATE OR REPLACE TEMP TABLE)\b", sql), (name, sql)
        literal = [c.args[0].value for c in _calls(fn, "execute")
                   if c.args and isinstance(c.args[0], ast.Constant)]  # fmt: skip
        assert set(literal) <= {"BEGIN TRANSACTION", "COMMIT", "ROLLBACK"}, literal


def test_reader_connection_refuses_writes(tmp_path: Path) -> None:
    from dashboard.lib.db import reader

    db = tmp_path / "audit.duckdb"
    open_store(db).close()
    with reader(db) as con:
        for sql in ("INSERT INTO decisions (item_id, decision, reviewer) VALUES ('a', 'x', 'r')",
                    "DELETE FROM items", "DROP TABLE flags"):  # fmt: skip
            with pytest.raises(duckdb.Error, match="read-only"):
                con.execute(sql)


def test_item_panel_does_not_open_media_outside_the_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dashboard.lib.item_panel as panel

    db = tmp_path / "audit.duckdb"
    uri = str(tmp_path / "corpus" / "images" / "a.jpg")
    con = open_store(db)
    con.execute(
        "INSERT INTO items (item_id, text, media_path, media_uri) VALUES ('i1', 'hi', 'a.jpg', ?)",
        [uri],
    )
    con.execute(
        "INSERT INTO media_files VALUES (?, NULL, NULL, 'outside_corpus', 'symlink', now())", [uri]
    )
    con.execute("INSERT INTO runs VALUES ('r1', now(), now(), 'complete', 'x', '{}')")
    con.close()
    opened: list[str] = []

    def record(path: str, *_args: object, **_kwargs: object) -> None:
        opened.append(path)
        raise panel.ImageLoadError("unreadable", "test stub")

    monkeypatch.setattr(panel, "faces_image", record)
    # Not the decision form: drawn outside a script run (bare mode), Streamlit 1.67 sets its
    # form on the main area itself, and every later AppTest of this process would fail with
    # "Forms cannot be nested in other forms".
    monkeypatch.setattr(panel, "decision_form", lambda *_args, **_kwargs: False)
    panel.item_panel(str(db), "r1", "i1", key="k")
    assert opened == []
