"""Typed Parquet input: the fast direct path still reports every problem row by row."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from audit.errors import InputError
from audit.ingest import corpus as ingest
from audit.ingest import ingest_corpus
from audit.ingest.compile import compile_table
from audit.ingest.mapping import load_mapping
from audit.store import open_memory, open_store


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return open_memory()


def _write(path: Path, select: str) -> Path:
    duckdb.connect().execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    return path


@pytest.mark.parametrize("in_memory_max", [100, 0], ids=["polars-check", "duckdb-aggregate"])
def test_typed_parquet_missing_ids_bad_values_and_duplicates(con, tmp_path, monkeypatch,
                                                             in_memory_max):  # fmt: skip
    """Both duplicate checks (item_id hashes in RAM, or DuckDB's aggregate) find the dup."""
    monkeypatch.setattr(ingest, "IN_MEMORY_UNIQUE_MAX", in_memory_max)
    f = _write(
        tmp_path / "c.parquet",
        "SELECT * FROM (VALUES "
        # typed timestamp/bool/date columns, a numeric age that overflows INTEGER
        "('a', TIMESTAMP '2024-01-01 10:00', true, DATE '2010-06-01', 'Public', NULL::BIGINT),"
        "(NULL, TIMESTAMP '2024-01-02', false, NULL, 'shouting', NULL),"  # no id: rejected
        "('', NULL, NULL, NULL, NULL, NULL),"  # empty id: rejected
        "('b', NULL, NULL, NULL, 'shouting', 99999999999),"  # bad visibility, bad age
        "('a', NULL, NULL, NULL, 'loud', NULL)"  # duplicate: rejected with its errors dropped
        ") t(item_id, created_at, opt_out, author_birth_date, visibility, author_age_at_post)",
    )
    summary = ingest_corpus(con, f)
    errs = con.execute(
        "SELECT code, source_row, item_id, rejected FROM errors "
        "WHERE code NOT LIKE 'note_%' ORDER BY source_row, code"
    ).fetchall()
    assert errs == [
        ("missing_id", 2, None, True),
        ("missing_id", 3, None, True),
        ("bad_integer", 4, "b", False),
        ("bad_visibility", 4, "b", False),
        ("duplicate_id", 5, "a", True),
    ]
    assert summary.items == 2 and summary.rejected == 3 and summary.row_errors == 2
    assert summary.sources[0].rows == 5
    got = con.execute(
        "SELECT item_id, visibility, opt_out, author_age_at_post, created_at FROM items "
        "ORDER BY item_id"
    ).fetchall()
    assert [g[:4] for g in got] == [("a", "public", True, 13), ("b", "unknown", None, None)]
    assert str(got[0][4]) == "2024-01-01 10:00:00"


def test_values_already_of_the_canonical_type_get_no_read_check(tmp_path):
    """Typed columns pass through unchanged: no per-row error check is compiled for them."""
    schema = {
        "item_id": "VARCHAR",
        "created_at": "TIMESTAMP",
        "opt_out": "BOOLEAN",
        "author_age_at_post": "BIGINT",
        "author_birth_date": "VARCHAR",
    }
    sql = compile_table(load_mapping(None), "src", schema, "'/x'").sql
    assert "bad_timestamp" not in sql and "bad_boolean" not in sql
    # conversions that can fail keep their check
    assert "bad_integer" in sql and "bad_date" in sql


_ROWS = (
    "('{p}1', '2024-01-01 10:00', 'public', '12'),"
    "(NULL, '2024-01-02', 'private', NULL),"  # no id: rejected
    "('', NULL, NULL, NULL),"  # empty id: rejected
    "('{p}2', 'yesterday', 'shouting', 'old'),"  # bad timestamp, visibility and age
    "('{p}1', NULL, 'loud', NULL),"  # duplicate in the file
    "('shared', '2024-02-01', 'public', '30')"  # duplicate across the files
)


def _overlap_corpus(folder: Path) -> Path:
    """Three Parquet files and a CSV, each with problem rows and duplicates."""
    folder.mkdir()
    for name in ("a", "b", "c"):
        _write(
            folder / f"{name}.parquet",
            f"SELECT * FROM (VALUES {_ROWS.format(p=name)}) "
            "t(item_id, created_at, visibility, author_age_at_post)",
        )
    csv = "item_id,created_at,visibility,author_age_at_post\nd1,2024-03-01,public,15\n"
    (folder / "d.csv").write_text(csv + ",2024-03-02,public,\nshared,nonsense,public,40\n")
    return folder


def _ingested(db: Path, corpus: Path) -> tuple[list, list, list]:
    con = open_store(db)
    try:
        ingest_corpus(con, corpus)
        items = con.execute("SELECT * FROM items ORDER BY item_id").fetchall()
        errors = con.execute(
            "SELECT stage, item_id, source_file, source_row, code, message, rejected "
            "FROM errors ORDER BY ALL"
        ).fetchall()
        tables = con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
    finally:
        con.close()
    return items, errors, tables


@pytest.mark.parametrize("in_memory_max", [10**6, 1], ids=["read-aside", "too-many-to-hold"])
def test_problems_read_during_a_commit_equal_the_serial_pass(tmp_path, monkeypatch,
                                                             in_memory_max):  # fmt: skip
    """A Parquet source whose items are committed has its problem rows read by a second
    connection meanwhile (or, past the in-memory limit, mapped again after the commit):
    items, errors and notes equal those of the serial pass."""
    corpus = _overlap_corpus(tmp_path / "corpus")
    calls: list[str] = []
    read = ingest._read_problems

    def slow_read(con, sql, src):
        calls.append(Path(src.path).name)
        time.sleep(0.2)  # finishing well after the commit: the next transaction still sees all
        return read(con, sql, src)

    monkeypatch.setattr(ingest, "_read_problems", slow_read)
    monkeypatch.setattr(ingest, "PROBLEM_ROWS_IN_MEMORY", in_memory_max)
    monkeypatch.setattr(ingest, "COMMIT_ROWS", 10**9)  # never committed mid-ingest: serial
    serial = _ingested(tmp_path / "serial.duckdb", corpus)
    assert calls == []
    monkeypatch.setattr(ingest, "COMMIT_ROWS", 1)  # a commit after every source
    aside = _ingested(tmp_path / "aside.duckdb", corpus)
    assert calls == ["a.parquet", "b.parquet", "c.parquet"]  # not the CSV (a registered batch)
    assert aside == serial
    items, errors, tables = aside
    assert [i[0] for i in items] == ["a1", "a2", "b1", "b2", "c1", "c2", "d1", "shared"]
    codes = [e[4] for e in errors]
    assert codes.count("missing_id") == 7  # two per Parquet file, one in the CSV
    # 'yesterday' in each Parquet file; the CSV's 'nonsense' is on a duplicate, dropped
    assert codes.count("bad_timestamp") == 3
    assert codes.count("duplicate_id") == 6  # {p}1 in each Parquet file, 'shared' thrice
    assert ("_ca_items",) not in tables
    in_memory = open_memory()  # no disk to wait for: the serial pass
    ingest_corpus(in_memory, corpus)
    assert calls == ["a.parquet", "b.parquet", "c.parquet"]


def _previous_items_kept(db: Path, corpus: Path, before: tuple, error: type) -> None:
    con = open_store(db)
    try:
        with pytest.raises(error, match="disk on fire"):
            ingest_corpus(con, corpus)
        assert con.execute("SELECT count(*) FROM items").fetchone()[0] == len(before[0])
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "_ca_items" not in tables
    finally:
        con.close()


def test_a_failure_while_committing_leaves_the_previous_items(tmp_path, monkeypatch):
    """The second connection's error, or an interrupt while the first commits (no transaction
    open then), is what the ingest raises; the previous items stay, no staging table is left
    and the store takes the next ingest."""
    corpus = _overlap_corpus(tmp_path / "corpus")
    db = tmp_path / "s.duckdb"
    before = _ingested(db, corpus)
    monkeypatch.setattr(ingest, "COMMIT_ROWS", 1)

    def failing_read(con, sql, src):
        raise InputError(f"{src.path}: disk on fire")

    with monkeypatch.context() as m:
        m.setattr(ingest, "_read_problems", failing_read)
        _previous_items_kept(db, corpus, before, InputError)

    def interrupted(_futures):
        raise KeyboardInterrupt("disk on fire")

    with monkeypatch.context() as m:
        m.setattr(ingest, "wait", interrupted)
        _previous_items_kept(db, corpus, before, KeyboardInterrupt)
    assert _ingested(db, corpus) == before
