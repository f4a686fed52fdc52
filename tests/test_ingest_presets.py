"""Each mapping preset on a small fixture in its platform's export shape, and on the real
samples in ../shared/realdata when present (skipped otherwise)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from audit.errors import InputError
from audit.ingest import ingest_corpus
from audit.ingest.mapping import load_mapping, parse_mapping, preset_names
from audit.store import open_memory

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
REALDATA = Path(
    os.environ.get(
        "CORPUS_AUDIT_REALDATA", Path(__file__).resolve().parents[2] / "shared" / "realdata"
    )
)
SOCIAL = REALDATA / "social_exports"
needs_realdata = pytest.mark.skipif(not SOCIAL.is_dir(), reason="no ../shared/realdata")


def parquet(path: Path, values: str, columns: str) -> Path:
    """A Parquet file of the SQL ``values`` rows with these ``columns``."""
    duckdb.connect().execute(
        f"COPY (SELECT * FROM (VALUES {values}) t({columns})) TO '{path}' (FORMAT parquet)"
    )
    return path


def items(con: duckdb.DuckDBPyConnection, *cols: str) -> dict[str, tuple]:
    sql = f"SELECT item_id, {', '.join(cols)} FROM items"
    return {r[0]: r[1:] for r in con.execute(sql).fetchall()}


def test_every_preset_loads():
    assert set(preset_names()) >= {
        "generic",
        "mastodon",
        "bluesky",
        "reddit",
        "twitter_v2",
        "laion",
    }
    for name in preset_names():
        assert load_mapping(name).spec("item_id") is not None


def test_mapping_with_unknown_key_or_column_is_rejected():
    with pytest.raises(InputError, match=r"my.yaml: invalid mapping: fields.item_id.*regex"):
        parse_mapping("fields: {item_id: {path: id, regex: x}}", "my.yaml")
    with pytest.raises(InputError, match="unknown canonical column"):
        parse_mapping("fields: {item_id: id, subreddit: sub}", "my.yaml")


def test_mastodon():
    con = open_memory()
    ingest_corpus(con, FIXTURES / "mastodon" / "statuses.jsonl", "mastodon")
    got = items(
        con, "visibility", "noai", "text", "media_path", "author_id", "platform", "extra", "opt_out"
    )
    uri = "https://social.example/users/{}/statuses/{}".format
    assert set(got) == {
        uri("alice", "1001"),
        uri("bob", "1002"),
        uri("carol", "1003"),
        uri("alice", "1004"),
    }
    assert [
        got[uri(a, i)][0]
        for a, i in [("alice", "1001"), ("bob", "1002"), ("carol", "1003"), ("alice", "1004")]
    ] == ["public", "unlisted", "followers", "direct"]
    # indexable: false / noindex: true are search-indexing settings, not a TDM reservation:
    # no item gets noai from them (they stay in extra), and nobody opted out here.
    assert {v[1] for v in got.values()} == {None}
    assert {v[7] for v in got.values()} == {None}
    assert json.loads(got[uri("bob", "1002")][6])["account"]["indexable"] is False
    assert got[uri("alice", "1001")][2] == "Hello world & friends\n\nline two\nthree"
    assert got[uri("alice", "1001")][3] == "https://files.social.example/media/a.jpg"
    assert got[uri("alice", "1001")][4:6] == ("alice", "mastodon")
    extra = json.loads(got[uri("alice", "1001")][6])
    assert extra["account"]["discoverable"] is True and "content" not in extra
    assert "sensitive" in {r[0] for r in con.execute("SELECT name FROM extra_columns").fetchall()}


def test_bluesky():
    con = open_memory()
    s = ingest_corpus(con, FIXTURES / "bluesky" / "posts.jsonl", "bluesky")
    assert s.items == 4 and s.rejected == 0
    got = items(con, "visibility", "media_path", "text", "author_id", "created_at")
    assert got["at://did:plc:aaa/app.bsky.feed.post/3k1"][:2] == (
        "public",
        "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:aaa/bafk1@jpeg",
    )
    assert got["at://did:plc:bbb/app.bsky.feed.post/3k2"][0] == "unlisted"  # author label
    assert got["at://did:plc:ccc/app.bsky.feed.post/3k3"][0] == "unlisted"  # post label
    bare = [v for k, v in got.items() if k.startswith("sha256:")]
    assert len(bare) == 1 and bare[0][2] == "a bare record" and bare[0][4] is not None


def test_reposts_are_kept_apart_and_long_posts_read_whole(tmp_path):
    # A retweet / boost carries another account's post: a rejected row with its code, never
    # an item of the account that shared it. A long X post is whole only in note_tweet.text.
    long_text = "a long post " * 30 + "call 555-0100"
    page = {
        "data": [
            {"id": "1", "author_id": "u1", "created_at": "2024-01-01T00:00:00Z",
             "text": long_text[:270] + "…", "note_tweet": {"text": long_text}},
            {"id": "2", "author_id": "u1", "created_at": "2024-01-02T00:00:00Z",
             "text": "RT @other: their words…",
             "referenced_tweets": [{"type": "retweeted", "id": "9"}]},
            {"id": "3", "author_id": "u1", "created_at": "2024-01-03T00:00:00Z",
             "text": "my take", "referenced_tweets": [{"type": "quoted", "id": "9"}]},
        ],
        "includes": {"users": [{"id": "u1", "protected": False}]},
    }  # fmt: skip
    v2 = tmp_path / "v2.jsonl"
    v2.write_text(json.dumps(page) + "\n")
    user = {"id_str": "u1", "screen_name": "me", "protected": False}
    v1 = tmp_path / "v1.json"
    v1.write_text(json.dumps([
        {"id_str": "10", "created_at": "Mon Jan 01 00:00:00 +0000 2024", "text": "mine", "user": user},
        {"id_str": "11", "created_at": "Mon Jan 01 00:00:00 +0000 2024", "text": "RT @o: x",
         "user": user, "retweeted_status": {"id_str": "8", "text": "x", "user": {"id_str": "o"}}},
    ]))  # fmt: skip
    status = {"uri": "https://m.example/users/me/statuses/{}", "account": {"acct": "me"},
              "created_at": "2024-01-01T00:00:00Z", "visibility": "public", "reblog": None}  # fmt: skip
    boosted = {**status, "uri": "https://m.example/users/o/statuses/5", "content": "<p>theirs</p>"}
    masto = tmp_path / "statuses.jsonl"
    masto.write_text(
        json.dumps({**status, "uri": status["uri"].format(20), "content": "<p>mine</p>"}) + "\n"
        + json.dumps({**status, "uri": status["uri"].format(21), "content": "", "reblog": boosted})
        + "\n"
    )  # fmt: skip
    for path, preset, kept, code in [
        (v2, "twitter_v2", {"1", "3"}, "retweet"),
        (v1, "twitter_v1", {"10"}, "retweet"),
        (masto, "mastodon", {status["uri"].format(20)}, "boost"),
    ]:
        con = open_memory()
        s = ingest_corpus(con, path, preset)
        assert set(items(con, "text")) == kept and s.not_items == {code: 1}, preset
    con = open_memory()
    ingest_corpus(con, v2, "twitter_v2")
    assert items(con, "text")["1"] == (long_text,)


def test_bluesky_records_as_list_records_returns_them(tmp_path):
    # com.atproto.repo.listRecords / getRecord shape: {uri, cid, value}. The author is only
    # in the at:// URI; labels and image blobs are inside `value`.
    did = "did:plc:zz9"

    def record(rkey: str, **value: object) -> dict:
        value = {"$type": "app.bsky.feed.post", "text": f"post {rkey}",
                 "createdAt": "2024-03-01T00:00:00Z", **value}  # fmt: skip
        return {"uri": f"at://{did}/app.bsky.feed.post/{rkey}", "cid": "bafyc", "value": value}

    image = {"$type": "blob", "ref": {"$link": "bafkimg"}, "mimeType": "image/jpeg", "size": 9}
    lines = [
        record("a"),
        record("b", labels={"$type": "com.atproto.label.defs#selfLabels",
                            "values": [{"val": "!no-unauthenticated"}]}),
        record("c", embed={"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": image}]}),
        record("d", embed={"$type": "app.bsky.embed.recordWithMedia",
                           "media": {"$type": "app.bsky.embed.images", "images": [{"image": image}]}}),
        {"uri": f"at://{did}/app.bsky.feed.like/e", "cid": "bafyl",
         "value": {"$type": "app.bsky.feed.like", "createdAt": "2024-03-01T00:00:00Z"}},
    ]  # fmt: skip
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    con = open_memory()
    s = ingest_corpus(con, path, "bluesky")
    assert s.items == 4 and s.not_items == {"not_a_post": 1}
    got = {
        k.rsplit("/", 1)[1]: v
        for k, v in items(con, "author_id", "visibility", "media_path").items()
    }
    assert {v[0] for v in got.values()} == {did}
    assert [got[k][1] for k in "abcd"] == ["public", "unlisted", "public", "public"]
    cdn = f"https://cdn.bsky.app/img/feed_fullsize/plain/{did}/bafkimg@jpeg"
    assert [got[k][2] for k in "abcd"] == [None, None, cdn, cdn]


def test_extract_keeps_the_first_group_and_checks_the_pattern(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id,link\n1,https://x.example/u/ann/p/1\n2,elsewhere\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "fields:\n  item_id: id\n  author_id: {path: link, extract: '/u/([^/]+)/'}\n"
    )
    con = open_memory()
    ingest_corpus(con, path, mapping)
    assert items(con, "author_id") == {"1": ("ann",), "2": (None,)}
    with pytest.raises(InputError, match="needs a \\(group\\)"):
        parse_mapping("fields: {item_id: {path: id, extract: 'u/x'}}", "my.yaml")
    with pytest.raises(InputError, match="extract is not a valid regular expression"):
        parse_mapping("fields: {item_id: {path: id, extract: 'u/(x'}}", "my.yaml")
    # checked by the engine that runs it: RE2 has no look-ahead, and has \\pL
    with pytest.raises(InputError, match="extract is not a valid regular expression"):
        parse_mapping("fields: {item_id: {path: id, extract: '(?=a)(b)'}}", "my.yaml")
    parse_mapping("fields: {item_id: {path: id, extract: '(\\pL+)'}}", "my.yaml")
    with pytest.raises(InputError, match="matches is not a valid regular expression"):
        parse_mapping("fields: {item_id: id, opt_out: {any: [{path: bio, matches: '(?=x)'}]}}", "m")


def test_reddit():
    con = open_memory()
    folder = FIXTURES / "reddit"
    s = ingest_corpus(con, str(folder / "*.jsonl"), "reddit")
    got = items(con, "visibility", "deleted", "text", "media_path", "created_at", "url")
    assert s.items == 9
    assert got["t3_s1"][:3] == ("public", False, "Title s1\n\nbody text")
    assert got["t3_s2"][0] == "private" and got["t3_s2"][3] == "https://i.redd.it/abc.jpg"
    assert str(got["t3_s2"][4]) == "2023-11-14 22:13:20.500000"
    assert got["t3_s3"][:2] == ("public", True)  # restricted is readable; [deleted]
    assert got["t3_s4"][:2] == ("public", True)  # user sub; removed_by_category
    assert got["t3_s4"][3] == "https://example.org/photo.PNG?x=1"
    assert got["t3_s5"][0] == "unknown"  # no subreddit_type: never assumed public
    basis = dict(con.execute("SELECT item_id, visibility_basis FROM items").fetchall())
    assert basis["t3_s5"] == "not in the export: the dump has no subreddit_type"
    assert basis["t3_s2"] == "subreddit_type: private"
    assert got["t1_c2"][1] is True and got["t1_c3"][2] == "no name field"
    assert got["t3_s6"][4] is None
    assert con.execute(
        "SELECT source_row, code FROM errors WHERE item_id = 't3_s6'"
    ).fetchall() == [(6, "bad_timestamp")]
    assert got["t1_c1"][5] == "https://www.reddit.com/r/pics/comments/s1/x/c1/"
    extra = {r[0] for r in con.execute("SELECT name FROM extra_columns").fetchall()}
    assert {"subreddit", "over_18"} <= extra


def test_twitter_v2():
    con = open_memory()
    s = ingest_corpus(con, FIXTURES / "twitter" / "tweets.jsonl", "twitter_v2")
    got = items(con, "visibility", "media_path", "author_id", "source_row", "text")
    assert set(got) == {"1500", "1501", "1502"}
    assert got["1500"][:4] == ("public", "https://pbs.twimg.com/media/abc.jpg", "u1", 1)
    assert got["1501"][:2] == ("followers", None)
    assert got["1502"][3] == 3 - 1 and got["1502"][4] == "a single tweet object"
    assert s.rejected == 0
    assert con.execute(
        "SELECT code, source_row FROM errors WHERE code NOT LIKE 'note_%'"
    ).fetchall() == [("empty_page", 3)]


def test_laion_400m_rows_are_their_sample_ids(tmp_path):
    # LAION-400M's metadata has SAMPLE_ID (written as a float); two captions of one URL are
    # two samples, not a duplicate.
    f = parquet(
        tmp_path / "part-00000.parquet",
        "(7.0::DOUBLE, 'https://a.example/1.jpg', 'a cat'), "
        "(8.0, 'https://a.example/1.jpg', 'the same cat'), (9.5, 'https://a.example/2.jpg', 'x'), "
        "('nan'::DOUBLE, 'https://a.example/3.jpg', 'no id'), "
        "('nan'::DOUBLE, 'https://a.example/4.jpg', 'no id either')",
        "SAMPLE_ID, URL, TEXT",
    )
    con = open_memory()
    s = ingest_corpus(con, f)
    assert s.items == 5 and s.duplicates == 0
    got = {k: v[0] for k, v in items(con, "text").items()}
    assert {k: v for k, v in got.items() if not k.startswith("url-sha256:")} == {
        "7": "a cat", "8": "the same cat", "9.5": "x"
    }  # fmt: skip
    # a NaN SAMPLE_ID is no id: the URL's hash stands in
    assert sorted(v for k, v in got.items() if k.startswith("url-sha256:")) == [
        "no id", "no id either"
    ]  # fmt: skip


def test_float_columns_still_match_the_mappings_float_literals(tmp_path):
    f = parquet(
        tmp_path / "f.parquet",
        "('a', 1.0::DOUBLE, -1.0::DOUBLE), ('b', 0.0, 5.0)",
        "id, score, owner",
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "skip: [{when: {path: score, in: [0.0]}, code: zero, reason: zero score}]\n"
        "fields:\n  item_id: id\n  author_id: {path: owner, null_if: [-1.0]}\n"
        "  visibility: {case: [{when: {path: score, eq: 1.0}, then: public}], else: private}\n"
    )
    con = open_memory()
    s = ingest_corpus(con, f, mapping)
    assert items(con, "author_id", "visibility") == {"a": (None, "public")}
    assert s.not_items == {"zero": 1}


def test_laion(tmp_path):
    f = parquet(
        tmp_path / "laion.parquet",
        "('https://a.example/1.jpg', 'a cat', '?', 'UNLIKELY', 0.31, 640, 480), "
        "('https://a.example/2.jpg', 'by Jane Doe', 'cc-by', 'NSFW', 0.28, 320, 200)",
        "URL, TEXT, LICENSE, NSFW, similarity, WIDTH, HEIGHT",
    )
    con = open_memory()
    s = ingest_corpus(con, f, "laion")
    got = items(con, "license", "visibility", "media_uri", "text")
    assert s.items == 2
    ids = sorted(got)
    assert all(i.startswith("url-sha256:") for i in ids)
    lic = {v[3]: v[0] for v in got.values()}
    assert lic == {"a cat": None, "by Jane Doe": "cc-by"}
    assert {v[1] for v in got.values()} == {"unknown"}
    assert {v[2] for v in got.values()} == {"https://a.example/1.jpg", "https://a.example/2.jpg"}
    types = dict(con.execute("SELECT * FROM extra_columns").fetchall())
    assert types["NSFW"] == "VARCHAR" and types["WIDTH"] == "INTEGER"
    again = open_memory()
    ingest_corpus(again, f, "laion")
    assert sorted(items(again)) == ids  # the URL hash is stable


def _unwrap(src: Path, key: str, out: Path) -> Path:
    with src.open() as fh, out.open("w") as o:
        for line in fh:
            o.write(json.dumps(json.loads(line)[key]) + "\n")
    return out


@needs_realdata
def test_real_mastodon(tmp_path):
    f = _unwrap(
        SOCIAL / "mastodon" / "mastodonpy_cassettes_statuses.jsonl", "status", tmp_path / "m.jsonl"
    )
    con = open_memory()
    s = ingest_corpus(con, f, "mastodon")
    assert s.items + s.rejected == 239 and s.row_errors == 0
    vis = s.visibility
    assert set(vis) == {"public", "unlisted", "followers", "direct"}
    # account.indexable / noindex are search settings: never a TDM reservation (noai)
    assert con.execute("SELECT count(*) FROM items WHERE noai").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM items WHERE text LIKE '%<p>%'").fetchone()[0] == 0


@needs_realdata
def test_real_reddit(tmp_path):
    subs = _unwrap(
        SOCIAL / "reddit" / "praw_cassettes_submissions_t3.jsonl", "data", tmp_path / "s.jsonl"
    )
    _unwrap(SOCIAL / "reddit" / "praw_cassettes_comments_t1.jsonl", "data", tmp_path / "c.jsonl")
    con = open_memory()
    s = ingest_corpus(con, subs.parent, "reddit")
    assert s.items + s.rejected == 700 and s.row_errors == 0
    # submissions carry subreddit_type; PRAW's comments do not: unknown, not public
    assert set(s.visibility) == {"public", "private", "unknown"}
    assert con.execute("SELECT count(*) FROM items WHERE deleted").fetchone()[0] >= 68
    assert con.execute("SELECT count(*) FROM items WHERE created_at IS NULL").fetchone()[0] == 0


@needs_realdata
def test_real_twitter_and_bluesky(tmp_path):
    tw = tmp_path / "tw.jsonl"
    with (
        (SOCIAL / "twitter" / "tweepy_cassettes_v2_responses.jsonl").open() as fh,
        tw.open("w") as o,
    ):
        for line in fh:
            r = json.loads(line)
            if "/tweets" in r["uri"] and isinstance(r["body"], dict) and "data" in r["body"]:
                o.write(json.dumps(r["body"]) + "\n")
    con = open_memory()
    s = ingest_corpus(con, tw, "twitter_v2")
    assert s.items > 10
    assert con.execute("SELECT count(*) FROM items WHERE text IS NULL").fetchone()[0] < s.items
    thread = json.loads(
        (
            SOCIAL / "bluesky" / "marshalx_atproto_testdata_thread_view_post_with_embed_media.json"
        ).read_text()
    )
    bs = tmp_path / "bs.jsonl"
    bs.write_text(json.dumps(thread["thread"]["post"]) + "\n")
    s = ingest_corpus(con, bs, "bluesky")
    row = con.execute("SELECT item_id, visibility, media_path FROM items").fetchone()
    assert (
        row[0].startswith("at://")
        and row[1] == "public"
        and row[2].startswith("https://cdn.bsky.app/")
    )


@needs_realdata
def test_real_laion():
    con = open_memory()
    s = ingest_corpus(
        con, SOCIAL / "laion_img2dataset" / "img2dataset_tests_test_1000.parquet", "laion"
    )
    assert s.items + s.rejected == 1000
    assert (
        con.execute("SELECT count(*) FROM items WHERE media_uri LIKE 'http%'").fetchone()[0]
        == s.items
    )
