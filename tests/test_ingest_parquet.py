"""Typed Parquet input: the fast direct path still reports every problem row by row."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from audit.ingest import corpus as ingest
from audit.ingest import ingest_corpus
from audit.ingest.compile import compile_table
from audit.ingest.mapping import load_mapping
from audit.store import open_memory


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
