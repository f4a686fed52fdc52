"""Each recognised format on a small fixture in its real shape (field names as the platforms
write them; the records are invented), read without --mapping."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import duckdb
import pytest
from _car import Link, Repo, cid_of

from audit.errors import InputError
from audit.ingest import ingest_corpus
from audit.ingest.formats.exports import html_text
from audit.ingest.sniff import plan_target
from audit.store import open_memory


def q(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def items(con: duckdb.DuckDBPyConnection, *cols: str) -> dict[str, tuple]:
    rows = q(con, f"SELECT item_id, {', '.join(cols)} FROM items")
    return {r[0]: r[1:] for r in rows}


def ytd(name: str, records: list[dict]) -> str:
    """An X archive data file: ``window.YTD.<name>.part0 = [...]`` pretty-printed as X does."""
    return f"window.YTD.{name}.part0 = " + json.dumps(records, indent=2, separators=(",", " : "))


def tweet(id_: str, text: str, created: str, **extra: object) -> dict:
    return {"tweet": {"id_str": id_, "id": id_, "full_text": text, "created_at": created,
                      "entities": {"hashtags": [], "urls": []}, **extra}}  # fmt: skip


# ---------------------------------------------------------------- X / Twitter archive


def x_archive(root: Path, *, protected_history: list | None = None) -> Path:
    data = root / "data"
    data.mkdir(parents=True)
    edited = {
        "edit": {"initialTweetId": "100", "editControlInitial": {"editTweetIds": ["100", "101"]}}
    }
    (data / "tweets.js").write_text(
        ytd(
            "tweets",
            [
                tweet(
                    "100",
                    "first version, call me",
                    "Mon Mar 04 10:00:00 +0000 2024",
                    edit_info={"initial": {"editTweetIds": ["100", "101"]}},
                ),
                tweet(
                    "101",
                    "second version, fixed typo",
                    "Mon Mar 04 10:05:00 +0000 2024",
                    edit_info=edited,
                ),
                tweet(
                    "102",
                    "a photo",
                    "Tue Mar 05 08:00:00 +0000 2024",
                    extended_entities={
                        "media": [{"media_url_https": "https://pbs.twimg.com/media/AbC.jpg"}]
                    },
                ),
                tweet("103", "RT @someone: their words", "Wed Mar 06 08:00:00 +0000 2024"),
            ],
        )  # fmt: skip
    )
    (data / "deleted-tweets.js").write_text(
        ytd(
            "deleted_tweets",
            [
                tweet(
                    "90",
                    "regret",
                    "Sun Mar 03 09:00:00 +0000 2024",
                    deleted_at="Sun Mar 03 09:30:00 +0000 2024",
                )
            ],
        )  # fmt: skip
    )
    (data / "account.js").write_text(
        ytd(
            "account",
            [
                {
                    "account": {
                        "email": "owner@example.org",
                        "username": "owner_1",
                        "accountId": "555",
                        "createdAt": "2020-01-01T00:00:00.000Z",
                    }
                }
            ],
        )  # fmt: skip
    )
    (data / "profile.js").write_text(
        ytd("profile", [{"profile": {"description": {"bio": "I draw. #NoAI", "website": ""}}}])
    )
    manifest = {
        "dataTypes": {
            "protectedHistory": {"files": [{"fileName": "data/protected-history.js", "count": "0"}]}
        }
    }
    (data / "manifest.js").write_text("window.__THAR_CONFIG = " + json.dumps(manifest, indent=2))
    if protected_history is not None:
        (data / "protected-history.js").write_text(ytd("protected_history", protected_history))
    (data / "like.js").write_text(ytd("like", [{"like": {"tweetId": "7"}}]))
    return root


def test_x_archive(tmp_path):
    root = x_archive(tmp_path / "twitter-2024")
    con = open_memory()
    s = ingest_corpus(con, root)
    got = items(con, "author_id", "text", "visibility", "visibility_basis", "deleted",
                "created_at", "opt_out", "media_path", "url")  # fmt: skip
    # 3 tweets, one edited (2 versions = 1 item, the newest text kept) + 1 deleted tweet;
    # the retweet is another account's post: a rejected row, not an item
    assert set(got) == {"100", "102", "90"}
    assert s.not_items == {"retweet": 1}
    assert got["100"][1] == "second version, fixed typo"
    assert str(got["100"][5]) == "2024-03-04 10:05:00"  # v1.1 timestamps are read
    assert {v[0] for v in got.values()} == {"555"}  # author from account.js, never the email
    assert {v[2] for v in got.values()} == {"public"}
    assert "manifest.js" in got["100"][3]
    assert got["90"][4] is True and got["100"][4] is False
    assert {v[6] for v in got.values()} == {True}  # #NoAI in the bio
    assert got["102"][7] == "https://pbs.twimg.com/media/AbC.jpg"
    assert got["102"][8] == "https://x.com/owner_1/status/102"
    assert s.duplicates == 1
    dup = q(con, "SELECT message FROM errors WHERE code = 'duplicate_id'")[0][0]
    assert "newest edit" in dup
    skipped = {Path(p).name for p, _ in s.skipped_files}
    assert {"account.js", "profile.js", "manifest.js", "like.js"} <= skipped
    assert "owner@example.org" not in json.dumps(q(con, "SELECT * FROM items"), default=str)


def test_x_archive_protected_account(tmp_path):
    history = [
        {"protectedHistory": {"protectedAt": "2023-01-01T00:00:00.000Z", "action": "Protect"}}
    ]
    root = x_archive(tmp_path / "a", protected_history=history)
    con = open_memory()
    ingest_corpus(con, root)
    assert {r[0] for r in q(con, "SELECT DISTINCT visibility FROM items")} == {"followers"}


def test_x_archive_without_account_files_is_unknown(tmp_path):
    root = x_archive(tmp_path / "a")
    for name in ("account.js", "manifest.js", "profile.js"):
        (root / "data" / name).unlink()
    con = open_memory()
    ingest_corpus(con, root / "data" / "tweets.js")
    assert q(con, "SELECT DISTINCT visibility, author_id FROM items") == [("unknown", None)]


# ---------------------------------------------------------------- X API v1.1


def v1_status(id_: str, protected: bool | None, **extra: object) -> dict:
    user = {"id_str": "u" + id_, "screen_name": "s" + id_, "description": ""}
    if protected is not None:
        user["protected"] = protected
    return {"id": int(id_), "id_str": id_, "created_at": "Thu Mar 24 21:14:48 +0000 2022",
            "text": "tweet " + id_, "user": user, "entities": {}, **extra}  # fmt: skip


def test_twitter_v1_array_and_stream(tmp_path):
    folder = tmp_path / "v1"
    folder.mkdir()
    (folder / "timeline.json").write_text(
        json.dumps([v1_status("1", False), v1_status("2", True), v1_status("3", None)], indent=2)
    )
    with gzip.open(folder / "stream.jsonl.gz", "wt") as fh:
        for st in (v1_status("4", False, place={"full_name": "Manhattan, NY"}),):
            fh.write(json.dumps(st) + "\n")
    con = open_memory()
    s = ingest_corpus(con, folder)
    got = items(con, "visibility", "visibility_basis", "created_at", "author_id", "extra")
    assert {k: v[0] for k, v in got.items()} == {
        "1": "public", "2": "followers", "3": "unknown", "4": "public"}  # fmt: skip
    assert got["3"][1] == "not in the export: no user.protected"
    assert str(got["1"][2]) == "2022-03-24 21:14:48"
    assert json.loads(got["4"][4])["place"] == "Manhattan, NY"
    assert {st.mapping for st in s.sources} == {"twitter_v1"}
    # the pretty-printed array is read element by element with the element's line
    assert q(con, "SELECT source_row FROM items WHERE item_id = '2'")[0][0] > 1


# ---------------------------------------------------------------- Mastodon archive

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACTOR = "https://social.example/users/kim"


def note(n: int, to: list[str], cc: list[str], **extra: object) -> dict:
    obj = {"id": f"{ACTOR}/statuses/{n}", "type": "Note", "published": f"2024-01-0{n}T10:00:00Z",
           "url": f"https://social.example/@kim/{n}", "attributedTo": ACTOR, "to": to, "cc": cc,
           "content": f"<p>post {n}</p>", "summary": None, "attachment": [], **extra}  # fmt: skip
    return {"id": f"{obj['id']}/activity", "type": "Create", "actor": ACTOR,
            "published": obj["published"], "to": to, "cc": cc, "object": obj}  # fmt: skip


def mastodon_archive(root: Path) -> Path:
    root.mkdir(parents=True)
    followers = f"{ACTOR}/followers"
    items_ = [
        note(1, [PUBLIC], [followers]),
        note(2, [followers], [PUBLIC]),
        note(3, [followers], []),
        note(4, ["https://other.example/users/bo"], [], attachment=[
            {"type": "Document", "mediaType": "image/jpeg",
             "url": "/media_attachments/files/1/original/a.jpg"}]),
        {"id": f"{ACTOR}/statuses/9/activity", "type": "Announce", "actor": ACTOR,
         "published": "2024-01-09T00:00:00Z", "to": [PUBLIC], "cc": [],
         "object": "https://other.example/users/bo/statuses/1"},
    ]  # fmt: skip
    outbox = {"@context": "https://www.w3.org/ns/activitystreams", "id": "outbox.json",
              "type": "OrderedCollection", "totalItems": len(items_), "orderedItems": items_}  # fmt: skip
    (root / "outbox.json").write_text(json.dumps(outbox, indent=2))
    actor = {"id": ACTOR, "type": "Person", "preferredUsername": "kim", "followers": followers,
             "summary": "<p>photos <a href='#'>#nobot</a></p>", "discoverable": True,
             "indexable": False, "manuallyApprovesFollowers": True}  # fmt: skip
    (root / "actor.json").write_text(json.dumps(actor))
    (root / "likes.json").write_text(json.dumps({"type": "OrderedCollection", "orderedItems": []}))
    return root


def test_mastodon_archive(tmp_path):
    root = mastodon_archive(tmp_path / "archive")
    con = open_memory()
    s = ingest_corpus(con, root)
    got = items(con, "visibility", "author_id", "noai", "opt_out", "media_uri", "text")
    n = {k.rsplit("/", 1)[1]: v for k, v in got.items()}
    assert [n[i][0] for i in "1234"] == ["public", "unlisted", "followers", "direct"]
    assert {v[1] for v in got.values()} == {ACTOR}
    # indexable: false is a search setting, not a TDM reservation; #nobot is an opt-out
    assert {v[2] for v in got.values()} == {None}
    assert {v[3] for v in got.values()} == {True}
    assert n["4"][4] == str(root.resolve() / "media_attachments/files/1/original/a.jpg")
    assert n["1"][5] == "post 1"
    # the boost is another account's post: kept apart, not an item of this author
    assert s.not_items == {"boost": 1} and s.items == 4
    assert q(con, "SELECT source_row, rejected FROM errors WHERE code = 'boost'")[0][1] is True
    assert {Path(p).name for p, _ in s.skipped_files} == {"actor.json", "likes.json"}


@pytest.mark.parametrize("folder", ["tweets_media", "tweet_media"])
def test_x_archive_media_are_the_archive_files(tmp_path, folder):
    # Archives since 2020 keep photos in data/tweets_media/, earlier ones in data/tweet_media/.
    root = x_archive(tmp_path / "twitter")
    (root / "data" / folder).mkdir()
    (root / "data" / folder / "102-AbC.jpg").write_bytes(b"jpeg")
    con = open_memory()
    ingest_corpus(con, root)
    assert items(con, "media_uri")["102"][0] == str(
        (root / "data" / folder / "102-AbC.jpg").resolve()
    )


def test_mastodon_outbox_addressing_may_be_a_single_address(tmp_path):
    # ActivityStreams allows `to`/`cc` to be one address rather than a list.
    followers = f"{ACTOR}/followers"
    notes = [note(1, PUBLIC, followers), note(2, followers, PUBLIC), note(3, followers, []),
             note(4, "https://other.example/users/bo", [])]  # fmt: skip
    outbox = {"type": "OrderedCollection", "orderedItems": notes}
    (tmp_path / "outbox.json").write_text(json.dumps(outbox))
    con = open_memory()
    ingest_corpus(con, tmp_path)
    got = {k.rsplit("/", 1)[1]: v[0] for k, v in items(con, "visibility").items()}
    assert [got[i] for i in "1234"] == ["public", "unlisted", "followers", "direct"]


def test_mastodon_archive_reads_a_hashtag_as_mastodon_writes_it(tmp_path):
    # Mastodon renders a bio's hashtag as `#<span>nobot</span>` inside a link; the actor's
    # `tag` list may be absent. Removing tags with a space would leave "# nobot".
    root = mastodon_archive(tmp_path / "archive")
    actor = json.loads((root / "actor.json").read_text())
    actor["summary"] = (
        '<p>photos &amp; walks<br /><a href="https://social.example/tags/nobot" '
        'class="mention hashtag" rel="tag">#<span>nobot</span></a></p>'
    )
    (root / "actor.json").write_text(json.dumps(actor))
    con = open_memory()
    ingest_corpus(con, root)
    assert {v[0] for v in items(con, "opt_out").values()} == {True}


def test_html_text_keeps_words_whole_and_lines_apart():
    assert html_text("<p>a <a href='x'>#<span>noai</span></a></p><p>b&amp;c</p>") == "a #noai\nb&c"
    assert html_text("one<br>two") == "one\ntwo"


# ---------------------------------------------------------------- Bluesky CAR


def bluesky_repo(path: Path) -> Path:
    repo = Repo("did:plc:abc123")
    repo.commit({"app.bsky.feed.post/3old": {"$type": "app.bsky.feed.post", "text": "gone",
                                             "createdAt": "2024-01-01T00:00:00Z"}})  # fmt: skip
    image = Link(cid_of(b"jpeg bytes", 0x55))
    repo.commit({
        "app.bsky.actor.profile/self": {"$type": "app.bsky.actor.profile", "description": "hello",
            "labels": {"$type": "com.atproto.label.defs#selfLabels",
                       "values": [{"val": "!no-unauthenticated"}]}},
        "app.bsky.feed.post/3aaa": {"$type": "app.bsky.feed.post", "text": "plain",
                                    "createdAt": "2024-02-01T00:00:00Z"},
        "app.bsky.feed.post/3bbb": {"$type": "app.bsky.feed.post", "text": "with a photo",
            "createdAt": "2024-02-02T00:00:00Z",
            "embed": {"$type": "app.bsky.embed.images", "images": [
                {"alt": "", "image": {"$type": "blob", "ref": image, "mimeType": "image/jpeg", "size": 10}}]}},
        "app.bsky.feed.repost/3ccc": {"$type": "app.bsky.feed.repost", "createdAt": "2024-02-03T00:00:00Z",
            "subject": {"uri": "at://did:plc:other/app.bsky.feed.post/1", "cid": "bafyx"}},
        "app.bsky.feed.like/3ddd": {"$type": "app.bsky.feed.like", "createdAt": "2024-02-04T00:00:00Z",
            "subject": {"uri": "at://did:plc:other/app.bsky.feed.post/2", "cid": "bafyy"}},
    })  # fmt: skip
    return repo.write(path)


def test_bluesky_car(tmp_path):
    car = bluesky_repo(tmp_path / "repo.car")
    con = open_memory()
    s = ingest_corpus(con, car)
    got = items(con, "author_id", "visibility", "deleted", "media_path", "text")
    assert set(got) == {
        f"at://did:plc:abc123/app.bsky.feed.post/{k}" for k in ("3aaa", "3bbb", "3old")
    }
    post = "at://did:plc:abc123/app.bsky.feed.post/"
    assert {v[0] for v in got.values()} == {"did:plc:abc123"}
    assert {v[1] for v in got.values()} == {"unlisted"}  # profile self-label
    assert got[post + "3old"][2] is True and got[post + "3aaa"][2] is False
    assert got[post + "3bbb"][3].startswith(
        "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:abc123/bafkrei"
    )
    assert s.not_items == {"repost": 1}
    notes = [r[0] for r in q(con, "SELECT message FROM errors WHERE code = 'note_source'")]
    assert notes and "app.bsky.feed.like" in notes[0] and "app.bsky.actor.profile" in notes[0]


# ---------------------------------------------------------------- Instagram / Facebook DYI


def test_instagram_and_facebook_dyi(tmp_path):
    root = tmp_path / "instagram-owner-2024"
    (root / "your_instagram_activity" / "content").mkdir(parents=True)
    (root / "media" / "posts" / "202401").mkdir(parents=True)
    (root / "media" / "posts" / "202401" / "a.jpg").write_bytes(b"jpg")
    posts = [
        {"media": [{"uri": "media/posts/202401/a.jpg", "creation_timestamp": 1704103200,
                    "title": "beach day",
                    "media_metadata": {"photo_metadata": {"exif_data": [{"latitude": 50.2, "longitude": -5.4}]}}}]},
        {"title": "carousel", "creation_timestamp": 1704189600,
         "media": [{"uri": "media/posts/202401/b.jpg", "creation_timestamp": 1704189600, "title": ""},
                   {"uri": "media/posts/202401/c.jpg", "creation_timestamp": 1704189600, "title": ""}]},
    ]  # fmt: skip
    (root / "your_instagram_activity" / "content" / "posts_1.json").write_text(json.dumps(posts))
    # the rest of a DYI export is account data: listed as not items, never read as a corpus
    (root / "personal_information" / "personal_information").mkdir(parents=True)
    (
        root / "personal_information" / "personal_information" / "personal_information.json"
    ).write_text(
        json.dumps({"profile_user": [{"string_map_data": {"Email": {"value": "me@example.org"}}}]})
    )
    (root / "audit-out").mkdir()
    (root / "audit-out" / "audit.duckdb").write_bytes(b"")
    (root / "audit-out" / "report.json").write_text("{}")
    fb = tmp_path / "facebook-owner" / "your_facebook_activity" / "posts"
    fb.mkdir(parents=True)
    fb_posts = [
        {"timestamp": 1372444612, "data": [{"post": "at the lake"}, {"update_timestamp": 1372450000}],
         "attachments": [{"data": [{"place": {"name": "Lake Cafe",
                                              "coordinate": {"latitude": 52.1, "longitude": 21.0}}}]}]},
        {"timestamp": 1372965107, "attachments": [{"data": [{"external_context": {"url": "http://news.example/x"}}]}],
         "data": [{"update_timestamp": 1372965107}]},
    ]  # fmt: skip
    (fb / "your_posts__check_ins__photos_and_videos_1.json").write_text(json.dumps(fb_posts))
    con = open_memory()
    s = ingest_corpus(con, tmp_path)
    got = items(con, "platform", "text", "media_uri", "created_at", "extra", "visibility", "url")
    ig = {k: v for k, v in got.items() if v[0] == "instagram"}
    assert len(ig) == 3  # one item per media file: every photo of a carousel is analysed
    a = ig["media/posts/202401/a.jpg"]
    assert a[1] == "beach day" and a[2] == str((root / "media/posts/202401/a.jpg").resolve())
    assert json.loads(a[4])["location"] == "50.2,-5.4"
    assert ig["media/posts/202401/b.jpg"][1] == "carousel"  # the post's title
    fbi = [v for v in got.values() if v[0] == "facebook"]
    assert len(fbi) == 2
    lake = next(v for v in fbi if v[1] == "at the lake")
    assert json.loads(lake[4])["location"] == "Lake Cafe"
    assert {v[5] for v in got.values()} == {"unknown"}
    assert {st.mapping for st in s.sources} == {"instagram", "facebook"}
    assert "personal_information.json" in {Path(p).name for p, _ in s.skipped_files}
    assert "report.json" not in {Path(st.path).name for st in s.sources}


@pytest.mark.parametrize(
    "posts_folder", ["posts", "your_facebook_activity/posts", "this_profile's_activity/posts"]
)
def test_facebook_media_uris_resolve_against_the_export_root(tmp_path, posts_folder):
    # The uris start at the export root ("posts/media/..."), and the posts file's own folder
    # holds media/ too: that folder is not the root, or the path doubles (posts/posts/...).
    root = tmp_path / "facebook-owner"
    photo = Path(posts_folder) / "media" / "Album_1" / "p1.jpg"
    (root / photo).parent.mkdir(parents=True)
    (root / photo).write_bytes(b"jpg")
    post = {"timestamp": 1372444612, "data": [{"post": "a photo"}],
            "attachments": [{"data": [{"media": {"uri": str(photo), "creation_timestamp": 1}}]}]}  # fmt: skip
    (root / posts_folder / "your_posts_1.json").write_text(json.dumps([post]))
    for target in (tmp_path, root / posts_folder / "your_posts_1.json"):
        con = open_memory()
        ingest_corpus(con, target)
        assert [v[0] for v in items(con, "media_uri").values()] == [str((root / photo).resolve())]


def _meta_escaped(text: str) -> str:
    """How Meta's DYI exports write text: each UTF-8 byte as its own code point."""
    return text.encode("utf-8").decode("latin-1")


def test_meta_dyi_text_is_decoded_from_its_byte_escapes(tmp_path):
    ig = tmp_path / "instagram-owner" / "your_instagram_activity" / "content"
    ig.mkdir(parents=True)
    posts = [
        {"media": [{"uri": "media/posts/a.jpg", "creation_timestamp": 1704103200,
                    "title": _meta_escaped("Sebastião toca muito 🐸")}]},
        {"media": [{"uri": "media/posts/b.jpg", "creation_timestamp": 1704103200,
                    "title": "plain ascii"}]},
    ]  # fmt: skip
    (ig / "posts_1.json").write_text(json.dumps(posts))  # ensure_ascii: \u00XX escapes
    fb = tmp_path / "facebook-owner" / "your_facebook_activity" / "posts"
    fb.mkdir(parents=True)
    fb_posts = [
        {"timestamp": 1372444612, "data": [{"post": _meta_escaped("Piotr świętował")}],
         "attachments": [{"data": [{"place": {"name": _meta_escaped("Kraków Café"),
                                              "coordinate": {"latitude": 50, "longitude": 19}}}]}]},
        # already proper text (a real "é", invalid as a UTF-8 byte sequence) is kept
        {"timestamp": 1372444613, "data": [{"post": "café au lait"}]},
        {"timestamp": 1372444614, "data": [{"post": "中文 text"}]},
    ]  # fmt: skip
    (fb / "your_posts_1.json").write_text(json.dumps(fb_posts))
    con = open_memory()
    ingest_corpus(con, tmp_path)
    got = items(con, "platform", "text", "extra")
    texts = {v[1] for v in got.values()}
    assert texts == {
        "Sebastião toca muito 🐸", "plain ascii", "Piotr świętował", "café au lait", "中文 text"
    }  # fmt: skip
    (piotr,) = [v for v in got.values() if v[1] == "Piotr świętował"]
    assert json.loads(piotr[2])["location"] == "Kraków Café"


# ---------------------------------------------------------------- Reddit data request


def test_reddit_data_request(tmp_path):
    root = tmp_path / "export_owner"
    root.mkdir()
    (root / "statistics.csv").write_text(
        "statistic,value\naccount name,owner77\nexport time,2024-04-06 11:26:33 UTC\n"
        "is_deleted,FALSE\nemail address,owner@example.org\n"
    )
    (root / "comments.csv").write_text(
        "id,permalink,date,ip,subreddit,gildings,link,parent,body,media\n"
        "k1,https://www.reddit.com/r/cats/comments/a/x/k1/,2023-10-31 01:01:15 UTC,203.0.113.7,"
        'cats,0,https://www.reddit.com/r/cats/comments/a/x/,t3_a,"two\nlines",\n'
        "k2,https://www.reddit.com/r/dogs/comments/b/y/k2/,2023-11-01 09:00:00 UTC,203.0.113.8,"
        "dogs,0,https://www.reddit.com/r/dogs/comments/b/y/,t3_b,[deleted],\n"
    )
    (root / "messages.csv").write_text(
        "id,permalink,thread_id,date,ip,from,to,subject,body\n"
        "m1,https://www.reddit.com/message/messages/m1,m1,2023-10-31 01:01:15 UTC,198.51.100.1,"
        "welcomebot,/u/owner77,Welcome!,hello there\n"
    )
    (root / "post_headers.csv").write_text("id,permalink,date,ip,subreddit,gildings,url\n")
    con = open_memory()
    s = ingest_corpus(con, root)
    got = items(con, "author_id", "visibility", "community", "text", "deleted", "created_at")
    assert got["reddit-k1"][:4] == ("owner77", "unknown", "r/cats", "two\nlines")
    assert got["reddit-k2"][4] is True
    assert got["reddit-message-m1"][:2] == ("welcomebot", "direct")
    assert str(got["reddit-k1"][5]) == "2023-10-31 01:01:15"
    dump = json.dumps(q(con, "SELECT * FROM items"), default=str)
    assert "203.0.113" not in dump and "198.51.100" not in dump  # the ip column is dropped
    assert "ip" not in {r[0] for r in q(con, "SELECT name FROM extra_columns")}
    skipped = {Path(p).name for p, _ in s.skipped_files}
    assert {"statistics.csv", "post_headers.csv"} <= skipped


# ---------------------------------------------------------------- Pushshift zstd


def zst(path: Path, lines: list[str], window_log: int = 31) -> Path:
    """A zstd file whose frame declares a 2**window_log window, as Pushshift's dumps do."""
    import zstandard

    params = zstandard.ZstdCompressionParameters.from_level(
        3, window_log=window_log, write_content_size=False
    )
    with (
        path.open("wb") as fh,
        zstandard.ZstdCompressor(compression_params=params).stream_writer(fh) as w,
    ):
        w.write(("\n".join(lines) + "\n").encode())
    return path


def test_pushshift_zst_with_a_2gb_window(tmp_path):
    comments = [
        {"id": "c1", "author": "alice", "body": "hi", "subreddit": "pics", "created_utc": 1136074029,
         "edited": False, "retrieved_on": 1473821517},
        {"id": "c2", "author": "[deleted]", "body": "[deleted]", "subreddit": "pics",
         "created_utc": 1136074030, "edited": False},
        {"id": "c3", "author": "bob", "body": "first text", "subreddit": "pics", "created_utc": 1136074031,
         "edited": False},
        {"id": "c3", "author": "bob", "body": "edited text", "subreddit": "pics", "created_utc": 1136074031,
         "edited": 1136080000},
    ]  # fmt: skip
    f = zst(tmp_path / "RC_2006-01.zst", [json.dumps(c) for c in comments])
    with pytest.raises(duckdb.Error):  # DuckDB's own reader refuses the 2 GB window
        duckdb.sql(f"SELECT count(*) FROM read_ndjson_objects('{f}')").fetchall()
    con = open_memory()
    s = ingest_corpus(con, f)
    got = items(con, "author_id", "deleted", "text", "visibility", "community", "edited_at")
    assert s.items == 3 and s.duplicates == 1
    assert got["t1_c2"][:2] == (None, True)  # [deleted] is a flag, never an author
    assert got["t1_c3"][2] == "edited text"  # the newest edit wins, not the first row
    assert {v[3] for v in got.values()} == {"unknown"}  # comments have no subreddit_type
    assert {v[4] for v in got.values()} == {"r/pics"}
    assert q(con, "SELECT count(DISTINCT author_id) FROM items") == [(2,)]


# ---------------------------------------------------------------- JSON documents, gzip


def test_generic_json_array_document_and_gzip(tmp_path):
    doc = tmp_path / "items.json"
    doc.write_text(
        json.dumps([{"item_id": "a", "text": "x"}, {"item_id": "b", "text": "y"}], indent=4)
    )
    with gzip.open(tmp_path / "more.jsonl.gz", "wt") as fh:
        fh.write('{"item_id": "c", "text": "z"}\n')
    con = open_memory()
    s = ingest_corpus(con, tmp_path)
    assert s.items == 3 and s.rejected == 0
    assert q(con, "SELECT item_id, source_row FROM items ORDER BY 1") == [
        ("a", 2),
        ("b", 6),
        ("c", 1),
    ]


# ---------------------------------------------------------------- webdataset shards


def webdataset_shard(folder: Path, n: int = 3) -> Path:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    shard = folder / "00000.tar"
    with tarfile.open(shard, "w") as tf:
        for i in range(n):
            key = f"{i:09d}"
            buf = io.BytesIO()
            Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(buf, "JPEG")
            meta = {"key": key, "url": f"https://img.example/{i}.jpg", "caption": f"caption {i}",
                    "status": "success", "width": 8, "height": 8, "LICENSE": "?"}  # fmt: skip
            for ext, data in ((".jpg", buf.getvalue()), (".json", json.dumps(meta).encode()),
                              (".txt", f"caption {i}".encode())):  # fmt: skip
                info = tarfile.TarInfo(key + ext)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    stats = folder / "00000.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM (VALUES ('000000000', 'success', NULL), "
        f"('000000009', 'failed_to_download', 'Use of image disallowed by X-Robots-Tag directive')) "
        f"t(key, status, error_message)) TO '{stats}' (FORMAT parquet)"
    )
    return folder


def test_webdataset_shard(tmp_path):
    folder = webdataset_shard(tmp_path / "shards")
    cache = tmp_path / "cache"
    con = open_memory()
    s = ingest_corpus(con, folder, media_cache=cache)
    got = items(con, "text", "media_uri", "url", "license", "extra")
    assert set(got) == {"000000000", "000000001", "000000002"}
    for _text, uri, url, lic, extra in got.values():
        assert Path(uri).is_file() and Path(uri).parent.parent == cache  # content-addressed
        assert url.startswith("https://img.example/") and lic is None
        assert json.loads(extra)["__member__"].startswith("00000.tar/")
    assert got["000000001"][0] == "caption 1"
    assert "00000.parquet" in {Path(p).name for p, _ in s.skipped_files}
    note = q(
        con, "SELECT message FROM errors WHERE code = 'note_source_note' OR code = 'note_source'"
    )
    assert note and "refused by the site" in note[0][0]
    # the image detectors read the extracted files like any local image
    from audit.media import hash_media

    hash_media(con)
    assert q(con, "SELECT DISTINCT status FROM media_files") == [("ok",)]


# ---------------------------------------------------------------- recognition


def test_recognition_names_the_reader_and_preset(tmp_path):
    x_archive(tmp_path / "x")
    mastodon_archive(tmp_path / "m")
    bluesky_repo(tmp_path / "b.car")
    plan = plan_target(str(tmp_path), None, "test")
    chosen = {s.path.name: (s.format, s.mapping_ref) for s in plan.sources}
    assert chosen == {
        "tweets.js": ("json", "twitter_archive"),
        "deleted-tweets.js": ("json", "twitter_archive"),
        "outbox.json": ("json", "mastodon_outbox"),
        "b.car": ("car", "bluesky_repo"),
    }
    # --mapping overrides the recognised preset
    plan = plan_target(str(tmp_path / "b.car"), "generic", "test")
    assert plan.sources[0].mapping_ref == "generic"


def test_extra_keeps_every_unmapped_field_or_only_the_declared_ones(tmp_path):
    """items.extra keeps every unmapped source field (DESIGN: rules may name any), plus the
    declared ones the mapping consumes; `extra="declared"` (`--extra declared`, for bulk
    dumps) keeps only the declared fields, null/absent ones left out."""
    f = tmp_path / "RC.jsonl"
    rows = [
        {"id": "c1", "author": "a", "body": "b \"quoted\"", "subreddit": "s\u00e9",
         "created_utc": 1, "score": 3, "gilded": 0, "over_18": True, "quarantine": None},
        {"id": "c2", "author": "a", "body": "b", "created_utc": 2},
    ]  # fmt: skip
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    con = open_memory()
    ingest_corpus(con, f)
    kept = json.loads(q(con, "SELECT extra FROM items WHERE item_id = 't1_c1'")[0][0])
    assert {"subreddit", "score", "gilded", "over_18"} <= set(kept)
    assert kept["subreddit"] == "s\u00e9"  # consumed by `community`, declared: kept too
    assert "body" not in kept and "author" not in kept  # mapped fields are not repeated
    con = open_memory()
    ingest_corpus(con, f, extra="declared")
    extras = dict(q(con, "SELECT item_id, extra FROM items"))
    assert json.loads(extras["t1_c1"]) == {"subreddit": "s\u00e9", "over_18": "true"}
    assert extras["t1_c2"] is None  # no declared field in the record: no extra at all
    with pytest.raises(InputError, match="extra must be one of all, declared"):
        ingest_corpus(open_memory(), f, extra="some")
