"""Write the sample corpus's consent registry (sample_data/registry/), deterministically.

``uv run python -m tools.sample.registry`` writes ``requests.csv`` (hand-picked requests
against the sample: an objection to a Mastodon account written as ``@Oscar_Haddad38``, an
erasure request for an e-mail address in capitals, an opt-out for a Reddit thread URL with
tracking parameters, an erasure request for a photo given as a half-size grey re-encoded copy,
an opt-out for a LAION image URL, and a request that matches nothing) and the reference photo
``photo-request.jpg`` (made from ``images/img_030.jpg`` with tools/image_copies.py). The
corpus spec lists the file under ``registry:``, so every scan of the sample applies it.
"""

from __future__ import annotations

import csv
from pathlib import Path

from PIL import Image, ImageOps

from tools.image_copies import chain, grey, reencode, resize

ROOT = Path(__file__).resolve().parents[2] / "sample_data"

REQUESTS = [
    ("req-0001", "objection", "author", "@Oscar_Haddad38", "mastodon", "2025-01-10"),
    ("req-0002", "erasure", "email", "Maria43@Example.COM", "", "2025-02-01T09:30:00Z"),
    (
        "req-0003",
        "opt_out",
        "url",
        "https://reddit.com/r/teenagers/comments/x2qz7v/weekly_thread?utm_source=share&utm_medium=web",
        "",
        "2025-02-14",
    ),
    ("req-0004", "erasure", "image", "photo-request.jpg", "", "2025-03-01"),
    (
        "req-0005",
        "opt_out",
        "url",
        "http://Images.Example.com/02/000000002.jpg",
        "laion",
        "2025-03-02",
    ),
    ("req-0006", "objection", "author", "@nobody_in_this_corpus", "twitter", "2025-03-05"),
]


def write_registry(out: Path, *, photo: bool = True) -> None:
    """Write ``out/registry/requests.csv`` and (``photo``) ``photo-request.jpg``, made from the
    sample's ``out/images/img_030.jpg``."""
    folder = out / "registry"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "requests.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(
            ["request_id", "kind", "subject_type", "subject", "platform", "received_at"]
        )
        writer.writerows(REQUESTS)
    if photo:
        source = ImageOps.exif_transpose(Image.open(out / "images" / "img_030.jpg"))
        copy = chain(resize(0.5), grey, reencode(40))(source.convert("RGB"))
        copy.save(folder / "photo-request.jpg", "JPEG", quality=85)


def main() -> None:
    """Write the registry into sample_data/registry/."""
    write_registry(ROOT)


if __name__ == "__main__":
    main()
