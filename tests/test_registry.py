"""The consent registry (#17): loading and bad rows, normalisation, matching by every way,
copies of non-public images, rules, report, diff and export.

The end-to-end corpus is built here: scikit-image's sample photos and copies of them made
by tools/image_copies.py (always available); the real-photo tests read
../shared/realdata and skip where it is absent.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import numpy as np
import pytest
from conftest import ROOT
from PIL import Image

from audit.detectors.image_hash import pdq
from audit.errors import EXIT_INPUT
from audit.registry.load import RegistryError, load_registry
from audit.registry.match import check_subjects
from audit.registry.normalise import normalise
from audit.scan import ScanOptions, run_scan
from tools.image_copies import COPIES, copy_of

REAL_FACES = ROOT.parent / "shared" / "realdata" / "faces" / "images"
COLUMNS = ["request_id", "kind", "subject_type", "subject", "platform", "received_at"]

# ---------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("platform", "handle", "key"),
    [
        ("twitter", "@Alice_W", "alice_w"),
        ("x", " @ALICE_W ", "alice_w"),
        ("twitter", "https://twitter.com/Alice_W", "alice_w"),
        ("mastodon", "@alice@Mastodon.Social", "alice@mastodon.social"),
        ("mastodon", "acct:Bob@fosstodon.org", "bob@fosstodon.org"),
        ("reddit", "u/Spez", "spez"),
        ("twitter", "  ", None),
    ],
)
def test_author_forms(platform: str, handle: str, key: str | None) -> None:
    assert normalise("author", [handle], platform) == [key]


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("HTTPS://WWW.Example.com:443/Path/?utm_source=x&b=2&a=1#frag", "example.com/Path?a=1&b=2"),
        ("http://example.com/Path?a=1&b=2", "example.com/Path?a=1&b=2"),
        ("https://m.facebook.com/story?id=1&fbclid=abc&gclid=z", "facebook.com/story?id=1"),
        ("https://x.com/Alice/status/1?s=20&t=xyz", "twitter.com/Alice/status/1"),
        ("https://mobile.twitter.com/Alice/status/1/", "twitter.com/Alice/status/1"),
        ("example.com/a/", "example.com/a"),
        ("not a url", None),
    ],
)
def test_url_canonical_forms(value: str, key: str | None) -> None:
    assert normalise("url", [value]) == [key]


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("Example.com", "example.com"),
        ("*.example.com", "example.com"),
        ("https://www.Example.com/x", "example.com"),
        ("www.example.co.uk.", "example.co.uk"),
        ("localhost", None),
    ],
)
def test_domain_forms(value: str, key: str | None) -> None:
    assert normalise("domain", [value]) == [key]


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("Alice.Smith@Example.COM", "alice.smith@example.com"),
        ("mailto:bob@x.org", "bob@x.org"),
        ("ana [at] mail [dot] com", "ana@mail.com"),
        ("ana at mail dot com", "ana@mail.com"),
        ("bob@@x", None),
        ("x@y", None),
    ],
)
def test_email_forms(value: str, key: str | None) -> None:
    assert normalise("email", [value]) == [key]


# ---------------------------------------------------------------- bad rows


def _write_csv(path: Path, rows: list[list[str]], header: list[str] = COLUMNS) -> Path:
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_bad_rows_each_named_with_file_and_line(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "reg.csv",
        [
            ["r1", "erasure", "email", "a@example.com", "", "2025-01-01"],  # line 2: fine
            ["r2", "delete", "email", "b@example.com", "", ""],  # 3: unknown kind
            ["r3", "erasure", "phone", "+1 555", "", ""],  # 4: unknown subject type
            ["", "erasure", "email", "c@example.com", "", ""],  # 5: no request_id
            ["r1", "erasure", "email", "d@example.com", "", ""],  # 6: duplicate id
            ["r6", "opt_out", "image", "missing.jpg", "", ""],  # 7: no such file
            ["r7", "opt_out", "author", "@x", "", "last tuesday"],  # 8: bad date
        ],
    )
    with pytest.raises(RegistryError) as err:
        load_registry([path])
    lines = str(err.value).splitlines()[1:]
    assert [line.strip().split(": ")[0] for line in lines] == [
        f"{path}:{n}" for n in (3, 4, 5, 6, 7, 8)
    ]
    assert "'delete' is not one of opt_out, erasure, objection" in lines[0]
    assert "already used at" in lines[3]
    assert err.value.exit_code == EXIT_INPUT


def test_unreadable_subjects_are_bad_rows(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "reg.csv",
        [
            ["r1", "erasure", "email", "not an address", "", ""],
            ["r2", "opt_out", "url", "no host here", "", ""],
            ["r3", "opt_out", "domain", "localhost", "", ""],
            ["r4", "opt_out", "author", "@alice", "twitter", ""],
        ],
    )
    with pytest.raises(RegistryError) as err:
        check_subjects(load_registry([path]).requests)
    assert [p.line for p in err.value.problems] == [2, 3, 4]
    assert "not an e-mail address" in str(err.value)


def test_jsonl_and_header_problems(tmp_path: Path) -> None:
    jsonl = tmp_path / "reg.jsonl"
    jsonl.write_text(
        '{"request_id": "j1", "kind": "opt_out", "subject_type": "domain", "subject": "example.org"}\n'
        "not json\n"
        '{"request_id": "j2", "kind": "opt_out", "subject_type": "domain", "subject": "x.org", "why": 1}\n'
    )
    bad_header = _write_csv(tmp_path / "h.csv", [["r1", "erasure"]], header=["request_id", "kind"])
    with pytest.raises(RegistryError) as err:
        load_registry([jsonl, bad_header])
    text = str(err.value)
    assert f"{jsonl}:2: line: not JSON" in text
    assert f"{jsonl}:3: why: unknown column" in text
    assert f"{bad_header}:1: header: missing column(s) subject_type, subject" in text


def test_scan_with_a_bad_row_exits_2_before_any_work(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "reg.csv", [["r1", "forget", "email", "a@b.com", "", ""]])
    with pytest.raises(RegistryError) as err:
        run_scan(
            ScanOptions(corpus=str(tmp_path / "none.jsonl"), out=tmp_path / "out",
                        registry=(path,), detectors=("none",))
        )  # fmt: skip
    assert f"{path}:2: kind:" in str(err.value)


def test_a_scan_reports_bad_forms_and_bad_subjects_together(tmp_path: Path) -> None:
    rows = [
        ["r1", "forget", "email", "a@b.com", "", ""],  # bad kind (the row's form)
        ["r2", "erasure", "email", "not-an-email", "", ""],  # bad subject (a value check)
    ]
    path = _write_csv(tmp_path / "reg.csv", rows)
    with pytest.raises(RegistryError) as err:
        run_scan(
            ScanOptions(corpus=str(tmp_path / "none.jsonl"), out=tmp_path / "out",
                        registry=(path,), detectors=("none",))
        )  # fmt: skip
    lines = [str(p) for p in err.value.problems]
    assert [line.split(": ")[0] for line in lines] == [f"{path}:2", f"{path}:3"], lines
    assert "not an e-mail address" in lines[1]


# ---------------------------------------------------------------- perceptual copies


def _sample_photos() -> dict[str, Image.Image]:
    from skimage import data

    return {n: Image.fromarray(getattr(data, n)()) for n in ("astronaut", "coffee", "rocket")}


def _hash_image(image: Image.Image, tmp_path: Path) -> pdq.PdqHash:
    path = tmp_path / "h.png"
    image.save(path)
    return pdq.hash_pixels(pdq.load_for_hash(str(path)))


def _variants(image: Image.Image, tmp_path: Path) -> list[pdq.PdqHash]:
    path = tmp_path / "v.png"
    image.save(path)
    return list(pdq.variant_hashes(pdq.load_for_hash(str(path))).values())


def _nearest(variants: list[pdq.PdqHash], h: pdq.PdqHash) -> int:
    return min(pdq.distance(v, h) for v in variants)


COPY_NAMES = ["jpeg_q40", "resize_50", "resize_25", "crop_5_center", "crop_10_center",
              "crop_10_left", "crop_20_center", "grey", "grey_resize_50_q40", "mirror"]  # fmt: skip


@pytest.fixture(scope="module")
def sample_variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[pdq.PdqHash]]:
    tmp = tmp_path_factory.mktemp("variants")
    return {k: _variants(v, tmp) for k, v in _sample_photos().items()}


@pytest.mark.parametrize("name", COPY_NAMES)
def test_copies_of_sample_photos_match_and_others_do_not(
    name: str, tmp_path: Path, sample_variants: dict[str, list[pdq.PdqHash]]
) -> None:
    photos, variants = _sample_photos(), sample_variants
    for key, photo in photos.items():
        h = _hash_image(copy_of(photo, name), tmp_path)
        assert _nearest(variants[key], h) <= pdq.MATCH_DISTANCE, (key, name)
        for other in photos.keys() - {key}:
            assert _nearest(variants[other], h) > 2 * pdq.MATCH_DISTANCE, (key, other, name)


@pytest.mark.skipif(not REAL_FACES.is_dir(), reason="../shared/realdata absent")
def test_copies_of_real_photos_match_and_other_photos_do_not(tmp_path: Path) -> None:
    photos = {p.name: Image.open(p).convert("RGB") for p in sorted(REAL_FACES.iterdir())}
    variants = {k: _variants(v, tmp_path) for k, v in photos.items()}
    # obama_small is a crop of obama.jpg, and two_people holds obama3's face: real copies
    related = {frozenset({"fr__obama.jpg", "fr__obama_small.jpg"})}
    for key, photo in photos.items():
        for name in ("jpeg_q40", "resize_50", "crop_10_center", "crop_10_left", "grey",
                     "crop_10_resize_50_q40"):  # fmt: skip
            h = _hash_image(copy_of(photo, name), tmp_path)
            assert _nearest(variants[key], h) <= pdq.MATCH_DISTANCE, (key, name)
        h = _hash_image(photo, tmp_path)
        for other in photos.keys() - {key}:
            if frozenset({key, other}) not in related:
                assert _nearest(variants[other], h) > pdq.MATCH_DISTANCE, (key, other)


# ---------------------------------------------------------------- a corpus, end to end


def _save(image: Image.Image, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.convert("RGB").save(path, quality=90)
    return str(path.relative_to(path.parent.parent))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generic-mapping corpus exercising every way a request covers an item."""
    root = tmp_path_factory.mktemp("registry_corpus")
    photos = _sample_photos()
    media = {
        "astro": _save(photos["astronaut"], root / "img" / "astro.jpg"),
        "astro_copy": _save(
            copy_of(photos["astronaut"], "crop_10_resize_50_q40"), root / "img" / "astro_copy.jpg"
        ),  # fmt: skip
        "coffee": _save(photos["coffee"], root / "img" / "coffee.jpg"),
        "coffee_grey": _save(copy_of(photos["coffee"], "grey"), root / "img" / "coffee_grey.jpg"),
        "rocket": _save(photos["rocket"], root / "img" / "rocket.jpg"),
    }
    items = [
        # id, platform, author, visibility, url, text, media
        ("t1", "twitter", "Alice_W", "public", "https://twitter.com/Alice_W/status/1", "hi", None),
        ("t2", "twitter", "alice_w", "public", None, "again", None),
        ("m1", "mastodon", "alice_w", "public", "https://social.example/@alice_w/1", "x", None),
        ("m2", "mastodon", "carol", "public", "https://fosstodon.org/@carol/2", "y", None),
        ("w1", "web", "w", "public",
         "https://www.news.example.com/story/9/?utm_source=feed&utm_medium=x#top", "z", None),
        ("w2", "web", "w", "public", "https://blog.example.org/p/1", "z", None),
        ("e1", "app", "u1", "public", None, "write to Dana.Lee@Example.com please", None),
        ("e2", "app", "u2", "public", None, "nothing personal here", None),
        # a followers-only photo on mastodon, copied publicly on twitter
        ("f1", "mastodon", "erin", "followers", None, "for friends only", media["coffee"]),
        ("f2", "twitter", "frank", "public", None, "look what I found", media["coffee_grey"]),
        ("a1", "app", "u3", "public", None, "space", media["astro"]),
        ("a2", "bluesky", "u4", "public", None, "space again", media["astro_copy"]),
        ("r1", "app", "u5", "public", None, "rocket", media["rocket"]),
    ]  # fmt: skip
    with open(root / "items.jsonl", "w") as fh:
        for item_id, platform, author, vis, url, text, path in items:
            fh.write(json.dumps({"item_id": item_id, "platform": platform, "author_id": author,
                                 "visibility": vis, "url": url, "text": text,
                                 "media_path": path}) + "\n")  # fmt: skip
    reference = root / "registry" / "photo.jpg"
    _save(copy_of(photos["astronaut"], "resize_50"), reference)
    _write_csv(
        root / "registry" / "requests.csv",
        [
            ["req-author", "objection", "author", "@ALICE_W", "x", "2025-01-01"],
            ["req-url", "opt_out", "url", "http://news.example.com/story/9", "", ""],
            ["req-domain", "opt_out", "domain", "example.org", "", ""],
            ["req-email", "erasure", "email", "dana.lee@EXAMPLE.com", "", ""],
            ["req-image", "erasure", "image", "photo.jpg", "", ""],
            ["req-nothing", "objection", "author", "@nobody", "twitter", ""],
        ],
    )
    (root / "corpus.yaml").write_text(
        "sources:\n  - {path: items.jsonl, mapping: generic}\nregistry: [registry/requests.csv]\n"
    )
    return root


@pytest.fixture(scope="module")
def scanned(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("registry_out")
    run_scan(ScanOptions(corpus=str(corpus / "corpus.yaml"), out=out, workers=1,
                         detectors=("pii", "image_hash")))  # fmt: skip
    return out


def _matches(out: Path) -> dict[str, set[str]]:
    con = duckdb.connect(str(out / "audit.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT request_id, item_id FROM registry_matches WHERE run_id = "
        "(SELECT max(run_id) FROM registry_matches)"
    ).fetchall()
    con.close()
    found: dict[str, set[str]] = {}
    for request, item in rows:
        found.setdefault(request, set()).add(item)
    return found


def test_every_way_matches_what_it_should(scanned: Path) -> None:
    found = _matches(scanned)
    assert found["req-author"] == {"t1", "t2"}  # twitter only: m1 is alice_w on mastodon
    assert found["req-url"] == {"w1"}
    assert found["req-domain"] == {"w2"}
    assert found["req-email"] == {"e1"}
    assert found["req-image"] == {"a1", "a2"}  # the original and its cropped, grey copy
    assert "req-nothing" not in found


def _flags(out: Path) -> dict[tuple[str, str], dict]:
    con = duckdb.connect()
    rows = con.execute(
        "SELECT item_id, rule_id, evidence FROM read_parquet($p)", {"p": str(out / "flags.parquet")}
    ).fetchall()
    return {(i, r): json.loads(e) for i, r, e in rows}


def test_flags_cite_the_request(scanned: Path) -> None:
    flags = _flags(scanned)
    covered = {i for (i, r) in flags if r == "consent.registry-request"}
    assert covered == {"t1", "t2", "w1", "w2", "e1", "a1", "a2"}
    words = " ".join(flags[("e1", "consent.registry-request")]["conditions"])
    assert "req-email" in words and "erasure by email" in words
    assert "dana" not in words.lower()  # the subject itself is never in evidence


def test_followers_only_original_with_a_public_copy_elsewhere(scanned: Path) -> None:
    flags = _flags(scanned)
    copy = flags[("f2", "consent.public-copy-of-non-public-image")]
    assert "of item f1 (followers, mastodon)" in " ".join(copy["conditions"])
    assert ("f1", "consent.public-copy-of-non-public-image") not in flags
    assert ("r1", "consent.public-copy-of-non-public-image") not in flags


def test_clean_export_never_contains_a_covered_item(scanned: Path, tmp_path: Path) -> None:
    from audit.export import export_clean

    export_clean(scanned / "audit.duckdb", tmp_path / "clean.parquet")
    con = duckdb.connect()
    kept = {r[0] for r in con.execute(
        "SELECT item_id FROM read_parquet($p)", {"p": str(tmp_path / "clean.parquet")}
    ).fetchall()}  # fmt: skip
    covered = set().union(*_matches(scanned).values())
    assert covered and not kept & covered
    assert {"m1", "m2", "e2", "r1"} <= kept


def test_report_lists_requests_and_the_unmatched_first(scanned: Path) -> None:
    report = json.loads((scanned / "report.json").read_text())
    rows = report["requests"]["rows"]
    assert rows[0]["request_id"] == "req-nothing" and rows[0]["status"] == "matched nothing"
    by_id = {r["request_id"]: r for r in rows}
    assert by_id["req-image"]["by_image"] == 2 and by_id["req-author"]["by_author"] == 2
    assert by_id["req-email"]["first_honoured"] is not None
    html = (scanned / "report.html").read_text()
    assert 'id="requests"' in html and "matched nothing — review" in html
    assert "dana.lee" not in html.lower() and "dana.lee" not in json.dumps(report).lower()


def test_new_request_shows_in_diff_with_the_items_it_newly_covers(
    corpus: Path, scanned: Path, tmp_path: Path
) -> None:
    from audit.diff import Side, diff_runs

    extra = _write_csv(
        tmp_path / "more.csv", [["req-late", "erasure", "author", "carol", "mastodon", ""]]
    )
    out = tmp_path / "out"
    run_scan(ScanOptions(corpus=str(corpus / "corpus.yaml"), out=out, workers=1,
                         detectors=("pii", "image_hash"), registry=(extra,)))  # fmt: skip
    result = diff_runs(Side(scanned / "audit.duckdb"), Side(out / "audit.duckdb"))
    late = {r["request_id"]: r for r in result["requests"]}["req-late"]
    assert late["change"] == "new" and late["newly_covered"] == 1 and late["new_examples"] == ["m2"]
    flags = {r["rule_id"]: r for r in result["flags"]}
    assert "m2" in flags["consent.registry-request"]["new_examples"]


# ---------------------------------------------------------------- faces


@pytest.mark.slow
@pytest.mark.skipif(not REAL_FACES.is_dir(), reason="../shared/realdata absent")
def test_face_request_covers_the_person_not_others(tmp_path: Path) -> None:
    import shutil

    corpus = tmp_path / "c"
    (corpus / "img").mkdir(parents=True)
    names = ["fr__obama_small.jpg", "fr__tests_obama3.jpg", "fr__tests_obama_partial_face2.jpg",
             "fr__biden.jpg", "fr__knn_train_rose_leslie_img1.jpg",
             "fr__knn_train_kit_harington_john2.jpeg", "fr__alex-lacamoire.png"]  # fmt: skip
    with open(corpus / "items.jsonl", "w") as fh:
        for n, name in enumerate(names):
            shutil.copy(REAL_FACES / name, corpus / "img" / name)
            fh.write(json.dumps({"item_id": f"p{n}", "media_path": f"img/{name}"}) + "\n")
    shutil.copy(REAL_FACES / "fr__obama.jpg", tmp_path / "me.jpg")
    reg = _write_csv(tmp_path / "reg.csv", [["req-face", "erasure", "face", "me.jpg", "", ""]])
    out = tmp_path / "out"
    run_scan(ScanOptions(corpus=str(corpus / "items.jsonl"), mapping="generic", out=out,
                         workers=1, detectors=("faces",), registry=(reg,)))  # fmt: skip
    assert _matches(out)["req-face"] == {"p0", "p1", "p2"}  # Obama's three, nobody else


def test_photo_without_a_face_is_a_bad_row(tmp_path: Path) -> None:
    from audit.registry.subjects import encode_subjects
    from audit.store import open_memory

    Image.fromarray(np.full((200, 300, 3), 120, np.uint8)).save(tmp_path / "wall.jpg")
    reg = _write_csv(tmp_path / "reg.csv", [["r1", "erasure", "face", "wall.jpg", "", ""]])
    with pytest.raises(RegistryError, match="reg.csv:2: subject: no face found"):
        encode_subjects(open_memory(), load_registry([reg]).requests)


def test_flat_image_is_a_bad_row(tmp_path: Path) -> None:
    from audit.registry.subjects import encode_subjects
    from audit.store import open_memory

    Image.fromarray(np.full((200, 300, 3), 120, np.uint8)).save(tmp_path / "flat.png")
    reg = _write_csv(tmp_path / "reg.csv", [["r1", "erasure", "image", "flat.png", "", ""]])
    with pytest.raises(RegistryError, match="too little detail"):
        encode_subjects(open_memory(), load_registry([reg]).requests)


def test_copies_registry_lists_every_named_copy() -> None:
    assert set(COPY_NAMES) <= set(COPIES)


def test_a_registry_named_in_the_spec_and_by_option_is_read_once(corpus: Path) -> None:
    from audit.scan import _registry_paths

    spec = corpus / "corpus.yaml"
    same = corpus / "registry" / ".." / "registry" / "requests.csv"  # another spelling
    other = corpus / "other.csv"
    paths = _registry_paths(ScanOptions(corpus=str(spec), out=corpus, registry=(same, other)))
    assert [p.resolve() for p in paths] == [
        (corpus / "registry" / "requests.csv").resolve(),
        other.resolve(),
    ]
