"""Write the sample plan in each platform's export shape, plus labels.jsonl.

Labels are written where the canonical text (after the preset in audit/ingest/mappings/) is the
caption verbatim or at a known offset: app ``text``, Bluesky ``record.text``, tweet ``text``,
Reddit comment ``body``, Reddit submission ``title + "\\n\\n" + selftext`` and LAION ``TEXT``.
Mastodon is skipped: its ``content`` is HTML and the offsets depend on the HTML stripper.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from audit.synth.corpus import LabelledText, caption
from tools.sample.plan import SELF_TITLES, SamplePlan
from tools.synthetic_exports import (
    Post,
    bluesky_post_view,
    mastodon_status,
    reddit_comment,
    reddit_submission,
    twitter_page,
)

PARQUET_OPTIONS: dict[str, object] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
}
TWEETS_PER_PAGE = 10
#: Lines (0-based, before insertion) where malformed JSON is inserted into the Mastodon file.
MALFORMED_MASTODON = {
    150: '{"id": "109876543210987654", "content": "<p>this line was cut off in transfer',
    900: "<html><body>502 Bad Gateway</body></html>",
}


def _dump(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _write_jsonl(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _label_rows(
    item_id: str, platform: str, text: LabelledText, offset: int = 0
) -> list[dict[str, object]]:
    return [
        {
            "item_id": item_id,
            "platform": platform,
            "entity_type": s.entity_type,
            "start": s.start + offset,
            "end": s.end + offset,
            "value": text.text[s.start : s.end],
        }
        for s in text.spans
    ]


def _mastodon(posts: list[Post], out: Path) -> None:
    lines = [_dump(mastodon_status(p)) for p in posts]
    for index in sorted(MALFORMED_MASTODON, reverse=True):
        lines.insert(index, MALFORMED_MASTODON[index])
    _write_jsonl(out / "mastodon" / "statuses.jsonl", lines)


def _bluesky(posts: list[Post], out: Path, labels: list[dict[str, object]]) -> None:
    views = [bluesky_post_view(p) for p in posts]
    for p, v in zip(posts, views, strict=True):
        labels += _label_rows(str(v["uri"]), "bluesky", p.caption)
    _write_jsonl(out / "bluesky" / "posts.jsonl", [_dump(v) for v in views])


def _reddit(plan: SamplePlan, out: Path, labels: list[dict[str, object]]) -> None:
    subs: list[dict[str, object]] = []
    for p in plan.posts["reddit_submissions"]:
        removed = p.extra.get("removed_by_category") is not None
        if p.image:  # link posts: the caption is the title
            title, selftext, offset = p.caption.text, "", 0
        else:
            title = SELF_TITLES[p.seq % len(SELF_TITLES)]
            selftext, offset = ("[removed]" if removed else p.caption.text), len(title) + 2
        obj = reddit_submission(p, title, selftext)
        subs.append(obj)
        if not (removed and not p.image):
            labels += _label_rows(str(obj["name"]), "reddit", p.caption, offset)
    comments: list[dict[str, object]] = []
    for p in plan.posts["reddit_comments"]:
        link = subs[(p.seq * 7) % len(subs)]
        p.extra["subreddit"] = link["subreddit"]  # a comment lives in its submission's subreddit
        p.visibility = str(link["subreddit_type"])
        siblings = [c for c in comments if c["link_id"] == link["name"]]
        parent = siblings[-1]["name"] if siblings and p.seq % 2 else link["name"]
        if p.extra.get("removed_by_category"):
            p.extra["body_override"] = "[removed]"
        elif p.author.username == "[deleted]" and p.seq % 2:
            p.extra["body_override"] = "[deleted]"
        obj = reddit_comment(p, str(link["name"]), str(parent))
        comments.append(obj)
        if "body_override" not in p.extra:
            labels += _label_rows(str(obj["name"]), "reddit", p.caption)
    _write_jsonl(out / "reddit" / "submissions.jsonl", [_dump(s) for s in subs])
    _write_jsonl(out / "reddit" / "comments.jsonl", [_dump(c) for c in comments])


def _twitter(posts: list[Post], out: Path, labels: list[dict[str, object]]) -> None:
    pages = []
    for start in range(0, len(posts), TWEETS_PER_PAGE):
        chunk = posts[start : start + TWEETS_PER_PAGE]
        if start >= TWEETS_PER_PAGE:  # every third tweet of a later page quotes an earlier tweet
            for k, p in enumerate(chunk):
                if k % 3 == 0:
                    p.extra["quoted_id"] = pages[-1]["data"][k]["id"]
        page = twitter_page(chunk)
        for p, t in zip(chunk, page["data"], strict=True):
            labels += _label_rows(str(t["id"]), "twitter", p.caption)
        pages.append(page)
    _write_jsonl(out / "twitter" / "tweets.jsonl", [_dump(p) for p in pages])


def _write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **PARQUET_OPTIONS)


def _laion(posts: list[Post], out: Path, labels: list[dict[str, object]]) -> None:
    licences = [
        "?",
        "?",
        "?",
        "https://creativecommons.org/licenses/by/4.0/",
        "https://creativecommons.org/licenses/by-sa/3.0/",
        "https://creativecommons.org/publicdomain/zero/1.0/",
    ]
    nsfw = ["UNLIKELY"] * 17 + ["UNSURE", "UNSURE", "NSFW"]
    rows = []
    for p in posts:
        key = f"{p.seq:09d}"
        rows.append(
            {
                "URL": f"https://images.example.com/{p.seq % 97:02d}/{key}.jpg",
                "TEXT": p.caption.text,
                "LICENSE": licences[p.seq * 5 % len(licences)],
                "NSFW": nsfw[p.seq * 7 % len(nsfw)],
                "similarity": round(0.28 + (p.seq * 37 % 140) / 1000, 6),
                "WIDTH": 320 + p.seq * 13 % 900,
                "HEIGHT": 240 + p.seq * 29 % 700,
                "key": key,
            }
        )
        labels += _label_rows(key, "laion", p.caption)
    schema = pa.schema(
        [
            ("URL", pa.string()),
            ("TEXT", pa.string()),
            ("LICENSE", pa.string()),
            ("NSFW", pa.string()),
            ("similarity", pa.float64()),
            ("WIDTH", pa.int64()),
            ("HEIGHT", pa.int64()),
            ("key", pa.string()),
        ]
    )
    _write_parquet(pa.Table.from_pylist(rows, schema=schema), out / "laion" / "laion.parquet")


APP_SCHEMA = pa.schema(
    [
        ("item_id", pa.string()),
        ("platform", pa.string()),
        ("author_id", pa.string()),
        ("created_at", pa.timestamp("ms")),
        ("text", pa.string()),
        ("media_path", pa.string()),
        ("url", pa.string()),
        ("visibility", pa.string()),
        ("author_birth_date", pa.date32()),
        ("author_age_at_post", pa.int32()),
        ("opt_out", pa.bool_()),
        ("noai", pa.bool_()),
        ("license", pa.string()),
        ("deleted", pa.bool_()),
    ]
)


def _app_row(p: Post, item_id: str, text: str) -> dict[str, object]:
    return {
        "item_id": item_id,
        "platform": "app",
        "author_id": f"u{int(p.author.key.split(':')[1]):05d}",
        "created_at": p.created_at,
        "text": text,
        "media_path": p.image,
        "url": f"https://app.example/p/{item_id}",
        "visibility": p.visibility,
        "author_birth_date": p.author.birth_date,
        "author_age_at_post": None,
        **{k: p.extra[k] for k in ("opt_out", "noai", "license", "deleted")},
    }


def _app(posts: list[Post], out: Path, labels: list[dict[str, object]]) -> None:
    rows = []
    for p in posts:
        item_id = f"app-{p.seq:06d}"
        rows.append(_app_row(p, item_id, p.caption.text))
        labels += _label_rows(item_id, "app", p.caption)
    # A conflicting duplicate: the same item id exported twice with different text.
    dup = posts[41]
    rows.append(
        _app_row(dup, f"app-{dup.seq:06d}", caption(random.Random("duplicate"), "plain").text)
    )
    _write_parquet(pa.Table.from_pylist(rows, schema=APP_SCHEMA), out / "app" / "posts.parquet")


def write_exports(plan: SamplePlan, out: Path) -> None:
    """Write every export file and labels.jsonl under ``out``."""
    labels: list[dict[str, object]] = []
    _mastodon(plan.posts["mastodon"], out)
    _bluesky(plan.posts["bluesky"], out, labels)
    _reddit(plan, out, labels)
    _twitter(plan.posts["twitter"], out, labels)
    _laion(plan.posts["laion"], out, labels)
    _app(plan.posts["app"], out, labels)
    _write_jsonl(out / "labels.jsonl", [_dump(row) for row in labels])
