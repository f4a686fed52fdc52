"""An interrupt (Ctrl-C) or failure while a transaction ends is reported as itself: the
cleanup (ROLLBACK, unregistering an Arrow view) must not replace it with DuckDB's complaint
about a transaction that is already over, and the CLI exits 130 with a line saying how to
resume (README, exit codes)."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from audit import cli
from audit.cache import store_results
from audit.detectors.base import Finding, Result
from audit.errors import EXIT_INTERRUPTED
from audit.store import open_memory, registered, rollback


class _CommitInterrupted:
    """A connection whose COMMIT goes through and then raises KeyboardInterrupt, as a Ctrl-C
    arriving during a commit does: afterwards no transaction is open."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
        result = self._con.execute(sql, *args)
        if sql.strip().upper() == "COMMIT":
            raise KeyboardInterrupt
        return result

    def __getattr__(self, name: str) -> object:
        return getattr(self._con, name)


def test_an_interrupted_commit_is_reported_as_the_interrupt():
    con = open_memory()
    results = [Result("a" * 64, [Finding("PERSON", 0.9, 0, 3)]), Result("b" * 64)]
    with pytest.raises(KeyboardInterrupt):
        store_results(_CommitInterrupted(con), "pii", "1", results)  # type: ignore[arg-type]
    # the batch was committed before the interrupt, and nothing is left registered
    assert con.execute("SELECT count(*) FROM analysed").fetchall() == [(2,)]
    assert con.execute("SELECT count(*) FROM cached_findings").fetchall() == [(1,)]
    views = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    assert ("_result_batch",) not in views


def test_a_view_in_an_aborted_transaction_does_not_hide_the_error():
    con = duckdb.connect()
    con.execute("BEGIN TRANSACTION")
    with pytest.raises(KeyboardInterrupt), registered(con, "_v", pa.table({"a": [1]})):
        with pytest.raises(duckdb.Error):
            con.execute("SELECT error('boom')")  # aborts the transaction
        raise KeyboardInterrupt
    rollback(con)
    rollback(con)  # none open: nothing to do
    with registered(con, "_v", pa.table({"a": [2]})):
        assert con.execute("SELECT a FROM _v").fetchall() == [(2,)]


def test_the_cli_says_how_to_resume_after_an_interrupt(monkeypatch, capsys):
    def interrupted() -> None:
        raise SystemExit(EXIT_INTERRUPTED)  # what typer makes of a KeyboardInterrupt

    monkeypatch.setattr(cli, "app", interrupted)
    with pytest.raises(SystemExit) as exit_:
        cli.run()
    assert exit_.value.code == 130
    assert "run the same command again to resume" in capsys.readouterr().err
