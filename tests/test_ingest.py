"""Ingest behaviour on generic input: formats, provenance, bad rows, duplicates, re-ingest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from audit.cache import hash_texts
from audit.cli import app
from audit.errors import InputError
from audit.ingest import ingest_corpus
from audit.store import open_memory

FIXTURES = Path(__file__).parent / "fixtures" / "exports"


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def errors_by_code(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for code, row, item, rejected in rows(
        con,
        "SELECT code, source_row, item_id, rejected FROM errors "
        "WHERE code NOT LIKE 'note_%' ORDER BY source_row",
    ):
        out.setdefault(code, []).append((row, item, rejected))
    return out


def write_jsonl(path: Path, lines: list[object]) -> Path:
    path.write_text(
        "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return open_memory()


def test_csv_rows_errors_and_counts(con):
    summary = ingest_corpus(con, FIXTURES / "generic" / "items.csv")
    got = {
        r[0]: r[1:]
        for r in rows(
            con,
            "SELECT item_id, source_row, created_at, visibility, opt_out, media_uri, author_age_at_post FROM items",
        )
    }
    assert sorted(got) == ["g1", "g2", "g3", "g5"]
    # g4 has too many fields: rejected with its row number; g1 again: duplicate
    errs = errors_by_code(con)
    assert errs["bad_csv_row"] == [(4, None, True)]
    assert errs["duplicate_id"] == [(6, "g1", True)]
    assert summary.items + summary.rejected == 6  # every input row accounted for
    # the good rows keep their true row numbers despite the rejected row before g5
    assert got["g5"][0] == 5 and got["g2"][0] == 2
    # bad values: kept, NULL, reported
    assert got["g3"][1] is None and got["g3"][2] == "unknown" and got["g3"][3] is None
    assert {e[0] for e in errs["bad_timestamp"]} == {3}
    assert {e[0] for e in errs["bad_visibility"]} == {3}
    assert {e[0] for e in errs["bad_date"]} == {3}
    assert {e[0] for e in errs["bad_boolean"]} == {3}
    # parsing: Z offset, date only, epoch seconds; case-insensitive visibility
    assert str(got["g1"][1]) == "2024-01-15 10:00:00"
    assert str(got["g5"][1]) == "2024-01-17 14:00:00"
    assert got["g2"][2] == "followers" and got["g2"][3] is True
    # age from birth date (full years), media paths resolved against the file's folder
    assert got["g1"][5] == 13
    assert got["g1"][4] == str((FIXTURES / "images" / "one.jpg").resolve())
    assert got["g2"][4] == "/abs/two.jpg"
    assert got["g3"][4] == "https://cdn.example/x.png"
    extra = json.loads(rows(con, "SELECT extra FROM items WHERE item_id = 'g1'")[0][0])
    assert extra == {"subreddit": "cats"}
    assert ("subreddit", "VARCHAR") in rows(con, "SELECT * FROM extra_columns")


def test_jsonl_bad_lines_are_rejected_with_line_numbers(con, tmp_path):
    f = write_jsonl(
        tmp_path / "c.jsonl",
        [
            {"item_id": "a", "text": "x", "created_at": 1700000000},
            "{not json",
            "",
            "[1, 2]",
            {"item_id": "b", "text": None, "author_age_at_post": "fifteen"},
            {"text": "no id"},
        ],
    )
    summary = ingest_corpus(con, f)
    errs = errors_by_code(con)
    assert errs["bad_json"] == [(2, None, True)]
    assert errs["not_an_object"] == [(4, None, True)]
    assert errs["missing_id"] == [(6, None, True)]
    assert errs["bad_integer"] == [(5, "b", False)]
    assert summary.items == 2 and summary.rejected == 3  # 5 non-blank lines
    # Ingest leaves the content hash to the detect stage, which fills it for non-empty texts.
    assert rows(con, "SELECT count(*) FROM items WHERE text_sha256 IS NOT NULL") == [(0,)]
    assert hash_texts(con) == 1
    assert rows(con, "SELECT item_id, source_row, text_sha256 IS NULL FROM items ORDER BY 1") == [
        ("a", 1, False),
        ("b", 5, True),
    ]
    sha = rows(con, "SELECT text_sha256 FROM items WHERE item_id = 'a'")[0][0]
    assert sha == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"


def test_parquet_folder_glob_and_idempotent_reingest(con, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    duckdb.connect().execute(
        f"COPY (SELECT 'p' || i AS item_id, 'text ' || i AS text, i % 2 = 0 AS noai, "
        f"'img/' || i || '.jpg' AS media_path, 'r' || i AS subreddit FROM range(5) t(i)) "
        f"TO '{folder / 'a.parquet'}' (FORMAT parquet)"
    )
    write_jsonl(folder / "b.jsonl", [{"item_id": "p0", "text": "dup"}, {"item_id": "j1"}])
    first = ingest_corpus(con, folder)
    snapshot = rows(con, "SELECT * FROM items ORDER BY item_id")
    errs = rows(
        con,
        "SELECT code, source_file, source_row FROM errors WHERE code NOT LIKE 'note_%' ORDER BY ALL",
    )
    assert first.items == 6 and first.rejected == 1
    assert errs == [("duplicate_id", str(folder / "b.jsonl"), 1)]
    assert rows(con, "SELECT source_row FROM items WHERE item_id = 'p3'") == [(4,)]
    again = ingest_corpus(con, folder)
    assert again.items == first.items
    assert rows(con, "SELECT * FROM items ORDER BY item_id") == snapshot
    assert (
        rows(
            con,
            "SELECT code, source_file, source_row FROM errors "
            "WHERE code NOT LIKE 'note_%' ORDER BY ALL",
        )
        == errs
    )
    globbed = ingest_corpus(con, str(folder / "*.parquet"))
    assert globbed.items == 5 and [s.rows for s in globbed.sources] == [5]
    assert len(globbed.sources[0].sha256) == 64


def test_non_utf8_bytes_survive(con, tmp_path):
    csv = tmp_path / "latin1.csv"
    csv.write_bytes("item_id,text\nl1,café crème\nl2,plain\n".encode("latin-1"))
    jsonl = tmp_path / "latin1.jsonl"
    jsonl.write_bytes('{"item_id": "j1", "text": "naïve"}\n'.encode("latin-1"))
    spec = tmp_path / "corpus.yaml"
    spec.write_text(
        "sources:\n  - {path: latin1.csv}\n  - {path: latin1.jsonl, mapping: generic}\n"
    )
    summary = ingest_corpus(con, spec)
    assert summary.items == 3
    texts = dict(rows(con, "SELECT item_id, text FROM items"))
    assert texts == {"l1": "café crème", "l2": "plain", "j1": "naïve"}
    assert rows(con, "SELECT count(*) FROM errors WHERE code = 'non_utf8' AND NOT rejected") == [
        (2,)
    ]


def test_a_fractional_age_is_cut_to_whole_years(tmp_path):
    # 17.6 years old is 17: rounding would make a minor an adult.
    (tmp_path / "a.csv").write_text("item_id,author_age_at_post\na,17.6\nb,17.5\nc,12\nd,x\n")
    (tmp_path / "a.jsonl").write_text(
        "".join(json.dumps({"item_id": i, "author_age_at_post": v}) + "\n"
                for i, v in [("e", 17.6), ("f", "17.9"), ("g", 16)])
    )  # fmt: skip
    duckdb.connect().execute(
        f"COPY (SELECT * FROM (VALUES ('h', 17.6::DOUBLE), ('i', 15.99::DOUBLE)) "
        f"t(item_id, author_age_at_post)) TO '{tmp_path / 'a.parquet'}' (FORMAT parquet)"
    )
    con = open_memory()
    ingest_corpus(con, tmp_path)
    ages = dict(rows(con, "SELECT item_id, author_age_at_post FROM items"))
    assert ages == {
        "a": 17,
        "b": 17,
        "c": 12,
        "d": None,
        "e": 17,
        "f": 17,
        "g": 16,
        "h": 17,
        "i": 15,
    }
    assert rows(con, "SELECT item_id FROM errors WHERE code = 'bad_integer'") == [("d",)]


def test_an_epoch_number_too_large_for_seconds_is_read_in_its_unit(tmp_path):
    # 1704067200000 is 2024-01-01 in milliseconds; read as seconds it was the year 55969.
    (tmp_path / "a.csv").write_text(
        "item_id,created_at\ns,1704067200\nms,1704067200000\nus,1704067200000000\n"
        "ns,1704067200000000000\nfrac,1704067200.5\n"
    )
    (tmp_path / "b.jsonl").write_text('{"item_id": "j", "created_at": 1704067200000}\n')
    duckdb.connect().execute(
        f"COPY (SELECT 'p' AS item_id, 1704067200000::BIGINT AS created_at) "
        f"TO '{tmp_path / 'c.parquet'}' (FORMAT parquet)"
    )
    con = open_memory()
    ingest_corpus(con, tmp_path)
    got = {k: str(v) for k, v in rows(con, "SELECT item_id, created_at FROM items")}
    assert got == {k: "2024-01-01 00:00:00" for k in ("s", "ms", "us", "ns", "j", "p")} | {
        "frac": "2024-01-01 00:00:00.500000"
    }


def test_a_json_lines_file_whose_first_line_outgrows_the_sniff_head_is_recognised(tmp_path):
    big = {"item_id": "b1", "text": "x" * 300_000}  # longer than the 64 KB head
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps(big) + "\n" + json.dumps({"item_id": "b2", "text": "y"}) + "\n")
    con = open_memory()
    s = ingest_corpus(con, path)
    assert s.items == 2 and s.sources[0].mapping == "generic"


def test_a_cut_short_compressed_document_is_reported(tmp_path):
    # gzip knows its stream ended early: an input error naming the file. A zstd frame cut
    # short just ends: the document's unreadable rest is a rejected row.
    import gzip

    import zstandard

    doc = json.dumps([{"item_id": f"i{n}", "text": "x" * 40} for n in range(5000)]).encode()
    gz, zst = tmp_path / "posts.json.gz", tmp_path / "posts.json.zst"
    gz.write_bytes(gzip.compress(doc)[: len(gzip.compress(doc)) // 2])
    zst.write_bytes(zstandard.compress(doc)[: len(zstandard.compress(doc)) // 2])
    with pytest.raises(InputError, match=r"posts\.json\.gz: cannot read"):
        ingest_corpus(open_memory(), gz)
    con = open_memory()
    s = ingest_corpus(con, zst)
    assert 0 < s.items < 5000 and rows(
        con, "SELECT code, rejected FROM errors WHERE code = 'bad_json'"
    ) == [("bad_json", True)]


def test_a_file_listed_twice_is_read_once(tmp_path):
    # Overlapping globs, or a file named twice: read twice, each row would be the other's
    # duplicate and no copy would be kept. It is read once, with a note.
    (tmp_path / "two.csv").write_text("item_id,text\nd1,one\nd2,two\n")
    (tmp_path / "two_more.csv").write_text("item_id,text\nd1,one again\nd3,three\n")
    spec = tmp_path / "corpus.yaml"
    spec.write_text(
        "sources:\n  - {path: 'two*.csv'}\n  - {path: two.csv}\n  - {path: ./two.csv}\n"
    )
    con = open_memory()
    s = ingest_corpus(con, spec)
    assert dict(rows(con, "SELECT item_id, text FROM items")) == {
        "d1": "one", "d2": "two", "d3": "three"
    }  # fmt: skip
    assert s.duplicates == 1 and [Path(st.path).name for st in s.sources] == [
        "two.csv",
        "two_more.csv",
    ]
    notes = rows(con, "SELECT message FROM errors WHERE code = 'note_source'")
    assert notes == [("listed more than once in the corpus: read once",)] * 2
    (tmp_path / "m.yaml").write_text("fields: {item_id: item_id}\n")
    # the same mapping file, named two ways, is one mapping
    spec.write_text(
        "sources:\n  - {path: two.csv, mapping: m.yaml}\n  - {path: two.csv, mapping: ./m.yaml}\n"
    )
    assert ingest_corpus(open_memory(), spec).items == 2
    spec.write_text("sources:\n  - {path: two.csv}\n  - {path: two.csv, mapping: m.yaml}\n")
    with pytest.raises(InputError, match="listed more than once, with different mappings"):
        ingest_corpus(open_memory(), spec)


@pytest.mark.parametrize(
    ("setup", "corpus", "mapping", "needle"),
    [
        (None, "missing.jsonl", None, "no such file"),
        ("x.jsonl", "x.jsonl", "nosuchpreset", "unknown mapping preset"),
        ("x.parquet", "x.parquet", None, "format not recognised .columns: other"),
        ("x.parquet", "x.parquet", "generic", "item_id resolves to no column"),
        ("x.jsonl", "x.jsonl", "m.yaml", "unknown_key"),
        ("x.jsonl", "x.jsonl", "reddit", "item_id resolves to nothing"),
    ],
)
def test_unusable_input_raises_input_error(con, tmp_path, setup, corpus, mapping, needle):
    (tmp_path / "m.yaml").write_text("fields: {item_id: id}\nunknown_key: 1\n")
    if setup == "x.parquet":
        duckdb.connect().execute(f"COPY (SELECT 1 AS other) TO '{tmp_path / 'x.parquet'}'")
    elif setup:
        write_jsonl(tmp_path / setup, [{"foo": 1}])
    con.execute("INSERT INTO items (item_id) VALUES ('keep-me')")
    with pytest.raises(InputError, match=needle) as info:
        ingest_corpus(
            con, tmp_path / corpus, str(tmp_path / mapping) if mapping == "m.yaml" else mapping
        )
    assert "\n" not in str(info.value)
    # a failed ingest leaves the previous items alone
    assert rows(con, "SELECT item_id FROM items") == [("keep-me",)]


def test_cli_summary_and_exit_codes(tmp_path):
    db = tmp_path / "a.duckdb"
    runner = CliRunner()
    ok = runner.invoke(
        app,
        [
            "ingest",
            str(FIXTURES / "mastodon" / "statuses.jsonl"),
            "--mapping",
            "mastodon",
            "--db",
            str(db),
        ],
        env={"COLUMNS": "250"},  # one table row per line
    )
    assert ok.exit_code == 0, ok.output
    assert "items" in ok.output and "visibility: followers" in ok.output
    # each file's reader and mapping, and why (docs/MAPPINGS.md)
    line = next(ln for ln in ok.output.splitlines() if "statuses.jsonl" in ln)
    assert "ndjson" in line and "mastodon" in line
    # the console entry point maps InputError to one line on stderr and exit code 2
    proc = subprocess.run(
        [sys.executable, "-c", "from audit.cli import run; run()", "ingest",
         str(tmp_path / "nope.csv"), "--db", str(db)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "no such file" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_a_path_holding_a_placeholder_name_is_kept_verbatim(tmp_path: Path) -> None:
    """The compiled SELECT carries user text (the file's path, mapping constants): the
    ingest's own placeholders are filled before it is pasted in, never inside it."""
    folder = tmp_path / "__BATCH__" / "__SOURCE__"
    folder.mkdir(parents=True)
    f = folder / "posts.jsonl"
    rows = [{"item_id": "a", "text": "first"}, {"item_id": "a", "text": "again"}]
    f.write_text("".join(json.dumps(r) + "\n" for r in rows) + "not json\n")
    con = open_memory()
    summary = ingest_corpus(con, f, "generic")
    assert con.execute("SELECT DISTINCT source_file FROM items").fetchall() == [(str(f),)]
    assert summary.items == 1  # the repeated id is found as a duplicate of the same file
    codes = con.execute("SELECT code FROM errors WHERE stage = 'ingest' ORDER BY 1").fetchall()
    assert codes == [("bad_json",), ("duplicate_id",)]


def test_cli_extra_declared_keeps_only_the_declared_fields(tmp_path: Path) -> None:
    f = tmp_path / "RC_x.jsonl"
    record = {"id": "c1", "author": "a", "body": "hi", "subreddit": "pics",
              "created_utc": 1, "score": 7, "over_18": False}  # fmt: skip
    f.write_text(json.dumps(record) + "\n")
    extras = {}
    for mode in ("all", "declared"):
        db = tmp_path / f"{mode}.duckdb"
        result = CliRunner().invoke(app, ["ingest", str(f), "--db", str(db), "--extra", mode])
        assert result.exit_code == 0, result.output
        con = duckdb.connect(str(db), read_only=True)
        extras[mode] = json.loads(con.execute("SELECT extra FROM items").fetchall()[0][0])
        con.close()
    assert extras["all"]["score"] == 7 and extras["all"]["subreddit"] == "pics"
    assert extras["declared"] == {"subreddit": "pics", "over_18": "false"}
    bad = CliRunner().invoke(app, ["ingest", str(f), "--db", str(tmp_path / "b.duckdb"),
                                   "--extra", "some"])  # fmt: skip
    assert bad.exit_code != 0
