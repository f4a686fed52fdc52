"""Never a silent wrong answer: each bad input of issue #16 through the real CLI, with its
exit code and message (0 ok, 2 input error; --strict turns warnings into 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from audit.ingest import ingest_corpus
from audit.store import open_memory

CLI = [sys.executable, "-c", "from audit.cli import run; run()"]


def audit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300)


def ingest(tmp_path: Path, corpus: Path, *extra: str) -> subprocess.CompletedProcess:
    return audit("ingest", str(corpus), "--db", str(tmp_path / "a.duckdb"), *extra)


def jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_empty_jsonl_exits_2_and_says_so(tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    proc = ingest(tmp_path, tmp_path / "empty.jsonl")
    assert proc.returncode == 2
    assert "no items" in proc.stderr and "none holds a record" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_every_row_rejected_exits_2_with_what_was_read(tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text('{"item_id": "a"\nnot json\n')
    proc = ingest(tmp_path, f, "--mapping", "generic")
    assert proc.returncode == 2
    assert "all 2 rows of 1 file(s) were rejected (bad_json 2)" in proc.stderr
    assert f"{f}:1" in proc.stderr


def test_pretty_printed_json_is_one_document_not_11k_rejected_lines(tmp_path):
    f = tmp_path / "export.json"
    f.write_text(json.dumps([{"item_id": str(i), "text": "t"} for i in range(50)], indent=2))
    con = open_memory()
    s = ingest_corpus(con, f)
    assert (s.items, s.rejected) == (50, 0)


def test_misspelt_source_path_warns_and_strict_exits_2(tmp_path):
    f = jsonl(tmp_path / "c.jsonl", [{"id": str(i), "caption": "c", "text": "t"} for i in range(5)])
    mapping = tmp_path / "m.yaml"
    mapping.write_text("fields:\n  item_id: id\n  text: {coalesce: [captoin, txet]}\n")
    proc = ingest(tmp_path, f, "--mapping", str(mapping))
    assert proc.returncode == 0
    assert "field text resolves to nothing in any of the 5 records" in proc.stderr
    assert "source paths: captoin, txet" in proc.stderr
    assert "closest source names: caption, text" in proc.stderr
    strict = ingest(tmp_path, f, "--mapping", str(mapping), "--strict")
    assert strict.returncode == 2 and "--strict" in strict.stderr
    assert "field text resolves to nothing" in strict.stderr


def test_misspelt_column_of_a_table_warns(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("id,caption\n1,hello\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("fields:\n  item_id: id\n  text: captoin\n")
    con = open_memory()
    s = ingest_corpus(con, f, str(mapping))
    assert len(s.warnings) == 1 and "closest source names: caption" in s.warnings[0]


def test_unterminated_csv_quote_is_a_rejected_row_not_a_merged_text(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text('item_id,text\n1,"fine, quoted"\n2,"broken quote here\n3,plain\n4,"also fine"\n')
    con = open_memory()
    s = ingest_corpus(con, f)
    texts = dict(con.execute("SELECT item_id, text FROM items").fetchall())
    assert texts == {"1": "fine, quoted", "3": "plain", "4": "also fine"}
    assert s.rejected == 1
    row, code, msg = con.execute(
        "SELECT source_row, code, message FROM errors WHERE rejected"
    ).fetchone()
    assert (row, code) == (2, "bad_csv_row") and "quote" in msg


def test_tweets_with_unknown_protected_flag_are_unknown_not_public(tmp_path):
    page = {"data": [{"id": "1", "text": "hi", "author_id": "u1"},
                     {"id": "2", "text": "yo", "author_id": "u2"}],
            "includes": {"users": [{"id": "u1", "protected": False}]}}  # fmt: skip
    f = jsonl(tmp_path / "tweets.jsonl", [page])
    con = open_memory()
    ingest_corpus(con, f)
    assert dict(con.execute("SELECT item_id, visibility FROM items").fetchall()) == {
        "1": "public", "2": "unknown"}  # fmt: skip


def test_reddit_without_subreddit_type_is_unknown_and_deleted_is_no_author(tmp_path):
    rows = [{"id": f"c{i}", "author": "[deleted]", "body": "x", "subreddit": "a",
             "created_utc": 1600000000 + i} for i in range(3)]  # fmt: skip
    f = jsonl(tmp_path / "RC.jsonl", rows)
    con = open_memory()
    s = ingest_corpus(con, f)
    assert con.execute("SELECT DISTINCT visibility, author_id, deleted FROM items").fetchall() == [
        ("unknown", None, True)
    ]
    assert s.visibility_basis == [
        ("unknown", "not in the export: the dump has no subreddit_type", 3)
    ]
    note = con.execute("SELECT message FROM errors WHERE code = 'note_visibility'").fetchone()[0]
    assert (
        note
        == "visibility unknown for 3 of 3 items: not in the export: the dump has no subreddit_type"
    )


def test_mastodon_indexable_false_is_not_a_tdm_reservation(tmp_path):
    status = {"id": "1", "uri": "https://m.example/users/a/statuses/1", "content": "<p>x</p>",
              "visibility": "public", "created_at": "2024-01-01T00:00:00Z",
              "account": {"id": "9", "acct": "a", "indexable": False, "noindex": True}}  # fmt: skip
    f = jsonl(tmp_path / "statuses.jsonl", [status])
    con = open_memory()
    ingest_corpus(con, f)
    assert con.execute("SELECT noai, opt_out FROM items").fetchone() == (None, None)


def test_duplicates_keep_the_newest_edit_and_say_so(tmp_path):
    v1 = {"id": "1", "uri": "u1", "content": "old", "visibility": "public",
          "created_at": "2024-01-01T00:00:00Z", "edited_at": None, "account": {"acct": "a"}}  # fmt: skip
    v2 = {**v1, "content": "new", "edited_at": "2024-01-02T00:00:00Z"}
    f = jsonl(tmp_path / "s.jsonl", [v1, v2])  # the first row is the older edit
    con = open_memory()
    s = ingest_corpus(con, f, "mastodon")
    assert con.execute("SELECT text FROM items").fetchall() == [("new",)]
    row, msg = con.execute(
        "SELECT source_row, message FROM errors WHERE code = 'duplicate_id'"
    ).fetchone()
    assert row == 1 and f"an older version of the item at {f}:2" in msg
    assert "which is kept as the newest edit (edited 2024-01-02 00:00:00)" in msg
    assert s.duplicates == 1
    (note,) = con.execute("SELECT message FROM errors WHERE code = 'note_duplicates'").fetchone()
    assert note == "duplicate item ids: 1 older edit(s) replaced by the newest (edited_at)"
    # without an edit time the first row is kept, and the message says so
    g = jsonl(tmp_path / "t.jsonl", [{"item_id": "x", "text": "a"}, {"item_id": "x", "text": "b"}])
    con = open_memory()
    ingest_corpus(con, g)
    assert con.execute("SELECT text FROM items").fetchall() == [("a",)]
    (msg,) = con.execute("SELECT message FROM errors WHERE code = 'duplicate_id'").fetchone()
    assert "no newer edit time in the export: the first row is kept" in msg


def test_x_v1_timestamp_is_read(tmp_path):
    f = jsonl(
        tmp_path / "c.jsonl", [{"item_id": "a", "created_at": "Thu Mar 24 21:14:48 +0000 2022"}]
    )
    con = open_memory()
    ingest_corpus(con, f)
    assert str(con.execute("SELECT created_at FROM items").fetchone()[0]) == "2022-03-24 21:14:48"
    assert con.execute("SELECT count(*) FROM errors WHERE code = 'bad_timestamp'").fetchone() == (
        0,
    )


def test_unrecognised_file_exits_2_naming_its_keys(tmp_path):
    f = jsonl(tmp_path / "mystery.jsonl", [{"foo": 1, "bar": 2}])
    proc = ingest(tmp_path, f)
    assert proc.returncode == 2
    assert "format not recognised (record keys: bar, foo)" in proc.stderr
    assert "--mapping" in proc.stderr


def test_empty_file_beside_good_ones_is_a_warning(tmp_path):
    jsonl(tmp_path / "a.jsonl", [{"item_id": "x"}])
    (tmp_path / "b.jsonl").write_text("\n\n")
    proc = ingest(tmp_path, tmp_path)
    assert proc.returncode == 0
    assert "b.jsonl: the file holds no records" in proc.stderr
    assert ingest(tmp_path, tmp_path, "--strict").returncode == 2


def test_remote_images_are_not_errors_and_not_fetched(tmp_path):
    """A LAION-style corpus: every image a URL. Not analysed (remote), no error rows."""
    f = tmp_path / "laion.parquet"
    duckdb.sql(
        f"COPY (SELECT 'https://img.example/' || i || '.jpg' AS URL, 'caption ' || i AS TEXT "
        f"FROM range(20) t(i)) TO '{f}' (FORMAT parquet)"
    )
    out = tmp_path / "out"
    proc = audit("scan", str(f), "--out", str(out), "--detectors", "media_meta", "--json", "-q")
    assert proc.returncode == 0, proc.stderr
    headline = json.loads(proc.stdout)["headline"]
    assert headline["items"] == 20 and headline["errors"] == 0
    con = duckdb.connect(str(out / "audit.duckdb"), read_only=True)
    assert con.execute("SELECT DISTINCT status FROM media_files").fetchall() == [("not_local",)]
    flagged = con.execute("SELECT DISTINCT rule_id FROM flags").fetchall()
    assert flagged == [("visibility.unknown",)]  # web scrape: no audience; not the images


@pytest.mark.parametrize("flag", ["--strict", "--fetch-media"])
def test_scan_help_documents_the_new_flags(flag):
    proc = audit("scan", "--help")
    assert flag in proc.stdout
