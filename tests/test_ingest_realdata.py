"""The shared development exports (../shared/realdata/exports: real files as platforms wrote
them) read without --mapping, checked against counts derived here independently with plain
JSON/CSV parsing. Skipped where ../shared/realdata is absent."""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from audit.ingest import ingest_corpus
from audit.store import open_memory

REALDATA = Path(
    os.environ.get(
        "CORPUS_AUDIT_REALDATA", Path(__file__).resolve().parents[2] / "shared" / "realdata"
    )
)
EXPORTS = REALDATA / "exports"
pytestmark = pytest.mark.skipif(not EXPORTS.is_dir(), reason="no ../shared/realdata/exports")
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _js(path: Path) -> list:
    text = path.read_text(encoding="utf-8")
    return json.loads(text[text.index("=") + 1 :])


def _zst_lines(path: Path) -> list[dict]:
    import zstandard

    with path.open("rb") as fh:
        reader = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(fh)
        return [
            json.loads(line) for line in io.TextIOWrapper(reader, encoding="utf-8") if line.strip()
        ]


@pytest.fixture(scope="module")
def scanned() -> tuple[duckdb.DuckDBPyConnection, object]:
    con = open_memory()
    summary = ingest_corpus(con, EXPORTS)
    return con, summary


def by_file(con: duckdb.DuckDBPyConnection, name: str, sql: str, group: str = "") -> list[tuple]:
    return con.execute(
        f"SELECT {sql} FROM items WHERE source_file LIKE '%/' || ? {group}", [name]
    ).fetchall()


def test_every_export_is_read_without_a_mapping(scanned):
    con, s = scanned
    read = {Path(st.path).name: st.mapping for st in s.sources}
    assert read == {
        "tweets.js": "twitter_archive",
        "deleted-tweets.js": "twitter_archive",
        "note-tweet.js": "twitter_archive_note",
        "get_user_timeline_count.json": "twitter_v1",
        "tweets.json": "twitter_v1",
        "outbox.json": "mastodon_outbox",
        "fakermaker.repo.car": "bluesky_repo",
        "bafyreieovfuizojpw3zresz7sx3nk4trm2by23pt5rxbey3jme4uo5ogiu.car": "bluesky_repo",
        "posts_1.json": "instagram",
        "your_posts_1.json": "facebook",
        "messages.csv": "reddit_export_messages",
        "chat_history.csv": "reddit_export_chat",
        "RC_2006-01.zst": "reddit",
        "AskMen_submissions.zst": "reddit",
    }
    assert s.row_errors == 0


def test_x_archive_counts(scanned):
    con, _ = scanned
    folder = EXPORTS / "twitter_archive"
    tweets = [t["tweet"] for t in _js(folder / "tweets.js")]
    deleted = [t["tweet"] for t in _js(folder / "deleted-tweets.js")]
    ids = {
        (t.get("edit_info", {}).get("edit") or {}).get("initialTweetId", t["id_str"])
        for t in tweets
    }
    account = _js(folder / "account.js")[0]["account"]["accountId"]
    rows = by_file(con, "tweets.js", "count(*), count(DISTINCT author_id), any_value(author_id), "
                   "count(*) FILTER (WHERE visibility = 'public'), count(*) FILTER (WHERE deleted)")  # fmt: skip
    assert rows == [(len(ids), 1, account, len(ids), 0)]
    rows = by_file(con, "deleted-tweets.js", "count(*), count(*) FILTER (WHERE deleted)")
    assert rows == [(len(deleted), len(deleted))]
    # the account's e-mail in account.js never reaches the store
    email = _js(folder / "account.js")[0]["account"]["email"]
    assert email not in json.dumps(con.execute("SELECT * FROM items").fetchall(), default=str)


def test_twitter_v1_counts(scanned):
    con, _ = scanned
    for name in ("get_user_timeline_count.json", "tweets.json"):
        every = json.loads((EXPORTS / "twitter_v1" / name).read_text())
        # a retweet carries another account's tweet: a rejected row (code retweet), not an item
        statuses = [s for s in every if not s.get("retweeted_status")]
        retweets = con.execute(
            "SELECT count(*) FROM errors WHERE code = 'retweet' AND source_file LIKE ?",
            [f"%/{name}"],
        ).fetchall()[0][0]
        assert retweets == len(every) - len(statuses)
        want = Counter(
            "unknown"
            if "protected" not in s["user"]
            else ("followers" if s["user"]["protected"] else "public")
            for s in statuses
        )
        got = dict(by_file(con, name, "visibility, count(*)", "GROUP BY 1"))
        assert got == dict(want)
        assert by_file(con, name, "count(DISTINCT author_id)") == [
            (len({s["user"]["id_str"] for s in statuses}),)
        ]


def test_mastodon_outbox_counts(scanned):
    con, s = scanned
    folder = EXPORTS / "mastodon_outbox"
    activities = json.loads((folder / "outbox.json").read_text())["orderedItems"]
    creates = [a for a in activities if a["type"] == "Create"]

    def audience(o: dict) -> str:
        to, cc = o.get("to", []), o.get("cc", [])
        if PUBLIC in to:
            return "public"
        if PUBLIC in cc:
            return "unlisted"
        if any(x.endswith("/followers") for x in to + cc):
            return "followers"
        return "direct"

    want = Counter(audience(a["object"]) for a in creates)
    assert dict(by_file(con, "outbox.json", "visibility, count(*)", "GROUP BY 1")) == dict(want)
    assert s.not_items["boost"] == sum(a["type"] == "Announce" for a in activities)
    with_media = sum(bool(a["object"].get("attachment")) for a in creates)
    assert by_file(con, "outbox.json", "count(media_path)") == [(with_media,)]
    # actor.json has discoverable but no #noai/#nobot: no opt-out, and never noai
    assert by_file(con, "outbox.json", "count(*) FILTER (WHERE noai OR opt_out)") == [(0,)]


def test_bluesky_car_counts(scanned):
    import libipld

    con, _ = scanned
    for car in sorted((EXPORTS / "bluesky_car").glob("*.car")):
        _, blocks = libipld.decode_car(car.read_bytes())
        posts = sum(
            isinstance(b, dict) and b.get("$type") == "app.bsky.feed.post" for b in blocks.values()
        )
        rows = by_file(con, car.name, "count(*), count(DISTINCT author_id), "
                       "count(*) FILTER (WHERE visibility = 'public')")  # fmt: skip
        assert rows == [(posts, 1, posts)]


def test_meta_dyi_counts(scanned):
    con, _ = scanned
    ig = json.loads((EXPORTS / "instagram_dyi" / "posts_1.json").read_text())
    media = [m for p in ig for m in p["media"]]
    assert by_file(con, "posts_1.json", "count(*), count(DISTINCT media_path)") == [
        (len(media), len({m["uri"] for m in media}))
    ]
    with_gps = sum("latitude" in json.dumps(m.get("media_metadata", {})) for m in media)
    assert by_file(
        con, "posts_1.json", "count(*) FILTER (WHERE extra->>'location' IS NOT NULL)"
    ) == [(with_gps,)]
    fb = json.loads((EXPORTS / "facebook_dyi" / "your_posts_1.json").read_text())
    distinct = len({json.dumps(p, sort_keys=True) for p in fb})
    assert by_file(
        con, "your_posts_1.json", "count(*), count(*) FILTER (WHERE visibility = 'unknown')"
    ) == [(distinct, distinct)]


def test_reddit_data_request_counts(scanned):
    con, s = scanned
    folder = EXPORTS / "reddit_gdpr_csv"
    with (folder / "messages.csv").open(newline="") as fh:
        messages = list(csv.DictReader(fh))
    assert by_file(
        con, "messages.csv", "count(*), count(*) FILTER (WHERE visibility = 'direct')"
    ) == [(len(messages), len(messages))]
    ips = {m["ip"] for m in messages if m["ip"]}
    dump = json.dumps(con.execute("SELECT * FROM items").fetchall(), default=str)
    assert not any(ip in dump for ip in ips)
    skipped = {Path(p).name for p, _ in s.skipped_files}
    assert {"statistics.csv", "checkfile.csv", "post_headers.csv"} <= skipped


def test_pushshift_counts(scanned):
    con, _ = scanned
    for name in ("RC_2006-01.zst", "AskMen_submissions.zst"):
        records = _zst_lines(EXPORTS / "pushshift_zst" / name)
        deleted_authors = sum(r.get("author") == "[deleted]" for r in records)
        types = Counter(r.get("subreddit_type") for r in records)
        rows = by_file(con, name, "count(*), count(*) FILTER (WHERE author_id IS NULL AND deleted)")
        assert rows[0][0] == len({r["id"] for r in records})
        assert rows[0][1] >= deleted_authors  # [deleted] is a flag, never an author
        assert by_file(con, name, "count(*) FILTER (WHERE author_id = '[deleted]')") == [(0,)]
        unknown = by_file(con, name, "count(*) FILTER (WHERE visibility = 'unknown')")[0][0]
        assert unknown == types.get(None, 0)
