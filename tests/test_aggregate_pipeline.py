"""Aggregate rules through the real pipeline on hand-built corpora with known answers."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
from PIL import Image

from audit.scan import ScanOptions, run_scan

FIELDS = ["item_id", "author_id", "text", "media_path", "visibility", "opt_out", "created_at"]


def _corpus(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    (tmp_path / "img").mkdir()
    for name in {r["media_path"] for r in rows if r.get("media_path")}:
        Image.new("RGB", (32, 32), (200, 120, 40)).save(tmp_path / name)
    path = tmp_path / "corpus.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows({k: r.get(k, "") for k in FIELDS} for r in rows)
    return path


def _flags(out: Path, rule_id: str) -> set[str]:
    con = duckdb.connect(str(out / "audit.duckdb"), read_only=True)
    rows = con.execute("SELECT item_id FROM flags WHERE rule_id = ?", [rule_id]).fetchall()
    con.close()
    return {r[0] for r in rows}


def test_self_declared_minor_propagates_to_image_posts_without_signal(tmp_path: Path) -> None:
    corpus = _corpus(
        tmp_path,
        [
            {"item_id": "t1", "author_id": "kid", "text": "I'm 14 and this is my first post"},
            {"item_id": "i1", "author_id": "kid", "media_path": "img/selfie.png"},
            {"item_id": "i2", "author_id": "kid", "text": "sunset", "media_path": "img/sun.png"},
            {"item_id": "p1", "author_id": "parent", "text": "my 12 yo won the match"},
            {"item_id": "p2", "author_id": "parent", "media_path": "img/garden.png"},
            {"item_id": "e1", "author_id": "teacher", "text": "I teach 9th grade, send coffee"},
            {"item_id": "g1", "author_id": "pupil", "text": "class of 2027 forever",
             "created_at": "2024-03-01T09:00:00"},
            {"item_id": "g2", "author_id": "pupil", "media_path": "img/team.png"},
            {"item_id": "o1", "author_id": "other", "text": "back from the gym"},
        ],
    )  # fmt: skip
    out = tmp_path / "out"
    run_scan(
        ScanOptions(
            corpus=str(corpus), out=out, mapping="generic", detectors=("minor_cues",), workers=1
        )
    )
    assert _flags(out, "minors.author-minor-evidence") == {"t1", "i1", "i2", "g1", "g2"}
    # the parent's cue stays on its own item; the teacher's grade is no minor's
    assert _flags(out, "minors.minor-cues-in-text") == {"t1", "p1", "g1"}
    excluded = set((out / "exclusions.txt").read_text().split())
    assert {"t1", "i1", "i2", "g1", "g2"} <= excluded
    assert not {"p1", "p2", "e1", "o1"} & excluded


def test_opt_out_on_one_item_excludes_all_of_the_authors_items(tmp_path: Path) -> None:
    corpus = _corpus(
        tmp_path,
        [
            {"item_id": "a1", "author_id": "alice", "text": "hello", "opt_out": "true"},
            {"item_id": "a2", "author_id": "alice", "media_path": "img/cat.png"},
            {"item_id": "b1", "author_id": "bob", "text": "hi", "opt_out": "false"},
        ],
    )
    out = tmp_path / "out"
    run_scan(
        ScanOptions(
            corpus=str(corpus), out=out, mapping="generic", detectors=("minor_cues",), workers=1
        )
    )
    assert _flags(out, "consent.author-opted-out-anywhere") == {"a1", "a2"}
