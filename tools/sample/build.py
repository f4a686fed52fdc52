"""Rebuild the bundled sample corpus deterministically.

    uv run python -m tools.sample.build                 # everything, faces verified
    uv run python -m tools.sample.build --out /tmp/s --no-images

Writes platform exports (mastodon, bluesky, reddit, twitter, laion, app), labels.jsonl,
corpus.yaml, images/ + images/truth.csv and README.md. Same seed → byte-identical files
(on the same Pillow/libjpeg/pyarrow versions for the binary ones).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

from tools.embedded_writer import GPS_IFD, dms_to_decimal
from tools.sample.plan import SamplePlan, make_plan
from tools.sample.readme import render_readme
from tools.sample.registry import write_registry
from tools.sample.writers import write_exports
from tools.synthetic_images import (
    BROKEN,
    detect_face_count,
    encode,
    image_plan,
    pixels_for_detection,
)

#: The bundled sample corpus this builder writes by default.
SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"

TRUTH_FIELDS = (
    "filename",
    "faces",
    "has_gps",
    "gps_lat",
    "gps_lon",
    "data_mining",
    "usage_terms",
    "c2pa",
    "mode",
    "notes",
)


def _gps_from_file(data: bytes) -> tuple[float, float] | None:
    """Read back the decimal position exactly as stored (rationals, not the planned floats)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        gps = img.getexif().get_ifd(GPS_IFD)
    if not gps:
        return None
    return round(dms_to_decimal(gps[2], gps[1]), 6), round(dms_to_decimal(gps[4], gps[3]), 6)


def build_images(folder: Path, verify: bool) -> list[dict[str, object]]:
    """Write every planned image and its truth row; with ``verify``, check the face counts."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, mismatches = [], []
    for spec in image_plan():
        data = encode(spec)
        (folder / spec.filename).write_bytes(data)
        gps = _gps_from_file(data) if spec.gps else None
        if verify and spec.encoding not in BROKEN:
            found = detect_face_count(pixels_for_detection(folder / spec.filename))
            if found != spec.faces:
                mismatches.append(f"{spec.filename}: planned {spec.faces}, detector found {found}")
        rows.append(
            {
                "filename": spec.filename,
                "faces": "" if spec.faces is None else spec.faces,
                "has_gps": gps is not None,
                "gps_lat": gps[0] if gps else "",
                "gps_lon": gps[1] if gps else "",
                "data_mining": spec.rights.data_mining,
                "usage_terms": spec.rights.usage_terms,
                "c2pa": spec.c2pa or "",
                "mode": spec.mode,
                "notes": spec.notes,
            }
        )
    if mismatches:
        raise SystemExit("face verification failed (fix the plan):\n" + "\n".join(mismatches))
    with (folder / "truth.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=TRUTH_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows


def write_corpus_yaml(out: Path) -> None:
    """The corpus spec the ingest reads: one source per export file with its preset."""
    sources = [
        ("mastodon/statuses.jsonl", "mastodon"),
        ("bluesky/posts.jsonl", "bluesky"),
        ("reddit/submissions.jsonl", "reddit"),
        ("reddit/comments.jsonl", "reddit"),
        ("twitter/tweets.jsonl", "twitter_v2"),
        ("laion/laion.parquet", "laion"),
        ("app/posts.parquet", "generic"),
    ]
    lines = ["name: sample", "sources:"] + [f"  - {{path: {p}, mapping: {m}}}" for p, m in sources]
    lines += [
        "# consent registry (audit/registry/, docs/REGISTRY.md; written by tools/sample/registry.py)",
        "registry: [registry/requests.csv]",
    ]
    (out / "corpus.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def build(out: Path, *, images: bool = True, verify: bool = True) -> SamplePlan:
    """Build the whole sample into ``out`` and return the plan (with its counts)."""
    plan = make_plan()
    if images:
        build_images(out / "images", verify)
    write_exports(plan, out)
    write_corpus_yaml(out)
    write_registry(out, photo=images)
    (out / "README.md").write_text(render_readme(plan), encoding="utf-8")
    return plan


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, default=SAMPLE_DATA, help="output folder (default: sample_data/)"
    )
    parser.add_argument(
        "--no-images", action="store_true", help="skip images (text and parquet only)"
    )
    parser.add_argument(
        "--no-verify", action="store_true", help="skip face_recognition verification"
    )
    args = parser.parse_args(argv)
    plan = build(args.out, images=not args.no_images, verify=not args.no_verify)
    print(json.dumps(plan.counts, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
