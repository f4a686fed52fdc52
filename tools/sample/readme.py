"""Render sample_data/README.md from the plan, so the documented counts never drift."""

from __future__ import annotations

import json
from collections import Counter

from tools.sample.plan import BAD_BLUESKY_CREATED_AT, BROKEN_REFS, SEED, SamplePlan
from tools.synthetic_images import BROKEN, image_plan

FILES = (
    (
        "mastodon/statuses.jsonl",
        "mastodon",
        "mastodon",
        "one Mastodon `Status` entity per line (REST API shape)",
    ),
    ("bluesky/posts.jsonl", "bluesky", "bluesky", "one `app.bsky.feed.defs#postView` per line"),
    (
        "reddit/submissions.jsonl",
        "reddit_submissions",
        "reddit",
        "Pushshift-style Reddit Link (t3) objects",
    ),
    (
        "reddit/comments.jsonl",
        "reddit_comments",
        "reddit",
        "Pushshift-style Reddit Comment (t1) objects",
    ),
    (
        "twitter/tweets.jsonl",
        "twitter",
        "twitter_v2",
        "twarc2 JSONL: one X API v2 response page (10 tweets + includes) per line",
    ),
    (
        "laion/laion.parquet",
        "laion",
        "laion",
        "LAION-style metadata (URL, TEXT, LICENSE, NSFW, similarity, WIDTH, HEIGHT, key); no local images",
    ),
    ("app/posts.parquet", "app", "generic", "first-party export already in the canonical schema"),
)


def render_readme(plan: SamplePlan) -> str:
    """The README text for ``plan``."""
    counts = plan.counts
    specs = image_plan()
    faces = Counter(s.faces for s in specs if s.encoding not in BROKEN)
    face_line = ", ".join(f"{n} face{'s' if n != 1 else ''}: {faces[n]}" for n in sorted(faces))
    rows = "\n".join(
        f"| `{path}` | {counts[key]}{' (+1 duplicate id row)' if key == 'app' else ''}{' (+2 malformed lines)' if key == 'mastodon' else ''} | `{preset}` | {what} |"
        for path, key, preset, what in FILES
    )
    total = sum(int(counts[key]) for _, key, _, _ in FILES)
    vis = "\n".join(
        f"- {name}: {json.dumps(counts[f'visibility_{name}'])}"
        for name in ("mastodon", "app", "reddit_submissions")
    )
    special = plan.special
    return f"""# Sample corpus

A small, fully synthetic social-media corpus for demos, tests and detector evaluation.
Nothing here is real user data: the text comes from `audit.synth.corpus` templates with fake
values (example.* domains, fictional 555-01xx phone numbers, Luhn-valid but unissued card
numbers, checksum-valid IBANs), and the photos are public-domain / CC0 images shipped with
scikit-image. **Generated file — edit `tools/sample/plan.py`/`tools/sample/writers.py`, not this README.**

Audit it with `uv run audit scan sample_data/corpus.yaml --out /tmp/sample-audit`.

## Files ({total} items)
| file | items | preset | shape |
|---|---|---|---|
{rows}

- `corpus.yaml`: the corpus spec listing every file with its mapping preset.
- `labels.jsonl`: ground-truth spans `{{item_id, platform, entity_type, start, end, value}}`
  (Python character offsets, end exclusive) in the canonical `text` the presets produce:
  app `text`, Bluesky `record.text`, tweet `text`, Reddit comment `body`, Reddit submission
  `title + "\\n\\n" + selftext`, LAION `TEXT`. Mastodon is not labelled (its `content` is HTML).
  Entity types: PERSON, EMAIL_ADDRESS, PHONE_NUMBER, STREET_ADDRESS, LOCATION (city names),
  CREDIT_CARD, IBAN_CODE, US_SSN, IP_ADDRESS, URL, DATE_TIME (birth dates only),
  SOCIAL_HANDLE and AGE_CUE (minor age cues). Hard negatives ("15 year anniversary",
  "grade A beef", "v2.14.3", "open 24/7") are deliberately unlabelled.
- `images/` + `images/truth.csv`: {len(specs)} image files (see below).

Items referencing an image: {counts["image_items"]} ({counts["distinct_images_referenced"]} distinct paths; several
images are reposted across platforms). Media paths are relative to the export file
(`../images/img_007.jpg`).

## Visibility (source vocabulary)
{vis}

Bluesky authors with the `!no-unauthenticated` self-label, protected X accounts, Mastodon
accounts with `indexable: false` / `noindex: true`, and private Reddit subreddits are mixed in.

## Cases for per-author rules
- Minor revealers (one text-only post says "I'm 13/14/15", their other posts are images
  with no age text): {", ".join(special["minor_revealers"])}.
- Teen authors (every 12th author of a source's pool) post the first-person school and age
  captions ("I'm 14 and…", "First day in 8th grade…"): minors.author-minor-evidence
  excludes all their items. Parents' captions about their children go to any author.
- App authors who opted out on exactly one item: {", ".join(special["partial_opt_out"])}.
- App `author_birth_date`: about 15% of authors were minors when posting, ~55% adults,
  the rest unknown; `author_age_at_post` is NULL (ingest derives it).

## Deliberately bad input (error handling)
- `mastodon/statuses.jsonl`: 2 malformed lines (a cut-off JSON object, an HTML error page).
- `bluesky/posts.jsonl`: one post with `createdAt: "{BAD_BLUESKY_CREATED_AT}"`.
- `app/posts.parquet`: one item id exported twice with different text.
- Broken media references: {", ".join(f"{src} → `{name}`" for src, name in BROKEN_REFS.items())}
  (`img_404.jpg` does not exist; the others are corrupt, truncated and zero-byte files).

## Images
{face_line} (readable images), plus `corrupt.jpg`, `truncated.jpg` and `empty.jpg`.
Faces were verified with `face_recognition.face_locations(img, number_of_times_to_upsample=1)`
(HOG) after applying EXIF orientation; the build fails if any count disagrees.
Encodings: RGB JPEG (quality 85, 4:2:0), EXIF Orientation=6 (stored rotated: the face is only
found after `ImageOps.exif_transpose`), grayscale JPEG, CMYK JPEG, RGBA PNG, 16-bit PNG
(`I;16`, scale `>> 8` before detection). Metadata: EXIF GPS (4 images), XMP with IPTC
`plus:DataMining` (PROHIBITED-AIMLTRAINING, PROHIBITED, ALLOWED), `xmpRights:UsageTerms`,
`xmpRights:WebStatement`, `dc:rights`, and one with EXIF `CameraOwnerName`/`BodySerialNumber`.
All other images carry no metadata. `truth.csv` holds the true values per file.
Note: `face_recognition` sets `PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True` on import, so in a
process that imported it `truncated.jpg` decodes (half grey) instead of raising.

### Provenance and licences
Composites of scikit-image's bundled sample photos (`skimage.data`, scikit-image 0.26):
- `astronaut`: NASA photo of astronaut Eileen Collins — "No known copyright restrictions,
  released into the public domain" (skimage docstring; NASA Great Images database).
- `coffee`: "CC0 by the photographer (Rachel Michetti)", courtesy of Pikolo Espresso Bar.
- `chelsea` (a cat): "CC0 by the photographer (Stefan van der Walt)".
- `rocket`: SpaceX launch photo of DSCOVR, released by SpaceX into the public domain.
- `motorcycle_left` (`stereo_motorcycle()[0]`): Middlebury 2014 stereo benchmark (Scharstein
  et al.), redistributed by scikit-image under its BSD-3-Clause data licence; used here for
  face-free scenes only.
The faces are all the same person (one public-domain portrait), so the sample cannot test
face identity; it tests counts, sizes, encodings and metadata.

## Rebuild
```
uv run python -m tools.sample.build            # seed {SEED}; ~20 s with face verification
uv run python -m tools.sample.build --no-verify  # skip face_recognition
uv run python -m tools.sample.build --out /tmp/s --no-images  # text + parquet only
```
Rebuilding gives byte-identical files (binary ones on the same Pillow/libjpeg/pyarrow).
`tests/test_synthetic.py` rebuilds the text and parquet files into a temp dir and compares hashes.
"""
