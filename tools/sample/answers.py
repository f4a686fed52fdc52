"""Answer a review sample of the bundled sample corpus from its ground truth (a stand-in
reviewer, for demonstrations and tests of `audit review import` / `audit assurance`).

Truth: ``sample_data/labels.jsonl`` (labelled spans; Mastodon is not labelled, so its
text categories stay unanswered), ``sample_data/images/truth.csv`` (faces per image), and
the item's own metadata (visibility, declared age). The sample corpus holds no intimate
images. Usage::

    python -m tools.sample.answers audit-out sample.csv > answers.csv
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

import duckdb

from audit.vocabulary import REVIEW_CATEGORIES

ROOT = Path(__file__).resolve().parents[2] / "sample_data"
UNLABELLED_PLATFORMS = ("mastodon",)
NON_PUBLIC = ("unlisted", "followers", "private", "direct")
MINOR_TYPES = ("AGE_CUE", "SELF_AGE")


def truth_answers(db: Path, item_ids: list[str]) -> list[tuple[str, str, bool]]:
    """``(item_id, category, present)`` for every answerable item and category."""
    labels: dict[str, set[str]] = defaultdict(set)
    for line in (ROOT / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        labels[row["item_id"]].add(row["entity_type"])
    faces = {
        r["filename"]: int(r["faces"])
        for r in csv.DictReader((ROOT / "images" / "truth.csv").open(encoding="utf-8"))
        if r["faces"].strip()
    }
    con = duckdb.connect(str(db), read_only=True)
    try:
        meta = con.execute(
            "SELECT item_id, platform, visibility, author_age_at_post, media_path FROM items"
            " WHERE list_contains($ids, item_id)",
            {"ids": item_ids},
        ).fetchall()
    finally:
        con.close()
    out = []
    for item_id, platform, visibility, age, media in meta:
        types = labels.get(item_id, set())
        image = Path(media).name if media else None
        for cat in REVIEW_CATEGORIES:
            if cat.key == "non_public":
                out.append((item_id, cat.key, visibility in NON_PUBLIC))
            elif cat.key == "face":
                if image is None or image in faces:
                    out.append((item_id, cat.key, bool(image and faces[image] > 0)))
            elif cat.key == "intimate_image":
                out.append((item_id, cat.key, False))
            elif platform not in UNLABELLED_PLATFORMS:
                found = bool(types & set(cat.entity_types))
                if cat.minors:
                    found = bool(types & set(MINOR_TYPES)) or (age is not None and age < 18)
                out.append((item_id, cat.key, found))
    return out


def main(argv: list[str]) -> None:
    """Print an answers CSV for the items of a sample CSV."""
    out, sample = Path(argv[0]), Path(argv[1])
    db = out / "audit.duckdb" if out.is_dir() else out
    ids = [r["item_id"] for r in csv.DictReader(sample.open(encoding="utf-8"))]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["item_id", "category", "present"])
    for row in truth_answers(db, ids):
        writer.writerow([row[0], row[1], "true" if row[2] else "false"])


if __name__ == "__main__":
    main(sys.argv[1:])
