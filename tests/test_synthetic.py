"""Tests for audit.synth.corpus* and the committed sample corpus in sample_data/."""

from __future__ import annotations

import csv
import hashlib
import json
import random
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from PIL import Image

from audit.schema import CANONICAL_COLUMNS
from audit.synth import templates as tpl
from audit.synth.corpus import canonical_rows, caption, labelled_captions, synthetic_items_sql
from audit.synth.values import iban_valid, luhn_valid
from tools.embedded_writer import GPS_IFD, dms_to_decimal
from tools.sample import build as build_sample

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


@pytest.fixture(scope="module")
def captions():
    return labelled_captions(3000, seed=11)


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- generators ---------------------------------------------------------------------------


def test_captions_are_deterministic_and_seed_dependent():
    assert labelled_captions(200, 3) == labelled_captions(200, 3)
    assert labelled_captions(200, 3) != labelled_captions(200, 4)


def test_captions_do_not_touch_global_random_state():
    random.seed(123)
    expected = random.random()
    random.seed(123)
    labelled_captions(50, 1)
    assert random.random() == expected


def test_span_offsets_cover_nonblank_values_without_overlap(captions):
    for c in captions:
        previous_end = 0
        for span in c.spans:
            value = c.text[span.start : span.end]
            assert value and value == value.strip(), (c.text, span)
            assert span.start >= previous_end, c.text
            previous_end = span.end


def test_checksummed_values_are_valid(captions):
    values = Counter()
    for c in captions:
        for entity, value in c.values():
            values[entity] += 1
            if entity == "CREDIT_CARD":
                assert luhn_valid(value), value
            elif entity == "IBAN_CODE":
                assert iban_valid(value), value
            elif entity == "US_SSN":
                area = int(value[:3])
                assert 0 < area < 900 and area != 666, value
    assert values["CREDIT_CARD"] > 10 and values["IBAN_CODE"] > 10 and values["US_SSN"] > 10


def test_checksum_helpers_reject_bad_numbers():
    assert luhn_valid("4111 1111 1111 1111") and not luhn_valid("4111 1111 1111 1112")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and not iban_valid(
        "GB83 WEST 1234 5698 7654 32"
    )


def test_hard_negatives_are_never_labelled(captions):
    rng = random.Random(0)
    assert all(not caption(rng, "negative").spans for _ in range(200))
    stems = [t.split("{")[0][:25] for t in tpl.NEGATIVE]
    negatives = [c for c in captions if any(c.text.startswith(s) for s in stems)]
    assert len(negatives) > 100
    assert all(not c.spans for c in negatives)


def test_caption_mix_is_realistic(captions):
    n = len(captions)
    pii = sum(any(s.entity_type != "AGE_CUE" for s in c.spans) for c in captions) / n
    age = sum(any(s.entity_type == "AGE_CUE" for s in c.spans) for c in captions) / n
    exact_dupes = n - len({c.text for c in captions})
    assert 0.33 < pii < 0.48
    assert 0.05 < age < 0.12
    assert exact_dupes / n > 0.04
    assert all(55 <= len(c.text) <= 260 for c in captions)
    entity_types = {s.entity_type for c in captions for s in c.spans}
    assert {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "STREET_ADDRESS",
        "LOCATION",
        "IP_ADDRESS",
        "URL",
    } <= entity_types
    assert {"DATE_TIME", "SOCIAL_HANDLE", "AGE_CUE"} <= entity_types


def test_canonical_rows_shape_and_author_consistency():
    rows = list(canonical_rows(2000, 5, image_paths=["a.jpg"]))
    assert rows == list(canonical_rows(2000, 5, image_paths=["a.jpg"]))
    assert all(list(r) == list(CANONICAL_COLUMNS) for r in rows)
    assert len({r["item_id"] for r in rows}) == 2000
    births: dict[str, object] = {}
    for r in rows:
        assert births.setdefault(r["author_id"], r["author_birth_date"]) == r["author_birth_date"]
    assert len(births) < 400  # authors post several items each
    assert 100 < sum(r["media_path"] is not None for r in rows) < 320


def test_synthetic_items_sql_builds_canonical_table():
    con = duckdb.connect()
    sql = synthetic_items_sql(5000, 9, image_paths=["x.jpg", "it's.png"])  # a quote to escape
    con.execute(f"CREATE TABLE items AS {sql}")
    described = {name: typ for name, typ, *_ in con.execute("DESCRIBE items").fetchall()}
    assert described == CANONICAL_COLUMNS
    n, ids, authors, media, vis = con.execute(
        "SELECT count(*), count(DISTINCT item_id), count(DISTINCT author_id), count(media_path), "
        "count(DISTINCT visibility) FROM items"
    ).fetchone()
    assert (n, ids) == (5000, 5000) and authors < 1000 and 300 < media < 700 and vis == 6
    again = con.execute(f"SELECT * FROM ({sql}) ORDER BY item_id").fetchall()
    assert again == con.execute("SELECT * FROM items ORDER BY item_id").fetchall()


# --- committed sample -------------------------------------------------------------------------


def test_sample_counts_and_shapes():
    lines = (SAMPLE / "mastodon/statuses.jsonl").read_text(encoding="utf-8").splitlines()
    statuses, bad = [], 0
    for line in lines:
        try:
            statuses.append(json.loads(line))
        except json.JSONDecodeError:
            bad += 1
    assert (len(statuses), bad) == (1200, 2)
    assert {s["visibility"] for s in statuses} == {"public", "unlisted", "private", "direct"}
    assert any(not s["account"]["indexable"] for s in statuses) and any(
        s["account"]["noindex"] for s in statuses
    )

    bluesky = _jsonl(SAMPLE / "bluesky/posts.jsonl")
    assert len(bluesky) == 800
    labels = [lab["val"] for p in bluesky for lab in p["author"]["labels"]]
    assert "!no-unauthenticated" in labels

    subs, comments = (
        _jsonl(SAMPLE / "reddit/submissions.jsonl"),
        _jsonl(SAMPLE / "reddit/comments.jsonl"),
    )
    assert (len(subs), len(comments)) == (700, 500)
    assert {s["subreddit_type"] for s in subs} == {
        "public",
        "restricted",
        "private",
        "user",
        "archived",
    }
    assert any(s["author"] == "[deleted]" for s in subs) and any(
        c["body"] == "[removed]" for c in comments
    )

    pages = _jsonl(SAMPLE / "twitter/tweets.jsonl")
    assert len(pages) == 50 and sum(len(p["data"]) for p in pages) == 500
    assert any(u["protected"] for p in pages for u in p["includes"]["users"])

    assert pq.read_table(SAMPLE / "laion/laion.parquet").num_rows == 300
    app = pq.read_table(SAMPLE / "app/posts.parquet").to_pylist()
    assert len(app) == 1001 and len({r["item_id"] for r in app}) == 1000
    assert list(app[0]) == list(CANONICAL_COLUMNS)
    assert {"followers", "private", "unknown"} <= {r["visibility"] for r in app}


def test_labels_match_canonical_text():
    texts = {
        r["item_id"]: r["text"]
        for r in pq.read_table(SAMPLE / "app/posts.parquet").to_pylist()[:1000]
    }
    texts |= {p["uri"]: p["record"]["text"] for p in _jsonl(SAMPLE / "bluesky/posts.jsonl")}
    texts |= {
        t["id"]: t["text"] for page in _jsonl(SAMPLE / "twitter/tweets.jsonl") for t in page["data"]
    }
    texts |= {c["name"]: c["body"] for c in _jsonl(SAMPLE / "reddit/comments.jsonl")}
    texts |= {
        s["name"]: f"{s['title']}\n\n{s['selftext']}"
        for s in _jsonl(SAMPLE / "reddit/submissions.jsonl")
    }
    labels = _jsonl(SAMPLE / "labels.jsonl")
    assert len(labels) > 1500
    for lab in labels:
        if lab["platform"] == "laion":
            continue
        assert texts[lab["item_id"]][lab["start"] : lab["end"]] == lab["value"], lab
    assert {lab["platform"] for lab in labels} == {"app", "bluesky", "twitter", "reddit", "laion"}


def test_truth_csv_matches_image_files():
    truth = list(csv.DictReader((SAMPLE / "images/truth.csv").open(encoding="utf-8")))
    on_disk = {p.name for p in (SAMPLE / "images").iterdir()} - {"truth.csv"}
    assert {r["filename"] for r in truth} == on_disk
    assert sum(p.stat().st_size for p in (SAMPLE / "images").iterdir()) < 10_000_000
    faces = Counter(r["faces"] for r in truth)
    assert (
        faces["0"]
        and faces["1"]
        and faces["2"]
        and sum(faces[k] for k in faces if k not in ("", "0", "1", "2"))
    )
    for row in truth:
        path = SAMPLE / "images" / row["filename"]
        if row["mode"] in ("corrupt", "truncated", "empty"):
            continue
        with Image.open(path) as img:
            assert img.mode == row["mode"] and max(img.size) <= 640
            gps = img.getexif().get_ifd(GPS_IFD)
        assert bool(gps) == (row["has_gps"] == "True")
        if gps:
            assert round(dms_to_decimal(gps[2], gps[1]), 6) == float(row["gps_lat"])
            assert round(dms_to_decimal(gps[4], gps[3]), 6) == float(row["gps_lon"])
    assert (SAMPLE / "images/empty.jpg").stat().st_size == 0


def test_media_references_resolve_except_the_deliberately_missing_one():
    refs = [
        p["media_path"]
        for p in pq.read_table(SAMPLE / "app/posts.parquet").to_pylist()
        if p["media_path"]
    ]
    statuses = [
        json.loads(line)
        for line in (SAMPLE / "mastodon/statuses.jsonl").open()
        if line.startswith('{"id":"1')
    ]
    refs += [m["url"] for s in statuses if "media_attachments" in s for m in s["media_attachments"]]
    refs += [
        p["embed"]["images"][0]["fullsize"]
        for p in _jsonl(SAMPLE / "bluesky/posts.jsonl")
        if "embed" in p
    ]
    refs += [
        m["url"]
        for page in _jsonl(SAMPLE / "twitter/tweets.jsonl")
        for m in page["includes"]["media"]
    ]
    refs += [
        s["url"]
        for s in _jsonl(SAMPLE / "reddit/submissions.jsonl")
        if s.get("post_hint") == "image"
    ]
    missing = {r for r in refs if not (SAMPLE / "app" / r).exists()}
    assert missing == {"../images/img_404.jpg"}
    assert 80 <= len(refs) <= 150


def test_rebuild_is_byte_identical(tmp_path):
    build_sample.build(tmp_path, images=False)
    rebuilt = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert len(rebuilt) >= 10
    for rel in rebuilt:
        digest = hashlib.sha256((tmp_path / rel).read_bytes()).hexdigest()
        assert digest == hashlib.sha256((SAMPLE / rel).read_bytes()).hexdigest(), rel
