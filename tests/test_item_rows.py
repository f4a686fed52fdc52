"""`items` after an ingest: a view over the columns the corpus filled (audit/item_rows.py)."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from audit import item_rows
from audit.cache import hash_texts
from audit.ingest import ingest_corpus
from audit.schema import all_item_columns
from audit.store import open_memory, open_store

# (item_id, url, media_path, source_domain and media_uri as the view must give them;
# "{dir}" is the corpus file's folder)
ROWS = [
    ("a", "https://WWW.Example.org:8080/p/1", "img/a.jpg", "example.org", "{dir}/img/a.jpg"),
    ("b", "http://user@news.example.net/x", "../b.jpg", "news.example.net", "{up}/b.jpg"),
    ("c", "ftp://files.example/x", "https://cdn.example/c.jpg", None, "https://cdn.example/c.jpg"),
    ("d", "", "/abs/./d.jpg", None, "/abs/d.jpg"),
    ("e", "https://www.example.org/", " ", "example.org", None),
]


def write_csv(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["item_id", "text", "url", "media_path", "visibility"])
        for item_id, url, media, *_ in rows:
            out.writerow([item_id, f"post {item_id}", url, media, "public"])
    return path


def expected(folder: Path) -> dict[str, tuple[str | None, str | None]]:
    fill = {"dir": str(folder), "up": str(folder.parent)}
    return {r[0]: (r[3], r[4].format(**fill) if r[4] else None) for r in ROWS}


@pytest.fixture
def ingested(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    folder = tmp_path / "corpus"
    folder.mkdir()
    con = open_store(tmp_path / "audit.duckdb")
    ingest_corpus(con, write_csv(folder / "posts.csv", ROWS))
    return con, folder


def test_only_filled_columns_are_stored_and_the_view_shows_every_column(ingested):
    con, folder = ingested
    assert item_rows.items_is_view(con)
    stored = set(item_rows.stored_columns(con))
    assert stored == set(item_rows.ALWAYS_STORED)  # nothing optional in this corpus
    assert not {"_ca_skip", "_ca_errs", "_ca_batch"} & stored
    nullable = dict(con.execute("SELECT column_name, is_nullable FROM information_schema.columns"
                                " WHERE table_name = 'item_rows'").fetchall())  # fmt: skip
    assert nullable["item_id"] == "NO"
    described = [(r[0], r[1]) for r in con.execute("DESCRIBE items").fetchall()]
    assert described == list(all_item_columns().items())
    got = {
        r[0]: (r[1], r[2])
        for r in con.execute("SELECT item_id, source_domain, media_uri FROM items").fetchall()
    }
    assert got == expected(folder)
    assert con.execute(
        "SELECT count(*) FROM items WHERE community IS NULL AND edited_at IS NULL "
        "AND text_sha256 IS NULL"
    ).fetchone() == (len(ROWS),)


def test_a_mapped_provenance_column_is_stored_and_computed_ones_agree(tmp_path: Path):
    """One source maps source_domain, so the load computes it for every row (the stored
    path); the other source's rows must get what the view computes in the derived path."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_csv(folder / "posts.csv", ROWS)
    (folder / "forum.jsonl").write_text(
        json.dumps({"id": "f1", "body": "hi", "host": "Forum.Example"}) + "\n", encoding="utf-8"
    )
    mapping = tmp_path / "forum.yaml"
    mapping.write_text(
        "fields:\n  item_id: id\n  text: body\n  source_domain: host\n", encoding="utf-8"
    )
    spec = tmp_path / "corpus.yaml"
    spec.write_text(
        "sources:\n"
        f"  - path: {folder / 'posts.csv'}\n"
        f"  - {{path: {folder / 'forum.jsonl'}, mapping: {mapping}}}\n",
        encoding="utf-8",
    )
    con = open_memory()
    ingest_corpus(con, spec)
    assert "source_domain" in item_rows.stored_columns(con)
    got = dict(con.execute("SELECT item_id, source_domain FROM items").fetchall())
    assert got.pop("f1") == "forum.example"
    assert got == {k: v[0] for k, v in expected(folder).items()}


def test_writers_store_a_computed_column_without_changing_its_values(ingested):
    con, _ = ingested
    before = con.execute("SELECT item_id, media_uri FROM items ORDER BY 1").fetchall()
    assert item_rows.writable_items(con, ["media_uri"]) == item_rows.STORED_TABLE
    assert "media_uri" in item_rows.stored_columns(con)
    assert con.execute("SELECT item_id, media_uri FROM items ORDER BY 1").fetchall() == before
    con.execute("UPDATE item_rows SET media_uri = 'x' WHERE item_id = 'a'")
    assert con.execute("SELECT media_uri FROM items WHERE item_id = 'a'").fetchone() == ("x",)
    # The detect stage's first step stores and fills text_sha256.
    assert hash_texts(con) == len(ROWS)
    digest = hashlib.sha256(b"post c").hexdigest()
    assert con.execute("SELECT text_sha256 FROM items WHERE item_id = 'c'").fetchone() == (digest,)
    assert [r[0] for r in con.execute("DESCRIBE items").fetchall()] == list(all_item_columns())


def test_a_store_never_ingested_keeps_a_table(tmp_path: Path):
    con = open_memory()
    assert not item_rows.items_is_view(con)
    assert item_rows.writable_items(con, ["media_uri", "text_sha256"]) == "items"
    con.execute("INSERT INTO items (item_id, text) VALUES ('x', 'y')")
    folder = tmp_path / "c"
    folder.mkdir()
    ingest_corpus(con, write_csv(folder / "posts.csv", ROWS[:2]))
    assert item_rows.items_is_view(con)
    assert sorted(r[0] for r in con.execute("SELECT item_id FROM items").fetchall()) == ["a", "b"]
    # Re-ingesting replaces item_rows and the view.
    ingest_corpus(con, write_csv(folder / "posts.csv", ROWS[2:]))
    assert sorted(r[0] for r in con.execute("SELECT item_id FROM items").fetchall()) == [
        "c", "d", "e",
    ]  # fmt: skip


def test_the_view_reads_in_other_connections(ingested, tmp_path: Path):
    """The macros the view calls persist in the file: a read-only open and an ATTACH (audit
    diff) read the computed columns too."""
    con, folder = ingested
    con.close()
    want = expected(folder)
    ro = open_store(tmp_path / "audit.duckdb", read_only=True)
    got = dict(ro.execute("SELECT item_id, media_uri FROM items").fetchall())
    assert got == {k: v[1] for k, v in want.items()}
    ro.close()
    other = duckdb.connect()
    other.execute(f"ATTACH '{tmp_path / 'audit.duckdb'}' AS a (READ_ONLY)")
    got = dict(other.execute("SELECT item_id, source_domain FROM a.items").fetchall())
    assert got == {k: v[0] for k, v in want.items()}


def test_mixed_record_and_table_sources_report_every_problem(tmp_path: Path):
    """A JSON source writes every record with working columns, a CSV source only its items
    (its problems from a second pass): both in one ingest, each row an item or a reject."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.csv").write_text(
        "item_id,text,visibility\nc1,ok,public\n,no id,public\nc3,bad vis,sometimes\n",
        encoding="utf-8",
    )
    (folder / "b.jsonl").write_text(
        "\n".join(
            json.dumps(r)
            for r in (
                {"item_id": "j1", "text": "ok", "visibility": "public"},
                {"text": "no id", "visibility": "public"},
                {"item_id": "j3", "text": "bad vis", "visibility": "sometimes"},
            )
        )
        + "\n",
        encoding="utf-8",
    )
    con = open_memory()
    summary = ingest_corpus(con, folder)
    items = dict(con.execute("SELECT item_id, visibility FROM items").fetchall())
    assert items == {"c1": "public", "c3": "unknown", "j1": "public", "j3": "unknown"}
    problems = con.execute(
        "SELECT parse_filename(source_file), source_row, code, rejected FROM errors "
        "WHERE stage = 'ingest' ORDER BY 1, 2"
    ).fetchall()
    assert problems == [
        ("a.csv", 2, "missing_id", True),
        ("a.csv", 3, "bad_visibility", False),
        ("b.jsonl", 2, "missing_id", True),
        ("b.jsonl", 3, "bad_visibility", False),
    ]
    assert (summary.items, summary.rejected) == (4, 2)
    assert not {"_ca_skip", "_ca_errs", "_ca_batch"} & set(item_rows.stored_columns(con))


def test_storing_a_column_is_all_or_nothing(ingested, monkeypatch):
    """A writer interrupted after the column was added must not leave a stored, empty
    column that the view ignores (or one it reads before it is filled)."""
    con, folder = ingested

    def interrupted(_con):
        raise KeyboardInterrupt

    monkeypatch.setattr(item_rows, "create_view", interrupted)
    with pytest.raises(KeyboardInterrupt):
        item_rows.writable_items(con, ["media_uri"])
    assert "media_uri" not in item_rows.stored_columns(con)
    monkeypatch.undo()
    assert item_rows.writable_items(con, ["media_uri"]) == item_rows.STORED_TABLE
    got = dict(con.execute("SELECT item_id, media_uri FROM item_rows").fetchall())
    assert got == {k: v[1] for k, v in expected(folder).items()}


def test_tabular_shards_equal_one_database(tmp_path: Path):
    """Shards of CSV and Parquet files (no working columns in their staging tables) give the
    items and problems of the same sources ingested in one database."""
    root = tmp_path / "shards"
    root.mkdir()
    (root / "a.csv").write_text(
        "item_id,text,visibility\nx1,first,public\n,no id,public\ndup,older,sometimes\n",
        encoding="utf-8",
    )
    duckdb.sql(
        "COPY (SELECT * FROM (VALUES ('x2', 'second', 'public'), ('dup', 'newer', 'private'),"
        " (NULL, 'none', 'public')) t(item_id, text, visibility)) "
        f"TO '{root / 'b.parquet'}' (FORMAT parquet)"
    )
    (root / "single.yaml").write_text("sources: [{path: a.csv}, {path: b.parquet}]\n")
    (root / "sharded.yaml").write_text(
        "shards:\n  - {name: a, sources: [{path: a.csv}]}\n"
        "  - {name: b, sources: [{path: b.parquet}]}\n"
    )
    results = []
    for spec in ("single.yaml", "sharded.yaml"):
        con = open_memory()
        summary = ingest_corpus(con, root / spec, workers=2)
        results.append(
            (
                con.execute("SELECT * EXCLUDE (source_file) FROM items ORDER BY ALL").fetchall(),
                con.execute(
                    "SELECT parse_filename(source_file), source_row, item_id, code, rejected "
                    "FROM errors WHERE stage = 'ingest' ORDER BY ALL"
                ).fetchall(),
                (summary.items, summary.rejected, summary.duplicates),
            )
        )
    assert results[0] == results[1]
    items, problems, counts = results[0]
    assert sorted(r[0] for r in items) == ["dup", "x1", "x2"]
    assert counts == (3, 3, 1)
    assert ("a.csv", 2, None, "missing_id", True) in problems
    assert ("b.parquet", 3, None, "missing_id", True) in problems


def test_the_load_and_the_view_resolve_media_paths_alike_at_the_root():
    """The load passes the file's folder ("/" for a file at the root), the view the path
    with its file name cut ("" there): both give one slash."""
    con = open_memory()
    item_rows.create_macros(con)
    got = con.execute(
        "SELECT _ca_media_uri('a.jpg', '/'), _ca_media_uri('a.jpg', _ca_folder('/posts.csv')),"
        " _ca_media_uri('../a.jpg', '/data/x'), _ca_media_uri('a.jpg', _ca_folder('/data/x/p.csv'))"
    ).fetchone()
    assert got == ("/a.jpg", "/a.jpg", "/data/a.jpg", "/data/x/a.jpg")


def test_counts_by_groups_stored_columns_as_the_view_shows_them(tmp_path: Path):
    """Stored groups that the view shows alike (a NULL visibility and 'unknown') are one
    group, and a computed column (visibility_basis) is computed per group as per item."""
    path = tmp_path / "posts.jsonl"
    visibilities = ["public", None, "unknown", "private", None, "public", "bogus"]
    path.write_text(
        "".join(
            json.dumps({"item_id": f"i{i}", "text": "t"} | ({"visibility": v} if v else {})) + "\n"
            for i, v in enumerate(visibilities)
        ),
        encoding="utf-8",
    )
    columns = ["source_file", "visibility", "visibility_basis"]

    def direct(con: duckdb.DuckDBPyConnection, columns: list[str] = columns) -> list[tuple]:
        keys = ", ".join(columns)
        rows = con.execute(f"SELECT {keys}, count(*) FROM items GROUP BY ALL").fetchall()
        return sorted(rows, key=str)

    def grouped(con: duckdb.DuckDBPyConnection, columns: list[str] = columns) -> list[tuple]:
        return sorted(con.execute(item_rows.counts_by(con, columns)).fetchall(), key=str)

    con = open_memory()
    ingest_corpus(con, path)
    assert item_rows.items_is_view(con)
    assert "visibility_basis" not in item_rows.stored_columns(con)
    got = grouped(con)
    assert got == direct(con)
    assert sum(n for *_, n in got) == 7
    stored = dict(con.execute("SELECT item_id, visibility FROM item_rows").fetchall())
    assert stored["i1"] is None and stored["i2"] == "unknown"  # two stored groups ...
    by_visibility = grouped(con, ["visibility"])
    assert by_visibility == direct(con, ["visibility"])
    assert ("unknown", 4) in by_visibility  # ... one group as the view shows them (+ bogus)
    # Computed from stored columns not asked for (grouped on them first), or from none.
    for alone in (["visibility_basis"], ["media_uri"], ["source_domain"], ["text_sha256"]):
        assert grouped(con, alone) == direct(con, alone)
    assert grouped(con, ["visibility_basis"]) == [("not in the export", 2), (None, 5)]
    con.execute("DELETE FROM item_rows")
    assert grouped(con, ["text_sha256"]) == grouped(con) == []  # no item, no row
    # A store whose items is a table gives the same through a plain GROUP BY.
    table = open_memory()
    table.execute(
        "INSERT INTO items (item_id, source_file, visibility) VALUES ('x', 'f', 'public')"
    )
    assert grouped(table) == direct(table) == [("f", "public", None, 1)]


def test_the_age_is_stored_as_exported_and_derived_from_the_birth_date_where_read(
    tmp_path: Path,
):
    """item_rows keeps author_age_at_post as the export gave it (NULL where it gave a birth
    date only); items shows the given age, else the full years from birth date to post."""
    path = tmp_path / "posts.jsonl"
    rows = [
        {"item_id": "given", "created_at": "2024-05-01T00:00:00Z", "author_age_at_post": 40,
         "author_birth_date": "2010-01-01"},  # the given age wins over the birth date
        {"item_id": "born", "created_at": "2024-05-01T00:00:00Z",
         "author_birth_date": "2010-06-01"},  # 13 (not yet 14 on the day of the post)
        {"item_id": "birthday", "created_at": "2024-06-01T08:00:00Z",
         "author_birth_date": "2010-06-01"},  # 14 on the day
        {"item_id": "no_date", "author_birth_date": "2010-06-01"},  # no post time: no age
        {"item_id": "nothing", "created_at": "2024-05-01T00:00:00Z"},
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    con = open_memory()
    ingest_corpus(con, path)
    stored = dict(con.execute("SELECT item_id, author_age_at_post FROM item_rows").fetchall())
    assert stored == {"given": 40, "born": None, "birthday": None, "no_date": None,
                      "nothing": None}  # fmt: skip
    shown = dict(con.execute("SELECT item_id, author_age_at_post FROM items").fetchall())
    assert shown == {"given": 40, "born": 13, "birthday": 14, "no_date": None, "nothing": None}
    by_age = sorted(con.execute(item_rows.counts_by(con, ["author_age_at_post"])).fetchall(),
                    key=str)  # fmt: skip
    assert by_age == [(13, 1), (14, 1), (40, 1), (None, 2)]


def test_a_view_recreated_on_an_older_store_gets_the_macros_it_calls(tmp_path: Path):
    """A store ingested before the view derived the age has no ``_ca_age`` macro: storing a
    computed column re-creates the view, which must not then fail on the missing macro."""
    path = tmp_path / "posts.jsonl"
    path.write_text(
        json.dumps({"item_id": "a", "text": "hi", "created_at": "2024-05-01T00:00:00Z",
                    "author_birth_date": "2010-06-01"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    con = open_memory()
    ingest_corpus(con, path)
    con.execute("CREATE OR REPLACE VIEW items AS SELECT * FROM item_rows")  # an older view
    con.execute("DROP MACRO _ca_age")
    assert item_rows.writable_items(con, ["text_sha256"]) == item_rows.STORED_TABLE
    assert con.execute("SELECT author_age_at_post FROM items").fetchall() == [(13,)]
